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
                errors = invalid.errors
                messages.error(request, _("有 %(n)s 项需要修改，请查看标红的字段") % {"n": len(errors)})
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
            "line": m,
            "given": draft.materials.get(m.key),
            "error": upload_errors.get(m.key),
            "notes": presentation.material_notes(m),
            "items": presentation.item_names(compiled, m.needed_by),
            "pledge_text": PLEDGE_TEXT.format(name=m.name),
        }
        for m in selectors.notice_materials(draft.version, draft.answers)
    ]
    return {
        "draft": draft,
        "bundle": draft.version.bundle,
        "steps": steps,
        "materials": materials,
        "answer_lines": presentation.answer_lines(compiled, draft.answers),
        "error_count": len(errors),
        "prefilled_count": sum(1 for key in draft.prefilled if key in form.by_key),
        "field_count": len(form.fields),
    }


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
            data = {k.removeprefix("field__"): v for k, v in request.POST.items() if k.startswith("field__") and v}
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
    return {
        "case": case,
        "answer_lines": presentation.answer_lines(compiled, case.answers),
        "form": form,
        "correction": correction,
        "correction_rows": [
            {
                "item": c,
                "field": form.by_key.get(c["key"]) if c["kind"] == "field" else None,
                "value": case.data.get(c["key"], ""),
                "error": errors.get(c["key"]),
            }
            for c in (correction.corrections if correction else [])
        ],
        "named_fields": named_fields,
        "checks": list(case.material_checks.all()),
        "item_cases": _item_case_rows(case),
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


def _item_case_rows(case: Case) -> list[dict]:
    """Every item case with its history, in plain words, for the applicant."""
    from onething.oversight.models import AuditEvent
    from onething.processing.models import ItemCase
    from onething.processing.selectors import item_cases_of_case

    labels = dict(ItemCase.State.choices) | dict(ItemCase.TimeStatus.choices)
    item_cases = item_cases_of_case(case)
    events = AuditEvent.objects.filter(case_number=case.number, object_type="ItemCase").order_by("at", "id")
    history: dict[str, list] = {}
    for event in events:
        state = (event.after or {}).get("state") or event.action.rsplit(".", 1)[-1]
        history.setdefault(event.object_id, []).append({"at": event.at, "label": labels.get(state, state)})
    return [{"item_case": ic, "history": history.get(str(ic.pk), [])} for ic in item_cases]
