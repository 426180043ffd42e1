"""The management dashboard (一体管理): four server-rendered pages with SVG charts and
their tables, one filter form, and a CSV export of every table.

Thin: :mod:`onething.oversight.dashboard_selectors` computes every figure; these views
check access, read the filters, build the charts (:mod:`onething.oversight.charts`) and
the tables (:mod:`onething.oversight.csv_export`, shared with the CSV export).

Access (docs/dashboard.md):
- anonymous: to the login page; citizens, enterprises and staff with no clerk/officer
  record: 403;
- administrators (role admin, or superuser): everything, every filter;
- window clerks: their own centre's cases (the centre filter is forced), every page;
- department officers: their own department's item cases (the department filter is
  forced); the overview page (channels, prefill, first-time-right, reductions: the
  application side) sends them to the item-case page and its exports are 403.
No page shows personal data: case numbers, item names, departments and counts only.
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from onething.audit import services as audit
from onething.common.access import role_required
from onething.oversight import charts, csv_export
from onething.oversight import dashboard_selectors as sel
from onething.oversight.charts import Series


def dashboard_access(view):
    """Puts the viewer (what the user may see) and the scoped filters on the request."""

    @role_required(
        sel.viewer_of, denied=gettext_lazy("仅管理员、窗口人员和部门人员可以查看一体管理"), attribute="viewer"
    )
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.filters, request.filter_problems = sel.filters_from_query(request.GET, request.viewer)
        return view(request, *args, **kwargs)

    return wrapper


def _context(request: HttpRequest, page: str, **extra) -> dict:
    filters = request.filters
    query = request.GET.copy()
    query.pop("format", None)
    return {
        "page": page,
        "viewer": request.viewer,
        "filters": filters,
        "problems": request.filter_problems,
        "choices": sel.filter_choices(request.viewer),
        "query": query.urlencode(),
        "now": timezone.localtime(),
        **extra,
    }


def _tables(names: list[str], data: dict) -> list[csv_export.Table]:
    return [csv_export.TABLES[name].build(data) for name in names]


# --- pages -----------------------------------------------------------------------------------


@require_safe
@dashboard_access
def overview(request: HttpRequest) -> HttpResponse:
    """Cases by bundle and channel over time; prefill and first-time-right; prefill by data
    source and field; the four reductions."""
    if not request.viewer.sees_case_panels:
        return redirect("oversight:dashboard-items")
    filters = request.filters
    data = csv_export.overview_data(filters)
    over_time = data["cases_over_time"]
    labels = [f"{p:%m-%d}" if filters.period == "day" else f"{p:%Y-%m-%d}" for p in over_time.periods]
    by_bundle = [
        Series(
            name,
            [
                next((r["total"] for r in over_time.rows if r["period"] == p and r["bundle_id"] == pk), 0)
                for p in over_time.periods
            ],
        )
        for pk, name in over_time.bundles
    ]
    quality = [row for row in data["quality"] if row["bundle_id"] is not None]
    reductions = data["reductions"]
    figures = {
        "cases_over_time": charts.line_chart(
            title=_("各一件事办件量（按%(period)s）") % {"period": _("日") if filters.period == "day" else _("周")},
            x_labels=labels,
            series=by_bundle,
        ),
        "channels": charts.bar_chart(
            title=_("各一件事办件量：网上与窗口"),
            categories=[name for _pk, name in over_time.bundles],
            series=[
                Series(
                    _("网上申请"),
                    [sum(r["online"] for r in over_time.rows if r["bundle_id"] == pk) for pk, _n in over_time.bundles],
                ),
                Series(
                    _("窗口申请"),
                    [sum(r["window"] for r in over_time.rows if r["bundle_id"] == pk) for pk, _n in over_time.bundles],
                ),
            ],
        ),
        "prefill": charts.bar_chart(
            title=_("表单预填率（目标 > 70%）"),
            categories=[r["bundle"] for r in quality],
            series=[Series(_("预填率"), [r["prefill_rate"] or 0 for r in quality])],
            stacked=False,
            percent=True,
            target=sel.PREFILL_TARGET,
            target_label="70%",
        ),
        "first_time_right": charts.bar_chart(
            title=_("一次提交通过率（目标 > 90%）"),
            categories=[r["bundle"] for r in quality],
            series=[Series(_("一次提交通过率"), [r["first_time_right_rate"] or 0 for r in quality])],
            stacked=False,
            percent=True,
            target=sel.FIRST_TIME_RIGHT_TARGET,
            target_label="90%",
        ),
        "reductions": charts.bar_chart(
            title=_("实际减材料：免提交材料（共享）、容缺、告知承诺"),
            categories=[r["bundle"] for r in reductions],
            series=[
                Series(_("共享免提交"), [r["shared"] for r in reductions]),
                Series(_("容缺后补"), [r["deferred"] for r in reductions]),
                Series(_("告知承诺"), [r["pledged"] for r in reductions]),
            ],
        ),
    }
    total = data["quality"][-1]
    context = _context(
        request,
        "overview",
        figures=figures,
        tables=_tables(["cases_over_time", "quality", "reductions"], data),
        prefill_fields=csv_export.prefill_fields_table(csv_export.prefill_fields_data(filters)),
        total=total,
        channels=over_time.totals_by_channel,
    )
    return render(request, "oversight/dashboard/overview.html", context)


@require_safe
@dashboard_access
def items(request: HttpRequest) -> HttpResponse:
    """Item cases by department and state; time-limit performance per department."""
    data = csv_export.items_data(request.filters)
    states, limits = data["item_states"], data["time_limits"]
    state_series = [
        Series(label, [row["counts"][i] for row in states["rows"]]) for i, (_code, label) in enumerate(states["states"])
    ]
    figures = {
        "item_states": charts.bar_chart(
            title=_("各部门子件状态"), categories=[r["department"] for r in states["rows"]], series=state_series
        ),
        "time_limits": charts.bar_chart(
            title=_("各部门办理时限：正常、预警、超期"),
            categories=[r["department"] for r in limits],
            series=[
                Series(_("正常"), [r["normal"] for r in limits], "#2e8540"),
                Series(_("预警（黄灯）"), [r["warning"] for r in limits], "#d9a400"),
                Series(_("超期（红灯）"), [r["overdue"] for r in limits], "#b03a2e"),
            ],
        ),
    }
    context = _context(
        request,
        "items",
        figures=figures,
        tables=_tables(["item_states", "time_limits"], data),
        total=states["total"],
    )
    return render(request, "oversight/dashboard/items.html", context)


@require_safe
@dashboard_access
def attention(request: HttpRequest) -> HttpResponse:
    """Dead-lettered and stuck item cases (live)."""
    data = csv_export.attention_data(request.filters)
    found = data["attention"]
    figures = {
        "attention": charts.bar_chart(
            title=_("各部门待人工处理的子件"),
            categories=[r["department"] for r in found["rows"]],
            series=[
                Series(_("派发失败"), [r["dead_letter"] for r in found["rows"]], "#b03a2e"),
                Series(_("派发停滞"), [r["stuck"] for r in found["rows"]], "#d9822b"),
                Series(_("部门无回音"), [r["silent"] for r in found["rows"]], "#5c5c5c"),
            ],
        )
    }
    context = _context(
        request,
        "attention",
        figures=figures,
        tables=_tables(["attention", "attention_oldest"], data),
        totals=found["totals"],
        total=found["total"],
        capped=found["capped"],
        cap=sel.ATTENTION_CAP,
    )
    return render(request, "oversight/dashboard/attention.html", context)


@require_safe
@dashboard_access
def ratings(request: HttpRequest) -> HttpResponse:
    """Ratings distribution and open rectifications (live)."""
    data = csv_export.ratings_data(request.filters)
    given, open_ = data["ratings"], data["rectifications"]
    figures = {
        "ratings": charts.bar_chart(
            title=_("好差评分布"),
            categories=[row["label"] for row in given["rows"]],
            series=[
                Series(label, [row["counts"][i] for row in given["rows"]], colour)
                for i, ((_level, label), colour) in enumerate(
                    zip(given["levels"], ["#2e8540", "#7cb342", "#8a8a8a", "#d9822b", "#b03a2e"], strict=True)
                )
            ],
        ),
        "rectifications": charts.bar_chart(
            title=_("未办结的整改"),
            categories=[r["responsible"] for r in open_["rows"]],
            series=[
                Series(_("未逾期"), [r["open"] - r["overdue"] for r in open_["rows"]], "#1f5fa8"),
                Series(_("已逾期"), [r["overdue"] for r in open_["rows"]], "#b03a2e"),
            ],
        ),
    }
    context = _context(
        request,
        "ratings",
        figures=figures,
        tables=_tables(["ratings", "recent_bad_ratings", "rectifications", "rectifications_urgent"], data),
        ratings_total=given["total"],
        open_total=open_["total"],
        open_overdue=open_["overdue"],
    )
    return render(request, "oversight/dashboard/ratings.html", context)


# --- CSV export ------------------------------------------------------------------------------


@require_safe
@dashboard_access
def export(request: HttpRequest, table: str) -> HttpResponse:
    """One table as CSV (UTF-8 with BOM, for Excel), with the page's filters; an audit
    event ``oversight.export`` names the table, the filters and the number of rows."""
    spec = csv_export.TABLES.get(table)
    if spec is None:
        raise Http404(_("没有这个表格"))
    if spec.case_level and not request.viewer.sees_case_panels:
        raise PermissionDenied(_("部门人员只能导出本部门子件相关的表格"))
    built = spec.build(spec.data(request.filters))
    audit.record(
        action="oversight.export",
        actor=request.user,
        obj=None,
        after={
            "table": table,
            "filters": request.filters.as_dict(),
            "rows": len(built.rows),
            "viewer": request.viewer.kind,
        },
        note=f"导出 {built.title}",
    )
    response = HttpResponse(csv_export.to_csv(built), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="oversight-{table}-{timezone.localdate():%Y%m%d}.csv"'
    return response
