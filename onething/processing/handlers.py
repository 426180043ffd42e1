"""What processing takes over from intake (onething/common/events.py), subscribed in
ProcessingConfig.ready(). Each handler calls a service by the module's attribute, so a test
that patches the service patches the handover too."""

from onething.cases.models import Case
from onething.common.events import CaseAccepted, DeferralRefused, DeferralsSettled
from onething.processing import services
from onething.processing.models import ItemCase


def _case(event) -> Case:
    return event.case if event.case is not None else Case.objects.get(pk=event.case_id)


def split_accepted_case(event: CaseAccepted) -> list[ItemCase]:
    """一网办理 starts at acceptance: one item case per item, dispatched after commit."""
    return services.case_split(case=_case(event))


def conclude_held_case(event: DeferralsSettled) -> None:
    """A conclusion held for a deferred material goes ahead if the item cases are done."""
    services.case_conclude_if_done(case=_case(event))


def refuse_items(event: DeferralRefused) -> list[ItemCase]:
    """Answers the publisher with the item cases refused."""
    return services.items_refuse_for_deferral(
        case=_case(event), item_codes=set(event.item_codes), reason=event.reason, actor=event.actor
    )
