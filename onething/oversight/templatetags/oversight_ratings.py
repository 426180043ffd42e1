"""The citizen's rating panel (好差评) for the case page:
``{% load oversight_ratings %}{% case_rating_panel case user %}``."""

from django import template

from onething.oversight.rating_selectors import rating_panel

register = template.Library()


@register.inclusion_tag("oversight/ratings/panel.html", takes_context=True)
def case_rating_panel(context, case, user) -> dict:
    """Rating forms (one per target), current ratings with their edit-until time, and the
    applicant's rectifications with confirm / reject buttons. Renders nothing for anyone
    but the applicant, or before the case has concluded."""
    panel = rating_panel(case=case, user=user)
    panel["csrf_token"] = context.get("csrf_token")
    return panel
