"""Reads of intake: who is a clerk, a centre's queue, a case a clerk may see, the
material requirements and checklist of a case."""

from django.db.models import QuerySet

from onething.cases.models import Case
from onething.intake.models import Clerk, ServiceCentre
from onething.notice.engine import CompiledBundle, NoticeMaterial
from onething.notice.selectors import compiled_version, version_notice

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
