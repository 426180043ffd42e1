"""Reads of 一网办理: which adapter serves a department, callback addresses, item cases
an officer may see, and a case's item cases for the citizen."""

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from onething.audit.models import AuditEvent
from onething.common.i18n import pick
from onething.notice.selectors import compiled_version
from onething.processing.adapters.base import DepartmentAdapter, registry
from onething.processing.models import DepartmentEndpoint, ItemCase, Officer


def adapter_for(department) -> DepartmentAdapter:
    """The department's adapter; a department with no endpoint works in the workbench."""
    import onething.processing.adapters.http
    import onething.processing.adapters.workbench  # noqa: F401

    try:
        endpoint = department.endpoint  # preloaded with select_related("department__endpoint")
    except DepartmentEndpoint.DoesNotExist:
        endpoint = None
    name = endpoint.adapter if endpoint else DepartmentEndpoint.Adapter.WORKBENCH
    return registry.get(name)(endpoint)


def callback_url(item_case: ItemCase) -> str:
    return _callback_url(settings.CALLBACK_BASE_URL, item_case.department.code)


@lru_cache(maxsize=256)
def _callback_url(base: str, department_code: str) -> str:
    """Per process: a URL reversal costs more than the rest of a dispatch's Python work."""
    return base.rstrip("/") + reverse("api-processing-callback", kwargs={"department": department_code})


def officer_of(user) -> Officer | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Officer.objects.filter(user=user).select_related("department").first()


def officer_reads_upload(user, upload) -> bool:
    """An upload reader (onething/apply/uploads.py, registered by ProcessingConfig):
    department officers read the materials of their department's item cases (case materials
    the item needs, and materials supplied for a supplement request); anyone else who is
    not an officer reads a certificate a department officer uploaded for their case."""
    from onething.cases.models import CaseMaterial

    officer = officer_of(user)
    if officer is None:
        return _applicant_of_a_certificate(user, upload)
    for material in CaseMaterial.objects.filter(upload=upload).select_related("case"):
        if ItemCase.objects.filter(
            case=material.case, department=officer.department, item_code__in=material.needed_by
        ).exists():
            return True
    supplied = ItemCase.objects.filter(department=officer.department, case__applicant_id=upload.owner_id)
    return any(m.get("upload") == upload.pk for ic in supplied.only("materials") for m in ic.materials)


def _applicant_of_a_certificate(user, upload) -> bool:
    """A certificate a department officer uploaded belongs to the case's applicant too."""
    issued = ItemCase.objects.filter(case__applicant=user).exclude(certificate={}).only("certificate")
    return any(ic.certificate.get("upload") == upload.pk for ic in issued)


def workbench_queue(*, officer: Officer) -> QuerySet[ItemCase]:
    """Item cases of the officer's department that the department has to work."""
    return (
        ItemCase.objects.filter(
            department=officer.department,
            state__in=[ItemCase.State.RECEIVED, ItemCase.State.IN_PROGRESS, ItemCase.State.SUPPLEMENT],
        )
        .select_related("case__version__bundle")
        .order_by("due_date", "id")
    )


def item_case_for_officer(*, officer: Officer, pk: int) -> ItemCase:
    """An item case of the officer's department; DoesNotExist for any other (404)."""
    return ItemCase.objects.select_related("case", "department").get(pk=pk, department=officer.department)


def item_cases_of_case(case) -> list[ItemCase]:
    return list(ItemCase.objects.filter(case=case).select_related("department").order_by("id"))


# --- the department workbench's item case page (部门工作台) -----------------------------------------
# What an officer reads about an item case, in the item's own words (its definition's
# fields, labels and outputs); composed by onething/processing/views.py.

S = ItemCase.State
#: States in which the department may decide (approve or reject).
DECIDABLE = frozenset({S.RECEIVED, S.IN_PROGRESS, S.SUPPLEMENT})
#: States in which the department may ask for a supplement.
ASKABLE = frozenset({S.RECEIVED, S.IN_PROGRESS})
#: What the workbench may do to an item case, and from which states.
WORKBENCH_ACTIONS: dict[str, frozenset] = {
    "start": frozenset({S.RECEIVED}),
    "approve": DECIDABLE,
    "reject": DECIDABLE,
    "supplement": ASKABLE,
}
QUEUE_FILTERS = {
    "overdue": {"time_status": ItemCase.TimeStatus.OVERDUE},
    "warning": {"time_status": ItemCase.TimeStatus.WARNING},
    "supplement": {"state": S.SUPPLEMENT},
}


def decides_in_workbench(*, department_id) -> bool:
    """Whether the department decides in this workbench (no endpoint at all also means the
    workbench, as :func:`adapter_for` says)."""
    endpoint = DepartmentEndpoint.objects.filter(department_id=department_id).first()
    return endpoint is None or endpoint.adapter == DepartmentEndpoint.Adapter.WORKBENCH


def workbench_counts(queue: QuerySet[ItemCase]) -> dict[str, int]:
    """How many item cases the queue holds, in all and under each filter."""
    return {"all": queue.count()} | {name: queue.filter(**where).count() for name, where in QUEUE_FILTERS.items()}


def item_case_detail(*, item_case: ItemCase, values: dict | None = None) -> dict[str, Any]:
    """Everything the item case page shows; ``values``: result data the officer typed."""
    compiled = compiled_version(version=item_case.case.version)
    item = compiled.items.get(item_case.item_code, {})
    output = item.get("output") or {}
    fields = _field_rows(compiled, item, item_case)
    decides_here = decides_in_workbench(department_id=item_case.department_id)
    return {
        "item_case": item_case,
        "case": item_case.case,
        "bundle": item_case.case.version.bundle,
        "department": item_case.department,
        "fields": fields,
        "materials": _material_rows(item, item_case),
        "upstream": _upstream_rows(compiled, item_case),
        "result_rows": _result_rows(output, item_case.result),
        "output_fields": _output_inputs(compiled, output, item_case, values or {}),
        "certificate_type": output.get("certificate_type", ""),
        "supplements": _supplement_history(item_case, fields),
        "history": _history(item_case),
        "decides_here": decides_here,
        "can_decide": decides_here and item_case.state in DECIDABLE,
        "can_start": decides_here and item_case.state == S.RECEIVED,
        "can_ask": decides_here and item_case.state in ASKABLE,
        "item_materials": [
            {"key": m["key"], "name": pick(m.get("name", m["key"]), m.get("name_en"))}
            for m in item.get("materials", [])
        ],
    }


def output_fields(*, item_case: ItemCase) -> list[dict]:
    """The item's output fields (name, label, required) the officer fills in to approve."""
    compiled = compiled_version(version=item_case.case.version)
    output = (compiled.items.get(item_case.item_code) or {}).get("output") or {}
    return _output_inputs(compiled, output, item_case, {})


def certificate_type(*, item_case: ItemCase) -> str:
    compiled = compiled_version(version=item_case.case.version)
    return ((compiled.items.get(item_case.item_code) or {}).get("output") or {}).get("certificate_type", "")


def supplement_choices(*, item_case: ItemCase) -> tuple[set[str], set[str]]:
    """(field names, material keys) a supplement request may name."""
    compiled = compiled_version(version=item_case.case.version)
    item = compiled.items.get(item_case.item_code, {})
    field_names = {row["name"] for row in _field_rows(compiled, item, item_case)}
    materials = {m["key"] for m in item.get("materials", [])} | {m["key"] for m in _material_rows(item, item_case)}
    return field_names, materials


def _labels(compiled, item: dict) -> dict[str, dict]:
    """Each field name of the item → its data element (label, choices)."""
    labels = {}
    for field in item.get("fields", []):
        element = compiled.elements.get(field.get("element", ""), {})
        labels[field["name"]] = {
            "label": pick(element.get("label") or field["name"], element.get("label_en")),
            "choices": {
                c["value"]: pick(c.get("label", c["value"]), c.get("label_en")) for c in element.get("choices", [])
            },
            "required": bool(field.get("required")),
            "element": field.get("element", ""),
        }
    return labels


def _shown(value: Any, choices: dict) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return "、".join(str(choices.get(v, v)) for v in value)
    return str(choices.get(value, value))


def _field_rows(compiled, item: dict, item_case: ItemCase) -> list[dict]:
    """The projected data in the item's own field order, labelled through the data
    elements; a key the definition does not name (should not happen) is shown raw."""
    labels = _labels(compiled, item)
    data = item_case.data or {}
    rows = []
    for name, meta in labels.items():
        rows.append(
            {
                "name": name,
                "label": meta["label"],
                "value": _shown(data.get(name), meta["choices"]),
                "present": name in data,
                "required": meta["required"],
            }
        )
    for name in data:
        if name not in labels:
            rows.append({"name": name, "label": name, "value": _shown(data[name], {}), "present": True})
    return rows


def _material_rows(item: dict, item_case: ItemCase) -> list[dict]:
    names = {m["key"]: pick(m.get("name", m["key"]), m.get("name_en")) for m in item.get("materials", [])}
    sources = {
        "upload": _("申请人上传"),
        "elicence": _("电子证照"),
        "datahub": _("数据共享"),
        "deferred": _("申请容缺后补"),
        "pledged": _("签署告知承诺"),
        "supplement": _("补正时提交"),
    }
    return [
        {
            "key": m.get("key", ""),
            "name": m.get("name") or names.get(m.get("key", ""), m.get("key", "")),
            "source": sources.get(m.get("source", ""), m.get("source", "")),
            "licence_number": m.get("licence_number", ""),
            "upload": m.get("upload"),
        }
        for m in (item_case.materials or [])
    ]


def _output_labels(output: dict) -> dict[str, str]:
    return {f["name"]: pick(f.get("label") or f["name"], f.get("label_en")) for f in output.get("fields", [])}


def _result_rows(output: dict, result: dict) -> list[dict]:
    labels = _output_labels(output)
    ordered = [name for name in labels if name in (result or {})] + [n for n in (result or {}) if n not in labels]
    return [{"name": n, "label": labels.get(n, n), "value": _shown(result[n], {})} for n in ordered]


def _upstream_rows(compiled, item_case: ItemCase) -> list[dict]:
    """The upstream item cases and what they produced (results flow into this item's data
    through the definition's mappings, shown next to each result)."""
    if not item_case.upstream:
        return []
    siblings = {ic.item_code: ic for ic in item_cases_of_case(item_case.case)}
    mapped = {}
    for dep in compiled.version.get("dependencies", []):
        if dep.get("downstream") == item_case.item_code:
            for mapping in dep.get("mappings", []):
                mapped[(dep["upstream"], mapping["output"])] = mapping["field"]
    rows = []
    for code in item_case.upstream:
        upstream = siblings.get(code)
        if upstream is None:
            continue
        output = (compiled.items.get(code) or {}).get("output") or {}
        results = _result_rows(output, upstream.result)
        for row in results:
            row["into"] = mapped.get((code, row["name"]), "")
        rows.append({"item_case": upstream, "results": results})
    return rows


#: Output fields whose name ends so are dates: the workbench offers a date input for them.
DATE_NAME_ENDINGS = ("date", "_start", "_until", "_on")


def _output_inputs(compiled, output: dict, item_case: ItemCase, values: dict) -> list[dict]:
    """One input per output field of the item. Fields a downstream item of this case
    takes its data from are required: without them the next department cannot work."""
    needed = set()
    codes = {ic.item_code for ic in item_cases_of_case(item_case.case)}
    for dep in compiled.version.get("dependencies", []):
        if dep.get("upstream") == item_case.item_code and dep.get("downstream") in codes:
            needed |= {m["output"] for m in dep.get("mappings", [])}
    today = timezone.localdate().isoformat()
    inputs = []
    for field in output.get("fields", []):
        name = field["name"]
        is_date = field.get("type") == "date" or name.endswith(DATE_NAME_ENDINGS)
        inputs.append(
            {
                "name": name,
                "label": pick(field.get("label") or name, field.get("label_en")),
                "required": name in needed,
                "type": "date" if is_date else "text",
                # a date the officer records today (issue, payment) starts as today; an
                # expiry (``valid_until``) is the officer's to choose
                "value": values.get(name, today if is_date and not name.endswith("_until") else ""),
            }
        )
    return inputs


def _supplement_history(item_case: ItemCase, fields: list[dict]) -> list[dict]:
    """Each supplement request and what the applicant supplied after it (fields with
    their values now on the item case, and the materials sent)."""
    events = AuditEvent.objects.filter(
        object_type="ItemCase",
        object_id=str(item_case.pk),
        action__in=["item_case.supplement_requested", "item_case.supplemented"],
    ).order_by("at", "id")
    by_name = {f["name"]: f for f in fields}
    rounds: list[dict] = []
    for event in events:
        after = event.after or {}
        if event.action == "item_case.supplement_requested":
            asked = after.get("supplement") or {}
            rounds.append(
                {
                    "at": event.at,
                    "actor": event.actor,
                    "message": asked.get("message", ""),
                    "fields": [by_name.get(n, {"label": n})["label"] for n in asked.get("fields", [])],
                    "materials": asked.get("materials", []),
                    "supplied": [],
                }
            )
            continue
        if not rounds:
            rounds.append({"at": None, "actor": None, "message": "", "fields": [], "materials": [], "supplied": []})
        materials = []
        for material in after.get("materials", []):
            if isinstance(material, dict):
                materials.append(
                    {"key": material.get("key", ""), "name": material.get("name", ""), "upload": material.get("upload")}
                )
            else:
                materials.append({"key": str(material), "name": "", "upload": None})
        rounds[-1]["supplied"].append(
            {
                "at": event.at,
                "fields": [
                    {"label": by_name.get(n, {"label": n})["label"], "value": by_name.get(n, {}).get("value", "")}
                    for n in after.get("fields", [])
                ],
                "materials": materials,
            }
        )
    return rounds


def _history(item_case: ItemCase) -> list[dict]:
    notes = {
        "via workbench": _("部门工作台"),
        "via callback": _("部门业务系统回调"),
        "via poll": _("查询部门业务系统"),
        "via supplement": _("申请人补正后恢复办理"),
    }
    labels = dict(ItemCase.State.choices) | dict(ItemCase.TimeStatus.choices)
    events = (
        AuditEvent.objects.filter(object_type="ItemCase", object_id=str(item_case.pk))
        .select_related("actor")
        .order_by("at", "id")
    )
    rows = []
    for event in events:
        state = (event.after or {}).get("state") or event.action.rsplit(".", 1)[-1]
        label = labels.get(state, _("申请人已补正") if event.action == "item_case.supplemented" else state)
        rows.append({"at": event.at, "label": label, "actor": event.actor, "note": notes.get(event.note, event.note)})
    return rows
