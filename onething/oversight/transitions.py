"""The rectification (整改) state machine: the only place a Rectification changes state,
each change a conditional update from the states it may come from, with its audit event
(``rectification.<action>``) in the same transaction::

    open ──contact──► contacted ──respond──► responded ──confirm──► confirmed
                                    ▲            │
                                    └──respond── reopened ◄──reject──┘
    open / contacted / responded / reopened ──withdraw──► withdrawn

A rectification is created open by a bad rating (``ratings._open_for``). Ratings have no
state: a rating's level changes, and that opens or withdraws rectifications.
"""

from __future__ import annotations

from django.db import transaction

from onething.audit import services as audit
from onething.common.statemachine import StateMachine
from onething.oversight.models import Rectification

R = Rectification.State
RUNNING = [R.OPEN, R.CONTACTED, R.RESPONDED, R.REOPENED]
RECTIFICATION = StateMachine(
    Rectification,
    initial={R.OPEN},
    transitions={
        "contact": ({R.OPEN}, R.CONTACTED),
        "respond": ({R.CONTACTED, R.REOPENED}, R.RESPONDED),
        "confirm": ({R.RESPONDED}, R.CONFIRMED),
        "reject": ({R.RESPONDED}, R.REOPENED),
        "withdraw": (set(RUNNING), R.WITHDRAWN),
    },
)


def rectification_move(rectification: Rectification, action: str, *, actor, note: str = "", **changes) -> bool:
    """Apply ``action`` if the rectification is in one of its source states; audit it and
    mirror the change on the instance. False if it was elsewhere."""
    target = RECTIFICATION[action].target
    with transaction.atomic():
        if not RECTIFICATION.move(action, pk=rectification.pk, **changes):
            return False
        audit.record(
            action=f"rectification.{action}",
            actor=actor,
            case_number=rectification.case.number,
            obj=rectification,
            before={"state": rectification.state},
            after={"state": target, **_plain(changes)},
            note=note,
        )
    rectification.state = target
    for key, value in changes.items():
        setattr(rectification, key, value)
    return True


def _plain(changes: dict) -> dict:
    plain = {}
    for key, value in changes.items():
        if hasattr(value, "pk"):
            plain[key] = value.pk
        elif hasattr(value, "isoformat"):
            plain[key] = value.isoformat()
        else:
            plain[key] = value
    return plain
