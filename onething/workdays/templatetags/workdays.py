"""``{% workday_schedule_warning %}``: the banner telling administrators that the holiday
schedule ends within 60 days (or has ended) and the next year must be entered. Shown on
the admin index and the oversight dashboard; renders nothing when there is no warning."""

from django import template

from onething.workdays.selectors import schedule_warning

register = template.Library()


@register.inclusion_tag("workdays/schedule_warning.html")
def workday_schedule_warning() -> dict:
    return {"warning": schedule_warning()}
