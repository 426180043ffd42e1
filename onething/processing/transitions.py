"""The item-case state machine. Every change of an ItemCase's state happens here, as a
conditional update from the states it may come from, with its audit event in the same
transaction. A change that finds the item case elsewhere (a duplicate task, a replayed
callback, a race) changes nothing and returns False.

    waiting ──► ready ──► dispatching ──► received ──► in_progress ──► approved
                  ▲            │               │            ▲  │        rejected
                  └────────────┘ (transient)   └──► supplement_requested
    dispatching ──► dead_letter ──► ready (re-dispatch)      waiting ──► cancelled
    any state but rejected / cancelled ──► rejected (deferral_refused: a deferred material
    was not supplied and the owning clerk refused the items needing it; an approved item's
    result was held until then, so it is never handed over)
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from onething.audit import services as audit
from onething.common.statemachine import StateMachine
from onething.processing.models import ItemCase

S = ItemCase.State
ITEM_CASE = StateMachine(
    ItemCase,
    initial={S.WAITING, S.READY},  # waiting: for upstream item cases (the split decides)
    transitions={
        "release": ({S.WAITING}, S.READY),
        "claim": ({S.READY}, S.DISPATCHING),
        "dispatch_failed": ({S.DISPATCHING}, S.READY),
        "dispatched": ({S.DISPATCHING}, S.RECEIVED),
        "dead_letter": ({S.DISPATCHING, S.READY}, S.DEAD),
        "redispatch": ({S.DEAD}, S.READY),
        # a fast department may call back before the dispatching worker has recorded "received"
        "in_progress": ({S.DISPATCHING, S.RECEIVED, S.SUPPLEMENT}, S.IN_PROGRESS),
        "supplement_requested": ({S.DISPATCHING, S.RECEIVED, S.IN_PROGRESS}, S.SUPPLEMENT),
        "approved": ({S.DISPATCHING, S.RECEIVED, S.IN_PROGRESS, S.SUPPLEMENT}, S.APPROVED),
        "rejected": ({S.DISPATCHING, S.RECEIVED, S.IN_PROGRESS, S.SUPPLEMENT}, S.REJECTED),
        "cancelled": ({S.WAITING, S.READY, S.DEAD}, S.CANCELLED),
        "reset_stuck": ({S.DISPATCHING}, S.READY),
        "deferral_refused": (set(S) - {S.REJECTED, S.CANCELLED}, S.REJECTED),
    },
)
T = ItemCase.TimeStatus
# the time-limit light of an item case being worked (timelimits.py): yellow at 80 % of the
# committed days, red after them; a due date moved later (a year's schedule entered) may
# turn a red light yellow again
TIME_LIMIT = StateMachine(
    ItemCase,
    field="time_status",
    initial={T.NORMAL},
    transitions={
        "warning": ({T.NORMAL, T.OVERDUE}, T.WARNING),
        "overdue": ({T.NORMAL, T.WARNING}, T.OVERDUE),
    },
)
QUIET = {"claim"}  # too frequent and fully described by what follows; not audited


def move(*, item_case: ItemCase, action: str, actor=None, note: str = "", **changes) -> bool:
    """Apply ``action`` if the item case is in one of its source states."""
    target = ITEM_CASE[action].target
    now = timezone.now()
    # no savepoint inside a caller's transaction: nothing here is caught and retried, so a
    # failure rolls back with the caller; a savepoint would cost two statements per change
    with transaction.atomic(savepoint=False):
        if action in QUIET:
            moved = ITEM_CASE.move(action, pk=item_case.pk, state_changed_at=now, **changes)
        else:  # the change and its audit event in one statement where the database allows
            moved = audit.record_with_update(
                ITEM_CASE.update_sql(action, pk=item_case.pk, state_changed_at=now, **changes),
                action=f"item_case.{action}",
                actor=actor,
                case_number=item_case.case.number,
                obj=item_case,
                before={"state": item_case.state},
                after={"state": target, "item": item_case.item_code, **_plain(changes)},
                note=note,
            )
        if not moved:
            return False
    if any(hasattr(value, "resolve_expression") for value in changes.values()):
        item_case.refresh_from_db()
    else:  # the row now holds exactly these values: no need to read it back
        item_case.state, item_case.state_changed_at = target, now
        for key, value in changes.items():
            setattr(item_case, key, value)
    return True


def claim(*, item_case_id: int) -> bool:
    """Take a ready item case for dispatch; only one worker ever wins."""
    return ITEM_CASE.move("claim", pk=item_case_id, state_changed_at=timezone.now(), attempts=F("attempts") + 1)


def time_light(*, item_case: ItemCase, status: str) -> bool:
    """The light turns ``status`` (warning or overdue), only from the colour ``item_case``
    was read with (two runs of the beat task change it once). Audited ``item_case.<status>``."""
    with transaction.atomic(savepoint=False):
        if not TIME_LIMIT.move(status, pk=item_case.pk, where={"time_status": item_case.time_status}):
            return False
        audit.record(
            action=f"item_case.{status}",
            case_number=item_case.case.number,
            obj=item_case,
            after={"due_date": str(item_case.due_date)},
        )
    item_case.time_status = status
    return True


def _plain(changes: dict) -> dict:
    keep = {}
    for key, value in changes.items():
        if key in {"data", "materials"} or hasattr(value, "resolve_expression"):
            continue
        keep[key] = value.isoformat() if hasattr(value, "isoformat") else value
    return keep
