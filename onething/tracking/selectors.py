"""Reads of the applicant's case page: every stage's part of one case, composed. Access is
scoped to the requesting user by apply.selectors (``case_of``, ``cases_of``)."""

from django.utils.translation import gettext as _

from onething.apply import selectors as apply_selectors
from onething.audit.models import AuditEvent
from onething.cases.models import Case
from onething.catalog import elements
from onething.common.i18n import pick
from onething.intake.selectors import outstanding_deferrals
from onething.notice import presentation
from onething.processing.models import ItemCase
from onething.processing.plain import plain_item_state
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
    return {
        "case": case,
        "deferrals": outstanding_deferrals(case) if case.accepted_at else [],
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
        "item_cases": item_case_rows(case=case, compiled=compiled),
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


def item_case_rows(*, case: Case, compiled) -> list[dict]:
    """Every item case with its history, in plain words, for the applicant: what its state
    means and the next step (processing.plain); the internal label too, shown to staff only.
    A supplement request's fields and materials by their names, not their keys."""
    labels = dict(ItemCase.State.choices) | dict(ItemCase.TimeStatus.choices)
    item_cases = item_cases_of_case(case)
    events = AuditEvent.objects.filter(case_number=case.number, object_type="ItemCase").order_by("at", "id")
    history: dict[str, list] = {}
    for event in events:
        state = (event.after or {}).get("state") or event.action.rsplit(".", 1)[-1]
        plain = plain_item_state(state).as_dict()["title"] if state in ItemCase.State.values else labels.get(state)
        history.setdefault(event.object_id, []).append(
            {"at": event.at, "label": plain or "", "internal": labels.get(state, state)}
        )
    rows = []
    for ic in item_cases:
        row = {"item_case": ic, "history": history.get(str(ic.pk), []), "plain": plain_item_state(ic.state).as_dict()}
        if ic.state == ItemCase.State.SUPPLEMENT:
            row["asked"] = supplement_names(compiled=compiled, item_case=ic)
        rows.append(row)
    return rows


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
