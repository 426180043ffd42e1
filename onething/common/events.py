"""Events between the stages: how one stage hands work to the next without importing it.

The stages run one way (notice < apply < intake < processing < issuance). A stage that
finishes its part publishes an event; the stage that takes over subscribes to it. The lower
stage never imports the higher one, so reading the tree one sees each stage depend only on
those below it, and the events below are the whole list of handovers.

    # the handling app, in its AppConfig.ready():
    events.subscribe(events.CaseAccepted, handlers.split_accepted_case)
    # the stage that owns the change, inside the transaction that makes it:
    events.publish(events.CaseAccepted, case_id=case.pk, case=case, actor=clerk)

Why delivery is synchronous, inside the publisher's transaction
----------------------------------------------------------------
Handlers run at once, in the publisher's database transaction, in the order they were
subscribed (INSTALLED_APPS order of the subscribing apps; handlers of one event must not rely
on each other's order). So a case and its handover commit together or not at all, exactly as
the direct calls they replace did: a failing handler raises to the publisher and rolls its
change back (an acceptance that cannot split its case is not accepted), and the stage that
takes over sees the case as the publisher left it, under the publisher's row locks. A handler
may answer (as a receiver of a Django signal does): ``publish`` returns the answers, in order,
for the rare publisher that needs the result of the handover (``DeferralRefused`` returns the
item cases refused).

Anything that leaves the process (a Celery task, an SMS, an e-mail) is still sent on commit,
by the handler's own service (``transaction.on_commit``, ``Task.delay_on_commit``, or
``onething.common.queueing.send_on_commit``): never before the handover is committed, never
for one rolled back.

Events carry ids, so that one could be serialised for an on-commit task later; in-process
they also carry the instances the publisher already holds (``case``, ``item_case``, ``actor``),
so the handler reads no row twice. A handler uses the instance when given, else loads by id.

Every event listed in ``HANDOVERS`` must have a subscriber: ``publish`` refuses one that has
none (``Unhandled``; today's direct call would have failed to import) and the system check
``onething.E010`` reports it at start-up (``manage.py check``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from django.core import checks
from django.db import transaction
from django.db.models import Model

__all__ = [
    "HANDOVERS",
    "CaseAccepted",
    "CaseConcluded",
    "CaseSubmitted",
    "DeferralRefused",
    "DeferralsSettled",
    "Event",
    "ItemCaseApproved",
    "ItemCaseRevoked",
    "Unhandled",
    "publish",
    "subscribe",
    "subscribers",
    "unhandled_handovers",
    "unsubscribe",
]


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event. Subclasses are frozen, keyword-only dataclasses: ids first, then
    the in-process instances (None when the publisher does not hold them)."""

    name: ClassVar[str] = ""
    published_by: ClassVar[str] = ""  # the stage that owns the change
    handled_by: ClassVar[str] = ""  # the stage(s) that take over (documentation, checked by tests)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


E = TypeVar("E", bound=Event)


class Unhandled(RuntimeError):
    """A handover event was published with nobody subscribed to take it over."""


# --- the handovers -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CaseSubmitted(Event):
    """A case was created, in state submitted: online from a draft (apply), or at the window
    by a clerk (intake, who routes it to the clerk's own centre before publishing). Intake
    routes a case not yet routed to the centre responsible for its bundle; issuance records
    the delivery choice made in the form."""

    published_by: ClassVar[str] = "apply, intake"
    handled_by: ClassVar[str] = "intake, issuance"
    case_id: int
    actor_id: int | None = None  # who submitted: the applicant, or the clerk at the window
    case: Model | None = None
    actor: Model | None = None


@dataclass(frozen=True, kw_only=True)
class CaseAccepted(Event):
    """受理: the case was accepted (its material checks are written). Processing splits it
    into item cases and dispatches those with nothing to wait for (after commit)."""

    published_by: ClassVar[str] = "intake"
    handled_by: ClassVar[str] = "processing"
    case_id: int
    actor_id: int | None = None
    case: Model | None = None
    actor: Model | None = None


@dataclass(frozen=True, kw_only=True)
class DeferralRefused(Event):
    """The owning clerk refused the items needing an overdue deferred material (容缺): the
    material is marked, under the case's row lock. Processing rejects those item cases (and
    cancels those waiting for them) and answers with the item cases it refused."""

    published_by: ClassVar[str] = "intake"
    handled_by: ClassVar[str] = "processing"
    case_id: int
    item_codes: frozenset[str]
    reason: str
    actor_id: int | None = None
    case: Model | None = None
    actor: Model | None = None


@dataclass(frozen=True, kw_only=True)
class DeferralsSettled(Event):
    """No deferred material of the case is outstanding any more (supplied, or decided by the
    clerk), under the case's row lock. Processing concludes the case if its item cases are
    all finished (held until now); issuance registers the licences it held."""

    published_by: ClassVar[str] = "intake"
    handled_by: ClassVar[str] = "processing, issuance"
    case_id: int
    case: Model | None = None


@dataclass(frozen=True, kw_only=True)
class ItemCaseApproved(Event):
    """A department approved an item case (its transition to approved succeeded, once).
    Issuance puts the certificate it issued on the case and collects it after commit."""

    published_by: ClassVar[str] = "processing"
    handled_by: ClassVar[str] = "issuance"
    item_case_id: int
    item_case: Model | None = None


@dataclass(frozen=True, kw_only=True)
class ItemCaseRevoked(Event):
    """An approved item case was refused afterwards (its deferred material never came).
    Issuance withdraws its licence: not registered, not handed over."""

    published_by: ClassVar[str] = "processing"
    handled_by: ClassVar[str] = "issuance"
    item_case_id: int
    reason: str
    actor_id: int | None = None
    item_case: Model | None = None
    actor: Model | None = None


@dataclass(frozen=True, kw_only=True)
class CaseConcluded(Event):
    """Every item case is final and no deferral is outstanding: the case concluded (all
    approved) or partially concluded. Issuance tells the applicant, with how the results
    are received."""

    published_by: ClassVar[str] = "processing"
    handled_by: ClassVar[str] = "issuance"
    case_id: int
    all_approved: bool
    case: Model | None = None
    item_cases: tuple[Model, ...] = ()


HANDOVERS: tuple[type[Event], ...] = (
    CaseSubmitted,
    CaseAccepted,
    DeferralRefused,
    DeferralsSettled,
    ItemCaseApproved,
    ItemCaseRevoked,
    CaseConcluded,
)


# --- the registry --------------------------------------------------------------------------

_handlers: dict[type[Event], list[Callable[[Any], Any]]] = {}


def subscribe(event: type[E], handler: Callable[[E], Any]) -> None:
    """Call ``handler(event)`` whenever ``event`` is published. Call it from the handling
    app's ``AppConfig.ready()``. Subscribing the same handler twice subscribes it once."""
    if not (isinstance(event, type) and issubclass(event, Event)):
        raise TypeError(f"{event!r} is not an Event class")
    handlers = _handlers.setdefault(event, [])
    if handler not in handlers:
        handlers.append(handler)


def unsubscribe(event: type[E], handler: Callable[[E], Any]) -> None:
    """Remove a handler (tests); nothing happens if it was not subscribed."""
    handlers = _handlers.get(event, [])
    if handler in handlers:
        handlers.remove(handler)


def subscribers(event: type[Event]) -> tuple[Callable[[Any], Any], ...]:
    return tuple(_handlers.get(event, ()))


def publish(event: type[E] | E, /, **payload) -> list[Any]:
    """Hand ``event`` to its subscribers, now, inside the caller's transaction (an atomic
    block of its own when there is none, so the handlers commit together). ``event`` is an
    Event class with its fields as keywords, or an Event instance. Returns each handler's
    answer, in subscription order. A handler's exception propagates: the publisher's
    transaction rolls back. ``Unhandled`` when a handover has no subscriber."""
    if isinstance(event, type):
        event = event(**payload)
    elif payload:
        raise TypeError("publish an Event instance, or an Event class with its fields as keywords")
    if not isinstance(event, Event):
        raise TypeError(f"{event!r} is not an Event")
    handlers = subscribers(type(event))
    if not handlers and type(event) in HANDOVERS:
        raise Unhandled(f"nobody takes over {type(event).name}: no app subscribed to it")
    if not handlers:
        return []
    with transaction.atomic(savepoint=False):
        return [handler(event) for handler in handlers]


@checks.register()
def unhandled_handovers(app_configs=None, **kwargs) -> list[checks.Error]:
    """onething.E010: a handover event that no installed app subscribes to."""
    return [
        checks.Error(
            f"no app subscribes to the handover event {event.name} (published by {event.published_by})",
            hint=f"subscribe a handler in the AppConfig.ready() of {event.handled_by}",
            id="onething.E010",
        )
        for event in HANDOVERS
        if not subscribers(event)
    ]
