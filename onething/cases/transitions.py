"""The case state machine. Every state change of a Case happens here, in a transaction
that also writes the audit event, so the trail and the state can never disagree.

Issue by issue the machine grows: submitted (here) → accepted / returned / refused
(intake) → processing → concluded (processing, issuance).
"""

from django.db import transaction

from onething.cases.models import Case, CaseMaterial
from onething.cases.numbering import next_case_number
from onething.oversight import audit


@transaction.atomic
def case_submit(
    *,
    applicant,
    version,
    answers: dict,
    data: dict,
    materials: list[CaseMaterial],
    channel: str,
    idempotency_key: str,
    field_count: int,
    prefilled_count: int,
    first_time_right: bool,
    actor=None,
) -> Case:
    """Create a case in state ``submitted`` with its materials; one audit event."""
    case = Case.objects.create(
        number=next_case_number(bundle_code=version.bundle.code),
        version=version,
        applicant=applicant,
        channel=channel,
        state=Case.State.SUBMITTED,
        answers=answers,
        data=data,
        field_count=field_count,
        prefilled_count=prefilled_count,
        first_time_right=first_time_right,
        idempotency_key=idempotency_key,
    )
    for material in materials:
        material.case = case
    CaseMaterial.objects.bulk_create(materials)
    audit.record(
        action="case.submitted",
        actor=actor or applicant,
        case_number=case.number,
        obj=case,
        before=None,
        after={"state": case.state, "channel": channel, "version": version.number},
    )
    return case
