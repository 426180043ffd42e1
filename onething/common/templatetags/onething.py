"""Template helpers: bilingual catalogue values and a few labels."""

from django import template

from onething.common.access import is_staff_user
from onething.common.i18n import pick

register = template.Library()


@register.simple_tag
def bi(zh: str, en: str | None = None) -> str:
    """The Chinese text, or the English one when the page is English and it exists."""
    return pick(zh or "", en)


@register.filter
def get(mapping: dict, key: str):
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def sees_internals(user) -> bool:
    """``{% if user|sees_internals %}``: internal codes, JSON and API links for staff only."""
    return is_staff_user(user)
