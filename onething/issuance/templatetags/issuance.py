"""``{% case_results_panel case %}``: the results section of the applicant's case page, and
the delivery choice recorded from the application form (shown, changeable, never asked again)."""

from django import template

from onething.intake.models import ServiceCentre
from onething.issuance import selectors

register = template.Library()


@register.inclusion_tag("issuance/_case_results.html", takes_context=True)
def case_results_panel(context, case) -> dict:
    ready = selectors.results_ready(case=case)
    return {
        "request": context.get("request"),
        "csrf_token": context.get("csrf_token"),
        "case": case,
        "ready": ready,
        "outcomes": selectors.case_outcomes(case=case) if ready else [],
        "delivery": selectors.delivery_of(case=case),
        "centres": list(ServiceCentre.objects.order_by("code")),
        "refused": case.state == case.State.REFUSED,
    }
