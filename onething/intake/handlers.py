"""What intake takes over from the stage before it (onething/common/events.py), subscribed in
IntakeConfig.ready(). Each handler calls a service by the module's attribute, so a test that
patches the service patches the handover too."""

from onething.cases.models import Case
from onething.common.events import CaseSubmitted
from onething.intake import services


def route_submitted_case(event: CaseSubmitted) -> None:
    """A case submitted online goes to the centre responsible for its bundle (one filed at
    a window is routed to that window's centre before it is published)."""
    case = event.case if event.case is not None else Case.objects.get(pk=event.case_id)
    if case.centre_id is None:
        services.route_submitted_case(case=case)
