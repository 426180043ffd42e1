"""What issuance takes over from the stages before it (onething/common/events.py), subscribed
in IssuanceConfig.ready(). Each handler calls a service by the module's attribute, so a test
that patches the service patches the handover too."""

from onething.cases.models import Case
from onething.common.events import CaseConcluded, CaseSubmitted, DeferralsSettled, ItemCaseApproved, ItemCaseRevoked
from onething.issuance import services
from onething.processing.models import ItemCase


def _case(event) -> Case:
    return event.case if event.case is not None else Case.objects.get(pk=event.case_id)


def _item_case(event) -> ItemCase:
    if event.item_case is not None:
        return event.item_case
    return ItemCase.objects.select_related("case__applicant", "department").get(pk=event.item_case_id)


def record_delivery(event: CaseSubmitted) -> None:
    """The delivery choice made in the application form becomes the case's Delivery."""
    services.delivery_record(case=_case(event), actor=event.actor)


def issue_licence(event: ItemCaseApproved) -> None:
    """The certificate of an approved item goes on the case, collected after commit."""
    services.licence_from_approval(item_case=_item_case(event))


def withdraw_licence(event: ItemCaseRevoked) -> None:
    services.licence_withdraw(item_case=_item_case(event), actor=event.actor, reason=event.reason)


def release_held_licences(event: DeferralsSettled) -> None:
    """No deferred material is outstanding: register the licences held until now."""
    services.release_held(case=_case(event))


def tell_concluded(event: CaseConcluded) -> None:
    case = _case(event)
    item_cases = list(event.item_cases) or list(ItemCase.objects.filter(case=case).order_by("pk"))
    services.conclusion_notify(case=case, item_cases=item_cases, all_approved=event.all_approved)
