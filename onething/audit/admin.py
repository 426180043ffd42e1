"""Administrative changes made in the Django admin become audit events.

Every admin of the project subclasses :class:`AuditedModelAdmin` (or :class:`ReadOnlyAdmin`,
for records nobody edits there); ``tests/oversight/test_audit_trail.py`` fails when an admin
registered on the site does not. The class records what the admin does through the hooks
Django's ``ModelAdmin`` already calls: ``log_addition``, ``log_change`` and
``log_deletions`` (which also write the admin's own LogEntry history) and the actions it
offers (``get_actions``):

* ``admin.add``    after = the new object's fields;
* ``admin.change`` before / after = the changed fields' old and new values (taken from the
  form in ``save_form``), note = the admin's change message;
* ``admin.delete`` before = the object's fields (logged just before the deletion);
* ``admin.action`` after = the action's name, the model and the selected primary keys
  (the built-in "delete selected" is left to ``admin.delete``, one event per object).

Custom admin views record their writes with ``self.log_addition`` / ``self.log_change``
(the catalogue's import and the calendar's year entry do), and so are audited too. Values
of fields whose name says they are secret (password, secret, token) are never stored.

An administrator cannot delete their own account here: the ``admin.delete`` event names
them as its actor, and the audit trail protects the users it names (``PROTECT``), so the
deletion would fail half-way. The admin shows its "cannot delete" page instead, as for any
user who has acted (deactivate the account, or let another administrator delete it).
"""

from __future__ import annotations

import datetime
import decimal
import functools
import re
import uuid
from typing import Any

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.db import models
from django.http import HttpRequest

from onething.audit import services as audit

SECRET_FIELD = re.compile(r"password|secret|token", re.IGNORECASE)
HIDDEN = "***"
MAX_TEXT = 300
MAX_KEYS = 200


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


# The model whose own ``number`` is the case number (named, not imported: cases sits above).
CASE_MODEL = "cases.case"


def _case_number(obj: models.Model) -> str:
    """The case an object belongs to, so the event is found by case number."""
    if obj._meta.concrete_model._meta.label_lower == CASE_MODEL:
        return getattr(obj, "number", "") or ""
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


def _record(*, action: str, request: HttpRequest, obj: models.Model, before=None, after=None, note: str = "") -> None:
    audit.record(
        action=action,
        actor=getattr(request, "user", None),
        case_number=_case_number(obj),
        obj=obj,
        before=before,
        after=after,
        note=note[:2000],
    )


MAX_SELECTED = 500
CHANGES = "_audit_admin_changes"  # the request attribute save_form leaves for log_change


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


def _is_user(obj: Any, user: Any) -> bool:
    return (
        isinstance(obj, models.Model)
        and getattr(user, "pk", None) is not None
        and obj._meta.concrete_model is user._meta.concrete_model
        and obj.pk == user.pk
    )


class AuditedModelAdmin(admin.ModelAdmin):
    """The base class of every admin of the project: its additions, changes, deletions and
    actions are written to the audit trail (see the module's docstring)."""

    def save_form(self, request: HttpRequest, form, change: bool):
        if change and form.instance.pk is not None:
            names = [n for n in form.changed_data if n in form.fields]
            stash = getattr(request, CHANGES, None)
            if stash is None:
                stash = {}
                setattr(request, CHANGES, stash)
            stash[_key(form.instance)] = (
                {n: _field_value(n, form.initial.get(n)) for n in names},
                {n: _field_value(n, form.cleaned_data.get(n)) for n in names},
            )
        return super().save_form(request, form, change)

    def log_addition(self, request: HttpRequest, obj, message):
        entry = super().log_addition(request, obj, message)
        _record(action="admin.add", request=request, obj=obj, after=snapshot(obj), note=_message(entry, message))
        return entry

    def log_change(self, request: HttpRequest, obj, message):
        entry = super().log_change(request, obj, message)
        stash = getattr(request, CHANGES, None) or {}
        before, after = stash.pop(_key(obj), (None, None))
        _record(
            action="admin.change", request=request, obj=obj, before=before, after=after, note=_message(entry, message)
        )
        return entry

    def log_deletions(self, request: HttpRequest, queryset):
        objects = list(queryset)
        entries = super().log_deletions(request, objects)
        for obj in objects:
            _record(action="admin.delete", request=request, obj=obj, before=snapshot(obj), note=str(obj)[:200])
        return entries

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        return {
            name: (func if name == "delete_selected" else _audited_action(func, name), name_, description)
            for name, (func, name_, description) in actions.items()
        }

    def get_deleted_objects(self, objs, request: HttpRequest):
        """Refuse, with the admin's own "cannot delete" page, to delete the signed-in user:
        the ``admin.delete`` event would name them and so protect them (see above)."""
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        user = getattr(request, "user", None)
        if any(_is_user(obj, user) for obj in objs):
            protected = [
                *protected,
                f"{user}: 不能删除自己的账户（审计记录以本人为操作人），请停用或由其他管理员删除"
                " / you cannot delete your own account (the audit trail names you): deactivate it,"
                " or ask another administrator",
            ]
        return to_delete, model_count, perms_needed, protected


class ReadOnlyAdmin(AuditedModelAdmin):
    """A record: viewable, never added, changed or deleted through the admin (its state
    changes through the services, which audit them)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
