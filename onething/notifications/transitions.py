"""The notification state machine: the only place a Notification changes state.

    pending ──claim──► sending ──sent──► sent
       ▲                  │ └──failed──► failed       (permanent error, or attempts used up)
       └──────retry───────┘                           (transient error: tried again)
    pending / sending ──give_up──► failed             (reconciliation: attempts used up)
    sending ──reset_stuck──► pending                  (reconciliation: the worker died)

Not audited: the row itself is the record of each delivery (attempts, last error, times).
``SmsOutbox`` rows have no state: written once by the default SMS channel.
"""

from __future__ import annotations

from django.db.models import F, QuerySet
from django.utils import timezone

from onething.common.statemachine import StateMachine
from onething.notifications.models import Notification

S = Notification.State
NOTIFICATION = StateMachine(
    Notification,
    initial={S.PENDING},
    transitions={
        "claim": ({S.PENDING}, S.SENDING),
        "sent": ({S.SENDING}, S.SENT),
        "failed": ({S.SENDING}, S.FAILED),
        "retry": ({S.SENDING}, S.PENDING),
        "give_up": ({S.PENDING, S.SENDING}, S.FAILED),
        "reset_stuck": ({S.SENDING}, S.PENDING),
    },
)
FINISH = {S.SENT: "sent", S.FAILED: "failed", S.PENDING: "retry"}  # leaving "sending", by outcome


def claim(*, notification_id: int) -> bool:
    """pending → sending for one delivery try; only one caller ever wins."""
    return NOTIFICATION.move("claim", pk=notification_id, attempts=F("attempts") + 1, last_attempt_at=timezone.now())


def finish(notification: Notification, *, state: str, **fields) -> bool:
    """Leave the sending state (only from it) for ``state`` (sent, failed, or pending again)
    and mirror the change on the instance (the caller's view of what it did)."""
    moved = NOTIFICATION.move(FINISH[state], pk=notification.pk, **fields)
    notification.state = state
    for name, value in fields.items():
        setattr(notification, name, value)
    return moved


def give_up(*, queryset: QuerySet[Notification], last_error: str) -> int:
    """Unfinished rows that used up their attempts become failed; how many."""
    return NOTIFICATION.move_all("give_up", queryset, last_error=last_error)


def reset_stuck(*, queryset: QuerySet[Notification]) -> int:
    """Rows left sending (the worker died) go back to pending; how many."""
    return NOTIFICATION.move_all("reset_stuck", queryset)
