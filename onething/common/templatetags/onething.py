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


@register.inclusion_tag("includes/error_summary.html")
def error_summary(form=None, problems=None, summary_id: str = "form-errors") -> dict:
    """The error summary at the top of a form: "共有 N 处需要修改", then one link per problem.

    ``{% error_summary form %}`` for a Django form (each field error links to its field's id);
    ``{% error_summary problems=list %}`` for anything else, each problem an ``(anchor, text)``
    pair (anchor: the id of the field to fix, or "" for a problem with no field); both may be
    given. Nothing is shown when there is no problem."""
    lines: list[tuple[str, str]] = []
    if form is not None and getattr(form, "is_bound", False):
        lines += [("", str(error)) for error in form.non_field_errors()]
        for name in form.fields:
            for error in form.errors.get(name, []):
                bound = form[name]
                lines.append((bound.id_for_label, f"{bound.label}：{error}"))
    for anchor, text in problems or []:
        lines.append((anchor or "", str(text)))
    return {"lines": lines, "count": len(lines), "summary_id": summary_id}
