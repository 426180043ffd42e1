"""Citizen portal pages of 一表申请: start an application, fill the merged form, upload
materials, submit; "my applications" and the case page. Thin: services decide."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from onething.apply import selectors, services
from onething.apply.models import Draft
from onething.apply.uploads import UploadRejected, upload_create
from onething.cases.models import Case
from onething.catalog import selectors as catalog_selectors
from onething.notice import presentation
from onething.notice.selectors import InvalidAnswers, answers_from_query


def _applicant_only(request: HttpRequest) -> None:
    if not request.user.is_applicant:
        raise Http404(_("仅申请人可以使用网上申请"))


@login_required
def apply_start(request: HttpRequest, code: str) -> HttpResponse:
    """From the notice's answers to a prefilled draft."""
    _applicant_only(request)
    version = catalog_selectors.published_version(bundle_code=code)
    if version is None:
        raise Http404(_("没有这个一件事"))
    compiled = selectors.compiled_for(version=version)
    try:
        draft = services.draft_start(
            applicant=request.user,
            version=version,
            raw_answers=answers_from_query(compiled=compiled, query=request.GET),
        )
    except InvalidAnswers:
        messages.error(request, _("请先回答情形问题"))
        return redirect("notice:bundle", code=code)
    return redirect("apply:draft", draft_id=draft.pk)


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
    return render(request, "apply/draft.html", _draft_context(draft, errors, upload_errors))


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
    return render(
        request,
        "apply/my.html",
        {"drafts": selectors.drafts_of(user=request.user), "cases": selectors.cases_of(user=request.user)},
    )


@login_required
def case_page(request: HttpRequest, number: str) -> HttpResponse:
    try:
        case = selectors.case_of(user=request.user, number=number)
    except Case.DoesNotExist as missing:
        raise Http404(_("没有这个办件")) from missing
    compiled = selectors.compiled_for(version=case.version)
    return render(
        request,
        "apply/case.html",
        {
            "case": case,
            "answer_lines": presentation.answer_lines(compiled, case.answers),
            "form": selectors.form_for(version=case.version, answers=case.answers),
        },
    )
