"""The department workbench (部门工作台): a department officer's queue of item cases
and the item case page where the officer approves, rejects or asks for a supplement.

Thin: :mod:`onething.processing.services` decides everything (``apply_status`` with
``source="workbench"``, the same path a department system's callback takes); these views
read what the officer typed and show the item case in the item's own words. Only
officers get in (others 403, anonymous to the login page); an officer sees the item
cases of their own department only (any other is 404, as if it did not exist). Only item
cases of a department whose endpoint is the workbench adapter are decided here: a
department with its own system decides there, and its item cases are read-only here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from onething.apply.uploads import UploadRejected, sniff_content_type, upload_create
from onething.audit.models import AuditEvent
from onething.common.access import role_required
from onething.common.i18n import pick
from onething.notice.selectors import compiled_version
from onething.processing import selectors, services
from onething.processing.adapters.base import DepartmentStatus
from onething.processing.models import DepartmentEndpoint, ItemCase

S = ItemCase.State
QUEUE_LIMIT = 300
REASON_MAX = 1000
MESSAGE_MAX = 1000
VALUE_MAX = 200
#: States in which the department may decide (approve or reject).
DECIDABLE = {S.RECEIVED, S.IN_PROGRESS, S.SUPPLEMENT}
#: States in which the department may ask for a supplement.
ASKABLE = {S.RECEIVED, S.IN_PROGRESS}
FILTERS = {
    "overdue": {"time_status": ItemCase.TimeStatus.OVERDUE},
    "warning": {"time_status": ItemCase.TimeStatus.WARNING},
    "supplement": {"state": S.SUPPLEMENT},
}


# --- access -------------------------------------------------------------------------------


# Department officers only: anonymous users go to the login page, everyone else (citizens,
# clerks, administrators without an officer record) gets 403. The officer record is put on
# ``request.officer``.
officer_required = role_required(
    selectors.officer_of, denied=gettext_lazy("仅部门人员可以使用部门工作台"), attribute="officer"
)


def _item_case_or_404(request: HttpRequest, pk: int) -> ItemCase:
    try:
        return selectors.item_case_for_officer(officer=request.officer, pk=pk)
    except ItemCase.DoesNotExist as missing:
        raise Http404(_("没有这个子件")) from missing


def _works_in_workbench(item_case: ItemCase) -> bool:
    """Whether the item case's department decides in this workbench (no endpoint at all
    also means the workbench, as :func:`selectors.adapter_for` says)."""
    endpoint = DepartmentEndpoint.objects.filter(department_id=item_case.department_id).first()
    return endpoint is None or endpoint.adapter == DepartmentEndpoint.Adapter.WORKBENCH


# --- the queue ------------------------------------------------------------------------------


@require_safe
@officer_required
def queue(request: HttpRequest) -> HttpResponse:
    """The item cases the officer's department has to work, the most urgent first."""
    officer = request.officer
    everything = selectors.workbench_queue(officer=officer)
    counts = {
        "all": everything.count(),
        "overdue": everything.filter(**FILTERS["overdue"]).count(),
        "warning": everything.filter(**FILTERS["warning"]).count(),
        "supplement": everything.filter(**FILTERS["supplement"]).count(),
    }
    shown = request.GET.get("show", "")
    rows = everything.filter(**FILTERS[shown]) if shown in FILTERS else everything
    item_cases = list(rows[: QUEUE_LIMIT + 1])
    endpoint = DepartmentEndpoint.objects.filter(department=officer.department).first()
    return render(
        request,
        "processing/queue.html",
        {
            "officer": officer,
            "item_cases": item_cases[:QUEUE_LIMIT],
            "truncated": len(item_cases) > QUEUE_LIMIT,
            "counts": counts,
            "show": shown if shown in FILTERS else "",
            "decides_here": endpoint is None or endpoint.adapter == DepartmentEndpoint.Adapter.WORKBENCH,
            "today": timezone.localdate(),
        },
    )


# --- the item case ------------------------------------------------------------------------


@require_safe
@officer_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _item_case_or_404(request, pk))


def _render_detail(request: HttpRequest, item_case: ItemCase, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, "processing/detail.html", _detail_context(item_case, **extra), status=status)


def _detail_context(item_case: ItemCase, **extra: Any) -> dict[str, Any]:
    compiled = compiled_version(version=item_case.case.version)
    item = compiled.items.get(item_case.item_code, {})
    output = item.get("output") or {}
    fields = _field_rows(compiled, item, item_case)
    supplements = _supplement_history(item_case, fields)
    decides_here = _works_in_workbench(item_case)
    context = {
        "item_case": item_case,
        "case": item_case.case,
        "bundle": item_case.case.version.bundle,
        "department": item_case.department,
        "fields": fields,
        "materials": _material_rows(item, item_case),
        "upstream": _upstream_rows(compiled, item_case),
        "result_rows": _result_rows(output, item_case.result),
        "output_fields": _output_inputs(compiled, output, item_case, extra.pop("values", {})),
        "certificate_type": output.get("certificate_type", ""),
        "supplements": supplements,
        "history": _history(item_case),
        "decides_here": decides_here,
        "can_decide": decides_here and item_case.state in DECIDABLE,
        "can_start": decides_here and item_case.state == S.RECEIVED,
        "can_ask": decides_here and item_case.state in ASKABLE,
        "item_materials": [
            {"key": m["key"], "name": pick(m.get("name", m["key"]), m.get("name_en"))}
            for m in item.get("materials", [])
        ],
        "errors": {},
        "posted": {},
    }
    context.update(extra)
    return context


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
    siblings = {ic.item_code: ic for ic in selectors.item_cases_of_case(item_case.case)}
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


def _output_inputs(compiled, output: dict, item_case: ItemCase, values: dict) -> list[dict]:
    """One input per output field of the item. Fields a downstream item of this case
    takes its data from are required: without them the next department cannot work."""
    needed = set()
    codes = {ic.item_code for ic in selectors.item_cases_of_case(item_case.case)}
    for dep in compiled.version.get("dependencies", []):
        if dep.get("upstream") == item_case.item_code and dep.get("downstream") in codes:
            needed |= {m["output"] for m in dep.get("mappings", [])}
    today = timezone.localdate().isoformat()
    inputs = []
    for field in output.get("fields", []):
        name = field["name"]
        is_date = name.endswith("date") or name.endswith("_start")
        inputs.append(
            {
                "name": name,
                "label": pick(field.get("label") or name, field.get("label_en")),
                "required": name in needed,
                "type": "date" if is_date else "text",
                "value": values.get(name, today if is_date else ""),
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


# --- actions --------------------------------------------------------------------------------


def _decidable_or_refuse(request: HttpRequest, pk: int) -> ItemCase:
    item_case = _item_case_or_404(request, pk)
    if not _works_in_workbench(item_case):
        raise PermissionDenied(_("本部门通过自己的业务系统办理此事项，工作台只能查看"))
    return item_case


def _state_conflict(request: HttpRequest, item_case: ItemCase) -> HttpResponse:
    item_case.refresh_from_db()
    messages.error(
        request,
        _("子件当前状态为“%(state)s”，不能进行此操作") % {"state": item_case.get_state_display()},
    )
    return redirect("workbench:detail", pk=item_case.pk)


def _apply(request: HttpRequest, item_case: ItemCase, status: DepartmentStatus) -> ItemCase:
    services.apply_status(item_case_id=item_case.pk, status=status, actor=request.user, source="workbench")
    return ItemCase.objects.select_related("case", "department").get(pk=item_case.pk)


@require_POST
@officer_required
def start(request: HttpRequest, pk: int) -> HttpResponse:
    """开始办理: received → in progress (optional; deciding works from received too)."""
    item_case = _decidable_or_refuse(request, pk)
    if item_case.state != S.RECEIVED:
        return _state_conflict(request, item_case)
    after = _apply(request, item_case, DepartmentStatus(state=S.IN_PROGRESS))
    if after.state != S.IN_PROGRESS:
        return _state_conflict(request, after)
    messages.success(request, _("已开始办理"))
    return redirect("workbench:detail", pk=item_case.pk)


@require_POST
@officer_required
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    """准予: the result data of the item's output fields, and optionally a certificate
    (number and/or PDF document); the next items of the case are released by the service."""
    item_case = _decidable_or_refuse(request, pk)
    if item_case.state not in DECIDABLE:
        return _state_conflict(request, item_case)
    context = _detail_context(item_case)
    errors: dict[str, str] = {}
    result: dict[str, str] = {}
    values: dict[str, str] = {}
    for field in context["output_fields"]:
        value = request.POST.get(f"result__{field['name']}", "").strip()
        values[field["name"]] = value
        if len(value) > VALUE_MAX:
            errors[field["name"]] = _("不能超过 %(n)s 个字符") % {"n": VALUE_MAX}
        elif value:
            result[field["name"]] = value
        elif field["required"]:
            errors[field["name"]] = _("下游事项需要此项结果，请填写")
    number = request.POST.get("certificate_number", "").strip()
    if len(number) > 100:
        errors["certificate_number"] = _("不能超过 %(n)s 个字符") % {"n": 100}
    document = request.FILES.get("certificate_file")
    upload = None
    if document is not None and not errors:
        try:
            head = document.read(8)
            document.seek(0)
            if sniff_content_type(data=head) != "application/pdf":
                raise UploadRejected(
                    code="unsupported_type", message=_("证照文件只接受 PDF"), message_en="only PDF is accepted"
                )
            upload = upload_create(owner=request.user, file=document)
        except UploadRejected as rejected:
            errors["certificate_file"] = rejected.message
    if errors:
        messages.error(request, _("有 %(n)s 项需要修改") % {"n": len(errors)})
        return _render_detail(
            request,
            item_case,
            400,
            values=values,
            errors=errors,
            posted={"certificate_number": number},
            focus="approve",
        )
    certificate: dict[str, Any] = {}
    if number or upload is not None:
        certificate = {
            "type": context["certificate_type"],
            "number": number,
            "data": result,
            "upload": upload.pk if upload is not None else None,
            "issuer": item_case.department.name,
            "issue_date": timezone.localdate().isoformat(),
        }
    after = _apply(request, item_case, DepartmentStatus(state=S.APPROVED, result=result, certificate=certificate))
    if after.state != S.APPROVED:
        return _state_conflict(request, after)
    messages.success(
        request, _("已准予办结：%(item)s（%(number)s）") % {"item": after.item_name, "number": after.case.number}
    )
    return redirect("workbench:detail", pk=item_case.pk)


@require_POST
@officer_required
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    """不予批准, with the reason the applicant will read; dependants are cancelled."""
    item_case = _decidable_or_refuse(request, pk)
    if item_case.state not in DECIDABLE:
        return _state_conflict(request, item_case)
    reason = request.POST.get("reason", "").strip()
    error = ""
    if not reason:
        error = _("请填写不予批准的理由（申请人将看到）")
    elif len(reason) > REASON_MAX:
        error = _("不能超过 %(n)s 个字符") % {"n": REASON_MAX}
    if error:
        messages.error(request, error)
        return _render_detail(
            request, item_case, 400, errors={"reason": error}, posted={"reason": reason}, focus="reject"
        )
    after = _apply(request, item_case, DepartmentStatus(state=S.REJECTED, reason=reason))
    if after.state != S.REJECTED:
        return _state_conflict(request, after)
    messages.success(request, _("已作出不予批准决定，已通知申请人"))
    return redirect("workbench:detail", pk=item_case.pk)


@require_POST
@officer_required
def supplement(request: HttpRequest, pk: int) -> HttpResponse:
    """要求补正: what to supply, said once; the time limit pauses until it comes."""
    item_case = _decidable_or_refuse(request, pk)
    if item_case.state not in ASKABLE:
        return _state_conflict(request, item_case)
    context = _detail_context(item_case)
    field_names = {f["name"] for f in context["fields"]}
    material_keys = {m["key"] for m in context["item_materials"]} | {m["key"] for m in context["materials"]}
    message = request.POST.get("message", "").strip()
    fields = [n for n in dict.fromkeys(request.POST.getlist("fields")) if n in field_names]
    materials = [k for k in dict.fromkeys(request.POST.getlist("materials")) if k in material_keys]
    error = ""
    if not message:
        error = _("请写明需要补正的内容")
    elif len(message) > MESSAGE_MAX:
        error = _("不能超过 %(n)s 个字符") % {"n": MESSAGE_MAX}
    if error:
        messages.error(request, error)
        return _render_detail(
            request,
            item_case,
            400,
            errors={"message": error},
            posted={"message": message, "fields": fields, "materials": materials},
            focus="supplement",
        )
    asked = {"message": message, "fields": fields, "materials": materials}
    after = _apply(request, item_case, DepartmentStatus(state=S.SUPPLEMENT, supplement=asked))
    if after.state != S.SUPPLEMENT:
        return _state_conflict(request, after)
    messages.success(request, _("已要求补正并通知申请人，办理时限暂停计算"))
    return redirect("workbench:detail", pk=item_case.pk)
