"""Writes of 一口受理. Online pre-review and the window console call the same functions;
``evaluate_acceptance`` is the one decision both channels get.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from onething.apply.form import validate
from onething.apply.models import Upload
from onething.apply.prefill.services import run_prefill
from onething.apply.selectors import form_for, notice_materials
from onething.apply.services import SubmissionInvalid
from onething.apply.uploads import UploadRejected, upload_create
from onething.audit import services as audit
from onething.cases import transitions
from onething.cases.models import Case, CaseMaterial
from onething.catalog import situations
from onething.common import events
from onething.common.errors import Invalid, NotAllowed
from onething.identity.datahub import DatahubError, datahub_client
from onething.identity.masking import mask_id_number as mask_identifier
from onething.identity.validators import credit_code, identifier
from onething.intake import selectors
from onething.intake.materials import Decision, PlannedCheck, committed_limit_days, decide, deferral_window
from onething.intake.models import Clerk, CorrectionRequest, MaterialCheck
from onething.notice.selectors import InvalidAnswers, compiled_version
from onething.workdays.services import DueDate
from services.datahub.ids import normalize

SOURCE_TO_OUTCOME = {
    CaseMaterial.Source.UPLOAD: MaterialCheck.Outcome.UPLOADED,
    CaseMaterial.Source.ELICENCE: MaterialCheck.Outcome.ELICENCE,
    CaseMaterial.Source.DATAHUB: MaterialCheck.Outcome.DATAHUB,
    CaseMaterial.Source.DEFERRED: MaterialCheck.Outcome.DEFERRED,
    CaseMaterial.Source.PLEDGED: MaterialCheck.Outcome.PLEDGED,
}


PROVISIONAL_NOTE = "（暂定，待录入当年节假日安排后确定）"


class AcceptanceRefused(Invalid):
    """The case cannot be accepted as it stands; ``problems`` lists every reason (400
    ``acceptance_refused``, the problems as its details)."""

    code = "acceptance_refused"

    def __init__(self, problems: list[dict]):
        self.problems = problems
        super().__init__(
            f"不能受理：有 {len(problems)} 个问题", f"cannot accept: {len(problems)} problem(s)", details=problems
        )


class ReturnRefused(Invalid):
    """A return for correction breaks the one-time notification rule or names nothing
    (400 ``return_refused``, every problem in the message and as details)."""

    code = "return_refused"

    def __init__(self, problems: list[dict]):
        self.problems = problems
        super().__init__(
            "不能退回：" + "；".join(p["message"] for p in problems),
            "cannot return: " + "; ".join(p["message_en"] for p in problems),
            details=problems,
        )


class ReasonRequired(ReturnRefused):
    """A refusal without its legal reason (400 ``reason_required``, the one problem as its
    message)."""

    code = "reason_required"

    def __init__(self):
        problem = {
            "key": "reason",
            "code": "required",
            "message": "请填写不予受理的法律依据和理由",
            "message_en": "give the legal reason",
        }
        self.problems = [problem]
        Invalid.__init__(self, problem["message"], problem["message_en"], details=self.problems)


class ReassignRefused(Invalid):
    """A reassignment to someone who is not a clerk of the case's centre, or without a
    reason (400 ``reassign_refused``; ``message_en`` says which)."""

    code = "reassign_refused"
    message = "只能转交给本中心的窗口人员，并须说明原因"

    def __init__(self, why: str):
        super().__init__(message_en=f"cannot reassign: {why}")


@dataclass
class Finding:
    level: str  # "ok", "warning", "error"
    code: str
    message: str
    message_en: str
    key: str = ""


@dataclass
class AcceptanceOutcome:
    checks: list[PlannedCheck] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    due_date: date | None = None
    due_provisional: bool = False  # the due date reaches a year without a holiday schedule

    @property
    def acceptable(self) -> bool:
        return not self.problems


# --- the decision -------------------------------------------------------------------


def applicant_dishonest(*, id_number: str) -> bool | None:
    """The 失信 flag from the data hub; None when the hub cannot say."""
    if not id_number:
        return None
    try:
        with datahub_client() as client:
            record = client.get_person(id_number) if len(id_number) == 18 and id_number[:2].isdigit() else None
            if record is None:
                record = client.get_enterprise(id_number)
    except DatahubError:
        return None
    return bool(record and record.get("dishonest"))


def checklist_from_case(*, case: Case) -> dict[str, Decision]:
    """What an online applicant provided or declared, as a checklist."""
    return {
        m.key: Decision(outcome=SOURCE_TO_OUTCOME[m.source], pledge_signed=m.source == CaseMaterial.Source.PLEDGED)
        for m in case.materials.all()
    }


def evaluate_acceptance(
    *, case: Case, checklist: dict[str, Decision], today: date | None = None, dishonest: bool | None = None
) -> AcceptanceOutcome:
    """Would the case be accepted with this checklist? Data and materials, every problem.
    A deadline that reaches a year with no holiday schedule never stops acceptance: it is
    counted with weekends only and marked provisional (``due_provisional``, shown as
    “暂定”), and recomputed when the year's schedule is entered."""
    from onething.workdays.services import due_after

    today = today or timezone.localdate()
    form = form_for(version=case.version, answers=case.answers)
    _, errors = validate(form, case.data)
    problems = [{"key": key, **error.as_dict()} for key, error in errors.items()]
    checks, material_problems = decide(
        requirements=selectors.requirements(case),
        committed_days=selectors.committed_days(case),
        checklist=checklist,
        dishonest=dishonest if dishonest is not None else applicant_dishonest(id_number=_holder_id(case)),
        today=today,
    )
    due = due_after(start=today, days=selectors.bundle_days(case))
    problems += [p.as_dict() for p in material_problems]
    return AcceptanceOutcome(checks=checks, problems=problems, due_date=due.day, due_provisional=due.provisional)


def _holder_id(case: Case) -> str:
    return case.applicant.id_number or ""


def prereview(*, case: Case) -> list[Finding]:
    """Automatic checks shown to the clerk before deciding an online case."""
    outcome = evaluate_acceptance(case=case, checklist=checklist_from_case(case=case))
    findings = [Finding("error", p["code"], p["message"], p["message_en"], p.get("key", "")) for p in outcome.problems]
    findings += _elicence_findings(case)
    findings += relation_findings(case=case)
    for check in outcome.checks:
        if check.outcome == MaterialCheck.Outcome.DEFERRED:
            findings.append(
                Finding(
                    "warning",
                    "deferred",
                    f"“{check.name}”申请容缺，补交期限 {check.due_date:%Y-%m-%d}"
                    + ("（暂定）" if check.due_provisional else ""),
                    f"{check.key} deferred until {check.due_date}"
                    + (" (provisional)" if check.due_provisional else ""),
                    check.key,
                )
            )
        elif check.outcome == MaterialCheck.Outcome.PLEDGED:
            findings.append(
                Finding(
                    "warning",
                    "pledged",
                    f"“{check.name}”以告知承诺代替，需事后核查",
                    f"{check.key} replaced by a pledge, to verify later",
                    check.key,
                )
            )
    if not findings:
        findings.append(Finding("ok", "all_clear", "自动检查通过：数据有效，材料齐全", "automatic checks passed"))
    return findings


RELATION_ATTRIBUTES = ("id_number", "credit_code", "number")  # identifiers of a party (household.number)


def relation_findings(*, case: Case) -> list[Finding]:
    """Family members and household named in the case against what the data hub holds
    about the applicant (spouse, parents, children, household): the natural-person prefill
    run again, and every identifier it can vouch for compared with the one in the case. A
    mismatch (another registered person named as the mother, say) is reported to the clerk;
    where the hub holds no relation nothing is said."""
    from onething.apply.prefill.base import registry
    from onething.apply.prefill.services import run_prefill

    if getattr(case.applicant, "role", "") != "citizen":
        return []
    form = form_for(version=case.version, answers=case.answers)
    outcome = run_prefill(applicant=case.applicant, form=form, materials=[], plugins=[registry["natural_person"]])
    if outcome.unavailable:
        return [
            Finding(
                "warning",
                "relations_unverified",
                "数据中台暂不可用，家庭成员关系未能核对",
                "the data hub is unavailable; family relations not checked",
            )
        ]
    findings = []
    for key, expected in outcome.values.items():
        if key.rpartition(".")[2] not in RELATION_ATTRIBUTES or key.startswith("applicant."):
            continue
        given = case.data.get(key)
        if given in (None, "") or normalize(str(given)) == normalize(str(expected)):
            continue
        label = form.by_key[key].label if key in form.by_key else key
        findings.append(
            Finding(
                "error",
                "relation_mismatch",
                f"“{label}”与政务数据中申请人的家庭关系不符（政务数据为 {mask_identifier(str(expected))}），请核实",
                f"{key} does not match the applicant's relations in the data hub",
                key,
            )
        )
    return findings


def _elicence_findings(case: Case) -> list[Finding]:
    findings = []
    licences = [m for m in case.materials.all() if m.source == CaseMaterial.Source.ELICENCE]
    if not licences:
        return findings
    try:
        with datahub_client() as client:
            for line in licences:
                result = client.verify_elicence(line.licence_number, line.licence_holder or _holder_id(case))
                level = "ok" if result.get("valid") else "error"
                findings.append(
                    Finding(
                        level,
                        f"elicence_{result.get('reason', 'unknown')}",
                        f"电子证照“{line.name}”（{line.licence_number}）核验："
                        f"{'有效' if result.get('valid') else '无效'}",
                        f"e-licence {line.licence_number}: {result.get('reason')}",
                        line.key,
                    )
                )
    except DatahubError:
        findings.append(
            Finding(
                "warning",
                "elicence_unverified",
                "数据中台暂不可用，电子证照未能核验",
                "the data hub is unavailable; e-licences not verified",
            )
        )
    return findings


# --- acceptance, return, refusal ---------------------------------------------------------


def case_accept(*, case: Case, clerk, checklist: dict[str, Decision] | None = None, today: date | None = None) -> Case:
    """受理. Raises AcceptanceRefused with every problem; otherwise records the checklist,
    makes the clerk the first-contact owner and sets the committed completion date."""
    _require_clerk_of(case, clerk)
    checklist = checklist if checklist is not None else checklist_from_case(case=case)
    outcome = evaluate_acceptance(case=case, checklist=checklist, today=today)
    if not outcome.acceptable:
        raise AcceptanceRefused(outcome.problems)
    with transaction.atomic():
        case = transitions.case_accept(
            case=case,
            clerk=clerk,
            due_date=outcome.due_date,
            due_date_provisional=outcome.due_provisional,
            accepted_at=timezone.now(),
        )
        now = timezone.now()
        MaterialCheck.objects.bulk_create(
            [
                MaterialCheck(
                    case=case,
                    key=c.key,
                    name=c.name,
                    outcome=c.outcome,
                    due_date=c.due_date,
                    due_date_provisional=c.due_provisional,
                    pledge_text=c.pledge_text,
                    pledge_signed_at=now if c.pledge_text else None,
                )
                for c in outcome.checks
            ]
        )
        provisional = PROVISIONAL_NOTE if case.due_date_provisional else ""
        _notify_applicant(
            case,
            "accepted",
            "您的申请已受理",
            f"办件 {case.number} 已受理，承诺办结日期 {case.due_date:%Y-%m-%d}{provisional}。",
        )
        # 一网办理 starts at acceptance: processing splits the case into item cases
        events.publish(events.CaseAccepted, case_id=case.pk, case=case, actor_id=clerk.pk, actor=clerk)
        case.refresh_from_db()
    return case


def _require_clerk_of(case: Case, clerk) -> Clerk:
    record = selectors.clerk_of(clerk)
    if record is None or (case.centre_id and case.centre_id != record.centre_id):
        raise NotAllowed("只有办件所属中心的窗口人员可以办理", "only a clerk of the case's centre")
    return record


def materials_snapshot(case: Case) -> dict[str, dict]:
    return {
        m.key: {"source": m.source, "upload": m.upload_id, "licence_number": m.licence_number}
        for m in case.materials.all()
    }


def changed_since(case: Case, previous: CorrectionRequest) -> set[str]:
    """Field and material keys the applicant changed since the previous return."""
    data_keys = {
        k for k in set(case.data) | set(previous.data_snapshot) if case.data.get(k) != previous.data_snapshot.get(k)
    }
    now = materials_snapshot(case)
    material_keys = {
        k for k in set(now) | set(previous.materials_snapshot) if now.get(k) != previous.materials_snapshot.get(k)
    }
    return data_keys | material_keys


def case_return(*, case: Case, clerk, corrections: list[dict]) -> CorrectionRequest:
    """退回补正 with every correction at once. A later return may only name what the
    applicant changed since the previous one (一次性告知)."""
    _require_clerk_of(case, clerk)
    problems = _correction_problems(case, corrections)
    if problems:
        raise ReturnRefused(problems)
    previous = case.corrections.order_by("-round").first()
    with transaction.atomic():
        request = CorrectionRequest.objects.create(
            case=case,
            round=(previous.round + 1) if previous else 1,
            clerk=clerk,
            corrections=[{"kind": c["kind"], "key": c["key"], "message": c["message"].strip()} for c in corrections],
            data_snapshot=case.data,
            materials_snapshot=materials_snapshot(case),
        )
        transitions.case_return(case=case, clerk=clerk, note="; ".join(c["message"] for c in corrections))
        _notify_applicant(
            case,
            f"returned-{request.round}",
            "您的申请需要补正",
            f"办件 {case.number} 需要补正 {len(corrections)} 项，请登录查看补正告知书并修改后重新提交。",
        )
    return request


def _correction_problems(case: Case, corrections: list[dict]) -> list[dict]:
    if not corrections:
        return [
            {
                "key": "",
                "code": "empty",
                "message": "请列出需要补正的事项",
                "message_en": "name at least one correction",
            }
        ]
    form = form_for(version=case.version, answers=case.answers)
    materials = {m.key for m in selectors.requirements(case)}
    problems = []
    previous = case.corrections.order_by("-round").first()
    changed = changed_since(case, previous) if previous else None
    for c in corrections:
        key, kind = c.get("key", ""), c.get("kind")
        known = (kind == "field" and key in form.by_key) or (kind == "material" and key in materials)
        if not known:
            problems.append(
                {"key": key, "code": "unknown", "message": f"没有“{key}”这一项", "message_en": f"no {kind} '{key}'"}
            )
        elif not str(c.get("message", "")).strip():
            problems.append(
                {"key": key, "code": "no_message", "message": "请说明需要怎样补正", "message_en": "say what to correct"}
            )
        elif changed is not None and key not in changed:
            problems.append(
                {
                    "key": key,
                    "code": "not_changed_since",
                    "message": f"“{key}”在上次退回后未被修改；应在第一次退回时一并告知（一次性告知）",
                    "message_en": f"'{key}' was not changed since the last return; it should have been named then",
                }
            )
    return problems


def case_resubmit(*, case: Case, applicant, raw_data: dict, uploads: dict[str, Upload] | None = None) -> Case:
    """The applicant's corrections; the case returns to pre-review under the same number."""
    if case.applicant_id != applicant.pk:
        raise NotAllowed("只有申请人本人可以补正", "only the applicant")
    form = form_for(version=case.version, answers=case.answers)
    locked = _locked_values(case, form)
    data = {**case.data, **{k: v for k, v in raw_data.items() if k in form.by_key}, **locked}
    clean, errors = validate(form, data)
    if errors:
        raise SubmissionInvalid(errors)
    allowed = {m.key: m for m in selectors.requirements(case) if m.bring}
    with transaction.atomic():
        for key, upload in (uploads or {}).items():
            if key not in allowed or upload.owner_id != applicant.pk:
                raise NotAllowed(f"材料“{key}”不能在此上传", f"material {key}")
            CaseMaterial.objects.update_or_create(
                case=case,
                key=key,
                defaults={
                    "name": allowed[key].name,
                    "source": CaseMaterial.Source.UPLOAD,
                    "upload": upload,
                    "needed_by": list(allowed[key].needed_by),
                },
            )
        case = transitions.case_resubmit(case=case, applicant=applicant, data=clean)
        case.corrections.filter(resubmitted_at__isnull=True).update(resubmitted_at=timezone.now())
    return case


def _locked_values(case: Case, form) -> dict:
    draft = getattr(case, "draft", None)
    if draft is None:
        return {}
    return {k: p["value"] for k, p in draft.prefilled.items() if k in form.by_key and form.by_key[k].authoritative}


def case_refuse(*, case: Case, clerk, reason: str) -> Case:
    """不予受理 with the legal reason (required)."""
    _require_clerk_of(case, clerk)
    if not reason.strip():
        raise ReasonRequired()
    with transaction.atomic():
        case = transitions.case_refuse(case=case, clerk=clerk, reason=reason.strip())
        _notify_applicant(case, "refused", "您的申请不予受理", f"办件 {case.number} 不予受理：{reason.strip()}")
    return case


def case_reassign(*, case: Case, to_user, by, reason: str) -> Case:
    """Hand first-contact ownership to another clerk of the same centre, with a reason."""
    target = selectors.clerk_of(to_user)
    _require_clerk_of(case, by)
    if target is None or (case.centre_id and target.centre_id != case.centre_id):
        raise ReassignRefused("the new owner must be a clerk of the case's centre")
    if not reason.strip():
        raise ReassignRefused("a reassignment needs a reason")
    return transitions.case_reassign(case=case, to_owner=to_user, by=by, reason=reason.strip())


def route_submitted_case(*, case: Case) -> Case:
    """Send a newly submitted online case to the centre responsible for its bundle."""
    centre = selectors.responsible_centre(bundle=case.version.bundle)
    if centre is None:
        return case
    return transitions.case_route(case=case, centre=centre)


# --- window intake (帮办代办) --------------------------------------------------------------


def walk_in_applicant(*, id_number: str, full_name: str = "", mobile: str = ""):
    """The account of a walk-in applicant, created without a password if they have none:
    they can claim it later by signing up online with the same ID number."""
    user_model = get_user_model()
    id_number = identifier(id_number)
    user = user_model.objects.filter(id_number=id_number).first()
    if user:
        return user
    role = "enterprise" if credit_code(id_number) is None else "citizen"
    user = user_model(username=id_number, id_number=id_number, full_name=full_name, mobile=mobile, role=role)
    user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def window_intake(
    *,
    clerk,
    applicant,
    version,
    raw_answers: dict,
    raw_data: dict,
    checklist: dict[str, Decision],
    uploads: dict[str, Upload] | None = None,
    elicences: dict[str, dict] | None = None,
    today: date | None = None,
) -> Case:
    """A walk-in application filed by the clerk on the applicant's behalf and accepted
    on the spot: the same form validation and the same acceptance decision as online.
    Everything or nothing: if acceptance is refused no case remains."""
    record = selectors.clerk_of(clerk)
    if record is None:
        raise NotAllowed("只有窗口人员可以代为受理", "only clerks")
    compiled = compiled_version(version=version)
    answers, answer_errors = situations.check_answers(compiled.questions, raw_answers)
    if answer_errors:
        raise InvalidAnswers(answer_errors)
    form = form_for(version=version, answers=answers)
    clean, errors = validate(form, raw_data)
    if errors:
        raise SubmissionInvalid(errors)
    lines = _window_materials(version, answers, uploads or {}, elicences or {})
    case = transitions.case_submit(
        applicant=applicant,
        version=version,
        answers=answers,
        data=clean,
        materials=lines,
        channel=Case.Channel.WINDOW,
        idempotency_key=f"window-{timezone.now().timestamp()}-{clerk.pk}",
        field_count=len(form.fields),
        prefilled_count=0,
        first_time_right=True,
        field_sources=dict.fromkeys(form.by_key),
        actor=clerk,
    )
    case = transitions.case_route(case=case, centre=record.centre, actor=clerk)
    # routed to the clerk's centre already; issuance records the delivery choice of the form
    events.publish(events.CaseSubmitted, case_id=case.pk, case=case, actor_id=clerk.pk, actor=clerk)
    return case_accept(case=case, clerk=clerk, checklist=checklist, today=today)


def _window_materials(version, answers, uploads: dict[str, Upload], elicences: dict[str, dict]) -> list[CaseMaterial]:
    lines = []
    for material in notice_materials(version, answers):
        if material.key in uploads:
            lines.append(
                CaseMaterial(
                    key=material.key,
                    name=material.name,
                    source="upload",
                    upload=uploads[material.key],
                    needed_by=list(material.needed_by),
                )
            )
        elif material.key in elicences:
            given = elicences[material.key]
            lines.append(
                CaseMaterial(
                    key=material.key,
                    name=material.name,
                    source="elicence",
                    licence_number=given.get("licence_number", ""),
                    licence_holder=given.get("holder", ""),
                    needed_by=list(material.needed_by),
                )
            )
    return lines


# --- deferred materials -------------------------------------------------------------------


def deferred_supply(*, check: MaterialCheck, by, upload: Upload | None = None) -> MaterialCheck:
    """A deferred material arrives (uploaded online, or handed in at the window). When it
    was the last one outstanding, the held step goes on: the case concludes if its items
    are all finished, and the held licences are registered."""
    case = check.case
    if by.pk != case.applicant_id and selectors.clerk_of(by) is None:
        raise NotAllowed("只有申请人或窗口人员可以补交", "only the applicant or a clerk")
    if upload is not None and upload.owner_id not in {case.applicant_id, by.pk}:
        raise NotAllowed("不是您上传的文件", "not your upload")
    with transaction.atomic():
        _lock_case(case)
        updated = MaterialCheck.objects.filter(
            pk=check.pk, outcome=MaterialCheck.Outcome.DEFERRED, supplied_at__isnull=True, refused_at__isnull=True
        ).update(supplied_at=timezone.now(), supplied_upload=upload)
        if updated:
            audit.record(
                action="material.supplied",
                actor=by,
                case_number=case.number,
                obj=check,
                after={"key": check.key, "upload": upload.pk if upload else None},
            )
            _deferral_settled(case=case, actor=by)
    check.refresh_from_db()
    return check


def _lock_case(case: Case) -> None:
    """The fan-in lock (as a department's result takes it): a supply or decision and the
    last item's result cannot both miss the conclusion."""
    Case.objects.select_for_update().only("pk").get(pk=case.pk)


def _deferral_settled(*, case: Case, actor) -> None:
    """A deferral was supplied or decided: clear the case's overdue flag when none is left
    overdue; when none is outstanding, processing concludes the case (if its items are done)
    and issuance registers the licences it held."""
    if not selectors.outstanding_checks(case).filter(overdue=True).exists():
        transitions.case_clear_deferral_overdue(case=case, actor=actor)
    if not selectors.has_outstanding_deferrals(case):
        events.publish(events.DeferralsSettled, case_id=case.pk, case=case)


class DeferralDecisionRefused(Invalid):
    """The clerk's decision on an overdue deferral cannot be made as asked."""

    def __init__(self, code: str, message: str, message_en: str):
        super().__init__(message, message_en, code=code)


EXTENSION_WORKING_DAYS = 5  # at most this many working days from the decision


def _decidable(check: MaterialCheck, today: date) -> None:
    check.refresh_from_db()
    if check.outcome != MaterialCheck.Outcome.DEFERRED or check.supplied_at or check.refused_at:
        raise DeferralDecisionRefused(
            "settled", f"“{check.name}”已补交或已作出决定", f"{check.key} was already supplied or decided"
        )
    if not check.due_date or check.due_date >= today:
        raise DeferralDecisionRefused(
            "not_overdue",
            f"“{check.name}”的补交期限（{check.due_date or '—'}）未过，暂不需决定",
            f"{check.key} is not overdue yet",
        )


def deferral_extend(*, check: MaterialCheck, clerk, due_date: date | None = None, today: date | None = None) -> date:
    """Extend an overdue deferral once: a new deadline after today, at most five working
    days away and never past the statutory limit of the items needing the material
    (default: the latest allowed). The applicant is told. Returns the new deadline."""
    from onething.notifications.services import notify
    from onething.workdays.services import due_after

    case = check.case
    _require_clerk_of(case, clerk)
    today = today or timezone.localdate()
    _decidable(check, today)
    if check.extended_at is not None:
        raise DeferralDecisionRefused(
            "already_extended",
            f"“{check.name}”已延期过一次，不能再次延期；请决定对需要它的事项不予办理",
            f"{check.key} was extended once already; a second extension is not allowed",
        )
    # a year without a holiday schedule never stops the decision: weekends only, provisional
    latest = due_after(start=today, days=EXTENSION_WORKING_DAYS)
    limit = selectors.deferral_limit(case, key=check.key)
    if limit is not None and limit.day < latest.day:
        latest = limit
    latest, provisional = latest.day, latest.provisional
    due = due_date or latest
    if latest <= today or not today < due <= latest:
        raise DeferralDecisionRefused(
            "bad_deadline",
            f"新的补交期限须晚于今天且不晚于 {latest:%Y-%m-%d}（至多 5 个工作日，且不超过事项法定时限）"
            if latest > today
            else "事项法定时限已到，不能再延期",
            f"the new deadline must be after today and no later than {latest}"
            if latest > today
            else "the items' statutory limit has been reached",
        )
    with transaction.atomic():
        _lock_case(case)
        _claim_undecided(
            check,
            extended_at__isnull=True,
            due_date=due,
            due_date_provisional=provisional and due == latest,
            extended_at=timezone.now(),
            overdue=False,
        )
        audit.record(
            action="material.deferral_extended",
            actor=clerk,
            case_number=case.number,
            obj=check,
            before={"key": check.key, "due_date": check.due_date.isoformat()},
            after={"key": check.key, "due_date": due.isoformat()},
        )
        _deferral_settled(case=case, actor=clerk)
        notify(
            recipient=case.applicant,
            subject="容缺材料补交期限已延长",
            body=(
                f"办件 {case.number} 的容缺材料“{check.name}”已逾期，窗口决定延期一次："
                f"请于 {due:%Y-%m-%d} 前补交。逾期仍未补交的，需要该材料的事项将不予办理。"
            ),
            dedup_key=f"deferral-extended:{check.pk}",
            case_number=case.number,
        )
    check.refresh_from_db()
    return due


def _claim_undecided(check: MaterialCheck, *, extended_at__isnull: bool | None = None, **changes) -> None:
    """Write a clerk's decision on a deferral only if nobody supplied or decided it meanwhile
    (a conditional UPDATE); ``extended_at__isnull`` also requires it never extended."""
    undecided = MaterialCheck.objects.filter(pk=check.pk, supplied_at__isnull=True, refused_at__isnull=True)
    if extended_at__isnull is not None:
        undecided = undecided.filter(extended_at__isnull=extended_at__isnull)
    if undecided.update(**changes) != 1:
        raise DeferralDecisionRefused("settled", f"“{check.name}”已被处理", f"{check.key} was decided meanwhile")


def deferral_refuse_items(*, check: MaterialCheck, clerk, reason: str, today: date | None = None) -> list:
    """Refuse the items needing an overdue deferred material (with the clerk's reason); the
    rest of the case goes on and may conclude. The applicant is told. Returns the item
    cases refused."""
    from onething.notifications.services import notify

    case = check.case
    _require_clerk_of(case, clerk)
    today = today or timezone.localdate()
    _decidable(check, today)
    reason = reason.strip()
    if not reason:
        raise DeferralDecisionRefused("reason_required", "请填写不予办理的理由", "give the reason for the refusal")
    codes = selectors.deferral_items(case).get(check.key, ())
    full_reason = f"容缺材料“{check.name}”逾期未补交（期限 {check.due_date:%Y-%m-%d}），不予办理：{reason}"
    with transaction.atomic():
        _lock_case(case)
        _claim_undecided(check, refused_at=timezone.now())
        audit.record(
            action="material.deferral_refused",
            actor=clerk,
            case_number=case.number,
            obj=check,
            after={"key": check.key, "due_date": check.due_date.isoformat(), "items": list(codes)},
            note=reason,
        )
        # processing refuses the item cases and answers with them
        answers = events.publish(
            events.DeferralRefused,
            case_id=case.pk,
            case=case,
            item_codes=frozenset(codes),
            reason=full_reason,
            actor_id=clerk.pk,
            actor=clerk,
        )
        refused = [item_case for answer in answers for item_case in answer or ()]
        names = "、".join(ic.item_name for ic in refused) or "无"
        notify(
            recipient=case.applicant,
            subject="容缺材料逾期，相关事项不予办理",
            body=(
                f"办件 {case.number} 的容缺材料“{check.name}”逾期未补交，以下事项不予办理：{names}。"
                f"理由：{reason}。其余事项继续办理。"
            ),
            dedup_key=f"deferral-refused:{check.pk}",
            case_number=case.number,
        )
        _deferral_settled(case=case, actor=clerk)
    check.refresh_from_db()
    return refused


REMINDER_WORKING_DAYS = 2


def deferred_remind(*, today: date | None = None) -> int:
    """Remind applicants of deferred materials due within two working days. Once each:
    the notification's dedup key names the material and its deadline."""
    from onething.notifications.services import notify
    from onething.workdays.services import due_after

    today = today or timezone.localdate()
    horizon = due_after(start=today, days=REMINDER_WORKING_DAYS).day
    due_soon = selectors.outstanding_checks_all().filter(due_date__gte=today, due_date__lte=horizon)
    due_soon = due_soon.select_related("case__applicant")
    sent = 0
    for check in due_soon:
        created = notify(
            recipient=check.case.applicant,
            subject="容缺材料补交提醒",
            body=(
                f"办件 {check.case.number} 的容缺材料“{check.name}”请于 {check.due_date:%Y-%m-%d} 前补交，"
                "可在网上或窗口补交。"
            ),
            dedup_key=f"deferral-reminder:{check.pk}:{check.due_date:%Y%m%d}",
            case_number=check.case.number,
        )
        sent += len(created)
    return sent


def deferred_flag_overdue(*, today: date | None = None) -> int:
    """Mark deferred materials past their deadline and flag the case: it goes to its owning
    clerk (首问负责) for a decision (extend once, or refuse the items needing it), shown on
    the console; the clerk is told once per material and deadline."""
    from onething.notifications.services import notify

    today = today or timezone.localdate()
    overdue = selectors.outstanding_checks_all().filter(due_date__lt=today, overdue=False).select_related("case__owner")
    flagged = 0
    for check in overdue:
        if MaterialCheck.objects.filter(pk=check.pk, overdue=False).update(overdue=True) != 1:
            continue
        flagged += 1
        transitions.case_flag_deferral_overdue(case=check.case)
        if check.case.owner_id:
            notify(
                recipient=check.case.owner,
                subject="容缺材料逾期",
                body=(
                    f"办件 {check.case.number} 的容缺材料“{check.name}”已逾期（期限 {check.due_date:%Y-%m-%d}），"
                    "请在受理台决定：延期一次，或对需要它的事项不予办理。"
                ),
                dedup_key=f"deferral-overdue:{check.pk}:{check.due_date:%Y%m%d}",
                case_number=check.case.number,
            )
    return flagged


def _notify_applicant(case: Case, event: str, subject: str, body: str) -> None:
    from onething.notifications.services import notify

    notify(
        recipient=case.applicant,
        subject=subject,
        body=body,
        dedup_key=f"case-{event}:{case.number}",
        case_number=case.number,
    )


# --- provisional dates, once the year's holiday schedule is entered ------------------------


class NoteDate(Protocol):
    """Compare a stored provisional date with its recomputed one, for the case's audit
    event; True when it changed (the caller then writes the new one)."""

    def __call__(self, label: str, old_day: date, new: DueDate) -> bool: ...


class ProvisionalCaseIds(Protocol):
    """The cases that hold such a provisional date on or after ``first``."""

    def __call__(self, *, first: date) -> Iterable[int]: ...


class ProvisionalRecompute(Protocol):
    """Recompute each such date of ``case``, pass it to ``note`` and write the new date
    where ``note`` says it changed."""

    def __call__(self, *, case: Case, first: date, note: NoteDate) -> None: ...


@dataclass(frozen=True)
class ProvisionalDates:
    """Provisional dates that a later stage stores on the parts of a case (processing: the
    due dates of its item cases), recomputed together with the case's own dates and under
    its one audit event. The later stage registers one in its AppConfig.ready()
    (``register_provisional_dates``): intake does not import it."""

    case_ids: ProvisionalCaseIds
    recompute: ProvisionalRecompute


_provisional_sources: list[ProvisionalDates] = []


def register_provisional_dates(source: ProvisionalDates) -> None:
    if source not in _provisional_sources:
        _provisional_sources.append(source)


def provisional_dates_recompute(*, year: int) -> int:
    """Recompute every stored provisional date on or after 1 January ``year`` — the case's
    committed date, its item cases' dates (``ProvisionalDates`` of processing) and its
    deferral deadlines — from where each was counted (the acceptance day, the dispatch
    day) and its working days, now that ``year`` has a schedule. A date stays provisional
    while another year it reaches is still missing. One audit event per changed case, in
    the caller's transaction (the one that saves the schedule). Returns the number of
    changed cases."""
    from onething.workdays.services import due_after

    first = date(year, 1, 1)
    checks = MaterialCheck.objects.filter(due_date_provisional=True, due_date__gte=first)
    case_ids = set(Case.objects.filter(due_date_provisional=True, due_date__gte=first).values_list("pk", flat=True))
    for source in _provisional_sources:
        case_ids |= set(source.case_ids(first=first))
    case_ids |= set(checks.values_list("case_id", flat=True))
    changed_cases = 0
    with transaction.atomic():
        for case in Case.objects.filter(pk__in=case_ids).select_related("version").order_by("pk"):
            before: dict = {}
            after: dict = {}

            def note(label: str, old_day: date, new, before=before, after=after) -> bool:
                if (old_day, True) == (new.day, new.provisional):
                    return False
                before[label] = {"due_date": old_day.isoformat(), "provisional": True}
                after[label] = {"due_date": new.day.isoformat(), "provisional": new.provisional}
                return True

            accepted_on = timezone.localdate(case.accepted_at) if case.accepted_at else None
            if case.due_date_provisional and case.due_date and case.due_date >= first and accepted_on:
                new = due_after(start=accepted_on, days=selectors.bundle_days(case))
                if note("case", case.due_date, new):
                    Case.objects.filter(pk=case.pk).update(due_date=new.day, due_date_provisional=new.provisional)
            for source in _provisional_sources:
                source.recompute(case=case, first=first, note=note)
            case_checks = list(checks.filter(case=case))
            if case_checks and accepted_on:
                lines = {line.key: line for line in selectors.requirements(case)}
                committed = selectors.committed_days(case)
                for check in case_checks:
                    line = lines.get(check.key)
                    if line is None:
                        continue
                    default, _latest = deferral_window(
                        today=accepted_on, committed_days=committed_limit_days(line=line, committed_days=committed)
                    )
                    if note(f"material:{check.key}", check.due_date, default):
                        MaterialCheck.objects.filter(pk=check.pk).update(
                            due_date=default.day, due_date_provisional=default.provisional
                        )
            if after:
                changed_cases += 1
                audit.record(
                    action="case.due_dates_recomputed",
                    case_number=case.number,
                    obj=case,
                    before=before,
                    after=after,
                    note=f"录入 {year} 年节假日安排后重算暂定期限 / recomputed with the {year} holiday schedule",
                )
    return changed_cases


# --- the console's actions, as the pages and the API call them ------------------------------------
# New entry points for the views of views.py and api.py: the rules they used to hold.


def prereview_summary(*, case: Case) -> dict[str, int | str]:
    """Errors and warnings of the automatic checks that need no data hub (form data and
    materials as declared), for the queue, with the first of each in words (``first_error``,
    ``first_warning``). The credit record and e-licences are checked on the case page."""
    outcome = evaluate_acceptance(case=case, checklist=checklist_from_case(case=case), dishonest=False)
    flagged = [c for c in outcome.checks if c.outcome in {MaterialCheck.Outcome.DEFERRED, "pledged"}]
    first_warning = ""
    if flagged:
        kind = "申请容缺" if flagged[0].outcome == MaterialCheck.Outcome.DEFERRED else "以告知承诺代替"
        first_warning = f"“{flagged[0].name}”{kind}"
    return {
        "errors": len(outcome.problems),
        "warnings": len(flagged),
        "first_error": outcome.problems[0].get("message", "") if outcome.problems else "",
        "first_warning": first_warning,
    }


def require_awaiting_prereview(*, case: Case) -> None:
    """Accept, return and refuse are for a case awaiting pre-review: TransitionRefused (409
    ``state_conflict``) for any other, before the clerk's input is even read."""
    if case.state != Case.State.SUBMITTED:
        raise transitions.TransitionRefused(case, "decide")


def case_reassign_to(*, case: Case, username: str, by, reason: str) -> Case:
    """``case_reassign`` to the user with this username (``ReassignRefused`` if none)."""
    target = get_user_model().objects.filter(username=username).first()
    if target is None:
        raise ReassignRefused("no such user")
    return case_reassign(case=case, to_user=target, by=by, reason=reason)


def window_prefill(*, applicant, version, raw_answers: dict) -> dict:
    """Step 2 of a window intake: the situation answers checked (``InvalidAnswers``
    naming each question otherwise) and the form prefilled from government data. Returns
    what the window keeps for step 3: the answers and what prefill found."""
    compiled = compiled_version(version=version)
    answers, errors = situations.check_answers(compiled.questions, raw_answers)
    if errors:
        raise InvalidAnswers(errors)
    form = form_for(version=version, answers=answers)
    outcome = run_prefill(applicant=applicant, form=form, materials=notice_materials(version, answers))
    return {
        "answers": answers,
        "prefill": {
            "values": outcome.values,
            "sources": outcome.sources,
            "materials": outcome.materials,
            "identities": outcome.identities,
            "notice": outcome.notice if outcome.unavailable else "",
        },
    }


def window_uploads(*, applicant, files: dict, decisions) -> tuple[dict[str, int], dict[str, str]]:
    """Files the clerk scanned for materials the applicant brings, stored as the applicant's
    uploads: (material key -> upload id, material key -> why a file was refused). A file
    for a material the government holds is ignored."""
    bring = {d.key for d in decisions if d.can_upload}
    stored, refused = {}, {}
    for key, file in files.items():
        if key not in bring:
            continue
        try:
            stored[key] = upload_create(owner=applicant, file=file).pk
        except UploadRejected as rejected:
            refused[key] = rejected.message
    return stored, refused


def window_submit(
    *,
    clerk,
    applicant,
    version,
    answers: dict,
    values: dict,
    checklist: dict[str, Decision],
    decisions,
    upload_ids: dict[str, int],
) -> Case:
    """Step 3: ``window_intake`` with the e-licences prefill found (where the clerk kept
    them) and the uploads made at the desk."""
    elicences = {
        d.key: {"licence_number": d.given.get("licence_number", ""), "holder": d.holder}
        for d in decisions
        if d.source == "elicence"
        and (d.key not in checklist or checklist[d.key].outcome == MaterialCheck.Outcome.ELICENCE)
    }
    uploads = Upload.objects.in_bulk(list(upload_ids.values()))
    return window_intake(
        clerk=clerk,
        applicant=applicant,
        version=version,
        raw_answers=answers,
        raw_data=values,
        checklist=checklist,
        uploads={key: uploads[pk] for key, pk in upload_ids.items() if pk in uploads},
        elicences=elicences,
    )


def credit_status(*, applicant) -> str:
    """The applicant's credit record as the window shows it: "clear", "dishonest" (no
    deferral for them), or "unknown" when the data hub cannot say."""
    dishonest = applicant_dishonest(id_number=applicant.id_number or "")
    if dishonest is None:
        return "unknown"
    return "dishonest" if dishonest else "clear"


def deferred_supply_at_window(*, check: MaterialCheck, by, file=None) -> MaterialCheck:
    """A deferred material handed in at the window, with the scan (if any) stored as the
    applicant's upload (``UploadRejected`` if the file is refused)."""
    upload = upload_create(owner=check.case.applicant, file=file) if file is not None else None
    return deferred_supply(check=check, by=by, upload=upload)
