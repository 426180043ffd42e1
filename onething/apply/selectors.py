"""Reads of 一表申请: the merged form and materials for a draft, a user's own drafts and
cases. Access is always scoped to the requesting user."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from onething.apply.form import MergedForm, build_merged_form
from onething.apply.materials import draft_decisions
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


def missing_required_materials(*, draft: Draft) -> list[NoticeMaterial]:
    """The draft's required material lines that nothing stands for: not held by the
    government (an e-licence of the right holder, shared data), not uploaded, not declared
    deferred (容缺) or pledged (告知承诺). A case submitted with any of them is not right
    first time (docs/dashboard.md). Reads the one material decision."""
    return [decision.line for decision in draft_decisions(draft) if decision.missing]


def drafts_of(*, user) -> QuerySet[Draft]:
    """The user's open drafts (not yet submitted, not expired)."""
    return (
        Draft.objects.filter(applicant=user, case__isnull=True, expires_at__gte=timezone.now())
        .select_related("version__bundle", "applicant")  # the applicant's identity resolves holders
        .defer("version__snapshot")  # the compiled definition is cached per process
        .order_by("-updated_at")
    )


def open_draft_for(*, user, version: BundleVersion) -> Draft | None:
    """The user's most recently saved open draft of this bundle version, if any: 在线申请
    resumes it instead of starting another."""
    return drafts_of(user=user).filter(version=version).first()


@dataclass(frozen=True)
class DraftSummary:
    """One line of "我的申请" for an open draft."""

    draft: Draft
    answer_lines: list[tuple[str, str]]
    required_filled: int
    required_count: int
    materials_given: int
    materials_count: int


def draft_summaries(*, user) -> list[DraftSummary]:
    """The user's open drafts with what is done: the situation in words, required fields
    filled, materials to bring that are attached (uploaded, e-licence, 容缺 or 承诺)."""
    from onething.notice import presentation

    summaries = []
    for draft in drafts_of(user=user):
        form = form_for(version=draft.version, answers=draft.answers)
        required = [f.key for f in form.fields if f.required]
        bring = [m.key for m in notice_materials(draft.version, draft.answers) if m.bring]
        summaries.append(
            DraftSummary(
                draft=draft,
                answer_lines=presentation.answer_lines(compiled_for(version=draft.version), draft.answers),
                required_filled=sum(1 for key in required if draft.data.get(key) not in (None, "")),
                required_count=len(required),
                materials_given=sum(1 for key in bring if key in draft.materials),
                materials_count=len(bring),
            )
        )
    return summaries


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
