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
from onething.processing.models import ItemCase

S = ItemCase.State
ALLOWED = {
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
}
QUIET = {"claim"}  # too frequent and fully described by what follows; not audited


def move(*, item_case: ItemCase, action: str, actor=None, note: str = "", **changes) -> bool:
    """Apply ``action`` if the item case is in one of its source states."""
    sources, target = ALLOWED[action]
    now = timezone.now()
    # no savepoint inside a caller's transaction: nothing here is caught and retried, so a
    # failure rolls back with the caller; a savepoint would cost two statements per change
    with transaction.atomic(savepoint=False):
        updated = ItemCase.objects.filter(pk=item_case.pk, state__in=sources).update(
            state=target, state_changed_at=now, **changes
        )
        if updated != 1:
            return False
        if action not in QUIET:
            audit.record(
                action=f"item_case.{action}",
                actor=actor,
                case_number=item_case.case.number,
                obj=item_case,
                before={"state": item_case.state},
                after={"state": target, "item": item_case.item_code, **_plain(changes)},
                note=note,
            )
    if any(hasattr(value, "resolve_expression") for value in changes.values()):
        item_case.refresh_from_db()
    else:  # the row now holds exactly these values: no need to read it back
        item_case.state, item_case.state_changed_at = target, now
        for key, value in changes.items():
            setattr(item_case, key, value)
    return True


def claim(*, item_case_id: int) -> bool:
    """Take a ready item case for dispatch; only one worker ever wins."""
    return (
        ItemCase.objects.filter(pk=item_case_id, state=S.READY).update(
            state=S.DISPATCHING, state_changed_at=timezone.now(), attempts=F("attempts") + 1
        )
        == 1
    )


def _plain(changes: dict) -> dict:
    keep = {}
    for key, value in changes.items():
        if key in {"data", "materials"} or hasattr(value, "resolve_expression"):
            continue
        keep[key] = value.isoformat() if hasattr(value, "isoformat") else value
    return keep
