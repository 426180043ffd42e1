"""The audit log pages (审计日志): the search, one event, and the CSV export of a search.

Thin: :mod:`onething.oversight.audit_selectors` decides who sees what and masks the
listings. Administrators, department officers and window clerks get in (each to their
part, see that module); anonymous users go to the login page, everyone else gets 403. An
event outside the reader's part is 404, as if it did not exist. Nothing here changes an
event: there is no way to, the model and the database refuse it.
"""

from __future__ import annotations

import csv
import json

from django import forms
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from onething.audit import labels
from onething.audit import services as audit
from onething.audit.models import AuditEvent
from onething.common.access import role_required
from onething.oversight import audit_selectors as selectors

#: Offered as suggestions in the action field (any prefix works, see the selectors).
ACTION_SUGGESTIONS = [
    "case.",
    "case.submitted",
    "case.accepted",
    "case.returned",
    "case.refused",
    "case.reassigned",
    "case.concluded",
    "item_case.",
    "item_case.dispatched",
    "item_case.approved",
    "item_case.rejected",
    "item_case.dead_letter",
    "item_case.redispatch",
    "callback.refused",
    "catalog.",
    "admin.",
    "oversight.export",
]


# Readers of the audit log only; their part of it is put on ``request.audit_scope``.
audit_reader_required = role_required(
    selectors.audit_scope,
    denied=gettext_lazy("仅管理员、部门人员和窗口人员可以查看审计日志"),
    attribute="audit_scope",
)


class AuditSearchForm(forms.Form):
    case = forms.CharField(label=gettext_lazy("办件编号"), required=False, max_length=64)
    actor = forms.CharField(label=gettext_lazy("操作人"), required=False, max_length=150)
    action = forms.CharField(label=gettext_lazy("动作"), required=False, max_length=64)
    date_from = forms.DateField(label=gettext_lazy("开始日期"), required=False)
    date_to = forms.DateField(label=gettext_lazy("结束日期"), required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("结束日期不能早于开始日期"))
        return data

    def filters(self) -> selectors.AuditFilters:
        """The valid part of what was typed (an invalid field filters nothing)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        if "date_to" in self.errors:
            data = {k: v for k, v in data.items() if k not in {"date_from", "date_to"}}
        return selectors.AuditFilters(
            case=data.get("case") or "",
            actor=data.get("actor") or "",
            action=_action_code(data.get("action") or ""),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


#: A Chinese action name typed in the action field finds its code.
ACTION_BY_NAME = {name: code for code, name in labels.ACTION_NAMES.items()}


def _action_code(typed: str) -> str:
    return ACTION_BY_NAME.get(typed.strip(), typed)


def _cursor(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


def _query_without_cursors(request: HttpRequest) -> str:
    query = request.GET.copy()
    for name in ("older", "newer"):
        query.pop(name, None)
    return query.urlencode()


@require_safe
@audit_reader_required
def audit_search(request: HttpRequest) -> HttpResponse:
    """Newest first, filtered, one keyset page at a time; every value masked."""
    form = AuditSearchForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    filters = form.filters() if form.is_bound else selectors.AuditFilters()
    page = selectors.search_page(
        scope=request.audit_scope,
        filters=filters,
        older_than=_cursor(request, "older"),
        newer_than=_cursor(request, "newer"),
    )
    for row in page.rows:
        row["action_name"] = labels.action_name(row["action"])
        row["changes"], row["more_changes"] = labels.change_lines(row["before"], row["after"])
    return render(
        request,
        "oversight/audit/list.html",
        {
            "form": form,
            "scope": request.audit_scope,
            "page": page,
            "query": _query_without_cursors(request),
            "page_size": selectors.PAGE_SIZE,
            "export_limit": selectors.EXPORT_LIMIT,
            "suggestions": [(code, labels.ACTION_NAMES.get(code, "")) for code in ACTION_SUGGESTIONS],
        },
    )


@require_safe
@audit_reader_required
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One event: raw for administrators, masked for officers and clerks."""
    try:
        event = selectors.event_in_scope(scope=request.audit_scope, pk=pk)
    except AuditEvent.DoesNotExist as missing:
        raise Http404(_("没有这条审计记录")) from missing
    row = selectors.detail_row(event, scope=request.audit_scope)
    return render(
        request,
        "oversight/audit/detail.html",
        {
            "row": row,
            "scope": request.audit_scope,
            "action_name": labels.action_name(row["action"]),
            "changes": labels.change_lines(row["before"], row["after"], limit=200)[0],
            "before": _pretty(row["before"]),
            "after": _pretty(row["after"]),
        },
    )


def _pretty(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


CSV_HEADER = ["ID", "时间", "操作人", "动作", "办件编号", "对象", "变更前", "变更后", "说明"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "'" + text if text.startswith(FORMULA_START) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_safe
@audit_reader_required
def audit_export(request: HttpRequest) -> HttpResponse:
    """The search as CSV (masked, newest first, at most EXPORT_LIMIT rows). The export
    itself is audited (``oversight.export``) with its filters and its row count."""
    form = AuditSearchForm(request.GET or None)
    if form.is_bound:
        form.is_valid()
    filters = form.filters() if form.is_bound else selectors.AuditFilters()
    rows = selectors.export_rows(scope=request.audit_scope, filters=filters)
    with transaction.atomic():
        audit.record(
            action="oversight.export",
            actor=request.user,
            after={"table": "audit_log", "filters": filters.as_dict(), "rows": len(rows)},
            note="审计日志 CSV",
        )
    writer = csv.writer(_Echo())
    lines = [writer.writerow(CSV_HEADER)]
    for row in rows:
        when = timezone.localtime(row["at"]).strftime("%Y-%m-%d %H:%M:%S")
        lines.append(
            writer.writerow(
                [
                    row["id"],
                    when,
                    _cell(row["actor"]),
                    row["action"],
                    row["case_number"],
                    _cell(row["object"]),
                    _cell("" if row["before"] is None else row["before"]),
                    _cell("" if row["after"] is None else row["after"]),
                    _cell(row["note"]),
                ]
            )
        )
    response = HttpResponse("\ufeff" + "".join(lines), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response
