"""Reads of intake: who is a clerk, a centre's queue, a case a clerk may see, the
material requirements and checklist of a case."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from onething.apply import materials as material_rules
from onething.apply.form import MergedField, MergedForm
from onething.apply.selectors import form_for
from onething.cases.models import Case, CaseMaterial
from onething.common.i18n import pick
from onething.identity.masking import mask_id_number
from onething.intake.materials import Decision
from onething.intake.models import Clerk, MaterialCheck, ServiceCentre
from onething.notice import presentation
from onething.notice.engine import CompiledBundle, NoticeMaterial
from onething.notice.selectors import compiled_version, version_notice
from onething.workdays.services import DueDate

REQUEST_CLERK = "_request_clerk"  # attribute of a request's user: its clerk record, read once per request


def clerk_of(user) -> Clerk | None:
    """The user's clerk record, or None for anyone who is not a window clerk. Within an API
    request the permission check has read it already (``remember_clerk``): not read again."""
    if not getattr(user, "is_authenticated", False):
        return None
    remembered = getattr(user, REQUEST_CLERK, None)
    if remembered is not None:
        return remembered
    return Clerk.objects.filter(user=user).select_related("centre").first()


def remember_clerk(user) -> Clerk | None:
    """clerk_of, kept on this user object for the rest of the request. Only for the user
    object of one web request (made afresh for each): a long-lived object would keep a
    clerk record that has since changed."""
    record = clerk_of(user)
    if record is not None:
        setattr(user, REQUEST_CLERK, record)
    return record


def clerk_reads_upload(user, upload) -> bool:
    """An upload reader (onething/apply/uploads.py, registered by IntakeConfig): window clerks
    of a centre read the files of that centre's cases, as a case material or a supplied
    deferred material (uploaded by the applicant, or by the clerk at the window)."""
    from django.db.models import Q

    clerk = clerk_of(user)
    if clerk is None:
        return False
    return Case.objects.filter(
        Q(materials__upload=upload) | Q(material_checks__supplied_upload=upload), centre=clerk.centre
    ).exists()


def responsible_centre(*, bundle) -> ServiceCentre | None:
    """The first centre (by code) handling the bundle, else the default centre."""
    return (
        ServiceCentre.objects.filter(bundles=bundle).order_by("code").first()
        or ServiceCentre.objects.filter(is_default=True).order_by("code").first()
    )


def centre_cases(*, clerk: Clerk) -> QuerySet[Case]:
    return (
        Case.objects.filter(centre=clerk.centre)
        .select_related("version__bundle", "applicant", "owner")
        .defer("version__snapshot")  # the compiled definition is cached per process
    )


def prereview_queue(*, clerk: Clerk) -> QuerySet[Case]:
    """Cases of the clerk's centre waiting for pre-review, oldest first."""
    return centre_cases(clerk=clerk).filter(state=Case.State.SUBMITTED).order_by("submitted_at")


def case_for_clerk(*, clerk: Clerk, number: str) -> Case:
    """A case of the clerk's centre; Case.DoesNotExist for any other (404, not 403)."""
    return centre_cases(clerk=clerk).prefetch_related("materials", "material_checks", "corrections").get(number=number)


def case_compiled(case: Case) -> CompiledBundle:
    return compiled_version(version=case.version)


def requirements(case: Case) -> list[NoticeMaterial]:
    """The materials the case's situation requires (deduplicated, as in the notice)."""
    return version_notice(version=case.version, answers=case.answers).materials


def committed_days(case: Case) -> dict[str, int]:
    compiled = case_compiled(case)
    return {code: item["committed_days"] for code, item in compiled.items.items()}


def bundle_days(case: Case) -> int:
    """Working days along the critical path of the case's applicable items."""
    return version_notice(version=case.version, answers=case.answers).bundle_days


# --- deferred materials (容缺) ------------------------------------------------------------


@dataclass(frozen=True)
class OutstandingDeferral:
    """A deferred material not yet supplied nor decided: what, by when, for which items."""

    check: MaterialCheck
    due_date: date | None
    item_codes: tuple[str, ...]
    item_names: tuple[str, ...]
    overdue: bool  # past its deadline: the owning clerk decides (extend once, or refuse the items)
    extended: bool  # the one extension was given already

    @property
    def name(self) -> str:
        return self.check.name

    @property
    def key(self) -> str:
        return self.check.key


def outstanding_checks_all() -> QuerySet[MaterialCheck]:
    """Deferred materials neither supplied nor decided (refused), of every case."""
    return MaterialCheck.objects.filter(
        outcome=MaterialCheck.Outcome.DEFERRED, supplied_at__isnull=True, refused_at__isnull=True
    )


def outstanding_checks(case: Case) -> QuerySet[MaterialCheck]:
    """Deferred materials of the case neither supplied nor decided (refused)."""
    return outstanding_checks_all().filter(case=case)


def has_outstanding_deferrals(case: Case) -> bool:
    """While True, departments go on but results are held and the case does not conclude."""
    return outstanding_checks(case).exists()


def outstanding_deferrals(case: Case, *, today: date | None = None) -> list[OutstandingDeferral]:
    """Every outstanding deferral of the case, earliest deadline first, with the items that
    need the material (the ones a refusal would refuse)."""
    checks = list(outstanding_checks(case).order_by("due_date", "pk"))
    if not checks:
        return []
    today = today or timezone.localdate()
    compiled = case_compiled(case)
    needed_by = deferral_items(case)
    return [
        OutstandingDeferral(
            check=check,
            due_date=check.due_date,
            item_codes=needed_by.get(check.key, ()),
            item_names=tuple(compiled.items.get(code, {}).get("name", code) for code in needed_by.get(check.key, ())),
            overdue=bool(check.due_date and check.due_date < today),
            extended=check.extended_at is not None,
        )
        for check in checks
    ]


def deferral_items(case: Case) -> dict[str, tuple[str, ...]]:
    """Material key -> the codes of the case's items that need it (from the case's notice,
    so the same for online and window cases)."""
    return {m.key: tuple(m.needed_by) for m in requirements(case)}


def deferral_limit(case: Case, *, key: str) -> DueDate | None:
    """The latest deadline a deferred material can be given: the shortest statutory time
    limit (法定时限) of the items needing it, counted in working days from acceptance
    (provisional where it reaches a year without a holiday schedule)."""
    from onething.workdays.services import due_after

    compiled = case_compiled(case)
    codes = deferral_items(case).get(key, ())
    days = [compiled.items[code]["statutory_days"] for code in codes if code in compiled.items]
    if not days or case.accepted_at is None:
        return None
    return due_after(start=timezone.localdate(case.accepted_at), days=min(days))


# --- the console's pages: what a clerk reviews (受理台) ------------------------------------------
# Typed reads composed by the views of onething/intake/views.py; no form state here.


@dataclass(frozen=True)
class OwnedCase:
    """An accepted case of the clerk's, still running (首问负责): its deferrals to watch."""

    case: Case
    applicant_id: str
    pending: list[MaterialCheck]
    overdue: bool


#: Accepted cases still running: the first-contact owner follows them to the end.
IN_PROGRESS = (Case.State.ACCEPTED, Case.State.PROCESSING, Case.State.PARTIALLY_CONCLUDED)


def is_pending(check: MaterialCheck) -> bool:
    """A deferred material neither supplied nor decided yet."""
    return check.outcome == MaterialCheck.Outcome.DEFERRED and check.supplied_at is None and check.refused_at is None


def is_late(check: MaterialCheck, *, today: date) -> bool:
    """Past its deadline (flagged overdue, or the date has passed unsupplied) and undecided."""
    if check.refused_at is not None:
        return False
    return check.overdue or bool(check.due_date and check.due_date < today and check.supplied_at is None)


def owned_in_progress(*, clerk: Clerk, user, today: date, limit: int) -> list[OwnedCase]:
    """The user's own accepted cases still running, the overdue first, then by due date."""
    owned = (
        centre_cases(clerk=clerk)
        .filter(owner=user, accepted_at__isnull=False, state__in=IN_PROGRESS)
        .prefetch_related("material_checks")
        .order_by("-deferral_overdue", "due_date", "-accepted_at")
    )
    rows = []
    for case in owned[:limit]:
        pending = [check for check in case.material_checks.all() if is_pending(check)]
        rows.append(
            OwnedCase(
                case=case,
                applicant_id=mask_id_number(case.applicant.id_number),
                pending=pending,
                overdue=case.deferral_overdue or any(c.overdue or (c.due_date and c.due_date < today) for c in pending),
            )
        )
    return rows


def display_value(merged_field: MergedField, value) -> str:
    """A form value as the clerk reads it: yes/no, an enum's label, else the text."""
    if value is None or value == "":
        return ""
    if merged_field.type == "boolean":
        return gettext("是") if value is True or value == "true" else gettext("否")
    if merged_field.type == "enum":
        for choice in merged_field.choices:
            if choice["value"] == value:
                return pick(choice["label"], choice.get("label_en"))
    return str(value)


@dataclass(frozen=True)
class DataRow:
    field: MergedField
    value: str


@dataclass(frozen=True)
class MaterialRow:
    """A required material of the case: what the applicant gave, the one material decision
    (onething/apply/materials.py), its notes and the items needing it."""

    line: NoticeMaterial
    given: CaseMaterial | None
    decision: material_rules.MaterialDecision | None
    notes: list[str]
    items: list[str]


@dataclass(frozen=True)
class CheckRow:
    """A recorded material check; ``pending``: a deferral still to supply; ``late``: past due."""

    check: MaterialCheck
    pending: bool
    late: bool
    focus: bool = False


@dataclass(frozen=True)
class CaseReview:
    """Everything the case page shows about a case, apart from the forms."""

    case: Case
    applicant_id: str
    form: MergedForm
    requirements: list[NoticeMaterial]
    answer_lines: list[tuple[str, str]]
    data_steps: list[tuple[str, list[DataRow]]]
    materials: list[MaterialRow]
    checks: list[CheckRow]
    deferrals: list[OutstandingDeferral]
    key_options: dict[str, list[tuple[str, str]]]

    @property
    def awaiting_prereview(self) -> bool:
        return self.case.state == Case.State.SUBMITTED

    @property
    def material_by_key(self) -> dict[str, MaterialRow]:
        return {row.line.key: row for row in self.materials}

    @property
    def optional_materials(self) -> list[MaterialRow]:
        return [row for row in self.materials if not row.line.required]

    @property
    def first_pending_check(self) -> MaterialCheck | None:
        return next((row.check for row in self.checks if row.pending), None)


def case_data_steps(case: Case, form: MergedForm) -> list[tuple[str, list[DataRow]]]:
    """The case's data in the form's steps, only what was filled in."""
    filled = {key: value for key, value in case.data.items() if value not in (None, "")}
    return [
        (label, [DataRow(f, display_value(f, filled[f.key])) for f in fields if f.key in filled])
        for _key, label, fields in form.steps
    ]


def case_material_rows(case: Case, compiled: CompiledBundle, lines: list[NoticeMaterial]) -> list[MaterialRow]:
    given = {m.key: m for m in case.materials.all()}
    decisions = {d.key: d for d in material_rules.case_decisions(case)}
    return [
        MaterialRow(
            line=m,
            given=given.get(m.key),
            decision=decisions.get(m.key),
            notes=presentation.material_notes(m, held=decisions[m.key].held if m.key in decisions else None),
            items=presentation.item_names(compiled, m.needed_by),
        )
        for m in lines
    ]


def case_check_rows(case: Case, *, today: date) -> list[CheckRow]:
    return [
        CheckRow(check=check, pending=is_pending(check), late=is_late(check, today=today))
        for check in case.material_checks.all().order_by("pk")
    ]


def correction_key_options(form: MergedForm, lines: list[NoticeMaterial]) -> dict[str, list[tuple[str, str]]]:
    """What a return for correction may name: the form's fields and the case's materials."""
    return {
        "fields": [(f"field:{f.key}", pick(f.label, f.label_en)) for f in form.fields],
        "materials": [(f"material:{m.key}", pick(m.name, m.name_en)) for m in lines],
    }


def case_review(*, case: Case, today: date | None = None) -> CaseReview:
    """The case page's reads, each from the one place that decides it."""
    today = today or timezone.localdate()
    compiled = case_compiled(case)
    form = form_for(version=case.version, answers=case.answers)
    lines = requirements(case)
    return CaseReview(
        case=case,
        applicant_id=mask_id_number(case.applicant.id_number),
        form=form,
        requirements=lines,
        answer_lines=presentation.answer_lines(compiled, case.answers),
        data_steps=case_data_steps(case, form),
        materials=case_material_rows(case, compiled, lines),
        checks=case_check_rows(case, today=today),
        deferrals=outstanding_deferrals(case, today=today) if case.accepted_at else [],
        key_options=correction_key_options(form, lines),
    )


def reassign_candidates(*, clerk: Clerk, case: Case) -> QuerySet:
    """The other clerks of the centre, who may take the case over."""
    return (
        get_user_model().objects.filter(clerk__centre=clerk.centre).exclude(pk=case.owner_id or 0).order_by("username")
    )


# --- walk-in intake at the window: the material decision for the applicant at the desk ----------


def window_values(*, form: MergedForm, posted, prefill: dict) -> dict:
    """What the clerk typed for the form's fields; government data stays as it came."""
    values = {key: value for key, value in posted.items() if key in form.by_key}
    for key, value in prefill.get("values", {}).items():
        if key in form.by_key and form.by_key[key].authoritative:
            values[key] = value
    return values


def window_decisions(
    *, lines: list[NoticeMaterial], prefill: dict, values: dict, applicant
) -> list[material_rules.MaterialDecision]:
    """The one material decision (onething/apply/materials.py) for the walk-in applicant: an
    e-licence prefill found counts only while it is the holder's named in the form."""
    return material_rules.decide(
        lines=lines,
        given=prefill.get("materials", {}),
        applicant_id=applicant.id_number or "",
        values=values,
        identities=prefill.get("identities", {}),
    )


def window_default_checklist(*, decisions, uploads: dict) -> dict[str, Decision]:
    """What the clerk is likely to record: e-licences found, shared data, uploads made."""
    checklist = {}
    for decision in decisions:
        if decision.source == "elicence":
            checklist[decision.key] = Decision(MaterialCheck.Outcome.ELICENCE)
        elif decision.source == "datahub":
            checklist[decision.key] = Decision(MaterialCheck.Outcome.DATAHUB)
        elif decision.key in uploads:
            checklist[decision.key] = Decision(MaterialCheck.Outcome.UPLOADED)
    return checklist


# --- the queue's search and filters (受理台) ------------------------------------------------------

#: Pre-review should be done within this many working days of submission; a case waiting
#: longer is shown as overdue (预审超时).
PREREVIEW_WORKING_DAYS = 1
QUERY_MAX = 64

#: The state filter: its value → the case states it shows, and its label.
STATE_FILTERS: dict[str, tuple[tuple[str, ...], str]] = {
    "submitted": ((Case.State.SUBMITTED,), "待预审"),
    "returned": ((Case.State.RETURNED,), "退回补正中"),
    "in_progress": (IN_PROGRESS, "办理中"),
    "concluded": ((Case.State.CONCLUDED,), "已办结"),
    "refused": ((Case.State.REFUSED,), "不予受理"),
    "all": ((), "全部"),
}
DEFAULT_STATE = "submitted"
FULL_ID_NUMBER = re.compile(r"^(\d{17}[\dX]|[0-9A-HJ-NPQRTUWXY]{18})$")
MASKED_ID_NUMBER = re.compile(r"^([0-9A-Z]{4})\*{4,}([0-9A-Z]{4})$")


@dataclass(frozen=True)
class QueueFilters:
    """What the clerk searched for: ``query`` (a case number or part of one, an applicant's
    name, a full ID number or its masked form), a bundle code, a state filter, overdue only."""

    query: str = ""
    bundle: str = ""
    state: str = DEFAULT_STATE
    overdue: bool = False

    @property
    def states(self) -> tuple[str, ...]:
        return STATE_FILTERS.get(self.state, STATE_FILTERS[DEFAULT_STATE])[0]


def id_number_lookup(query: str) -> dict[str, str] | None:
    """The applicant lookup an ID number typed in the search makes, or None when the text
    is not one. Only the whole number (exact) or its masked form as the console shows it
    (``3101**********0469``: the visible first and last four) are looked up; digits typed
    from the middle never match, so a search cannot tell a clerk a hidden digit."""
    text = query.strip().upper()
    if FULL_ID_NUMBER.match(text):
        return {"applicant__id_number": text}
    masked = MASKED_ID_NUMBER.match(text)
    if masked:
        return {"applicant__id_number__startswith": masked.group(1), "applicant__id_number__endswith": masked.group(2)}
    return None


def overdue_cutoff(*, today: date) -> date:
    """The latest submission day whose cases are past the pre-review time today."""
    from onething.workdays.services import count_working_days

    day = today
    while count_working_days(start=day, end=today).days <= PREREVIEW_WORKING_DAYS:
        day -= timedelta(days=1)
    return day


def queue_search(*, clerk: Clerk, filters: QueueFilters, today: date) -> QuerySet[Case]:
    """The centre's cases the search and filters find: the pre-review queue oldest first,
    any other state newest first."""
    cases = centre_cases(clerk=clerk)
    if filters.states:
        cases = cases.filter(state__in=filters.states)
    if filters.bundle:
        cases = cases.filter(version__bundle__code=filters.bundle)
    query = filters.query.strip()[:QUERY_MAX]
    if query:
        by_id = id_number_lookup(query)
        if by_id is not None:
            cases = cases.filter(**by_id)
        else:
            cases = cases.filter(Q(number__icontains=query) | Q(applicant__full_name__icontains=query))
    if filters.overdue:
        cutoff = timezone.make_aware(datetime.combine(overdue_cutoff(today=today) + timedelta(days=1), time.min))
        cases = cases.filter(
            Q(state=Case.State.SUBMITTED, submitted_at__lt=cutoff)
            | Q(state__in=IN_PROGRESS, deferral_overdue=True)
            | Q(state__in=IN_PROGRESS, due_date__lt=today)
        )
    if filters.states == (Case.State.SUBMITTED,):
        return cases.order_by("submitted_at", "pk")
    return cases.order_by("-submitted_at", "-pk")


def centre_bundles(*, clerk: Clerk) -> list[tuple[str, str]]:
    """The bundles the clerk's centre handles (code, name), for the bundle filter."""
    return list(clerk.centre.bundles.order_by("code").values_list("code", "name"))


@dataclass(frozen=True)
class Waiting:
    """How long a case has waited since submission: hours the same day, else working days."""

    hours: int
    working_days: int
    overdue: bool

    @property
    def text(self) -> str:
        if self.working_days >= 1:
            return gettext("已等待 %(n)s 个工作日") % {"n": self.working_days}
        if self.hours >= 1:
            return gettext("已等待 %(n)s 小时") % {"n": self.hours}
        return gettext("不到 1 小时")


def waiting_time(case: Case, *, now: datetime) -> Waiting:
    from onething.workdays.services import count_working_days

    since = case.submitted_at
    hours = max(int((now - since).total_seconds() // 3600), 0)
    days = max(count_working_days(start=timezone.localdate(since), end=timezone.localdate(now)).days, 0)
    return Waiting(hours=hours, working_days=days, overdue=days > PREREVIEW_WORKING_DAYS)
