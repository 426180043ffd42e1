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

import json

from django.db import connection, transaction
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


def claim_returning(*, item_case_id: int) -> ItemCase | None:
    """:func:`claim` and the read that dispatch needs, in one statement: ``UPDATE … SET
    state='dispatching', attempts=attempts+1 WHERE id=%s AND state='ready' RETURNING`` the
    item case's columns with its case number, department and endpoint (scalar subqueries in
    RETURNING, which PostgreSQL and SQLite both run). None when another worker has it or it
    is not ready: only one ever wins. The instance is built from the returned row (case,
    department and endpoint attached, nothing left to load lazily for a submission); the
    endpoint's secret is read as stored and decrypted through the per-process cache of
    ``secretbox``, so a rotated secret is used from the next claim on."""
    from onething.common import secretbox

    row = _claim_row(item_case_id, timezone.now())
    if row is None:
        return None
    return _claimed_instance(row, decrypt=secretbox.decrypt)


_CLAIM_COLUMNS = (
    "id", "case_id", "item_code", "item_name", "department_id", "state", "upstream", "data", "materials",
    "committed_days", "idempotency_key", "reference", "attempts", "last_error", "state_changed_at",
    "paused_since", "paused_working_days",
)  # fmt: skip
_JSON_COLUMNS = {"upstream", "data", "materials"}
_claim_sql: str | None = None


def _claim_statement() -> str:
    global _claim_sql
    if _claim_sql is None:
        from onething.cases.models import Case
        from onething.catalog.models import Department
        from onething.processing.models import DepartmentEndpoint

        q = connection.ops.quote_name
        item, case = q(ItemCase._meta.db_table), q(Case._meta.db_table)
        department, endpoint = q(Department._meta.db_table), q(DepartmentEndpoint._meta.db_table)

        def of_case(column: str) -> str:
            return f"(SELECT c.{q(column)} FROM {case} c WHERE c.{q('id')} = {item}.{q('case_id')})"

        def of_department(column: str) -> str:
            return f"(SELECT d.{q(column)} FROM {department} d WHERE d.{q('id')} = {item}.{q('department_id')})"

        def of_endpoint(column: str) -> str:
            return (
                f"(SELECT e.{q(column)} FROM {endpoint} e WHERE e.{q('department_id')} = {item}.{q('department_id')})"
            )

        returning = ", ".join(
            [f"{item}.{q(column)}" for column in _CLAIM_COLUMNS]
            + [of_case("number"), of_department("code"), of_department("name")]
            + [of_endpoint(column) for column in ("id", "adapter", "base_url", "secret")]
        )
        _claim_sql = (
            f"UPDATE {item} SET {q('state')} = %s, {q('state_changed_at')} = %s, {q('attempts')} = {q('attempts')} + 1"
            f" WHERE {q('id')} = %s AND {q('state')} = %s RETURNING {returning}"
        )
    return _claim_sql


def _claim_row(item_case_id: int, now) -> tuple | None:
    step = ITEM_CASE["claim"]
    (source,) = step.sources
    at = ItemCase._meta.get_field("state_changed_at").get_db_prep_value(now, connection)
    with connection.cursor() as cursor:
        cursor.execute(_claim_statement(), [step.target, at, item_case_id, source])
        return cursor.fetchone()


def _claimed_instance(row: tuple, *, decrypt) -> ItemCase:
    from onething.cases.models import Case
    from onething.catalog.models import Department
    from onething.processing.models import DepartmentEndpoint

    values = dict(zip(_CLAIM_COLUMNS, row, strict=False))
    number, code, name, endpoint_id, adapter, base_url, secret = row[len(_CLAIM_COLUMNS) :]
    for column in _JSON_COLUMNS:
        if isinstance(values[column], str | bytes):
            values[column] = json.loads(values[column])
    for column in ("state_changed_at", "paused_since"):
        field = ItemCase._meta.get_field(column)
        for convert in connection.ops.get_db_converters(field.get_col(ItemCase._meta.db_table)):
            values[column] = convert(values[column], field, connection)
    # columns not returned are deferred: reading one loads it (never a wrong default)
    item_case = _loaded(ItemCase, values)
    department = _loaded(Department, {"id": values["department_id"], "code": code, "name": name})
    if endpoint_id is None:  # cached as absent: adapter_for reads "workbench" without a query
        Department._meta.get_field("endpoint").set_cached_value(department, None)
    else:
        department.endpoint = _loaded(
            DepartmentEndpoint,
            {
                "id": endpoint_id,
                "department_id": department.pk,
                "adapter": adapter,
                "base_url": base_url,
                "secret": decrypt(secret) if secret else secret,
            },
        )
    item_case.case = _loaded(Case, {"id": values["case_id"], "number": number})
    item_case.department = department
    return item_case


def _loaded(model, values: dict):
    """An instance as if read from the database with only ``values`` loaded."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


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
