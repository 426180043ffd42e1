"""Reads of 统一发证: the outcome of each item of a case, who may see or hand over results."""

from dataclasses import dataclass

from onething.cases.models import Case
from onething.issuance.models import Delivery, IssuedLicence
from onething.processing.models import ItemCase

CONCLUDED = {Case.State.CONCLUDED, Case.State.PARTIALLY_CONCLUDED}


@dataclass(frozen=True)
class ItemOutcome:
    item_name: str
    department: str
    state: str
    state_label: str
    approved: bool
    reason: str
    concluded_at: object
    licence: IssuedLicence | None


def case_outcomes(*, case: Case) -> list[ItemOutcome]:
    """Every item case of the case in order, with its licence if one was issued."""
    licences = {lic.item_case_id: lic for lic in handed_licences(case=case)}
    item_cases = ItemCase.objects.filter(case=case).select_related("department").order_by("pk")
    return [
        ItemOutcome(
            item_name=ic.item_name,
            department=ic.department.name,
            state=ic.state,
            state_label=ic.get_state_display(),
            approved=ic.state == ItemCase.State.APPROVED,
            reason=ic.reason,
            concluded_at=ic.concluded_at,
            licence=licences.get(ic.pk),
        )
        for ic in item_cases
    ]


def handed_licences(*, case: Case):
    """The case's licences that go to the applicant: not those withdrawn because their item
    was refused (a deferred material never supplied)."""
    return IssuedLicence.objects.filter(case=case).exclude(registration=IssuedLicence.Registration.WITHDRAWN)


def results_ready(*, case: Case) -> bool:
    """Concluded: a case with a deferred material outstanding does not conclude, so its
    results stay held until the material is supplied or the clerk decides."""
    return case.state in CONCLUDED


def delivery_of(*, case: Case) -> Delivery | None:
    return (
        Delivery.objects.filter(case=case)
        .select_related("centre", "case__centre", "handed_over_by", "mailed_by")
        .first()
    )


def licence_of(*, case: Case, licence_id: int) -> IssuedLicence:
    """A licence of this case; DoesNotExist for anything else (404, never someone else's)."""
    return handed_licences(case=case).select_related("case").get(pk=licence_id)


def handover_case(*, clerk, number: str) -> Case:
    """A concluded case a clerk may hand over: pickup at the clerk's centre, or mail sent
    by the centre that accepted it. Case.DoesNotExist otherwise (404)."""
    case = Case.objects.select_related("applicant", "centre", "version__bundle").get(number=number, state__in=CONCLUDED)
    delivery = delivery_of(case=case)
    centre_id = clerk.centre_id
    if delivery is not None and delivery.method == Delivery.Method.PICKUP and delivery.centre_id == centre_id:
        return case
    if case.centre_id == centre_id:
        return case
    raise Case.DoesNotExist
