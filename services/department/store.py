"""SQLite storage of the department service: item cases, callback events, certificates, counters, nonces.

One file (``departments.sqlite3``) in the data directory, in WAL mode so that polling reads never wait for
the writers. Every thread keeps its own connection; writes go through one process-wide lock, which is
cheaper than letting SQLite's busy handler back off under hundreds of concurrent dispatches.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

DB_NAME = "departments.sqlite3"
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
OPEN_STATES = ("received", "in_progress")
FINAL_STATES = ("approved", "rejected")

Row = dict[str, Any]

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS nonces (
    department TEXT NOT NULL, nonce TEXT NOT NULL, seen_at REAL NOT NULL, PRIMARY KEY (department, nonce)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nonces_seen_at ON nonces (seen_at);
CREATE TABLE IF NOT EXISTS item_cases (
    department TEXT NOT NULL,
    reference TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    case_number TEXT NOT NULL,
    item_code TEXT NOT NULL,
    item_case_id TEXT NOT NULL,
    callback_url TEXT,
    data TEXT NOT NULL,
    materials TEXT NOT NULL,
    state TEXT NOT NULL,
    result TEXT,
    certificate TEXT,
    reason TEXT,
    supplement TEXT,
    supplements INTEGER NOT NULL DEFAULT 0,
    events INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (department, reference),
    UNIQUE (department, idempotency_key)
);
CREATE INDEX IF NOT EXISTS item_cases_open ON item_cases (state) WHERE state IN ('received', 'in_progress');
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY,
    department TEXT NOT NULL,
    reference TEXT NOT NULL,
    callback_url TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX IF NOT EXISTS events_pending ON events (status) WHERE status = 'pending';
CREATE TABLE IF NOT EXISTS certificates (
    department TEXT NOT NULL,
    number TEXT NOT NULL,
    reference TEXT NOT NULL,
    type TEXT NOT NULL,
    record TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    PRIMARY KEY (department, number)
);
"""


def now_iso() -> str:
    """The current time in Shanghai, ISO 8601 with offset, to the millisecond."""
    return datetime.now(SHANGHAI).isoformat(timespec="milliseconds")


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _load(value: str | None) -> Any:
    return None if value is None else json.loads(value)


class DuplicateIdempotencyKey(Exception):
    """The key is already used by an item case of another item or item case id (see ``create_item_case``)."""

    def __init__(self, existing: Row) -> None:
        super().__init__(existing["reference"])
        self.existing = existing


class Store:
    """Data access for every server and worker thread of the process."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / DB_NAME
        self._local = threading.local()
        self._write_lock = threading.Lock()

    def initialise(self) -> None:
        """Create the data directory and the schema."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._conn()
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, serialised within the process."""
        conn = self._conn()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @staticmethod
    def _next(conn: sqlite3.Connection, name: str) -> int:
        row = conn.execute(
            "INSERT INTO counters VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
            (name,),
        ).fetchone()
        return int(row[0])

    # -- nonces --------------------------------------------------------------------------------------

    def remember_nonce(self, department: str, nonce: str) -> bool:
        """Record a nonce; True if it had been recorded before (a replay)."""
        with self.write() as conn:
            cursor = conn.execute("INSERT OR IGNORE INTO nonces VALUES (?, ?, ?)", (department, nonce, time.time()))
        return cursor.rowcount == 0

    def prune_nonces(self, older_than_seconds: float) -> int:
        """Forget nonces older than the replay window; returns how many were deleted."""
        with self.write() as conn:
            cursor = conn.execute("DELETE FROM nonces WHERE seen_at < ?", (time.time() - older_than_seconds,))
        return cursor.rowcount

    # -- item cases ----------------------------------------------------------------------------------

    @staticmethod
    def _item_case(row: sqlite3.Row | None) -> Row | None:
        if row is None:
            return None
        record = dict(row)
        for key in ("data", "materials", "result", "certificate", "supplement", "item_case_id"):
            record[key] = _load(record[key])
        return record

    def create_item_case(
        self,
        department: str,
        reference_prefix: str,
        request: Row,
    ) -> tuple[Row, bool]:
        """Insert a received item case, or return the existing one of the same idempotency key.

        Returns the record and whether it was created now. A key reused for another item code or item
        case id raises ``DuplicateIdempotencyKey``; other differences (e.g. refreshed material URLs) are
        a retry of the same submission and are ignored.
        """
        key = request["idempotency_key"]
        with self.write() as conn:
            existing = self._item_case(
                conn.execute(
                    "SELECT * FROM item_cases WHERE department = ? AND idempotency_key = ?", (department, key)
                ).fetchone()
            )
            if existing is None:
                stamp = now_iso()
                number = self._next(conn, f"reference/{department}")
                reference = f"{reference_prefix}{stamp[:10].replace('-', '')}{number:06d}"
                conn.execute(
                    "INSERT INTO item_cases (department, reference, idempotency_key, case_number, item_code,"
                    " item_case_id, callback_url, data, materials, state, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'received', ?, ?)",
                    (
                        department,
                        reference,
                        key,
                        request["case_number"],
                        request["item_code"],
                        _dump(request["item_case_id"]),
                        request.get("callback_url"),
                        _dump(request["data"]),
                        _dump(request["materials"]),
                        stamp,
                        stamp,
                    ),
                )
        if existing is not None:
            if existing["item_code"] != request["item_code"] or existing["item_case_id"] != request["item_case_id"]:
                raise DuplicateIdempotencyKey(existing)
            return existing, False
        return self.item_case(department, reference), True  # type: ignore[return-value]

    def item_case(self, department: str, reference: str) -> Row | None:
        """One item case, or None."""
        row = self._conn().execute(
            "SELECT * FROM item_cases WHERE department = ? AND reference = ?", (department, reference)
        )
        return self._item_case(row.fetchone())

    def open_item_cases(self) -> list[Row]:
        """Item cases not yet decided and not waiting for a supplement (to resume after a restart)."""
        rows = self._conn().execute(
            "SELECT * FROM item_cases WHERE state IN ('received', 'in_progress') ORDER BY created_at"
        )
        return [self._item_case(row) for row in rows.fetchall()]  # type: ignore[misc]

    def start(self, department: str, reference: str) -> Row | None:
        """received → in_progress; None if the item case is not in ``received`` any more."""
        with self.write() as conn:
            cursor = conn.execute(
                "UPDATE item_cases SET state = 'in_progress', updated_at = ?"
                " WHERE department = ? AND reference = ? AND state = 'received'",
                (now_iso(), department, reference),
            )
        return self.item_case(department, reference) if cursor.rowcount else None

    def decide(
        self,
        department: str,
        reference: str,
        decision: Callable[[Row, Callable[[str], int]], Row],
        drop_callback: Callable[[Row], bool],
    ) -> tuple[Row, Row | None] | None:
        """Apply the decision to an item case in ``in_progress``, atomically with its event and certificate.

        ``decision(item_case, next_seq)`` returns ``{"state", "result", "certificate", "reason", "supplement"}``;
        ``next_seq(name)`` allocates a sequence number in the same transaction. Returns the updated item
        case and the event to deliver (None when it has no callback URL or the callback is dropped), or
        None when the item case was not in ``in_progress``.
        """
        with self.write() as conn:
            item_case = self._item_case(
                conn.execute(
                    "SELECT * FROM item_cases WHERE department = ? AND reference = ? AND state = 'in_progress'",
                    (department, reference),
                ).fetchone()
            )
            if item_case is None:
                return None
            outcome = decision(item_case, lambda name: self._next(conn, name))
            stamp = now_iso()
            item_case.update(outcome, updated_at=stamp, events=item_case["events"] + 1)
            if outcome["state"] == "supplement_requested":
                item_case["supplements"] += 1
            conn.execute(
                "UPDATE item_cases SET state = ?, result = ?, certificate = ?, reason = ?, supplement = ?,"
                " supplements = ?, events = ?, updated_at = ? WHERE department = ? AND reference = ?",
                (
                    outcome["state"],
                    _dump(outcome.get("result")),
                    _dump(outcome.get("certificate")),
                    outcome.get("reason"),
                    _dump(outcome.get("supplement")),
                    item_case["supplements"],
                    item_case["events"],
                    stamp,
                    department,
                    reference,
                ),
            )
            certificate = outcome.get("certificate")
            if certificate:
                conn.execute(
                    "INSERT INTO certificates VALUES (?, ?, ?, ?, ?, ?)",
                    (department, certificate["number"], reference, certificate["type"], _dump(certificate), stamp),
                )
            event = None
            if item_case["callback_url"]:
                event = event_payload(department, item_case, stamp)
                status = "dropped" if drop_callback(item_case) else "pending"
                conn.execute(
                    "INSERT INTO events (event_id, department, reference, callback_url, payload, status, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (event["event_id"], department, reference, item_case["callback_url"], _dump(event), status, stamp),
                )
                event = event if status == "pending" else None
        return item_case, event

    def add_supplement(self, department: str, reference: str, data: Row, materials: list[Row]) -> Row | None:
        """supplement_requested → in_progress, merging the new data and appending the new materials.

        Returns the updated item case, or None if it was not waiting for a supplement.
        """
        with self.write() as conn:
            item_case = self._item_case(
                conn.execute(
                    "SELECT * FROM item_cases WHERE department = ? AND reference = ?"
                    " AND state = 'supplement_requested'",
                    (department, reference),
                ).fetchone()
            )
            if item_case is None:
                return None
            item_case["data"].update(data)
            item_case["materials"].extend(materials)
            conn.execute(
                "UPDATE item_cases SET state = 'in_progress', data = ?, materials = ?, updated_at = ?"
                " WHERE department = ? AND reference = ?",
                (_dump(item_case["data"]), _dump(item_case["materials"]), now_iso(), department, reference),
            )
        return self.item_case(department, reference)

    # -- events --------------------------------------------------------------------------------------

    def event(self, event_id: str) -> Row | None:
        """One callback event with its delivery status."""
        row = self._conn().execute("SELECT * FROM events WHERE event_id = ?", (event_id,)).fetchone()
        if row is None:
            return None
        record = dict(row)
        record["payload"] = _load(record["payload"])
        return record

    def pending_events(self) -> list[str]:
        """Ids of events still to deliver (to resume after a restart)."""
        rows = self._conn().execute("SELECT event_id FROM events WHERE status = 'pending' ORDER BY created_at")
        return [row[0] for row in rows.fetchall()]

    def record_attempt(self, event_id: str, delivered: bool, error: str | None, give_up: bool) -> None:
        """Count one delivery attempt; mark the event delivered, or failed when no attempt is left."""
        status = "delivered" if delivered else "failed" if give_up else "pending"
        with self.write() as conn:
            conn.execute(
                "UPDATE events SET attempts = attempts + 1, status = ?, last_error = ?, delivered_at = ?"
                " WHERE event_id = ? AND status = 'pending'",
                (status, error, now_iso() if delivered else None, event_id),
            )

    def events_of(self, department: str, reference: str) -> list[Row]:
        """All events of an item case, oldest first (for tests and troubleshooting)."""
        rows = self._conn().execute(
            "SELECT event_id, status, attempts, last_error FROM events WHERE department = ? AND reference = ?"
            " ORDER BY created_at",
            (department, reference),
        )
        return [dict(row) for row in rows.fetchall()]

    # -- certificates --------------------------------------------------------------------------------

    def certificate(self, department: str, number: str) -> Row | None:
        """An issued certificate with the item case it belongs to."""
        row = (
            self._conn()
            .execute(
                "SELECT c.record, c.issued_at, i.case_number, i.item_code, i.reference FROM certificates c"
                " JOIN item_cases i ON i.department = c.department AND i.reference = c.reference"
                " WHERE c.department = ? AND c.number = ?",
                (department, number),
            )
            .fetchone()
        )
        if row is None:
            return None
        return {
            **_load(row["record"]),
            "issued_at": row["issued_at"],
            "case_number": row["case_number"],
            "item_code": row["item_code"],
            "reference": row["reference"],
        }


def event_payload(department: str, item_case: Row, occurred_at: str) -> Row:
    """The body of a callback: the item case's new state and what goes with it."""
    state = item_case["state"]
    return {
        "event_id": f"{department}:{item_case['reference']}:{item_case['events']}",
        "department": department,
        "reference": item_case["reference"],
        "idempotency_key": item_case["idempotency_key"],
        "item_case_id": item_case["item_case_id"],
        "case_number": item_case["case_number"],
        "item_code": item_case["item_code"],
        "state": state,
        "result": item_case.get("result") if state == "approved" else None,
        "certificate": item_case.get("certificate") if state == "approved" else None,
        "reason": item_case.get("reason") if state == "rejected" else None,
        "supplement": item_case.get("supplement") if state == "supplement_requested" else None,
        "occurred_at": occurred_at,
    }
