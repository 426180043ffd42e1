"""Write audit events. Call inside the transaction of the change being recorded, so the
event exists exactly when the change does. Every part imports this module
(``from onething.audit import services as audit`` … ``audit.record(...)``).

``batched()``: the events recorded inside the block are written in one INSERT when it
ends, still inside the caller's transaction (a hot path that records several events,
such as a submission, saves a round trip per event)."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import transaction

from onething.audit.models import AuditEvent

_batch: ContextVar[list[AuditEvent] | None] = ContextVar("audit_batch", default=None)


def record(
    *,
    action: str,
    actor=None,
    case_number: str = "",
    obj: Any = None,
    before: Any = None,
    after: Any = None,
    note: str = "",
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        case_number=case_number,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "pk", "") or ""),
        before=before,
        after=after,
        note=note,
    )
    pending = _batch.get()
    if pending is None:
        event.save(force_insert=True)
    else:
        pending.append(event)
    return event


@contextmanager
def batched() -> Iterator[None]:
    """Events recorded inside the block are inserted together when it ends without an
    error (in the order recorded); an error drops them with the transaction they belong
    to. Only inside a transaction (``transaction.atomic``), which must not be left before
    the block ends, and not around a savepoint that may be rolled back while the block goes
    on (its events would still be written). Nested blocks join the outer one."""
    if _batch.get() is not None:
        yield
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.batched() needs a transaction: the events must commit with the change")
    token = _batch.set([])
    try:
        yield
        pending = _batch.get() or []
        if pending:
            AuditEvent.objects.bulk_create(pending)
    finally:
        _batch.reset(token)
