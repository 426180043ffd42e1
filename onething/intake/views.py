"""The clerk console (综合窗口受理台): the pre-review queue of the clerk's centre, the case
page with accept / return / refuse / reassign and deferred-material supply, and walk-in
intake at the window.

Thin: each view reads what the clerk typed (:mod:`onething.intake.forms`), calls the
service (:mod:`onething.intake.services`) or reads (:mod:`onething.intake.selectors`), and
renders or redirects. A refusal the clerk fixes on the page is shown next to the row it
concerns (400); any other domain error gets the one HTML answer of
:func:`onething.common.error_views.domain_errors` (403, 404, or its message on the case
page). Only window clerks get in (others 403, anonymous to the login page); a clerk sees
the cases of their own centre only (any other case is 404, as if it did not exist).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import replace
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from onething.apply import selectors as apply_selectors
from onething.apply.models import Upload
from onething.apply.services import SubmissionInvalid
from onething.apply.uploads import UploadRejected
from onething.cases.models import Case
from onething.catalog import selectors as catalog_selectors
from onething.common.access import role_required
from onething.common.error_views import domain_errors
from onething.common.errors import Problem
from onething.identity.masking import mask_id_number
from onething.intake import forms, selectors, services
from onething.intake.models import MaterialCheck
from onething.notice import presentation
from onething.notice.selectors import InvalidAnswers

QUEUE_LIMIT = 200
QUEUE_PAGE = 50  # rows of the queue per page: each runs the automatic checks
QUEUE_PAGES = 20
WINDOW_SESSION_KEY = "intake_window"
WINDOW_SESSIONS_KEPT = 8


# --- access -------------------------------------------------------------------------------


# Window clerks only: anonymous users go to the login page, everyone else gets 403. The
# clerk record is put on ``request.clerk``.
clerk_required = role_required(selectors.clerk_of, denied=gettext_lazy("仅窗口人员可以使用受理台"), attribute="clerk")

# A domain error a case view lets through: 403 / 404, or its message on the case page.
on_case_page = domain_errors("intake:case", "number")


def _case_or_404(request: HttpRequest, number: str) -> Case:
    try:
        return selectors.case_for_clerk(clerk=request.clerk, number=number)
    except Case.DoesNotExist as missing:
        raise Http404(_("没有这个办件")) from missing


# --- the queue ------------------------------------------------------------------------------


#: The automatic pre-review checks in words: the verdict of a queue row or a finding.
VERDICTS = {"error": gettext_lazy("不通过"), "warning": gettext_lazy("需核对"), "ok": gettext_lazy("通过")}


def _verdict(summary: dict) -> dict:
    """A queue row's automatic checks as a word and its reason."""
    if summary["errors"]:
        more = _("（共 %(n)s 个问题）") % {"n": summary["errors"]} if summary["errors"] > 1 else ""
        return {"level": "error", "word": VERDICTS["error"], "reason": f"{summary['first_error']}{more}"}
    if summary["warnings"]:
        more = _("（共 %(n)s 项）") % {"n": summary["warnings"]} if summary["warnings"] > 1 else ""
        return {"level": "warning", "word": VERDICTS["warning"], "reason": f"{summary['first_warning']}{more}"}
    return {"level": "ok", "word": VERDICTS["ok"], "reason": _("数据有效，材料齐全")}


def _console_counts(request: HttpRequest) -> dict[str, int]:
    """The numbers in the console's own navigation: what waits for the clerk."""
    clerk = request.clerk
    return {
        "waiting": selectors.prereview_queue(clerk=clerk).count(),
        "mine": selectors.centre_cases(clerk=clerk)
        .filter(owner=request.user, accepted_at__isnull=False, state__in=selectors.IN_PROGRESS)
        .count(),
    }


@require_http_methods(["GET", "HEAD", "POST"])
@clerk_required
def queue(request: HttpRequest) -> HttpResponse:
    """我的待办: the centre's cases, searched (case number, applicant's name, ID number) and
    filtered (bundle, state, overdue); by default the pre-review queue, oldest first. The
    search form is posted, so that an ID number typed never lands in an address (history,
    logs); the filters also work as a link (GET)."""
    clerk = request.clerk
    data = request.POST if request.method == "POST" else request.GET
    form = forms.QueueFilterForm(
        data or None, bundles=selectors.centre_bundles(clerk=clerk), states=selectors.STATE_FILTERS
    )
    filters = selectors.QueueFilters(**form.values(default_state=selectors.DEFAULT_STATE))
    now = timezone.now()
    found = selectors.queue_search(clerk=clerk, filters=filters, today=timezone.localdate(now))
    page = int(data.get("page", "")) if data.get("page", "").isdigit() else 1
    page = min(max(page, 1), QUEUE_PAGES)
    start = (page - 1) * QUEUE_PAGE
    cases = list(found.prefetch_related("materials", "corrections")[start : start + QUEUE_PAGE + 1])
    more = len(cases) > QUEUE_PAGE
    cases = cases[:QUEUE_PAGE]
    rows = []
    for case in cases:
        row = {"case": case, "applicant_id": mask_id_number(case.applicant.id_number)}
        if case.state == Case.State.SUBMITTED:
            row["waiting"] = selectors.waiting_time(case, now=now)
            row["verdict"] = _verdict(services.prereview_summary(case=case))
        rows.append(row)
    return render(
        request,
        "intake/queue.html",
        {
            "clerk": clerk,
            "form": form,
            "filters": filters,
            "filtered": bool(filters.query or filters.bundle or filters.overdue or filters.state != "submitted"),
            "rows": rows,
            "page": page,
            "first_row": start + 1,
            "last_row": start + len(rows),
            "next_page": page + 1 if more and page < QUEUE_PAGES else None,
            "filter_query": urlencode(
                {k: v for k, v in (("bundle", filters.bundle), ("state", filters.state)) if v}
                | ({"overdue": "on"} if filters.overdue else {})
            ),
            "counts": _console_counts(request),
            "section": "queue",
        },
    )


@require_safe
@clerk_required
def mine(request: HttpRequest) -> HttpResponse:
    """我受理的: the clerk's own accepted cases still running (首问负责), overdue first."""
    clerk = request.clerk
    rows = selectors.owned_in_progress(clerk=clerk, user=request.user, today=timezone.localdate(), limit=QUEUE_LIMIT)
    return render(
        request,
        "intake/mine.html",
        {"clerk": clerk, "mine": rows, "counts": _console_counts(request), "section": "mine"},
    )


# --- the case page --------------------------------------------------------------------------------


def _case_context(
    request: HttpRequest,
    case: Case,
    *,
    checklist_form: forms.ChecklistForm | None = None,
    accept_problems: list[dict] | None = None,
    correction_rows: list[forms.CorrectionRow] | None = None,
    return_problems: list[dict] | None = None,
    refuse_form: forms.RefuseForm | None = None,
    refuse_problems: list[dict] | None = None,
    reassign_form: forms.ReassignForm | None = None,
    reassign_problems: list[dict] | None = None,
    focus: str = "",
) -> dict:
    """The case page: what the selectors read, the three forms (as posted, or fresh), and
    the one input that gets the focus."""
    review = selectors.case_review(case=case)
    if checklist_form is None and review.awaiting_prereview:
        checklist_form = forms.ChecklistForm(lines=review.requirements, current=services.checklist_from_case(case=case))
    checklist_rows = checklist_form.rows(accept_problems) if checklist_form is not None else []
    refuse_form = refuse_form or forms.RefuseForm()
    reassign_form = reassign_form or forms.ReassignForm()
    focus = focus or _first_input(review, checklist_rows, reassign_form)
    for form in (checklist_form, refuse_form, reassign_form):
        if form is not None:
            forms.autofocus(form, focus)
    correction_rows = forms.blank_rows(correction_rows or [])
    for row in correction_rows:
        row.focus = focus == f"corr-{row.index}-key"
    findings = services.prereview(case=case) if review.awaiting_prereview else []
    row_keys = {row.line.key for row in checklist_rows}
    accept_problems = accept_problems or []
    return {
        "case": case,
        "bundle": case.version.bundle,
        "clerk": request.clerk,
        "applicant_id": review.applicant_id,
        "answer_lines": review.answer_lines,
        "data_steps": review.data_steps,
        "requirements": review.materials,
        "material_by_key": review.material_by_key,
        "optional_materials": review.optional_materials,
        "findings": [{"finding": f, "word": VERDICTS.get(f.level, "")} for f in findings],
        "finding_counts": {level: sum(1 for f in findings if f.level == level) for level in ("error", "warning", "ok")},
        "counts": _console_counts(request),
        "checklist_rows": checklist_rows,
        "accept_problems": accept_problems,
        "accept_other_problems": [p for p in accept_problems if p.get("key") not in row_keys],
        "correction_rows": correction_rows,
        "return_problems": return_problems or [],
        "key_options": review.key_options,
        "refuse_form": refuse_form,
        "refuse_problems": refuse_problems or [],
        "reassign_form": reassign_form,
        "reassign_problems": reassign_problems or [],
        "colleagues": selectors.reassign_candidates(clerk=request.clerk, case=case),
        "checks": [replace(row, focus=focus == f"supply-{row.check.pk}") for row in review.checks],
        "deferrals": review.deferrals,
        "corrections": case.corrections.all(),
        "focus": focus,
    }


def _first_input(review: selectors.CaseReview, checklist_rows, reassign_form: forms.ReassignForm) -> str:
    """The first thing the clerk works on: the checklist, a deferral to supply, or reassign."""
    if checklist_rows:
        return checklist_rows[0].outcome.html_name
    pending = review.first_pending_check
    if pending is not None:
        return f"supply-{pending.pk}"
    return reassign_form.add_prefix("to_user")


def _render_case(request: HttpRequest, case: Case, status: int = 200, **context) -> HttpResponse:
    return render(request, "intake/case.html", _case_context(request, case, **context), status=status)


@require_safe
@clerk_required
def case_page(request: HttpRequest, number: str) -> HttpResponse:
    return _render_case(request, _case_or_404(request, number))


@require_POST
@clerk_required
@on_case_page
def case_accept(request: HttpRequest, number: str) -> HttpResponse:
    """受理 with the clerk's checklist; every problem is shown next to its row."""
    case = _case_or_404(request, number)
    services.require_awaiting_prereview(case=case)
    lines = selectors.requirements(case)
    form = forms.ChecklistForm(request.POST, lines=lines, current=services.checklist_from_case(case=case))
    if not form.is_valid():
        problems, focus = form.field_problems(), form.first_error_name()
        return _render_case(request, case, 400, checklist_form=form, accept_problems=problems, focus=focus)
    try:
        case = services.case_accept(case=case, clerk=request.user, checklist=form.checklist())
    except services.AcceptanceRefused as refused:
        first_key = next((p.get("key") for p in refused.problems if p.get("key")), "")
        focus = f"check-{first_key}-outcome"
        return _render_case(request, case, 400, checklist_form=form, accept_problems=refused.problems, focus=focus)
    due = (f"{case.due_date:%Y-%m-%d}" if case.due_date else "-") + (_("（暂定）") if case.due_date_provisional else "")
    accepted = _("已受理，办件编号 %(number)s，承诺办结日期 %(due)s") % {"number": case.number, "due": due}
    messages.success(request, accepted)
    return redirect("intake:case", number=case.number)


@require_POST
@clerk_required
@on_case_page
def case_return(request: HttpRequest, number: str) -> HttpResponse:
    """退回补正: every point at once; a later return only names what changed since."""
    case = _case_or_404(request, number)
    services.require_awaiting_prereview(case=case)
    review_form = apply_selectors.form_for(version=case.version, answers=case.answers)
    materials = {m.key for m in selectors.requirements(case)}
    corrections, rows = forms.parse_corrections(
        request.POST, field_keys=set(review_form.by_key), material_keys=materials
    )
    problems = [p for row in rows for p in row.problems]
    if not problems:
        try:
            services.case_return(case=case, clerk=request.user, corrections=corrections)
        except services.ReturnRefused as refused:
            problems = refused.problems
            forms.attach_problems(rows, refused.problems)
        else:
            messages.success(request, _("已退回补正，共 %(n)s 项，已通知申请人") % {"n": len(corrections)})
            return redirect("intake:case", number=case.number)
    first = next((row.index for row in rows if row.problems), 0)
    return _render_case(request, case, 400, correction_rows=rows, return_problems=problems, focus=f"corr-{first}-key")


@require_POST
@clerk_required
@on_case_page
def case_refuse(request: HttpRequest, number: str) -> HttpResponse:
    """不予受理 with the legal reason."""
    case = _case_or_404(request, number)
    services.require_awaiting_prereview(case=case)
    form = forms.RefuseForm(request.POST)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    if not reason.strip():
        refused = services.ReasonRequired()
        return _render_case(
            request, case, 400, refuse_form=form, refuse_problems=refused.problems, focus="refuse-reason"
        )
    if not form.cleaned_data.get("confirmed"):
        # the first step: what refusing means, the reason as the applicant will read it,
        # and the one button that does it (no JavaScript needed)
        return render(
            request,
            "intake/refuse_confirm.html",
            {"case": case, "bundle": case.version.bundle, "reason": reason.strip(), "counts": _console_counts(request)},
        )
    try:
        case = services.case_refuse(case=case, clerk=request.user, reason=reason)
    except services.ReturnRefused as refused:
        return _render_case(
            request, case, 400, refuse_form=form, refuse_problems=refused.problems, focus="refuse-reason"
        )
    messages.success(request, _("已作出不予受理决定，已通知申请人"))
    return redirect("intake:case", number=case.number)


@require_POST
@clerk_required
@on_case_page
def case_reassign(request: HttpRequest, number: str) -> HttpResponse:
    """转交: hand first-contact ownership to another clerk of the centre, with a reason."""
    case = _case_or_404(request, number)
    form = forms.ReassignForm(request.POST)
    if not form.is_valid():
        focus = form.add_prefix(next(iter(form.errors)))
        return _render_case(
            request, case, 400, reassign_form=form, reassign_problems=forms.error_problems(form), focus=focus
        )
    target = form.cleaned_data["to_user"]
    try:
        case = services.case_reassign(case=case, to_user=target, by=request.user, reason=form.cleaned_data["reason"])
    except services.ReassignRefused:
        problems = [{"key": "to_user", "message": _("只能转交给本中心的窗口人员")}]
        return _render_case(
            request, case, 400, reassign_form=form, reassign_problems=problems, focus="reassign-to_user"
        )
    messages.success(request, _("已转交给 %(name)s") % {"name": target})
    return redirect("intake:case", number=case.number)


def _check_or_404(case: Case, check_id: int, **only) -> MaterialCheck:
    check = case.material_checks.filter(pk=check_id, **only).first()
    if check is None:
        raise Http404(_("没有这项材料"))
    return check


@require_POST
@clerk_required
@on_case_page
def check_supply(request: HttpRequest, number: str, check_id: int) -> HttpResponse:
    """A deferred material handed in at the window (with an optional scan)."""
    case = _case_or_404(request, number)
    check = _check_or_404(case, check_id)
    form = forms.SupplyForm(request.POST, request.FILES)
    form.is_valid()
    try:
        check = services.deferred_supply_at_window(check=check, by=request.user, file=form.cleaned_data.get("file"))
    except UploadRejected as rejected:
        messages.error(request, f"{check.name}：{rejected.message}")
        return redirect("intake:case", number=case.number)
    if check.supplied_at:
        messages.success(request, _("“%(name)s”已补交") % {"name": check.name})
    return redirect("intake:case", number=case.number)


@require_POST
@clerk_required
@on_case_page
def check_extend(request: HttpRequest, number: str, check_id: int) -> HttpResponse:
    """An overdue deferral extended once (the clerk may name the new deadline)."""
    case = _case_or_404(request, number)
    check = _check_or_404(case, check_id, outcome=MaterialCheck.Outcome.DEFERRED)
    form = forms.DeferralExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("新的补交期限格式不正确"))
        return redirect("intake:case", number=case.number)
    due = services.deferral_extend(check=check, clerk=request.user, due_date=form.cleaned_data.get("due_date"))
    messages.success(
        request,
        _("“%(name)s”补交期限已延长至 %(date)s，已通知申请人") % {"name": check.name, "date": f"{due:%Y-%m-%d}"},
    )
    return redirect("intake:case", number=case.number)


@require_POST
@clerk_required
@on_case_page
def check_refuse_items(request: HttpRequest, number: str, check_id: int) -> HttpResponse:
    """An overdue deferral: the items needing it are refused, with the clerk's reason."""
    case = _case_or_404(request, number)
    check = _check_or_404(case, check_id, outcome=MaterialCheck.Outcome.DEFERRED)
    refused = services.deferral_refuse_items(check=check, clerk=request.user, reason=request.POST.get("reason", ""))
    messages.success(request, _("已对 %(n)s 个事项不予办理，已通知申请人") % {"n": len(refused)})
    return redirect("intake:case", number=case.number)


# --- walk-in intake at the window ----------------------------------------------------------------
# The steps keep what was decided so far in the clerk's session, under a token per intake.


def _window_sessions(request: HttpRequest) -> dict[str, dict]:
    return request.session.get(WINDOW_SESSION_KEY, {})


def _window_state(request: HttpRequest, token: str) -> dict:
    state = _window_sessions(request).get(token)
    if state is None:
        raise Http404(_("窗口受理已结束或已过期，请重新开始"))
    return state


def _window_save(request: HttpRequest, token: str, state: dict | None) -> None:
    sessions = dict(_window_sessions(request))
    if state is None:
        sessions.pop(token, None)
    else:
        sessions[token] = json.loads(json.dumps(state, default=str))
        while len(sessions) > WINDOW_SESSIONS_KEPT:  # oldest first (insertion order)
            sessions.pop(next(iter(sessions)))
    request.session[WINDOW_SESSION_KEY] = sessions


def _applicant(state: dict):
    return get_user_model().objects.get(pk=state["applicant"])


def _window_version(state: dict):
    version = catalog_selectors.published_versions().filter(pk=state["version"]).first()
    if version is None:
        raise Http404(_("这个一件事的版本已不再受理，请重新选择"))
    return version


@require_http_methods(["GET", "POST"])
@clerk_required
def window_start(request: HttpRequest) -> HttpResponse:
    """Step 1: who is applying (ID number, name, mobile)."""
    form = forms.WalkInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        applicant = services.walk_in_applicant(
            id_number=form.cleaned_data["id_number"],
            full_name=form.cleaned_data["full_name"],
            mobile=form.cleaned_data["mobile"],
        )
        token = secrets.token_urlsafe(9)
        _window_save(request, token, {"applicant": applicant.pk, "started": timezone.now().isoformat()})
        return redirect("intake:window-bundle", token=token)
    forms.autofocus(form, next(iter(form.errors), "") or "id_number")
    return render(
        request, "intake/window_start.html", {"form": form, "section": "window"}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@clerk_required
def window_bundle(request: HttpRequest, token: str) -> HttpResponse:
    """Step 2: the bundle and the situation questions; then prefill from government data."""
    state = _window_state(request, token)
    if state.get("case"):
        return redirect("intake:case", number=state["case"])
    applicant = _applicant(state)
    applicant_type = "enterprise" if applicant.role == "enterprise" else "person"
    versions = list(catalog_selectors.published_versions(applicant_type=applicant_type))
    code = request.POST.get("bundle") or request.GET.get("bundle") or state.get("bundle", "")
    version = next((v for v in versions if v.bundle.code == code), None)
    answers = state.get("answers", {}) if version and code == state.get("bundle") else {}
    page = {"token": token, "applicant": applicant, "versions": versions, "version": version, "answers": answers}
    if request.method != "POST":
        return _window_bundle_page(request, **page)
    if version is None:
        messages.error(request, _("请选择一件事"))
        return _window_bundle_page(request, status=400, **page)
    raw = forms.raw_answers(apply_selectors.compiled_for(version=version).questions, request.POST)
    try:
        prefilled = services.window_prefill(applicant=applicant, version=version, raw_answers=raw)
    except InvalidAnswers as invalid:
        return _window_bundle_page(request, status=400, errors=invalid.errors, **(page | {"answers": raw}))
    state.update({"bundle": version.bundle.code, "version": version.pk, **prefilled, "uploads": {}})
    _window_save(request, token, state)
    return redirect("intake:window-form", token=token)


def _window_bundle_page(
    request: HttpRequest, *, token, applicant, versions, version, answers, errors=(), status: int = 200
) -> HttpResponse:
    questions = apply_selectors.compiled_for(version=version).questions if version else []
    error_keys = {e.question for e in errors}
    focus = next((q["key"] for q in questions if q["key"] in error_keys), "")
    if not focus:
        focus = questions[0]["key"] if questions else "bundle"
    return render(
        request,
        "intake/window_bundle.html",
        {
            "token": token,
            "applicant": applicant,
            "applicant_id": mask_id_number(applicant.id_number),
            "has_password": applicant.has_usable_password(),
            "credit": services.credit_status(applicant=applicant),
            "versions": versions,
            "version": version,
            "questions": questions,
            "answers": answers,
            "errors": {e.question: e for e in errors},
            "error_list": list(errors),
            "focus": focus,
            "section": "window",
        },
        status=status,
    )


def _window_form_context(
    request: HttpRequest,
    token: str,
    state: dict,
    *,
    values: dict | None = None,
    field_errors: dict | None = None,
    checklist_form: forms.ChecklistForm | None = None,
    material_problems: list[dict] | None = None,
    upload_errors: dict | None = None,
    other_problems: list[dict] | None = None,
) -> dict:
    version = _window_version(state)
    answers = state["answers"]
    compiled = apply_selectors.compiled_for(version=version)
    form = apply_selectors.form_for(version=version, answers=answers)
    prefill = state.get("prefill", {})
    prefilled = prefill.get("values", {})
    values = values if values is not None else prefilled
    steps = _window_steps(form, prefill, values, field_errors or {})
    lines = apply_selectors.notice_materials(version, answers)
    applicant = _applicant(state)
    decisions = {
        d.key: d for d in selectors.window_decisions(lines=lines, prefill=prefill, values=values, applicant=applicant)
    }
    uploaded = state.get("uploads", {})
    if checklist_form is None:
        current = selectors.window_default_checklist(decisions=decisions.values(), uploads=uploaded)
        checklist_form = forms.ChecklistForm(lines=lines, current=current)
    material_problems = material_problems or []
    rows_by_key = {row.line.key: row for row in checklist_form.rows(material_problems)}
    if checklist_form.lines:  # Alt+M: to the material checklist
        checklist_form.fields[f"{checklist_form.lines[0].key}-outcome"].widget.attrs["accesskey"] = "m"
    upload_errors = upload_errors or {}
    uploads = Upload.objects.in_bulk(list(uploaded.values()))
    materials = [
        {
            "line": m,
            "decision": decisions[m.key],
            "row": rows_by_key.get(m.key),
            "notes": presentation.material_notes(m, held=decisions[m.key].held),
            "items": presentation.item_names(compiled, m.needed_by),
            "elicence": decisions[m.key].given if decisions[m.key].source == "elicence" else None,
            "upload": uploads.get(uploaded.get(m.key)),
            "upload_error": upload_errors.get(m.key),
        }
        for m in lines
    ]
    focus = _window_focus(steps, materials, checklist_form)
    problem_count = len(field_errors or {}) + len(material_problems) + len(upload_errors) + len(other_problems or [])
    return {
        "token": token,
        "applicant": applicant,
        "applicant_id": mask_id_number(applicant.id_number),
        "version": version,
        "bundle": version.bundle,
        "form": form,
        "prefill": prefill,
        "answer_lines": presentation.answer_lines(compiled, answers),
        "steps": steps,
        "materials": materials,
        "other_problems": other_problems or [],
        "error_count": problem_count,
        "focus": focus,
        "section": "window",
        "prefilled_count": sum(1 for key in prefilled if key in form.by_key),
        "field_count": len(form.fields),
    }


def _window_steps(form, prefill: dict, values: dict, field_errors: dict) -> list:
    """The form's steps, each field with its value, its error and whether government data
    filled it (locked when authoritative)."""
    prefilled = prefill.get("values", {})
    sources = prefill.get("sources", {})
    return [
        (
            label,
            [
                {
                    "field": f,
                    "value": values.get(f.key, ""),
                    "error": field_errors.get(f.key),
                    "prefilled": f.key in prefilled,
                    "source": sources.get(f.key, ""),
                    "locked": f.authoritative and f.key in prefilled,
                }
                for f in fields
            ],
        )
        for _key, label, fields in form.steps
    ]


def _window_focus(steps: list, materials: list[dict], checklist_form: forms.ChecklistForm) -> str:
    """The first field with an error, else the first material with one, else the first
    field the clerk may type in."""
    rows = [row for _label, step_rows in steps for row in step_rows]
    first_field = next((row["field"].key for row in rows if row["error"]), "")
    if first_field:
        return first_field
    first_material = next(
        (m["line"].key for m in materials if (m["row"] and m["row"].problems) or m["upload_error"]), ""
    )
    if first_material:
        focus = f"check-{first_material}-outcome"
        forms.autofocus(checklist_form, focus)
        return focus
    return next((row["field"].key for row in rows if not row["locked"]), "")


@require_http_methods(["GET", "POST"])
@clerk_required
@domain_errors("intake:window-form", "token")
def window_form(request: HttpRequest, token: str) -> HttpResponse:
    """Step 3: the merged form, the material checklist and uploads; accept on the spot."""
    state = _window_state(request, token)
    if state.get("case"):  # already accepted (a resubmission, the back button)
        return redirect("intake:case", number=state["case"])
    if "version" not in state:
        return redirect("intake:window-bundle", token=token)
    if request.method == "GET":
        return render(request, "intake/window_form.html", _window_form_context(request, token, state))
    return _window_submit(request, token, state)


def _window_submit(request: HttpRequest, token: str, state: dict) -> HttpResponse:
    version = _window_version(state)
    applicant = _applicant(state)
    answers, prefill = state["answers"], state.get("prefill", {})
    form = apply_selectors.form_for(version=version, answers=answers)
    values = selectors.window_values(form=form, posted=request.POST, prefill=prefill)
    lines = apply_selectors.notice_materials(version, answers)
    decisions = selectors.window_decisions(lines=lines, prefill=prefill, values=values, applicant=applicant)
    files = {name.removeprefix("material__"): f for name, f in request.FILES.items() if name.startswith("material__")}
    stored, upload_errors = services.window_uploads(applicant=applicant, files=files, decisions=decisions)
    state.setdefault("uploads", {}).update(stored)
    _window_save(request, token, state)
    checklist_form = forms.ChecklistForm(
        forms.checklist_data(request.POST, state["uploads"]),
        lines=lines,
        current=selectors.window_default_checklist(decisions=decisions, uploads=state["uploads"]),
    )
    context = {"values": values, "checklist_form": checklist_form, "upload_errors": upload_errors}
    if not checklist_form.is_valid():
        problems = checklist_form.field_problems()
        return _window_form_rerender(request, token, state, material_problems=problems, **context)
    if upload_errors:
        return _window_form_rerender(request, token, state, **context)
    try:
        case = services.window_submit(
            clerk=request.user,
            applicant=applicant,
            version=version,
            answers=answers,
            values=values,
            checklist=checklist_form.checklist(),
            decisions=decisions,
            upload_ids=state["uploads"],
        )
    except SubmissionInvalid as invalid:
        return _window_form_rerender(request, token, state, field_errors=invalid.errors, **context)
    except services.AcceptanceRefused as refused:
        problems = _window_problems(refused.problems, field_keys=set(form.by_key), material_keys={m.key for m in lines})
        return _window_form_rerender(request, token, state, **problems, **context)
    except InvalidAnswers:
        messages.error(request, _("情形回答已失效，请重新回答"))
        return redirect("intake:window-bundle", token=token)
    _window_save(request, token, {**state, "case": case.number})
    messages.success(request, _("已受理，办件编号 %(number)s。请打印受理回执交申请人。") % {"number": case.number})
    return redirect(reverse("intake:case", kwargs={"number": case.number}) + "#receipt")


def _window_problems(problems: list[dict], *, field_keys: set[str], material_keys: set[str]) -> dict:
    """The refusal's problems where the page shows them: under a field, in a material's
    row, or above the form."""
    return {
        "field_errors": {
            p["key"]: Problem(p.get("code", ""), p.get("message", ""), p.get("message_en", ""), key=p["key"])
            for p in problems
            if p.get("key") in field_keys and p["key"] not in material_keys
        },
        "material_problems": [p for p in problems if p.get("key") in material_keys],
        "other_problems": [p for p in problems if p.get("key") not in material_keys | field_keys],
    }


def _window_form_rerender(request: HttpRequest, token: str, state: dict, **context) -> HttpResponse:
    return render(
        request, "intake/window_form.html", _window_form_context(request, token, state, **context), status=400
    )


@require_POST
@clerk_required
def window_cancel(request: HttpRequest, token: str) -> HttpResponse:
    _window_save(request, token, None)
    messages.info(request, _("已取消本次窗口受理"))
    return redirect("intake:queue")
