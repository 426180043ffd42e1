"""Administrative changes made in the Django admin become audit events.

Every ModelAdmin records what it does through a few hooks: ``log_addition``,
``log_change`` and ``log_deletions`` (which also write the admin's own LogEntry history)
and the actions it offers (``get_actions``). :func:`install` wraps those hooks once, on the
ModelAdmin base class, from ``OversightConfig.ready()``; so every admin of the project,
present or future, is audited without opting in:

* ``admin.add``    after = the new object's fields;
* ``admin.change`` before / after = the changed fields' old and new values (taken from the
  form in ``save_form``), note = the admin's change message;
* ``admin.delete`` before = the object's fields (logged just before the deletion);
* ``admin.action`` after = the action's name, the model and the selected primary keys
  (the built-in "delete selected" is left to ``admin.delete``, one event per object).

Custom admin views record their writes with ``self.log_addition`` / ``self.log_change``
(the catalogue's import and the calendar's year entry do), and so are audited too. Values
of fields whose name says they are secret (password, secret, token) are never stored.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import re
import uuid
from typing import Any

from django.contrib.admin import ModelAdmin
from django.contrib.admin.models import LogEntry
from django.db import models

from onething.oversight import audit

SECRET_FIELD = re.compile(r"password|secret|token", re.IGNORECASE)
HIDDEN = "***"
MAX_TEXT = 300
MAX_KEYS = 200
_INSTALLED = "_oversight_audited"


def jsonable(value: Any, depth: int = 0) -> Any:
    """A JSON-safe, bounded copy of a field value: objects become their primary keys,
    dates ISO strings, long texts and big structures are cut."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else f"{value[:MAX_TEXT]}…（{len(value)}）"
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID, datetime.timedelta)):
        return str(value)
    if isinstance(value, models.QuerySet):
        return [jsonable(v, depth + 1) for v in value[:MAX_KEYS]]
    if hasattr(value, "name") and hasattr(value, "storage"):  # a FieldFile
        return value.name or ""
    if depth > 4:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())[:MAX_KEYS]
        return {str(k): jsonable(v, depth + 1) for k, v in items}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v, depth + 1) for v in list(value)[:MAX_KEYS]]
    return jsonable(str(value), depth + 1)


def _field_value(name: str, value: Any) -> Any:
    if SECRET_FIELD.search(name):
        return HIDDEN if value not in (None, "") else value
    return jsonable(value)


def snapshot(obj: models.Model) -> dict:
    """The object's own columns (not its many-to-many relations), secrets hidden."""
    return {f.attname: _field_value(f.name, getattr(obj, f.attname, None)) for f in obj._meta.concrete_fields}


def _case_number(obj: models.Model) -> str:
    """The case an object belongs to, so the event is found by case number."""
    from onething.cases.models import Case

    if isinstance(obj, Case):
        return obj.number
    if getattr(obj, "case_id", None):
        case = getattr(obj, "case", None)
        return getattr(case, "number", "") or ""
    return ""


def _key(obj: models.Model) -> tuple[str, str]:
    return (obj._meta.label, str(obj.pk))


def _message(entry: Any, message: Any) -> str:
    if isinstance(entry, LogEntry):
        return entry.get_change_message()
    return message if isinstance(message, str) else ""


def _record(*, action: str, request, obj: models.Model, before=None, after=None, note: str = "") -> None:
    audit.record(
        action=action,
        actor=getattr(request, "user", None),
        case_number=_case_number(obj),
        obj=obj,
        before=before,
        after=after,
        note=note[:2000],
    )


def _wrap_save_form(original):
    @functools.wraps(original)
    def save_form(self, request, form, change):
        if change and form.instance.pk is not None:
            names = [n for n in form.changed_data if n in form.fields]
            stash = getattr(request, "_oversight_admin_changes", None)
            if stash is None:
                stash = request._oversight_admin_changes = {}
            stash[_key(form.instance)] = (
                {n: _field_value(n, form.initial.get(n)) for n in names},
                {n: _field_value(n, form.cleaned_data.get(n)) for n in names},
            )
        return original(self, request, form, change)

    return save_form


def _wrap_log_addition(original):
    @functools.wraps(original)
    def log_addition(self, request, obj, message):
        entry = original(self, request, obj, message)
        _record(action="admin.add", request=request, obj=obj, after=snapshot(obj), note=_message(entry, message))
        return entry

    return log_addition


def _wrap_log_change(original):
    @functools.wraps(original)
    def log_change(self, request, obj, message):
        entry = original(self, request, obj, message)
        stash = getattr(request, "_oversight_admin_changes", {}) or {}
        before, after = stash.pop(_key(obj), (None, None))
        _record(
            action="admin.change", request=request, obj=obj, before=before, after=after, note=_message(entry, message)
        )
        return entry

    return log_change


def _wrap_log_deletions(original):
    @functools.wraps(original)
    def log_deletions(self, request, queryset):
        objects = list(queryset)
        entries = original(self, request, objects)
        for obj in objects:
            _record(action="admin.delete", request=request, obj=obj, before=snapshot(obj), note=str(obj)[:200])
        return entries

    return log_deletions


MAX_SELECTED = 500


def _audited_action(func, name: str):
    @functools.wraps(func)
    def action(modeladmin, request, queryset):
        selected = list(queryset.values_list("pk", flat=True)[: MAX_SELECTED + 1])
        response = func(modeladmin, request, queryset)
        audit.record(
            action="admin.action",
            actor=request.user,
            after={
                "action": name,
                "model": modeladmin.model._meta.label,
                "selected": [jsonable(pk) for pk in selected[:MAX_SELECTED]],
                "more": len(selected) > MAX_SELECTED,
            },
            note=f"{modeladmin.model._meta.verbose_name}: {name}",
        )
        return response

    return action


def _wrap_get_actions(original):
    @functools.wraps(original)
    def get_actions(self, request):
        actions = original(self, request)
        return {
            name: (func if name == "delete_selected" else _audited_action(func, name), name_, description)
            for name, (func, name_, description) in actions.items()
        }

    return get_actions


def install() -> None:
    """Wrap the ModelAdmin hooks (once, however often ``ready()`` runs)."""
    if getattr(ModelAdmin, _INSTALLED, False):
        return
    ModelAdmin.save_form = _wrap_save_form(ModelAdmin.save_form)
    ModelAdmin.log_addition = _wrap_log_addition(ModelAdmin.log_addition)
    ModelAdmin.log_change = _wrap_log_change(ModelAdmin.log_change)
    ModelAdmin.log_deletions = _wrap_log_deletions(ModelAdmin.log_deletions)
    ModelAdmin.get_actions = _wrap_get_actions(ModelAdmin.get_actions)
    setattr(ModelAdmin, _INSTALLED, True)
