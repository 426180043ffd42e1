"""Reads of the applicant's case page: every stage's part of one case, composed. Access is
scoped to the requesting user by apply.selectors (``case_of``, ``cases_of``)."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from onething.apply import selectors as apply_selectors
from onething.audit.models import AuditEvent
from onething.cases.models import Case
from onething.catalog import elements
from onething.common.i18n import pick
from onething.intake.selectors import outstanding_deferrals
from onething.notice import presentation
from onething.processing.models import ItemCase
from onething.processing.plain import plain_item_event, plain_item_state
from onething.processing.selectors import item_cases_of_case

#: the delivery choice is shown (and changed) in its own section, from the case's record
DELIVERY_SHOWN_APART = {elements.DELIVERY_METHOD, elements.DELIVERY_ADDRESS}


def my_applications(*, user) -> dict:
    """我的申请: the user's open drafts with what is done, and their cases."""
    return {
        "drafts": apply_selectors.draft_summaries(user=user),
        "cases": apply_selectors.cases_of(user=user),
    }


def case_of(*, user, number: str) -> Case:
    """One case of the user; Case.DoesNotExist otherwise (others' cases are 404)."""
    return apply_selectors.case_of(user=user, number=number)


def case_context(*, case: Case, errors: dict) -> dict:
    """The applicant's case: state, data, materials; when returned, the corrections to make
    (with ``errors`` of a resubmission); when accepted, the deferred materials to supply;
    the item cases with their history in plain words."""
    compiled = apply_selectors.compiled_for(version=case.version)
    form = apply_selectors.form_for(version=case.version, answers=case.answers)
    correction = case.corrections.order_by("-round").first() if case.state == Case.State.RETURNED else None
    named_fields = [c["key"] for c in correction.corrections if c["kind"] == "field"] if correction else []
    material_names = (
        {m.key: pick(m.name, m.name_en) for m in apply_selectors.notice_materials(case.version, case.answers)}
        if correction
        else {}
    )
    deferrals = outstanding_deferrals(case) if case.accepted_at else []
    item_cases = item_case_rows(case=case, compiled=compiled, deferrals=deferrals)
    return {
        "case": case,
        "stepper": case_stepper(case=case, item_cases=[row["item_case"] for row in item_cases], deferrals=deferrals),
        "deferrals": deferrals,
        "answer_lines": presentation.answer_lines(compiled, case.answers),
        "form": form,
        "correction": correction,
        "correction_rows": [
            {
                "item": c,
                "field": form.by_key.get(c["key"]) if c["kind"] == "field" else None,
                "material_name": material_names.get(c["key"], "") if c["kind"] == "material" else "",
                "value": case.data.get(c["key"], ""),
                "error": errors.get(c["key"]),
            }
            for c in (correction.corrections if correction else [])
        ],
        "named_fields": named_fields,
        "checks": list(case.material_checks.all()),
        "item_cases": item_cases,
        "data_rows": data_rows(form, {k: v for k, v in case.data.items() if k not in DELIVERY_SHOWN_APART}),
    }


def data_rows(form, data: dict) -> list[tuple[str, str]]:
    """(label, shown value) of the filled fields; choices shown by their label."""
    rows = []
    for field in form.fields:
        if data.get(field.key) is None:
            continue
        value = data[field.key]
        labels = {c["value"]: pick(c["label"], c.get("label_en")) for c in field.choices}
        if isinstance(value, bool):
            shown = _("是") if value else _("否")
        else:
            shown = labels.get(value, str(value))
        rows.append((pick(field.label, field.label_en), shown))
    return rows


def item_case_rows(*, case: Case, compiled, deferrals=()) -> list[dict]:
    """Every item case with its timeline in plain words, for the applicant: what its state
    means and the next step (processing.plain); each audited change as a dated line, with the
    department's request or reason; the outstanding deferred materials it needs (容缺) with
    their deadlines; the internal label too, shown to staff only. A supplement request's
    fields and materials by their names, not their keys."""
    labels = dict(ItemCase.State.choices) | dict(ItemCase.TimeStatus.choices)
    item_cases = item_cases_of_case(case)
    events = AuditEvent.objects.filter(case_number=case.number, object_type="ItemCase").order_by("at", "id")
    timelines: dict[str, list] = {}
    for event in events:
        after = event.after or {}
        action = event.action.rsplit(".", 1)[-1]
        words = plain_item_event(action=action, before_state=(event.before or {}).get("state", ""))
        if words is None:
            continue
        state = after.get("state") or action
        timelines.setdefault(event.object_id, []).append(
            {
                "at": event.at,
                "action": action,
                "label": words,
                "detail": _event_detail(action, after),
                "internal": labels.get(state, state),
            }
        )
    rows = []
    for ic in item_cases:
        row = {
            "item_case": ic,
            "history": timelines.get(str(ic.pk), []),
            "plain": plain_item_state(ic.state).as_dict(),
            "deferrals": [d for d in deferrals if ic.item_code in d.item_codes],
        }
        if ic.state == ItemCase.State.SUPPLEMENT:
            row["asked"] = supplement_names(compiled=compiled, item_case=ic)
        rows.append(row)
    return rows


def _event_detail(action: str, after: dict) -> str:
    """What a timeline line says beyond its title: the department's request or reason, the
    certificate's number."""
    if action == "supplement_requested":
        return str((after.get("supplement") or {}).get("message") or "")
    if action in {"rejected", "deferral_refused"}:
        return str(after.get("reason") or "")
    if action == "approved":
        certificate = after.get("certificate")
        number = certificate.get("number") if isinstance(certificate, dict) else ""
        return pick("证照编号：", "Certificate number: ") + number if number else ""
    return ""


# --- the status stepper at the top of the case page ------------------------------------------

#: the stages a case passes, as the applicant reads them (已提交 → 预审 → 已受理 → 办理中 → 出证 → 办结)
STAGES = (
    ("submitted", "已提交", "Submitted"),
    ("prereview", "预审", "Pre-review"),
    ("accepted", "已受理", "Accepted"),
    ("processing", "办理中", "Processing"),
    ("results", "出证", "Results"),
    ("concluded", "办结", "Concluded"),
)
STAGE_KEYS = tuple(key for key, _zh, _en in STAGES)


@dataclass(frozen=True)
class Step:
    """One stage of the stepper: ``status`` is done, current, attention (current, and the
    applicant must act), stopped (the case ended here) or todo; ``current`` marks the stage
    the case is at (aria-current="step"); ``note`` says what it means now, ``at`` when it was
    reached."""

    key: str
    label: str
    status: str
    current: bool = False
    note: str = ""
    at: datetime | None = None

    @property
    def status_text(self) -> str:
        """The status in words, for screen readers (the page shows it as a mark)."""
        return {
            "done": pick("已完成", "done"),
            "current": pick("进行中", "in progress"),
            "attention": pick("需要您处理", "needs you"),
            "stopped": pick("已终止", "stopped here"),
        }.get(self.status, pick("未开始", "not yet"))


def case_stage(*, case: Case, item_cases: list[ItemCase]) -> tuple[str, str]:
    """(stage key, how it stands: current, attention, stopped or done) of a case, from its
    state (onething/cases) and, while processing, its item cases' (onething/processing)."""
    state = case.state
    if state == Case.State.SUBMITTED:
        return "prereview", "current"
    if state == Case.State.RETURNED:
        return "prereview", "attention"
    if state == Case.State.REFUSED:
        return "prereview", "stopped"
    if state in {Case.State.CONCLUDED, Case.State.PARTIALLY_CONCLUDED}:
        return "concluded", "done"
    if state == Case.State.PROCESSING and item_cases and all(ic.is_final for ic in item_cases):
        return "results", "current"  # every department has decided: the results are being issued
    if any(ic.state == ItemCase.State.SUPPLEMENT for ic in item_cases):
        return "processing", "attention"
    return "processing", "current"  # accepted: split into item cases and sent on at once


def case_stepper(*, case: Case, item_cases: list[ItemCase], deferrals=()) -> list[Step]:
    """The six stages with the case's place among them, each with a short plain note."""
    stage, standing = case_stage(case=case, item_cases=item_cases)
    at = STAGE_KEYS.index(stage)
    decided = [ic.concluded_at for ic in item_cases if ic.is_final and ic.concluded_at]
    reached = {
        "submitted": case.submitted_at,
        "prereview": case.accepted_at,
        "accepted": case.accepted_at,
        "processing": max(decided) if stage in {"results", "concluded"} and decided else None,
        "results": case.concluded_at,
        "concluded": case.concluded_at,
    }
    notes = {
        ("prereview", "current"): pick("等待窗口工作人员预审", "Waiting for the service centre's pre-review"),
        ("prereview", "attention"): pick(
            "退回补正：请按下方要求修改后重新提交", "Returned: correct what is asked below and resubmit"
        ),
        ("prereview", "stopped"): pick("不予受理，办理到此结束", "Not accepted: the case ends here"),
        ("processing", "current"): pick("各部门正在办理", "The departments are working on it"),
        ("processing", "attention"): pick(
            "部门要求补正：请按下方要求补正", "A department asks for a correction: see below"
        ),
        ("results", "current"): (
            pick("待补交容缺材料后发放办理结果", "Results are issued once the deferred material is supplied")
            if deferrals
            else pick("各部门已办结，正在统一出证", "Every department has decided; the results are being issued")
        ),
        ("concluded", "done"): (
            pick("部分办结：部分事项不予批准", "Partly concluded: some items were not approved")
            if case.state == Case.State.PARTIALLY_CONCLUDED
            else pick("已办结", "Concluded")
        ),
    }
    steps = []
    for index, (key, zh, en) in enumerate(STAGES):
        if index < at or (index == at and standing == "done"):
            status = "done"
        elif index == at:
            status = standing
        else:
            status = "todo"
        steps.append(
            Step(
                key=key,
                label=pick(zh, en),
                status=status,
                current=index == at,
                note=notes.get((key, standing), "") if index == at else "",
                at=reached[key] if status == "done" else None,
            )
        )
    return steps


def supplement_names(*, compiled, item_case: ItemCase) -> dict[str, list[tuple[str, str]]]:
    """(key, name) of the fields and materials a supplement request asks for."""
    item = compiled.items.get(item_case.item_code, {})
    field_labels = {}
    for field in item.get("fields", []):
        element = compiled.elements.get(field.get("element", ""), {})
        field_labels[field["name"]] = pick(element.get("label") or "", element.get("label_en"))
    material_names = {
        m["key"]: pick(m.get("name") or "", m.get("name_en")) for m in item.get("materials", []) if isinstance(m, dict)
    }
    asked = item_case.supplement or {}
    return {
        "fields": [(key, field_labels.get(key) or _("补充信息")) for key in asked.get("fields", [])],
        "materials": [(key, material_names.get(key) or _("补充材料")) for key in asked.get("materials", [])],
    }


def supplement_request(*, case: Case, item_case_id) -> ItemCase:
    """An item case of this case waiting for the applicant's supplement; ItemCase.DoesNotExist
    for another case's (404 like any object not one's own)."""
    item_case = ItemCase.objects.filter(pk=item_case_id, case=case).first()
    if item_case is None:
        raise ItemCase.DoesNotExist
    return item_case
