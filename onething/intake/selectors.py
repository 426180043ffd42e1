"""Reads of intake: who is a clerk, a centre's queue, a case a clerk may see, the
material requirements and checklist of a case."""

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from onething.cases.models import Case
from onething.intake.models import Clerk, MaterialCheck, ServiceCentre
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
