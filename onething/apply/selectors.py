"""Reads of 一表申请: the merged form and materials for a draft, a user's own drafts and
cases. Access is always scoped to the requesting user."""

from django.db.models import QuerySet
from django.utils import timezone

from onething.apply.form import MergedForm, build_merged_form
from onething.apply.models import Draft
from onething.cases.models import Case
from onething.catalog.models import BundleVersion
from onething.notice.engine import CompiledBundle, NoticeMaterial
from onething.notice.selectors import compiled_version, version_notice


def compiled_for(*, version: BundleVersion) -> CompiledBundle:
    return compiled_version(version=version)


def form_for(*, version: BundleVersion, answers: dict) -> MergedForm:
    return build_merged_form(compiled=compiled_version(version=version), answers=answers)


def notice_materials(version: BundleVersion, answers: dict) -> list[NoticeMaterial]:
    """The situation's material lines (shared, read-only: see notice.selectors.version_notice)."""
    return version_notice(version=version, answers=answers).materials


def drafts_of(*, user) -> QuerySet[Draft]:
    """The user's open drafts (not yet submitted, not expired)."""
    return (
        Draft.objects.filter(applicant=user, case__isnull=True, expires_at__gte=timezone.now())
        .select_related("version__bundle")
        .defer("version__snapshot")  # the compiled definition is cached per process
        .order_by("-updated_at")
    )


def draft_of(*, user, draft_id) -> Draft:
    """One open draft of the user; Draft.DoesNotExist otherwise (others' drafts are 404)."""
    return drafts_of(user=user).get(pk=draft_id)


def submittable_draft(*, user, draft_id) -> Draft | None:
    """One draft of the user to submit, open or already submitted (submitting is
    idempotent), with what submission reads: its case, version and applicant."""
    return (
        Draft.objects.filter(applicant=user, pk=draft_id)
        .select_related("case", "version__bundle", "applicant")
        .defer("version__snapshot")
        .first()
    )


def cases_of(*, user) -> QuerySet[Case]:
    return (
        Case.objects.filter(applicant=user)
        .select_related("version__bundle")
        .defer("version__snapshot")
        .order_by("-submitted_at")
    )


def case_of(*, user, number: str) -> Case:
    """One case of the user; Case.DoesNotExist otherwise (others' cases are 404)."""
    return cases_of(user=user).prefetch_related("materials").get(number=number)


def missing_materials(draft: Draft) -> list[NoticeMaterial]:
    """Required materials the applicant still has to supply for this draft: lines they bring
    (the government does not hold them) with nothing given yet: no upload, no e-licence, no
    request for 容缺 or 告知承诺. They do not block submission (pre-review names them); the
    form shows them as problems to fix. The one place that decides it, so it can change alone."""
    return [
        line
        for line in notice_materials(draft.version, draft.answers)
        if line.bring and line.required and not (draft.materials.get(line.key) or {}).get("source")
    ]
