"""What the terminal's pages show, read from the stages below (notice, apply, tracking,
issuance): the bundles as tiles, a notice with what to bring first, the identified
citizen's drafts and cases with their status. Everything about a citizen is scoped to the
account logged in at the terminal (apply's and tracking's selectors); without one, nothing."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from onething.apply import selectors as apply_selectors
from onething.cases.models import Case
from onething.catalog import selectors as catalog_selectors
from onething.catalog.models import BundleVersion
from onething.common.i18n import pick
from onething.issuance import selectors as issuance_selectors
from onething.notice import presentation
from onething.notice import selectors as notice_selectors
from onething.tracking import selectors as tracking_selectors

# The stepper of a case's state: where each state stands on the way to its results.
STEPS = ("submitted", "accepted", "processing", "concluded")
STEP_OF_STATE = {
    Case.State.SUBMITTED: 0,
    Case.State.RETURNED: 0,
    Case.State.REFUSED: 0,
    Case.State.ACCEPTED: 1,
    Case.State.PROCESSING: 2,
    Case.State.PARTIALLY_CONCLUDED: 3,
    Case.State.CONCLUDED: 3,
}


def bundle_tiles() -> list[dict[str, Any]]:
    """The published bundles (一件事目录), one tile each: name, summary, applicant type."""
    return [
        {
            "code": version.bundle.code,
            "name": pick(version.bundle.name, version.bundle.name_en),
            "summary": pick(version.bundle.summary, version.bundle.summary_en),
            "applicant_type": version.bundle.applicant_type,
        }
        for version in catalog_selectors.published_versions()
    ]


def published(*, code: str) -> BundleVersion | None:
    return catalog_selectors.published_version(bundle_code=code)


def bundle_questions(*, version: BundleVersion) -> dict[str, Any]:
    return notice_selectors.bundle_overview(version=version)


def notice_of(*, version: BundleVersion, query: QueryDict) -> dict[str, Any]:
    """The notice for the answers in ``query``: items, then the materials the citizen must
    bring or upload, then those the government already holds. InvalidAnswers if the answers
    do not fit the questions."""
    compiled = notice_selectors.compiled_version(version=version)
    raw = notice_selectors.answers_from_query(compiled=compiled, query=query)
    notice = notice_selectors.notice_for(version=version, raw_answers=raw)

    def line(material) -> dict[str, Any]:
        return {
            "key": material.key,
            "name": pick(material.name, material.name_en),
            "form": presentation.form_label(material.form),
            "copies": material.copies,
            "notes": presentation.material_notes(material),
        }

    return {
        "notice": notice,
        "answer_lines": presentation.answer_lines(compiled, notice.answers),
        "items": [
            {
                "code": item.code,
                "name": pick(item.name, item.name_en),
                "department": pick(item.department.get("name", ""), item.department.get("name_en")),
                "days": item.committed_days,
                "fee": item.fee.get("amount"),
            }
            for item in notice.items
        ],
        "to_bring": [line(m) for m in notice.materials_to_bring],
        "held": [line(m) for m in notice.materials_shared],
    }


def invalid_answers_type() -> type[Exception]:
    return notice_selectors.InvalidAnswers


def my_things(*, user) -> dict[str, Any]:
    """The identified citizen's open drafts and cases (none without an account)."""
    if user is None:
        return {"drafts": [], "cases": []}
    mine = tracking_selectors.my_applications(user=user)
    return {"drafts": mine["drafts"], "cases": [case_line(case) for case in mine["cases"]]}


def case_line(case: Case) -> dict[str, Any]:
    return {
        "case": case,
        "name": pick(case.version.bundle.name, case.version.bundle.name_en),
        "state": case.get_state_display(),
        "step": STEP_OF_STATE.get(case.state, 0),
    }


def case_status(*, user, number: str) -> dict[str, Any]:
    """One case of the identified citizen: its state as a stepper, each item's plain state,
    and which documents can be printed. Case.DoesNotExist for anyone else's."""
    if user is None:
        raise Case.DoesNotExist
    case = tracking_selectors.case_of(user=user, number=number)
    compiled = apply_selectors.compiled_for(version=case.version)
    step = STEP_OF_STATE.get(case.state, 0)
    return {
        **case_line(case),
        "steps": [
            {"key": key, "label": label, "done": index < step, "current": index == step}
            for index, (key, label) in enumerate(zip(STEPS, step_labels(), strict=True))
        ],
        "items": tracking_selectors.item_case_rows(case=case, compiled=compiled),
        "receipt": case.accepted_at is not None,
        "results": issuance_selectors.results_ready(case=case),
        "refused": case.state == Case.State.REFUSED,
        "returned": case.state == Case.State.RETURNED,
    }


def step_labels() -> list[str]:
    from django.utils.translation import gettext as _

    return [_("已提交"), _("已受理"), _("办理中"), _("已办结")]
