"""Citizen portal pages of 一表申请: start an application, fill the merged form, upload
materials, submit. Thin: services decide. "My applications" and the case page, which show
what every stage did with the case, are onething/tracking's."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from onething.apply import selectors, services
from onething.apply.materials import PLEDGE_TEXT, draft_decisions
from onething.apply.models import Draft
from onething.apply.uploads import UploadRejected, upload_create
from onething.catalog import selectors as catalog_selectors
from onething.common.i18n import pick
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
