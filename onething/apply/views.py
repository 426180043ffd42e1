"""Citizen portal pages of 一表申请: start an application, fill the merged form, upload
materials, submit. Thin: services decide. "My applications" and the case page, which show
what every stage did with the case, are onething/tracking's."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from onething.apply import selectors, services
from onething.apply.materials import IN_PERSON_FORMS, PLEDGE_TEXT
from onething.apply.models import Draft
from onething.apply.steps import CHECK, DraftSteps, Step, draft_steps
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
    return redirect(_step_url(draft, draft_steps(draft=draft).steps[0].key))


RESUMED = "resumed"  # query flag of a draft page reached by 在线申请 on an open draft
RETURN_TO_CHECK = "return"  # ``?return=check``: a step opened from 核对信息 goes back there when done


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


# --- 一表申请 as steps: one topic per page, then 核对信息, then submission --------------------


@login_required
@require_http_methods(["GET"])
def draft_page(request: HttpRequest, draft_id) -> HttpResponse:
    """A draft, resumed: the first step with something left to do, else 核对信息. The query
    (the notice's answers, ``resumed``) goes along to that page."""
    _applicant_only(request)
    draft = _own_open_draft(request, draft_id)
    step = draft_steps(draft=draft).resume_at
    url = _step_url(draft, step.key) if step else reverse("apply:draft-check", args=[draft.pk])
    return redirect(url + ("?" + request.GET.urlencode() if request.GET else ""))


def _step_url(draft: Draft, key: str, *, to_check: bool = False) -> str:
    url = reverse("apply:draft-step", args=[draft.pk, key])
    return url + f"?{RETURN_TO_CHECK}={CHECK}" if to_check else url


@login_required
@require_http_methods(["GET", "POST"])
def draft_step(request: HttpRequest, draft_id, step_key: str) -> HttpResponse:
    """One step of the merged form. POST ``action``: ``next`` (继续: saves, and goes on only
    when this step's fields validate), ``back`` (上一步: saves, no check), ``save`` (保存草稿:
    saves and stays; the citizen may leave and resume from 我的申请)."""
    _applicant_only(request)
    draft = _own_open_draft(request, draft_id)
    flow = draft_steps(draft=draft)
    step = flow.get(step_key)
    if step is None:
        raise Http404(_("没有这一步"))
    to_check = request.GET.get(RETURN_TO_CHECK) == CHECK or request.POST.get(RETURN_TO_CHECK) == CHECK
    errors: dict = {}
    upload_errors: dict = {}
    if request.method == "POST":
        action = request.POST.get("action", "next")
        if step.is_materials:
            upload_errors = take_uploads(request, draft)
        raw = {key: value for key, value in request.POST.items() if key in step.keys}
        saved = services.draft_save(draft=draft, raw_data=raw)
        flow = draft_steps(draft=saved.draft)
        step = flow.get(step_key) or step
        errors = flow.errors_of(step, saved.errors)
        if action == "back" and not upload_errors:
            previous = flow.previous(step)
            return redirect(_step_url(draft, previous.key) if previous else _step_url(draft, step.key))
        if action == "save" and not upload_errors:
            messages.success(
                request,
                _("草稿已保存，保留至 %(date)s。您可以随时离开，之后在“我的申请”中继续填写。")
                % {"date": date_format(timezone.localtime(draft.expires_at), "Y-m-d")},
            )
            return redirect(_step_url(draft, step.key, to_check=to_check))
        if action == "next" and not errors and not upload_errors:
            following = flow.next(step)
            if to_check or following is None:
                return redirect("apply:draft-check", draft_id=draft.pk)
            return redirect(_step_url(draft, following.key))
        if action not in {"next", "back", "save"}:
            return redirect(_step_url(draft, step.key, to_check=to_check))
    context = _step_context(flow, step, errors, upload_errors, to_check=to_check)
    if RESUMED in request.GET:
        restart = request.GET.copy()
        restart.pop(RESUMED)
        context["restart_query"] = restart.urlencode()
        context["resumed"] = True
    return render(request, "apply/step.html", context)


def take_uploads(request: HttpRequest, draft: Draft) -> dict[str, str]:
    """Store files posted as material__<key> and the declarations posted as declare__<key>;
    return a message per key refused."""
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


def _step_context(flow: DraftSteps, step: Step, errors: dict, upload_errors: dict, *, to_check: bool) -> dict:
    draft = flow.draft
    context = {
        "draft": draft,
        "bundle": draft.version.bundle,
        "flow": flow,
        "step": step,
        "previous": flow.previous(step),
        "to_check": to_check,
        "progress": _progress(flow, current=step.key),
    }
    if step.is_materials:
        compiled = selectors.compiled_for(version=draft.version)
        context["materials"] = [
            {
                "line": d.line,
                "decision": d,
                "given": d.given,
                "error": upload_errors.get(d.key),
                "notes": presentation.material_notes(d.line, held=d.held),
                "items": presentation.item_names(compiled, d.line.needed_by),
                "pledge_text": PLEDGE_TEXT.format(name=d.name),
            }
            # what the citizen must do first (upload, declare), then what the government holds
            for d in sorted(flow.decisions, key=lambda d: d.held)
        ]
    else:
        context["rows"] = [
            {
                "field": f,
                "value": draft.data.get(f.key, ""),
                "error": errors.get(f.key),
                "prefilled": draft.prefilled.get(f.key),
            }
            for f in step.fields
        ]
        context["prefilled_count"] = sum(1 for f in step.fields if f.key in draft.prefilled)
    summary = step_error_summary(flow, errors, upload_errors)
    context["error_summary"] = summary
    context["error_count"] = len(summary)
    return context


def _progress(flow: DraftSteps, *, current: str) -> list[dict]:
    """The progress list (步骤 2/6): every step, then 核对信息, the current one marked."""
    rows = [
        {
            "number": s.number,
            "label": s.label,
            "url": _step_url(flow.draft, s.key),
            "current": s.key == current,
            "done": s.number < (flow.get(current).number if flow.get(current) else len(flow.steps) + 1),
        }
        for s in flow.steps
    ]
    rows.append(
        {
            "number": len(flow.steps) + 1,
            "label": _("核对信息"),
            "url": reverse("apply:draft-check", args=[flow.draft.pk]),
            "current": current == CHECK,
            "done": False,
        }
    )
    return rows


def step_error_summary(flow: DraftSteps, errors: dict, upload_errors: dict) -> list[dict]:
    """Every problem of one step's page, in page order, each linking to the field
    (``#f-<key>``) or material upload control (``#m-<key>``) where it is fixed."""
    entries = []
    for key, error in errors.items():
        merged_field = flow.form.by_key.get(key)
        entries.append(
            {
                "href": f"#f-{key}" if merged_field else "",
                "label": merged_field.label if merged_field else key,
                "label_en": merged_field.label_en if merged_field else key,
                "message": error.message,
                "message_en": error.message_en,
            }
        )
    names = {d.key: d.line for d in flow.decisions}
    for key, message in upload_errors.items():
        line = names.get(key)
        entries.append(
            {
                "href": f"#m-{key}" if line else "",
                "label": line.name if line else key,
                "label_en": line.name_en if line else key,
                "message": str(message),
                "message_en": "",
            }
        )
    return entries


@login_required
@require_http_methods(["GET", "POST"])
def draft_check(request: HttpRequest, draft_id) -> HttpResponse:
    """核对信息: every answer by step, each with a 修改 link to its step (which comes back
    here); the materials by what happens to them. Submission only from here (POST);
    a draft whose data does not validate is refused, each problem linking to its step."""
    _applicant_only(request)
    draft = _own_open_draft(request, draft_id)
    flow = draft_steps(draft=draft)
    errors = flow.errors
    if request.method == "POST":
        try:
            case = services.draft_submit(draft=draft)
        except services.SubmissionInvalid as invalid:
            errors = invalid.errors
            flow = draft_steps(draft=draft)
        else:
            return redirect("apply:submitted", number=case.number)
    context = check_context(flow, errors)
    context["submitting"] = request.method == "POST"
    return render(request, "apply/check.html", context)


def check_context(flow: DraftSteps, errors: dict) -> dict:
    draft = flow.draft
    compiled = selectors.compiled_for(version=draft.version)
    step_of = {f.key: s for s in flow.steps for f in s.fields}
    sections = [
        {
            "step": s,
            "edit_url": _step_url(draft, s.key, to_check=True),
            "rows": [
                {
                    "field": f,
                    "value": display_value(f, draft.data.get(f.key)),
                    "error": errors.get(f.key),
                    "prefilled": f.key in draft.prefilled,
                }
                for f in s.fields
            ],
        }
        for s in flow.steps
        if not s.is_materials
    ]
    materials_step = next((s for s in flow.steps if s.is_materials), None)
    summary = [
        {
            "href": (_step_url(draft, step_of[key].key, to_check=True) + f"#f-{key}") if key in step_of else "",
            "label": flow.form.by_key[key].label if key in flow.form.by_key else key,
            "label_en": flow.form.by_key[key].label_en if key in flow.form.by_key else key,
            "message": error.message,
            "message_en": error.message_en,
            "step": step_of[key].label if key in step_of else "",
        }
        for key, error in errors.items()
    ]
    # told once (一次性告知): the required materials still missing are listed too, though
    # they do not stop submission (pre-review asks for them)
    summary += [
        {
            "href": (_step_url(draft, materials_step.key, to_check=True) + f"#m-{d.key}") if materials_step else "",
            "label": "还需上传",
            "label_en": "Still to upload",
            "message": d.line.name,
            "message_en": d.line.name_en,
            "step": materials_step.label if materials_step else "",
            "material": True,
        }
        for d in flow.missing_materials
    ]
    return {
        "draft": draft,
        "bundle": draft.version.bundle,
        "flow": flow,
        "progress": _progress(flow, current=CHECK),
        "answer_lines": presentation.answer_lines(compiled, draft.answers),
        "sections": sections,
        "materials_step": materials_step,
        "materials_url": _step_url(draft, materials_step.key, to_check=True) if materials_step else "",
        "material_groups": material_groups(flow),
        "last_url": _step_url(draft, flow.steps[-1].key) if flow.steps else "",
        "error_summary": summary,
        "error_count": len(summary),
        "can_submit": not errors,
    }


def display_value(merged_field, value) -> str:
    """A saved value as the citizen reads it: a choice by its label, yes/no in words."""
    if value in (None, ""):
        return ""
    if isinstance(value, bool) or merged_field.type == "boolean":
        return _("是") if value in (True, "true") else _("否") if value in (False, "false") else str(value)
    labels = {c["value"]: pick(c["label"], c.get("label_en")) for c in merged_field.choices}
    return labels.get(value, str(value))


def material_groups(flow: DraftSteps) -> list[dict]:
    """The materials by what happens to them: uploaded with the application, to bring or
    supply later (originals, 容缺, 告知承诺, still missing), held by the government."""
    upload, bring, held = [], [], []
    for d in flow.decisions:
        given = d.given or {}
        entry = {"decision": d, "name": pick(d.line.name, d.line.name_en), "key": d.key}
        if d.held:
            entry["note"] = (
                _("电子证照 %(number)s") % {"number": given.get("licence_number", "")}
                if d.source == "elicence"
                else _("部门通过数据共享获取")
            )
            held.append(entry)
            continue
        if d.source == "upload":
            entry["note"] = given.get("name", "")
            upload.append(entry)
            if d.line.form in IN_PERSON_FORMS:
                bring.append({**entry, "note": _("受理时请出示原件")})
        elif d.source == "deferred":
            bring.append({**entry, "note": _("已申请容缺，受理后限期补交")})
        elif d.source == "pledged":
            bring.append({**entry, "note": _("已签署告知承诺代替，部门事后核查")})
        elif d.missing:
            bring.append({**entry, "note": _("尚未上传：提交后预审会要求补正"), "missing": True})
        else:
            entry["note"] = _("非必需，未提供")
            upload.append(entry)
    return [
        {"key": "upload", "title": _("随申请上传"), "rows": upload},
        {"key": "bring", "title": _("需要您携带或稍后补交"), "rows": bring},
        {"key": "held", "title": _("政府已掌握，无需提交"), "rows": held},
    ]
