"""The clerk console (综合窗口受理台): the pre-review queue of the clerk's centre, the case
page with accept / return / refuse / reassign and deferred-material supply, and walk-in
intake at the window.

Thin: :mod:`onething.intake.services` decides everything; these views read what the
clerk typed, call the service, and show every problem next to the row it concerns.
Only window clerks get in (others 403, anonymous to the login page); a clerk sees the
cases of their own centre only (any other case is 404, as if it did not exist).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from onething.apply import materials as material_rules
from onething.apply import selectors as apply_selectors
from onething.apply.form import MergedField
from onething.apply.models import Upload
from onething.apply.prefill.services import run_prefill
from onething.apply.services import SubmissionInvalid
from onething.apply.uploads import UploadRejected, upload_create
from onething.cases.models import Case
from onething.cases.transitions import TransitionRefused
from onething.catalog import selectors as catalog_selectors
from onething.catalog import situations
from onething.common.access import role_required
from onething.common.i18n import pick
from onething.identity.masking import mask_id_number
from onething.intake import forms, selectors, services
from onething.intake.materials import Decision
from onething.intake.models import MaterialCheck
from onething.notice import presentation
from onething.notice.selectors import InvalidAnswers

QUEUE_LIMIT = 200
#: Accepted cases still running: the first-contact owner follows them to the end.
IN_PROGRESS = [Case.State.ACCEPTED, Case.State.PROCESSING, Case.State.PARTIALLY_CONCLUDED]
WINDOW_SESSION_KEY = "intake_window"
WINDOW_SESSIONS_KEPT = 8


# --- access -------------------------------------------------------------------------------


# Window clerks only: anonymous users go to the login page, everyone else gets 403. The
# clerk record is put on ``request.clerk``.
clerk_required = role_required(selectors.clerk_of, denied=gettext_lazy("仅窗口人员可以使用受理台"), attribute="clerk")


def _case_or_404(request: HttpRequest, number: str) -> Case:
    try:
        return selectors.case_for_clerk(clerk=request.clerk, number=number)
    except Case.DoesNotExist as missing:
        raise Http404(_("没有这个办件")) from missing


# --- the queue ------------------------------------------------------------------------------


def _quick_summary(case: Case) -> dict[str, int]:
    """Errors and warnings of the automatic checks that need no data hub (form data and
    materials as declared). The credit record and e-licences are checked on the case page."""
    outcome = services.evaluate_acceptance(
        case=case, checklist=services.checklist_from_case(case=case), dishonest=False
    )
    warnings = sum(1 for c in outcome.checks if c.outcome in {MaterialCheck.Outcome.DEFERRED, "pledged"})
    return {"errors": len(outcome.problems), "warnings": warnings}


@require_safe
@clerk_required
def queue(request: HttpRequest) -> HttpResponse:
    """预审队列 of the clerk's centre, and the clerk's own accepted cases."""
    clerk = request.clerk
    waiting = list(selectors.prereview_queue(clerk=clerk).prefetch_related("materials", "corrections")[:QUEUE_LIMIT])
    rows = [
        {
            "case": case,
            "applicant_id": mask_id_number(case.applicant.id_number),
            "summary": _quick_summary(case),
        }
        for case in waiting
    ]
    today = timezone.localdate()
    mine = []
    owned = (
        selectors.centre_cases(clerk=clerk)
        .filter(owner=request.user, accepted_at__isnull=False, state__in=IN_PROGRESS)
        .prefetch_related("material_checks")
        .order_by("-deferral_overdue", "due_date", "-accepted_at")
    )
    for case in owned[:QUEUE_LIMIT]:
        pending = [
            check
            for check in case.material_checks.all()
            if check.outcome == MaterialCheck.Outcome.DEFERRED
            and check.supplied_at is None
            and check.refused_at is None
        ]
        mine.append(
            {
                "case": case,
                "applicant_id": mask_id_number(case.applicant.id_number),
                "pending": pending,
                "overdue": case.deferral_overdue
                or any(c.overdue or (c.due_date and c.due_date < today) for c in pending),
            }
        )
    return render(
        request,
        "intake/queue.html",
        {"clerk": clerk, "rows": rows, "mine": mine, "truncated": len(waiting) >= QUEUE_LIMIT},
    )


# --- the case page --------------------------------------------------------------------------------


def _display_value(merged_field: MergedField, value: Any) -> str:
    if value is None or value == "":
        return ""
    if merged_field.type == "boolean":
        return _("是") if value is True or value == "true" else _("否")
    if merged_field.type == "enum":
        for choice in merged_field.choices:
            if choice["value"] == value:
                return pick(choice["label"], choice.get("label_en"))
    return str(value)


def _key_options(case: Case, form, requirements) -> dict[str, list[tuple[str, str]]]:
    """What a correction may name: the form's fields and the case's materials."""
    return {
        "fields": [(f"field:{f.key}", pick(f.label, f.label_en)) for f in form.fields],
        "materials": [(f"material:{m.key}", pick(m.name, m.name_en)) for m in requirements],
    }


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
    compiled = selectors.case_compiled(case)
    form = apply_selectors.form_for(version=case.version, answers=case.answers)
    requirements = selectors.requirements(case)
    submitted = case.state == Case.State.SUBMITTED
    findings = services.prereview(case=case) if submitted else []
    data_steps = [
        (
            label,
            [
                {"field": f, "value": _display_value(f, case.data.get(f.key))}
                for f in fields
                if case.data.get(f.key) not in (None, "")
            ],
        )
        for _key, label, fields in form.steps
    ]
    if checklist_form is None and submitted:
        checklist_form = forms.ChecklistForm(lines=requirements, current=services.checklist_from_case(case=case))
    checklist_rows = checklist_form.rows(accept_problems) if checklist_form is not None else []
    row_keys = {row.line.key for row in checklist_rows}
    given = {m.key: m for m in case.materials.all()}
    decisions = {d.key: d for d in material_rules.case_decisions(case)}
    material_rows = [
        {
            "line": m,
            "given": given.get(m.key),
            "decision": decisions.get(m.key),
            "notes": presentation.material_notes(m, held=decisions[m.key].held if m.key in decisions else None),
            "items": presentation.item_names(compiled, m.needed_by),
        }
        for m in requirements
    ]
    today = timezone.localdate()
    checks = [
        {
            "check": check,
            "pending": check.outcome == MaterialCheck.Outcome.DEFERRED
            and check.supplied_at is None
            and check.refused_at is None,
            "late": check.refused_at is None
            and (check.overdue or bool(check.due_date and check.due_date < today and check.supplied_at is None)),
        }
        for check in case.material_checks.all().order_by("pk")
    ]
    refuse_form = refuse_form or forms.RefuseForm()
    reassign_form = reassign_form or forms.ReassignForm()
    if not focus:  # the first input of the page: the first thing the clerk works on
        if checklist_rows:
            focus = checklist_rows[0].outcome.html_name
        elif any(c["pending"] for c in checks):
            focus = f"supply-{next(c['check'].pk for c in checks if c['pending'])}"
        else:
            focus = reassign_form.add_prefix("to_user")
    for form_ in (checklist_form, refuse_form, reassign_form):
        if form_ is not None:
            _autofocus(form_, focus)
    correction_rows = forms.blank_rows(correction_rows or [])
    for row in correction_rows:
        row.focus = focus == f"corr-{row.index}-key"
    for item in checks:
        item["focus"] = focus == f"supply-{item['check'].pk}"
    colleagues = (
        get_user_model()
        .objects.filter(clerk__centre=request.clerk.centre)
        .exclude(pk=case.owner_id or 0)
        .order_by("username")
    )
    return {
        "case": case,
        "bundle": case.version.bundle,
        "clerk": request.clerk,
        "applicant_id": mask_id_number(case.applicant.id_number),
        "answer_lines": presentation.answer_lines(compiled, case.answers),
        "data_steps": data_steps,
        "requirements": material_rows,
        "material_by_key": {row["line"].key: row for row in material_rows},
        "optional_materials": [row for row in material_rows if not row["line"].required],
        "findings": findings,
        "finding_counts": {level: sum(1 for f in findings if f.level == level) for level in ("error", "warning", "ok")},
        "checklist_rows": checklist_rows,
        "accept_problems": accept_problems or [],
        "accept_other_problems": [p for p in accept_problems or [] if p.get("key") not in row_keys],
        "correction_rows": correction_rows,
        "return_problems": return_problems or [],
        "key_options": _key_options(case, form, requirements),
        "refuse_form": refuse_form,
        "refuse_problems": refuse_problems or [],
        "reassign_form": reassign_form,
        "reassign_problems": reassign_problems or [],
        "colleagues": colleagues,
        "checks": checks,
        "deferrals": selectors.outstanding_deferrals(case, today=today) if case.accepted_at else [],
        "corrections": case.corrections.all(),
        "focus": focus,
    }


def _autofocus(form, name: str) -> None:
    """Put ``autofocus`` on the form's field with this (prefixed) name, if it has one;
    mark every field with an error ``aria-invalid``."""
    for bare, field in form.fields.items():
        if form.add_prefix(bare) == name:
            field.widget.attrs["autofocus"] = True
        if form.is_bound and bare in form.errors:
            field.widget.attrs["aria-invalid"] = "true"


def _render_case(request: HttpRequest, case: Case, status: int = 200, **context) -> HttpResponse:
    return render(request, "intake/case.html", _case_context(request, case, **context), status=status)


@require_safe
@clerk_required
def case_page(request: HttpRequest, number: str) -> HttpResponse:
    return _render_case(request, _case_or_404(request, number))


def _state_conflict(request: HttpRequest, case: Case) -> HttpResponse:
    case.refresh_from_db()
    messages.error(
        request,
        _("办件 %(number)s 当前状态为“%(state)s”，不能进行此操作")
        % {"number": case.number, "state": case.get_state_display()},
    )
    return redirect("intake:case", number=case.number)


@require_POST
@clerk_required
def case_accept(request: HttpRequest, number: str) -> HttpResponse:
    """受理 with the clerk's checklist; every problem is shown next to its row."""
    case = _case_or_404(request, number)
    if case.state != Case.State.SUBMITTED:
        return _state_conflict(request, case)
    requirements = selectors.requirements(case)
    form = forms.ChecklistForm(request.POST, lines=requirements, current=services.checklist_from_case(case=case))
    if not form.is_valid():
        return _render_case(
            request,
            case,
            400,
            checklist_form=form,
            accept_problems=form.field_problems(),
            focus=form.first_error_name(),
        )
    try:
        case = services.case_accept(case=case, clerk=request.user, checklist=form.checklist())
    except services.AcceptanceRefused as refused:
        first_key = next((p.get("key") for p in refused.problems if p.get("key")), "")
        return _render_case(
            request,
            case,
            400,
            checklist_form=form,
            accept_problems=refused.problems,
            focus=f"check-{first_key}-outcome",
        )
    except TransitionRefused:
        return _state_conflict(request, case)
    messages.success(
        request,
        _("已受理，办件编号 %(number)s，承诺办结日期 %(due)s")
        % {
            "number": case.number,
            "due": (f"{case.due_date:%Y-%m-%d}" if case.due_date else "-")
            + (_("（暂定）") if case.due_date_provisional else ""),
        },
    )
    return redirect("intake:case", number=case.number)


@require_POST
@clerk_required
def case_return(request: HttpRequest, number: str) -> HttpResponse:
    """退回补正: every point at once; a later return only names what changed since."""
    case = _case_or_404(request, number)
    if case.state != Case.State.SUBMITTED:
        return _state_conflict(request, case)
    form = apply_selectors.form_for(version=case.version, answers=case.answers)
    materials = {m.key for m in selectors.requirements(case)}
    corrections, rows = forms.parse_corrections(request.POST, field_keys=set(form.by_key), material_keys=materials)
    row_problems = [p for row in rows for p in row.problems]
    if not row_problems:
        try:
            services.case_return(case=case, clerk=request.user, corrections=corrections)
        except services.ReturnRefused as refused:
            row_problems = refused.problems
            for row in rows:
                row.problems = [p for p in refused.problems if p.get("key") == row.key and row.key]
        except TransitionRefused:
            return _state_conflict(request, case)
        else:
            messages.success(request, _("已退回补正，共 %(n)s 项，已通知申请人") % {"n": len(corrections)})
            return redirect("intake:case", number=case.number)
    first = next((row.index for row in rows if row.problems), 0)
    return _render_case(
        request,
        case,
        400,
        correction_rows=rows,
        return_problems=row_problems,
        focus=f"corr-{first}-key",
    )


@require_POST
@clerk_required
def case_refuse(request: HttpRequest, number: str) -> HttpResponse:
    """不予受理 with the legal reason."""
    case = _case_or_404(request, number)
    if case.state != Case.State.SUBMITTED:
        return _state_conflict(request, case)
    form = forms.RefuseForm(request.POST)
    form.is_valid()
    try:
        case = services.case_refuse(case=case, clerk=request.user, reason=form.cleaned_data.get("reason", ""))
    except services.ReturnRefused as refused:
        return _render_case(
            request, case, 400, refuse_form=form, refuse_problems=refused.problems, focus="refuse-reason"
        )
    except TransitionRefused:
        return _state_conflict(request, case)
    messages.success(request, _("已作出不予受理决定，已通知申请人"))
    return redirect("intake:case", number=case.number)


@require_POST
@clerk_required
def case_reassign(request: HttpRequest, number: str) -> HttpResponse:
    """转交: hand first-contact ownership to another clerk of the centre, with a reason."""
    case = _case_or_404(request, number)
    form = forms.ReassignForm(request.POST)
    if not form.is_valid():
        problems = [{"key": name, "message": e} for name, errors in form.errors.items() for e in errors]
        focus = form.add_prefix(next(iter(form.errors)))
        return _render_case(request, case, 400, reassign_form=form, reassign_problems=problems, focus=focus)
    target = form.cleaned_data["to_user"]
    try:
        case = services.case_reassign(case=case, to_user=target, by=request.user, reason=form.cleaned_data["reason"])
    except services.NotAllowed:
        problems = [{"key": "to_user", "message": _("只能转交给本中心的窗口人员")}]
        return _render_case(
            request, case, 400, reassign_form=form, reassign_problems=problems, focus="reassign-to_user"
        )
    messages.success(request, _("已转交给 %(name)s") % {"name": target})
    return redirect("intake:case", number=case.number)


@require_POST
@clerk_required
def check_supply(request: HttpRequest, number: str, check_id: int) -> HttpResponse:
    """A deferred material handed in at the window (with an optional scan)."""
    case = _case_or_404(request, number)
    check = case.material_checks.filter(pk=check_id).first()
    if check is None:
        raise Http404(_("没有这项材料"))
    form = forms.SupplyForm(request.POST, request.FILES)
    form.is_valid()
    upload = None
    file = form.cleaned_data.get("file")
    if file is not None:
        try:
            upload = upload_create(owner=case.applicant, file=file)
        except UploadRejected as rejected:
            messages.error(request, f"{check.name}：{rejected.message}")
            return redirect("intake:case", number=case.number)
    try:
        check = services.deferred_supply(check=check, by=request.user, upload=upload)
    except services.NotAllowed as refused:
        raise PermissionDenied(str(refused)) from refused
    if check.supplied_at:
        messages.success(request, _("“%(name)s”已补交") % {"name": check.name})
    return redirect("intake:case", number=case.number)


def _deferral_check(request: HttpRequest, number: str, check_id: int) -> tuple[Case, MaterialCheck]:
    case = _case_or_404(request, number)
    check = case.material_checks.filter(pk=check_id, outcome=MaterialCheck.Outcome.DEFERRED).first()
    if check is None:
        raise Http404(_("没有这项材料"))
    return case, check


def _decision_error(request: HttpRequest, error: services.DeferralDecisionRefused) -> None:
    messages.error(request, pick(error.message, error.message_en))


@require_POST
@clerk_required
def check_extend(request: HttpRequest, number: str, check_id: int) -> HttpResponse:
    """An overdue deferral extended once (the clerk may name the new deadline)."""
    case, check = _deferral_check(request, number, check_id)
    form = forms.DeferralExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("新的补交期限格式不正确"))
        return redirect("intake:case", number=case.number)
    try:
        due = services.deferral_extend(check=check, clerk=request.user, due_date=form.cleaned_data.get("due_date"))
    except services.NotAllowed as refused:
        raise PermissionDenied(str(refused)) from refused
    except services.DeferralDecisionRefused as error:
        _decision_error(request, error)
    else:
        messages.success(
            request,
            _("“%(name)s”补交期限已延长至 %(date)s，已通知申请人") % {"name": check.name, "date": f"{due:%Y-%m-%d}"},
        )
    return redirect("intake:case", number=case.number)


@require_POST
@clerk_required
def check_refuse_items(request: HttpRequest, number: str, check_id: int) -> HttpResponse:
    """An overdue deferral: the items needing it are refused, with the clerk's reason."""
    case, check = _deferral_check(request, number, check_id)
    try:
        refused = services.deferral_refuse_items(check=check, clerk=request.user, reason=request.POST.get("reason", ""))
    except services.NotAllowed as refused_:
        raise PermissionDenied(str(refused_)) from refused_
    except services.DeferralDecisionRefused as error:
        _decision_error(request, error)
    else:
        messages.success(
            request,
            _("已对 %(n)s 个事项不予办理，已通知申请人") % {"n": len(refused)},
        )
    return redirect("intake:case", number=case.number)


# --- walk-in intake at the window ----------------------------------------------------------------


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


def _first_error(form) -> str:
    return next(iter(form.errors), "")


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
    focus = _first_error(form) or "id_number"
    form.fields[focus].widget.attrs["autofocus"] = True
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs["aria-invalid"] = "true"
    return render(request, "intake/window_start.html", {"form": form}, status=400 if form.errors else 200)


def _credit_status(applicant) -> str:
    dishonest = services.applicant_dishonest(id_number=applicant.id_number or "")
    if dishonest is None:
        return "unknown"
    return "dishonest" if dishonest else "clear"


def _raw_answers(compiled, post) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for question in compiled.questions:
        key = question["key"]
        if question["kind"] == "multiple":
            raw[key] = [v for v in post.getlist(key) if v]
        elif post.get(key) not in (None, ""):
            raw[key] = post.get(key)
    return raw


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
    errors: list[situations.AnswerError] = []
    status = 200
    if request.method == "POST":
        if version is None:
            messages.error(request, _("请选择一件事"))
            status = 400
        else:
            compiled = apply_selectors.compiled_for(version=version)
            raw = _raw_answers(compiled, request.POST)
            answers, errors = situations.check_answers(compiled.questions, raw)
            if errors:
                answers, status = raw, 400
            else:
                form = apply_selectors.form_for(version=version, answers=answers)
                materials = apply_selectors.notice_materials(version, answers)
                outcome = run_prefill(applicant=applicant, form=form, materials=materials)
                state.update(
                    {
                        "bundle": version.bundle.code,
                        "version": version.pk,
                        "answers": answers,
                        "prefill": {
                            "values": outcome.values,
                            "sources": outcome.sources,
                            "materials": outcome.materials,
                            "identities": outcome.identities,
                            "notice": outcome.notice if outcome.unavailable else "",
                        },
                        "uploads": {},
                    }
                )
                _window_save(request, token, state)
                return redirect("intake:window-form", token=token)
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
            "credit": _credit_status(applicant),
            "versions": versions,
            "version": version,
            "questions": questions,
            "answers": answers,
            "errors": {e.question: e for e in errors},
            "error_list": errors,
            "focus": focus,
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
    version = catalog_selectors.published_versions().filter(pk=state["version"]).first()
    if version is None:
        raise Http404(_("这个一件事的版本已不再受理，请重新选择"))
    answers = state["answers"]
    compiled = apply_selectors.compiled_for(version=version)
    form = apply_selectors.form_for(version=version, answers=answers)
    prefill = state.get("prefill", {})
    prefilled = prefill.get("values", {})
    sources = prefill.get("sources", {})
    values = values if values is not None else prefilled
    field_errors = field_errors or {}
    steps = [
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
    lines = apply_selectors.notice_materials(version, answers)
    applicant = _applicant(state)
    decisions = {d.key: d for d in _window_decisions(lines, state, values, applicant)}
    if checklist_form is None:
        checklist_form = forms.ChecklistForm(lines=lines, current=_default_checklist(decisions.values(), state))
    material_problems = material_problems or []
    rows_by_key = {row.line.key: row for row in checklist_form.rows(material_problems)}
    if checklist_form.lines:  # Alt+M: to the material checklist
        checklist_form.fields[f"{checklist_form.lines[0].key}-outcome"].widget.attrs["accesskey"] = "m"
    upload_errors = upload_errors or {}
    uploads = {u.pk: u for u in Upload.objects.filter(pk__in=state.get("uploads", {}).values())}
    materials = [
        {
            "line": m,
            "decision": decisions[m.key],
            "row": rows_by_key.get(m.key),
            "notes": presentation.material_notes(m, held=decisions[m.key].held),
            "items": presentation.item_names(compiled, m.needed_by),
            "elicence": decisions[m.key].given if decisions[m.key].source == "elicence" else None,
            "upload": uploads.get(state.get("uploads", {}).get(m.key)),
            "upload_error": upload_errors.get(m.key),
        }
        for m in lines
    ]
    first_field = next(
        (row["field"].key for _label, rows in steps for row in rows if row["error"]),
        "",
    )
    first_material = next(
        (m["line"].key for m in materials if (m["row"] and m["row"].problems) or m["upload_error"]), ""
    )
    if first_field:
        focus = first_field
    elif first_material:
        focus = f"check-{first_material}-outcome"
        _autofocus(checklist_form, focus)
    else:
        focus = next((row["field"].key for _label, rows in steps for row in rows if not row["locked"]), "")
    error_count = len(field_errors) + len(material_problems) + len(upload_errors) + len(other_problems or [])
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
        "error_count": error_count,
        "focus": focus,
        "prefilled_count": sum(1 for key in prefilled if key in form.by_key),
        "field_count": len(form.fields),
    }


def _window_decisions(lines, state: dict, values: dict, applicant) -> list[material_rules.MaterialDecision]:
    """The one material decision (onething/apply/materials.py) for the walk-in applicant: an
    e-licence prefill found counts only while it is the holder's named in the form."""
    prefill = state.get("prefill", {})
    return material_rules.decide(
        lines=lines,
        given=prefill.get("materials", {}),
        applicant_id=applicant.id_number or "",
        values=values,
        identities=prefill.get("identities", {}),
    )


def _default_checklist(decisions, state: dict) -> dict[str, Decision]:
    """What the clerk is likely to record: e-licences found, shared data, uploads made."""
    uploads = state.get("uploads", {})
    checklist = {}
    for decision in decisions:
        if decision.source == "elicence":
            checklist[decision.key] = Decision(MaterialCheck.Outcome.ELICENCE)
        elif decision.source == "datahub":
            checklist[decision.key] = Decision(MaterialCheck.Outcome.DATAHUB)
        elif decision.key in uploads:
            checklist[decision.key] = Decision(MaterialCheck.Outcome.UPLOADED)
    return checklist


@require_http_methods(["GET", "POST"])
@clerk_required
def window_form(request: HttpRequest, token: str) -> HttpResponse:
    """Step 3: the merged form, the material checklist and uploads; accept on the spot."""
    state = _window_state(request, token)
    if state.get("case"):  # already accepted (a resubmission, the back button)
        return redirect("intake:case", number=state["case"])
    if "version" not in state:
        return redirect("intake:window-bundle", token=token)
    if request.method == "GET":
        return render(request, "intake/window_form.html", _window_form_context(request, token, state))

    version = catalog_selectors.published_versions().filter(pk=state["version"]).first()
    if version is None:
        raise Http404(_("这个一件事的版本已不再受理，请重新选择"))
    applicant = _applicant(state)
    answers = state["answers"]
    form = apply_selectors.form_for(version=version, answers=answers)
    prefill = state.get("prefill", {})
    raw = {key: value for key, value in request.POST.items() if key in form.by_key}
    for key, value in prefill.get("values", {}).items():  # government data stays as it came
        if key in form.by_key and form.by_key[key].authoritative:
            raw[key] = value
    lines = apply_selectors.notice_materials(version, answers)
    decisions = _window_decisions(lines, state, raw, applicant)
    bring = {d.key for d in decisions if d.can_upload}
    upload_errors = {}
    for name, upload_file in request.FILES.items():
        key = name.removeprefix("material__")
        if not name.startswith("material__") or key not in bring:
            continue
        try:
            upload = upload_create(owner=applicant, file=upload_file)
        except UploadRejected as rejected:
            upload_errors[key] = rejected.message
        else:
            state.setdefault("uploads", {})[key] = upload.pk
    _window_save(request, token, state)

    data = request.POST.copy()
    for key in state.get("uploads", {}):  # an uploaded file with no outcome chosen is "uploaded"
        if not data.get(f"check-{key}-outcome"):
            data[f"check-{key}-outcome"] = MaterialCheck.Outcome.UPLOADED
    checklist_form = forms.ChecklistForm(data, lines=lines, current=_default_checklist(decisions, state))
    context = {"values": raw, "checklist_form": checklist_form, "upload_errors": upload_errors}
    if not checklist_form.is_valid():
        return _window_form_rerender(
            request, token, state, material_problems=checklist_form.field_problems(), **context
        )
    if upload_errors:
        return _window_form_rerender(request, token, state, **context)
    checklist = checklist_form.checklist()
    elicences = {
        d.key: {"licence_number": d.given.get("licence_number", ""), "holder": d.holder}
        for d in decisions
        if d.source == "elicence"
        and (d.key not in checklist or checklist[d.key].outcome == MaterialCheck.Outcome.ELICENCE)
    }
    uploads = {u.pk: u for u in Upload.objects.filter(pk__in=state.get("uploads", {}).values())}
    try:
        case = services.window_intake(
            clerk=request.user,
            applicant=applicant,
            version=version,
            raw_answers=answers,
            raw_data=raw,
            checklist=checklist,
            uploads={key: uploads[pk] for key, pk in state.get("uploads", {}).items() if pk in uploads},
            elicences=elicences,
        )
    except SubmissionInvalid as invalid:
        return _window_form_rerender(request, token, state, field_errors=invalid.errors, **context)
    except services.AcceptanceRefused as refused:
        material_keys = {m.key for m in lines}
        field_errors = {
            p["key"]: _Problem(p)
            for p in refused.problems
            if p.get("key") in form.by_key and p["key"] not in material_keys
        }
        material_problems = [p for p in refused.problems if p.get("key") in material_keys]
        others = [p for p in refused.problems if p.get("key") not in material_keys and p.get("key") not in form.by_key]
        return _window_form_rerender(
            request,
            token,
            state,
            field_errors=field_errors,
            material_problems=material_problems,
            other_problems=others,
            **context,
        )
    except InvalidAnswers:
        messages.error(request, _("情形回答已失效，请重新回答"))
        return redirect("intake:window-bundle", token=token)
    except services.NotAllowed as refused:
        raise PermissionDenied(str(refused)) from refused
    _window_save(request, token, {**state, "case": case.number})
    messages.success(
        request,
        _("已受理，办件编号 %(number)s。请打印受理回执交申请人。") % {"number": case.number},
    )
    return redirect(reverse("intake:case", kwargs={"number": case.number}) + "#receipt")


class _Problem:
    """A service problem shown like a FieldError in the form template."""

    def __init__(self, problem: dict):
        self.code = problem.get("code", "")
        self.message = problem.get("message", "")
        self.message_en = problem.get("message_en", "")


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
