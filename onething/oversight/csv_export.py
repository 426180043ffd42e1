"""The dashboard's tables: built once from a page's panel data, shown on the page under
each chart and exported as CSV (UTF-8 with a byte-order mark so that Excel shows the
Chinese). One definition per table, so the page and the file cannot disagree."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onething.oversight import dashboard_selectors as sel


@dataclass
class Table:
    name: str
    title: str
    headers: list[str]
    rows: list[list]
    note: str = ""


@dataclass(frozen=True)
class TableSpec:
    data: Callable[[sel.Filters], dict]  # the page's panel data
    build: Callable[[dict], Table]
    case_level: bool = False  # administrators and clerks only


# --- the pages' data --------------------------------------------------------------------------


def overview_data(filters: sel.Filters) -> dict:
    day_rows = sel.case_day_rows(filters)
    return {
        "cases_over_time": sel.cases_over_time(filters, day_rows),
        "quality": sel.quality(filters, day_rows),
        "reductions": sel.reductions(filters, day_rows),
        "period": filters.period,
    }


def prefill_fields_data(filters: sel.Filters) -> dict:
    return {"prefill_by_field": sel.prefill_by_field(filters)}


def items_data(filters: sel.Filters) -> dict:
    rows = sel.item_rows(filters)
    return {"item_states": sel.item_states(filters, rows), "time_limits": sel.time_limits(filters, rows)}


def attention_data(filters: sel.Filters) -> dict:
    return {"attention": sel.attention(filters)}


def ratings_data(filters: sel.Filters) -> dict:
    return {"ratings": sel.ratings(filters), "rectifications": sel.open_rectifications(filters)}


# --- the tables -------------------------------------------------------------------------------


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def _met(flag: bool, value: float | None) -> str:
    if value is None:
        return ""
    return _("达标") if flag else _("未达标")


def cases_over_time_table(data: dict) -> Table:
    panel = data["cases_over_time"]
    period = _("日") if data.get("period") == "day" else _("周（起始周一）")
    return Table(
        "cases_over_time",
        _("各一件事办件量"),
        [_("时段（%(period)s）") % {"period": period}, _("一件事"), _("网上申请"), _("窗口申请"), _("合计")],
        [[r["period"], r["bundle"], r["online"], r["window"], r["total"]] for r in panel.rows],
    )


def quality_table(data: dict) -> Table:
    rows = []
    for r in data["quality"]:
        rows.append(
            [
                r["bundle"] or _("合计"),
                r["cases"],
                r["fields"],
                r["prefilled"],
                _rate(r["prefill_rate"]),
                _met(r["prefill_met"], r["prefill_rate"]),
                r["first_time_right"],
                _rate(r["first_time_right_rate"]),
                _met(r["first_time_right_met"], r["first_time_right_rate"]),
            ]
        )
    return Table(
        "quality",
        _("预填率与一次提交通过率"),
        [
            _("一件事"),
            _("办件数"),
            _("表单字段数"),
            _("预填字段数"),
            _("预填率（目标 > 70%）"),
            _("预填率达标"),
            _("一次提交通过件数"),
            _("一次提交通过率（目标 > 90%）"),
            _("通过率达标"),
        ],
        rows,
    )


def prefill_fields_table(data: dict) -> Table:
    panel = data["prefill_by_field"]
    note = (
        _("按最近 %(read)s 件办件中记录了字段来源的 %(n)s 件统计（筛选范围内更早的办件未计入）")
        % {"read": panel["read"], "n": panel["cases"]}
        if panel["capped"]
        else ""
    )
    return Table(
        "prefill_fields",
        _("预填：按数据来源和字段（先列申请人最常手填的）"),
        [
            _("数据来源"),
            _("数据项"),
            _("名称"),
            _("询问件数"),
            _("预填件数"),
            _("预填率"),
            _("申请人手填件数"),
        ],
        [
            [
                r["source"] if r["source"] != sel.NOT_PREFILLED else _("—（无数据来源预填）"),
                r["key"],
                r["label"],
                r["asked"],
                r["prefilled"],
                _rate(r["rate"]),
                r["typed"],
            ]
            for r in panel["rows"]
        ],
        note=note,
    )


def reductions_table(data: dict) -> Table:
    rows = [
        [
            r["bundle"],
            r["cases"],
            r["shared"],
            f"{r['shared_per_case']:.2f}",
            r["deferred"],
            r["pledged"],
            r["planned_materials"],
            r["online"],
            r["window"],
            r["trips_made"],
            "" if r["trips_avoided_at_least"] is None else r["trips_avoided_at_least"],
            r["planned_trips"],
        ]
        for r in data["reductions"]
    ]
    return Table(
        "reductions",
        _("四减：实际与计划"),
        [
            _("一件事"),
            _("办件数"),
            _("共享免提交材料"),
            _("每件免提交"),
            _("容缺后补材料"),
            _("告知承诺材料"),
            _("计划减材料（单独 → 一件事）"),
            _("网上申请（零跑动）"),
            _("窗口申请"),
            _("实际跑动次数"),
            _("至少减少跑动"),
            _("计划减跑动（单独 → 一件事）"),
        ],
        rows,
        _("计划值由一次告知引擎按各情形计算（最少–最多）；减少跑动 ≥ 办件数 × 单独办理最少跑动 − 窗口申请数。"),
    )


def item_states_table(data: dict) -> Table:
    panel = data["item_states"]
    return Table(
        "item_states",
        _("各部门子件状态"),
        [_("部门"), *[label for _code, label in panel["states"]], _("合计")],
        [[r["department"], *r["counts"], r["total"]] for r in panel["rows"]],
    )


def time_limits_table(data: dict) -> Table:
    return Table(
        "time_limits",
        _("各部门办理时限"),
        [_("部门"), _("正常"), _("预警（黄灯）"), _("超期（红灯）"), _("合计"), _("正常率")],
        [
            [r["department"], r["normal"], r["warning"], r["overdue"], r["total"], _rate(r["on_time_rate"])]
            for r in data["time_limits"]
        ],
        _("计入部门已接收、办理中、待补正、已办结和不予批准的子件。"),
    )


def attention_table(data: dict) -> Table:
    panel = data["attention"]
    return Table(
        "attention",
        _("各部门待人工处理的子件"),
        [_("部门"), _("派发失败"), _("派发停滞"), _("部门无回音"), _("合计")],
        [[r["department"], r["dead_letter"], r["stuck"], r["silent"], r["total"]] for r in panel["rows"]],
    )


KIND_LABELS = {
    "dead_letter": gettext_lazy("派发失败"),
    "stuck": gettext_lazy("派发停滞"),
    "silent": gettext_lazy("部门无回音"),
}


def attention_oldest_table(data: dict) -> Table:
    return Table(
        "attention_oldest",
        _("最久未处理的子件（前 %(n)s 件）") % {"n": sel.LIST_LIMIT},
        [
            _("办件编号"),
            _("事项"),
            _("部门"),
            _("类别"),
            _("状态"),
            _("状态起始"),
            _("已持续（小时）"),
            _("派发次数"),
            _("最近错误"),
        ],
        [
            [
                r["case_number"],
                r["item_name"],
                r["department"],
                str(KIND_LABELS[r["kind"]]),
                r["state"],
                r["since"],
                r["hours"],
                r["attempts"],
                r["last_error"],
            ]
            for r in data["attention"]["oldest"]
        ],
    )


def ratings_table(data: dict) -> Table:
    panel = data["ratings"]
    rows = [
        [
            r["label"],
            *r["counts"],
            r["total"],
            "" if r["average"] is None else f"{r['average']:.2f}",
            _rate(r["satisfied_rate"]),
        ]
        for r in panel["rows"]
    ]
    rows.append([_("合计"), *panel["totals"], panel["total"], "", ""])
    return Table(
        "ratings",
        _("好差评分布"),
        [
            _("评价对象"),
            *[label for _level, label in panel["levels"]],
            _("合计"),
            _("平均等级（5 = 非常满意）"),
            _("满意率（基本满意及以上）"),
        ],
        rows,
    )


def recent_bad_ratings_table(data: dict) -> Table:
    return Table(
        "recent_bad_ratings",
        _("最近的差评（前 %(n)s 条）") % {"n": sel.LIST_LIMIT},
        [_("办件编号"), _("评价对象"), _("被评价方"), _("评价等级"), _("评价时间"), _("整改状态")],
        [
            [r["case_number"], r["target"], r["rated"], r["level"], r["submitted_at"], r["rectification"]]
            for r in data["ratings"]["recent_bad"]
        ],
    )


def rectifications_table(data: dict) -> Table:
    panel = data["rectifications"]
    return Table(
        "rectifications",
        _("未办结的整改"),
        [_("责任方类型"), _("责任方"), _("未办结"), _("已逾期")],
        [[r["party"], r["responsible"], r["open"], r["overdue"]] for r in panel["rows"]],
    )


def rectifications_urgent_table(data: dict) -> Table:
    return Table(
        "rectifications_urgent",
        _("最紧急的整改（前 %(n)s 件）") % {"n": sel.LIST_LIMIT},
        [_("办件编号"), _("责任方"), _("状态"), _("开启日期"), _("整改期限"), _("逾期")],
        [
            [
                r["case_number"],
                r["responsible"],
                r["state"],
                r["opened_on"],
                r["deadline"] or "",
                _("是") if r["overdue"] else _("否"),
            ]
            for r in data["rectifications"]["urgent"]
        ],
    )


TABLES: dict[str, TableSpec] = {
    "cases_over_time": TableSpec(overview_data, cases_over_time_table, case_level=True),
    "quality": TableSpec(overview_data, quality_table, case_level=True),
    "reductions": TableSpec(overview_data, reductions_table, case_level=True),
    "prefill_fields": TableSpec(prefill_fields_data, prefill_fields_table, case_level=True),
    "item_states": TableSpec(items_data, item_states_table),
    "time_limits": TableSpec(items_data, time_limits_table),
    "attention": TableSpec(attention_data, attention_table),
    "attention_oldest": TableSpec(attention_data, attention_oldest_table),
    "ratings": TableSpec(ratings_data, ratings_table),
    "recent_bad_ratings": TableSpec(ratings_data, recent_bad_ratings_table),
    "rectifications": TableSpec(ratings_data, rectifications_table),
    "rectifications_urgent": TableSpec(ratings_data, rectifications_urgent_table),
}


def _cell(value) -> str:
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def to_csv(table: Table) -> str:
    """The table as CSV text starting with a byte-order mark (Excel reads it as UTF-8).
    A cell that a spreadsheet would take for a formula is prefixed with a quote."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_defused(_cell(value)) for value in row])
    return out.getvalue()


def _defused(text: str) -> str:
    return "'" + text if text[:1] in {"=", "+", "@", "\t", "\r"} or (text[:1] == "-" and not _numeric(text)) else text


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
