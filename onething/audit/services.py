"""Write audit events. Call inside the transaction of the change being recorded, so the
event exists exactly when the change does. Every part imports this module
(``from onething.audit import services as audit`` … ``audit.record(...)``).

``batched()``: the events recorded inside the block are written in one INSERT when it
ends, still inside the caller's transaction (a hot path that records several events,
such as a submission, saves a round trip per event)."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connections, router, transaction

from onething.audit.models import AuditEvent

_batch: ContextVar[list[AuditEvent] | None] = ContextVar("audit_batch", default=None)


def _event(*, action: str, actor, case_number: str, obj: Any, before: Any, after: Any, note: str) -> AuditEvent:
    return AuditEvent(
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        case_number=case_number,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "pk", "") or ""),
        before=before,
        after=after,
        note=note,
    )


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
    event = _event(action=action, actor=actor, case_number=case_number, obj=obj, before=before, after=after, note=note)
    pending = _batch.get()
    if pending is None:
        event.save(force_insert=True)
    else:
        pending.append(event)
    return event


def record_with_update(
    update: tuple[str, Sequence[Any]],
    *,
    action: str,
    actor=None,
    case_number: str = "",
    obj: Any = None,
    before: Any = None,
    after: Any = None,
    note: str = "",
) -> int:
    """Run ``update`` (an UPDATE of one row at most, as SQL and parameters: a transitions
    module's conditional state change, ``StateMachine.update_sql``) and write the event
    ``record`` would write if it changed the row; how many rows it changed (0 or 1).

    On PostgreSQL in one statement, ``WITH changed AS (UPDATE … RETURNING 1) INSERT INTO
    oversight_auditevent … SELECT … FROM changed``: the event is inserted exactly when the
    row changed, in one round trip. Elsewhere (SQLite cannot feed an INSERT from an
    UPDATE … RETURNING) the UPDATE, then the event if it changed the row. The event's
    content is the same either way; the table stays append-only (only INSERT)."""
    using = router.db_for_write(AuditEvent)
    connection = connections[using]
    event = _event(action=action, actor=actor, case_number=case_number, obj=obj, before=before, after=after, note=note)
    update_sql, update_params = update
    if connection.vendor != "postgresql":
        with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
            cursor.execute(update_sql, update_params)
            changed = cursor.rowcount
            if changed:
                event.save(force_insert=True, using=using)
        return changed
    fields = [field for field in AuditEvent._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    # explicit casts: the values are selected, not inserted directly, so PostgreSQL would
    # otherwise type an untyped literal (a NULL actor, a text) as text
    values = ", ".join(f"CAST(%s AS {field.db_type(connection)})" for field in fields)
    params = [field.get_db_prep_save(field.pre_save(event, add=True), connection) for field in fields]
    sql = (
        f"WITH changed AS ({update_sql} RETURNING 1) "
        f"INSERT INTO {connection.ops.quote_name(AuditEvent._meta.db_table)} ({columns}) "
        f"SELECT {values} FROM changed"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*update_params, *params))
        return cursor.rowcount


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
