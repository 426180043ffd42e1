"""Reads of the audit log (审计日志): who may see which events, the search, and the
masking of personal data in listings.

Who sees what (decided here, documented in docs/audit.md):

* administrators (role ``admin`` or superusers) see every event;
* a department officer sees the events of cases in which their department has an item
  case: the whole trail of such a case (it is one 一件事, the other departments' steps are
  part of its story), but no event without a case (administration, refused callbacks);
* a window clerk sees the events of the cases of their own service centre;
* everyone else (citizens, enterprises, staff without an officer or clerk record) none:
  :func:`audit_scope` returns None and the views answer 403.

Listings (the search page and its CSV export) are masked for everyone, administrators
included: :func:`mask_json` hides resident ID numbers and mobile numbers wherever they
appear in before / after / note, values under keys that name an ID number, a phone or an
address, and names under any key but those of the engine's own things (``mother_name``,
``<party>.name``, ``full_name``; not ``item_name``). Names inside free text cannot be found
reliably and are left as written. The detail page of one event shows the raw values to
administrators only.

Pagination is by keyset on (at, id), newest first: a page costs the same whether it is the
first or the ten-thousandth, and nothing ever counts the whole table.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from onething.accounts.models import User
from onething.audit.models import AuditEvent
from onething.identity.masking import mask_id_number, mask_mobile

PAGE_SIZE = 50
EXPORT_LIMIT = 10_000

# --- access ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditScope:
    """What part of the log a user may read: ``all``, one ``department`` or one ``centre``."""

    kind: str
    department_id: int | None = None
    centre_id: int | None = None
    label: str = ""

    @property
    def is_admin(self) -> bool:
        return self.kind == "all"


def is_administrator(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or getattr(user, "role", "") == User.Role.ADMIN
    )


def audit_scope(user) -> AuditScope | None:
    """The user's part of the log, or None when they may not read it at all."""
    from onething.intake.selectors import clerk_of
    from onething.processing.selectors import officer_of

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if is_administrator(user):
        return AuditScope(kind="all")
    officer = officer_of(user)
    if officer is not None:
        return AuditScope(kind="department", department_id=officer.department_id, label=officer.department.name)
    clerk = clerk_of(user)
    if clerk is not None:
        return AuditScope(kind="centre", centre_id=clerk.centre_id, label=clerk.centre.name)
    return None


def events_in_scope(*, scope: AuditScope) -> QuerySet[AuditEvent]:
    """Every event the scope may read (lazy; filtered and paged by the caller)."""
    from onething.cases.models import Case

    events = AuditEvent.objects.all()
    if scope.kind == "department":
        cases = Case.objects.filter(item_cases__department_id=scope.department_id).values("number")
        return events.filter(case_number__in=cases)
    if scope.kind == "centre":
        return events.filter(case_number__in=Case.objects.filter(centre_id=scope.centre_id).values("number"))
    return events


# --- search -----------------------------------------------------------------------------------

#: A complete case number (``CHILD-BIRTH-20261128-0042``) is looked up exactly; anything
#: shorter is a prefix (``CHILD-BIRTH-202611`` finds the month's cases).
FULL_CASE_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]*-\d{8}-\d{4,}$")
SYSTEM_ACTOR = {"system", "系统"}
MAX_ACTORS = 500  # a name matching more people than this is too vague to search by


@dataclass(frozen=True)
class AuditFilters:
    case: str = ""
    actor: str = ""
    action: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None

    def as_dict(self) -> dict[str, str]:
        """The filters as they are written in the audit of an export."""
        values = {
            "case": self.case,
            "actor": self.actor,
            "action": self.action,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in values.items() if v}


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def filter_events(events: QuerySet[AuditEvent], filters: AuditFilters) -> QuerySet[AuditEvent]:
    case = filters.case.strip().upper()
    if case:
        if FULL_CASE_NUMBER.match(case):
            events = events.filter(case_number=case)
        else:
            events = events.filter(case_number__startswith=case.rstrip("*"))
    actor = filters.actor.strip()
    if actor:
        if actor.lower() in SYSTEM_ACTOR:
            events = events.filter(actor__isnull=True)
        else:
            # the people first (a small table): the planner then walks the actor index,
            # and a name that matches nobody costs no scan of the events at all
            people = User.objects.filter(Q(username=actor) | Q(full_name__icontains=actor))
            events = events.filter(actor_id__in=list(people.values_list("pk", flat=True)[:MAX_ACTORS]))
    action = filters.action.strip()
    if action:
        # "case.accepted" is one action; "case", "case." or "case.*" every action of cases
        if "." not in action or action.endswith((".", "*")):
            prefix = action.rstrip("*")
            events = events.filter(action__startswith=prefix if prefix.endswith(".") else f"{prefix}.")
        else:
            events = events.filter(action=action)
    if filters.date_from:
        events = events.filter(at__gte=_start_of(filters.date_from))
    if filters.date_to:
        events = events.filter(at__lt=_start_of(filters.date_to + datetime.timedelta(days=1)))
    return events


@dataclass
class AuditPage:
    events: list[AuditEvent]
    newer: int | None = None  # cursor for the page of newer events (id of this page's first)
    older: int | None = None  # cursor for the page of older events (id of this page's last)
    rows: list[dict] = field(default_factory=list)


def search_page(
    *,
    scope: AuditScope,
    filters: AuditFilters,
    older_than: int | None = None,
    newer_than: int | None = None,
    size: int = PAGE_SIZE,
) -> AuditPage:
    """One page of the search, newest first, by keyset: ``older_than`` / ``newer_than``
    name the event the page continues from (the cursors of the previous page)."""
    events = filter_events(events_in_scope(scope=scope), filters).select_related("actor")
    anchor_id = older_than or newer_than
    anchor_at = AuditEvent.objects.filter(pk=anchor_id).values_list("at", flat=True).first() if anchor_id else None
    if anchor_at is None:
        rows = list(events.order_by("-at", "-id")[: size + 1])
        page = AuditPage(events=rows[:size])
        page.older = page.events[-1].pk if len(rows) > size else None
    elif older_than:
        rows = list(
            events.filter(at__lte=anchor_at)  # the index range; the ties at the anchor's instant by id
            .filter(Q(at__lt=anchor_at) | Q(pk__lt=anchor_id))
            .order_by("-at", "-id")[: size + 1]
        )
        page = AuditPage(events=rows[:size])
        page.older = page.events[-1].pk if len(rows) > size else None
        page.newer = page.events[0].pk if page.events else None
    else:
        rows = list(
            events.filter(at__gte=anchor_at)
            .filter(Q(at__gt=anchor_at) | Q(pk__gt=anchor_id))
            .order_by("at", "id")[: size + 1]
        )
        page = AuditPage(events=list(reversed(rows[:size])))
        page.newer = page.events[0].pk if len(rows) > size else None
        page.older = page.events[-1].pk if page.events else None
    page.rows = [listing_row(event) for event in page.events]
    return page


def export_rows(*, scope: AuditScope, filters: AuditFilters, limit: int = EXPORT_LIMIT) -> list[dict]:
    """The newest ``limit`` events of the search, masked, for the CSV export."""
    events = filter_events(events_in_scope(scope=scope), filters).select_related("actor")
    return [listing_row(event) for event in events.order_by("-at", "-id")[:limit]]


def event_in_scope(*, scope: AuditScope, pk: int) -> AuditEvent:
    """One event the scope may read; DoesNotExist for any other (404)."""
    return events_in_scope(scope=scope).select_related("actor").get(pk=pk)


# --- masking ----------------------------------------------------------------------------------

RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
ID_KEY = re.compile(
    r"(^|_)(id_number|id_no|idcard|id_card|identity_number|holder_id|licence_holder)($|_)", re.IGNORECASE
)
PHONE_KEY = re.compile(r"mobile|phone|(^|_)tel($|_)", re.IGNORECASE)
ADDRESS_KEY = re.compile(r"address|addr($|_)", re.IGNORECASE)
# A name under any party's key is a person's (``mother_name``, ``<party>.name``, ``full_name``):
# the parties are the bundles' data, so the engine cannot list them; what it can list are the
# names of its own things, which stay readable.
THING_NAME_KEY = re.compile(
    r"^(item|bundle|department|material|centre|service_centre|file|original|version|channel|document|"
    r"licence|certificate|template|queue|task|event)[._]?name$",
    re.IGNORECASE,
)
PERSON_NAME_KEY = re.compile(r"^(full_name|holder|recipient|name_of_.+|.+[._]name)$", re.IGNORECASE)


def mask_text(text: str) -> str:
    """Resident ID numbers and mobile numbers anywhere in a text."""
    text = RESIDENT_ID.sub(lambda m: mask_id_number(m.group()), text)
    return MOBILE.sub(lambda m: mask_mobile(m.group()), text)


def mask_name(name: str) -> str:
    """``王小明`` → ``王**``: enough to tell people apart in a trail, not to identify them."""
    name = name.strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


def mask_address(value: str) -> str:
    value = value.strip()
    return value[:6] + "****" if len(value) > 6 else "****" if value else ""


def _mask_value(key: str, value: Any) -> Any:
    if isinstance(value, str):
        if ID_KEY.search(key):
            return mask_id_number(value)
        if PHONE_KEY.search(key):
            return mask_mobile(value)
        if ADDRESS_KEY.search(key):
            return mask_address(value)
        if PERSON_NAME_KEY.match(key) and not THING_NAME_KEY.match(key):
            return mask_name(value)
    return mask_json(value, key=key)


def mask_json(value: Any, *, key: str = "") -> Any:
    """A copy of a JSON value with personal data hidden (see the module's docstring)."""
    if isinstance(value, dict):
        return {k: _mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_value(key, v) if isinstance(v, str) else mask_json(v, key=key) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


def actor_label(user: User | None, *, masked: bool = True) -> str:
    """Staff by name (they act in office); citizens and enterprises masked in listings."""
    if user is None:
        return "系统"
    if user.is_applicant and masked:
        return mask_name(user.full_name) if user.full_name else mask_text(user.username)
    if user.full_name:
        return f"{user.full_name}（{user.username}）"
    return user.username


def listing_row(event: AuditEvent) -> dict:
    """An event as listed: every personal value masked."""
    return {
        "id": event.pk,
        "at": event.at,
        "actor": actor_label(event.actor),
        "actor_role": event.actor.role if event.actor else "",
        "action": event.action,
        "case_number": event.case_number,
        "object": f"{event.object_type} {event.object_id}".strip(),
        "before": mask_json(event.before),
        "after": mask_json(event.after),
        "note": mask_text(event.note),
    }


def detail_row(event: AuditEvent, *, scope: AuditScope) -> dict:
    """One event in full for administrators; masked like a listing for everyone else."""
    if not scope.is_admin:
        return {**listing_row(event), "masked": True}
    return {
        "id": event.pk,
        "at": event.at,
        "actor": actor_label(event.actor, masked=False),
        "actor_role": event.actor.role if event.actor else "",
        "action": event.action,
        "case_number": event.case_number,
        "object": f"{event.object_type} {event.object_id}".strip(),
        "before": event.before,
        "after": event.after,
        "note": event.note,
        "masked": False,
    }
