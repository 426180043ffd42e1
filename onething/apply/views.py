"""Citizen portal pages of 一表申请: start an application, fill the merged form, upload
materials, submit; "my applications" and the case page. Thin: services decide."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from onething.apply import selectors, services
from onething.apply.materials import draft_decisions
from onething.apply.models import Draft
from onething.apply.uploads import UploadRejected, upload_create
from onething.cases.models import Case
from onething.catalog import elements
from onething.catalog import selectors as catalog_selectors
from onething.common.i18n import pick
from onething.intake.materials import PLEDGE_TEXT
from onething.intake.models import MaterialCheck
from onething.notice import presentation
from onething.notice.selectors import InvalidAnswers, answers_from_query


def _applicant_only(request: HttpRequest) -> None:
    if not request.user.is_applicant:
        raise Http404(_("仅申请人可以使用网上申请"))


@login_required
@require_http_methods(["GET", "POST"])
def apply_start(request: HttpRequest, code: str) -> HttpResponse:
    """在线申请, from the notice's answers (the query string): the open draft of this bundle
    if there is one (resumed, with an offer to start over), else a new prefilled draft.
    POST ``replace=<draft id>``: start over with the query's answers (the draft's own when
    the query has none) and delete that draft."""
    _applicant_only(request)
    version = catalog_selectors.published_version(bundle_code=code)
    if version is None:
        raise Http404(_("没有这个一件事"))
    compiled = selectors.compiled_for(version=version)
    query = request.GET.copy()
    query.pop(RESUMED, None)
    raw_answers = answers_from_query(compiled=compiled, query=query)
    try:
        if request.method == "POST":
            old = _own_open_draft(request, request.POST.get("replace", ""))
            if old.version_id != version.pk:
                raise Http404(_("没有这份草稿"))
            draft = services.draft_restart(draft=old, raw_answers=raw_answers if query else old.answers)
            messages.success(request, _("已重新开始填写，原草稿已删除"))
        else:
            opened = services.draft_open(applicant=request.user, version=version, raw_answers=raw_answers)
            draft = opened.draft
            if opened.resumed:
                messages.info(request, _("已为您打开未完成的草稿"))
                query[RESUMED] = "1"
                return redirect(reverse("apply:draft", args=[draft.pk]) + "?" + query.urlencode())
    except InvalidAnswers:
        messages.error(request, _("请先回答情形问题"))
        return redirect("notice:bundle", code=code)
    except services.DraftQuotaExceeded as exceeded:
        messages.error(request, pick(exceeded.message, exceeded.message_en))
        return redirect("apply:my")
    return redirect("apply:draft", draft_id=draft.pk)


RESUMED = "resumed"  # query flag of a draft page reached by 在线申请 on an open draft


def _own_open_draft(request: HttpRequest, draft_id) -> Draft:
    try:
        return selectors.draft_of(user=request.user, draft_id=uuid.UUID(str(draft_id)))
    except (ValueError, Draft.DoesNotExist) as missing:
        raise Http404(_("没有这份草稿")) from missing


@login_required
@require_http_methods(["GET", "POST"])
def draft_delete(request: HttpRequest, draft_id) -> HttpResponse:
    """GET: confirm; POST: delete one's own draft that was never submitted."""
    _applicant_only(request)
    draft = selectors.submittable_draft(user=request.user, draft_id=draft_id)
    if draft is None:
        raise Http404(_("没有这份草稿"))
    if request.method == "POST":
        try:
            services.draft_delete(applicant=request.user, draft=draft)
        except services.DraftSubmitted:
            pass  # submitted meanwhile: said below
        else:
            messages.success(request, _("草稿已删除"))
            return redirect("apply:my")
        draft.refresh_from_db()
    if draft.case_id:
        messages.error(request, _("这份草稿已提交为办件，不能删除"))
        return redirect("apply:case", number=draft.case.number)
    return render(request, "apply/draft_delete.html", {"draft": draft, "bundle": draft.version.bundle})


@login_required
@require_http_methods(["GET", "POST"])
def draft_page(request: HttpRequest, draft_id) -> HttpResponse:
    _applicant_only(request)
    try:
        draft = selectors.draft_of(user=request.user, draft_id=draft_id)
    except Draft.DoesNotExist as missing:
        raise Http404(_("没有这份草稿")) from missing
    errors, upload_errors = {}, {}
    if request.method == "POST":
        upload_errors = _take_uploads(request, draft)
        raw = {key: value for key, value in request.POST.items() if "." in key}
        if request.POST.get("action") == "submit" and not upload_errors:
            try:
                case = services.draft_submit(draft=draft, raw_data=raw)
            except services.SubmissionInvalid as invalid:
                errors = invalid.errors  # the error summary at the top lists them, materials too
            else:
                messages.success(request, _("申请已提交，办件编号：%(number)s") % {"number": case.number})
                return redirect("apply:case", number=case.number)
        else:
            errors = services.draft_save(draft=draft, raw_data=raw).errors
            if not upload_errors:
                messages.success(request, _("草稿已保存"))
                return redirect("apply:draft", draft_id=draft.pk)
    context = _draft_context(draft, errors, upload_errors)
    if RESUMED in request.GET:
        restart = request.GET.copy()
        restart.pop(RESUMED)
        context["restart_query"] = restart.urlencode()
        context["resumed"] = True
    return render(request, "apply/draft.html", context)


def _take_uploads(request: HttpRequest, draft: Draft) -> dict[str, str]:
    """Store files posted as material__<key>; return bilingual messages per key refused."""
    problems = {}
    for name, upload_file in request.FILES.items():
        if not name.startswith("material__"):
            continue
        key = name.removeprefix("material__")
        try:
            upload = upload_create(owner=request.user, file=upload_file)
            services.draft_attach(draft=draft, material_key=key, upload=upload)
        except UploadRejected as rejected:
            problems[key] = rejected.message
        except services.MaterialNotAllowed:
            problems[key] = _("此材料无需上传")
    for name, declaration in request.POST.items():
        if name.startswith("declare__") and name.removeprefix("declare__") not in problems:
            key = name.removeprefix("declare__")
            if key in draft.materials and draft.materials[key].get("source") == "upload" and not declaration:
                continue
            try:
                services.draft_declare(draft=draft, material_key=key, declaration=declaration)
            except services.MaterialNotAllowed:
                problems[key] = _("此材料不能容缺或承诺")
    return problems


def _draft_context(draft: Draft, errors: dict, upload_errors: dict) -> dict:
    compiled = selectors.compiled_for(version=draft.version)
    form = selectors.form_for(version=draft.version, answers=draft.answers)
    steps = [
        (
            label,
            [
                {
                    "field": f,
                    "value": draft.data.get(f.key, ""),
                    "error": errors.get(f.key),
                    "prefilled": draft.prefilled.get(f.key),
                }
                for f in fields
            ],
        )
        for _key, label, fields in form.steps
    ]
    materials = [
        {
            "line": d.line,
            "decision": d,
            "given": d.given,
            "error": upload_errors.get(d.key),
            "notes": presentation.material_notes(d.line, held=d.held),
            "items": presentation.item_names(compiled, d.line.needed_by),
            "pledge_text": PLEDGE_TEXT.format(name=d.name),
        }
        for d in draft_decisions(draft)
    ]
    summary = error_summary(form, draft, errors, upload_errors) if errors or upload_errors else []
    return {
        "draft": draft,
        "bundle": draft.version.bundle,
        "steps": steps,
        "materials": materials,
        "answer_lines": presentation.answer_lines(compiled, draft.answers),
        "error_summary": summary,
        "error_count": len(summary),
        "prefilled_count": sum(1 for key in draft.prefilled if key in form.by_key),
        "field_count": len(form.fields),
    }


def error_summary(form, draft: Draft, errors: dict, upload_errors: dict) -> list[dict]:
    """Every problem of the page, once, in page order, each linking to where it is fixed:
    the fields (``#f-<key>``), then the materials refused on upload or still missing
    (``#m-<key>``, the upload control)."""
    entries = []
    for key, error in errors.items():
        merged_field = form.by_key.get(key)
        entries.append(
            {
                "href": f"f-{key}" if merged_field else "",
                "label": merged_field.label if merged_field else key,
                "label_en": merged_field.label_en if merged_field else key,
                "message": error.message,
                "message_en": error.message_en,
            }
        )
    names = {m.key: m for m in selectors.notice_materials(draft.version, draft.answers)}
    for key, message in upload_errors.items():
        line = names.get(key)
        entries.append(
            {
                "href": f"m-{key}" if line else "",
                "label": line.name if line else key,
                "label_en": line.name_en if line else key,
                "message": str(message),
                "message_en": "",
            }
        )
    for line in selectors.missing_required_materials(draft=draft):
        if line.key not in upload_errors:
            entries.append(
                {
                    "href": f"m-{line.key}",
                    "label": "还需上传",
                    "label_en": "Still to upload",
                    "message": line.name,
                    "message_en": line.name_en,
                    "material": True,
                }
            )
    return entries


@login_required
def my_applications(request: HttpRequest) -> HttpResponse:
    if getattr(request.user, "role", "") == "clerk":
        return redirect("intake:queue")
    return render(
        request,
        "apply/my.html",
        {"drafts": selectors.draft_summaries(user=request.user), "cases": selectors.cases_of(user=request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def case_page(request: HttpRequest, number: str) -> HttpResponse:
    """The applicant's case: state, data, materials; when returned, the corrections to make
    and a resubmit form; when accepted, the receipt and deferred materials to supply."""
    try:
        case = selectors.case_of(user=request.user, number=number)
    except Case.DoesNotExist as missing:
        raise Http404(_("没有这个办件")) from missing
    errors: dict = {}
    if request.method == "POST":
        response, errors = _case_action(request, case)
        if response:
            return response
    return render(request, "apply/case.html", _case_context(case, errors))


def _case_action(request: HttpRequest, case: Case):
    from onething.intake import services as intake_services

    action = request.POST.get("action")
    try:
        if action == "resubmit":
            uploads = {}
            for name, upload_file in request.FILES.items():
                if name.startswith("material__"):
                    uploads[name.removeprefix("material__")] = upload_create(owner=request.user, file=upload_file)
            raw = {key: value for key, value in request.POST.items() if "." in key}
            intake_services.case_resubmit(case=case, applicant=request.user, raw_data=raw, uploads=uploads)
            messages.success(request, _("已重新提交，办件编号不变：%(number)s") % {"number": case.number})
        elif action == "supplement":
            from onething.processing.models import ItemCase
            from onething.processing.services import supplement_supply

            item_case = ItemCase.objects.filter(pk=request.POST.get("item_case"), case=case).first()
            if item_case is None:  # another case's item case: 404 like any object not one's own
                raise Http404(_("没有这个子件"))
            data = services.supplement_data(
                asked=list((item_case.supplement or {}).get("fields", [])),
                raw={k.removeprefix("field__"): v for k, v in request.POST.items() if k.startswith("field__")},
            )
            materials = []
            for name, upload_file in request.FILES.items():
                upload = upload_create(owner=request.user, file=upload_file)
                materials.append(
                    {
                        "key": name.removeprefix("material__"),
                        "upload": upload.pk,
                        "name": upload.original_name,
                        "source": "upload",
                    }
                )
            supplement_supply(item_case=item_case, applicant=request.user, data=data, materials=materials)
            messages.success(request, _("补正材料已提交，部门将继续办理"))
        elif action == "supply":
            check = case.material_checks.get(pk=request.POST.get("check"))
            upload = upload_create(owner=request.user, file=request.FILES["file"])
            intake_services.deferred_supply(check=check, by=request.user, upload=upload)
            messages.success(request, _("容缺材料已补交"))
        else:
            return None, {}
    except services.SubmissionInvalid as invalid:
        messages.error(request, _("有 %(n)s 项需要修改") % {"n": len(invalid.errors)})
        return None, invalid.errors
    except UploadRejected as rejected:
        messages.error(request, rejected.message)
        return None, {}
    except MaterialCheck.DoesNotExist as missing:
        raise Http404(_("没有这项材料")) from missing
    except (KeyError, ValueError, intake_services.NotAllowed):
        messages.error(request, _("无法完成此操作"))
        return None, {}
    return redirect("apply:case", number=case.number), {}


def _case_context(case: Case, errors: dict) -> dict:
    compiled = selectors.compiled_for(version=case.version)
    form = selectors.form_for(version=case.version, answers=case.answers)
    correction = case.corrections.order_by("-round").first() if case.state == Case.State.RETURNED else None
    named_fields = [c["key"] for c in correction.corrections if c["kind"] == "field"] if correction else []
    from onething.intake.selectors import outstanding_deferrals

    material_names = (
        {m.key: pick(m.name, m.name_en) for m in selectors.notice_materials(case.version, case.answers)}
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
        "item_cases": _item_case_rows(case, compiled),
        # the delivery choice is shown (and changed) in its own section, from the case's record
        "data_rows": data_rows(form, {k: v for k, v in case.data.items() if k not in DELIVERY_SHOWN_APART}),
    }


DELIVERY_SHOWN_APART = {elements.DELIVERY_METHOD, elements.DELIVERY_ADDRESS}


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


def _item_case_rows(case: Case, compiled) -> list[dict]:
    """Every item case with its history, in plain words, for the applicant: what its state
    means and the next step (processing.plain); the internal label too, shown to staff only.
    A supplement request's fields and materials by their names, not their keys."""
    from onething.audit.models import AuditEvent
    from onething.processing.models import ItemCase
    from onething.processing.plain import plain_item_state
    from onething.processing.selectors import item_cases_of_case

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
            row["asked"] = _supplement_names(compiled, ic)
        rows.append(row)
    return rows


def _supplement_names(compiled, item_case) -> dict[str, list[tuple[str, str]]]:
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
