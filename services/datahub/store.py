"""SQLite storage of the data hub: one file in the data directory, seeded on first start.

Records are stored as JSON documents next to the few columns that are looked up, because the hub
serves whole records and never queries inside them. Generated rows carry ``source = 'seed'`` and
are replaced when the seed, the as-of date or the generator version changes; e-licences registered
through the API carry ``source = 'registered'`` and survive every re-seed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from . import DATASET_VERSION
from .generator import Dataset, generate

Record = dict[str, Any]
DB_NAME = "datahub.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS persons (
    id_number TEXT PRIMARY KEY, name TEXT NOT NULL, mobile TEXT, record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS enterprises (
    credit_code TEXT PRIMARY KEY, name TEXT NOT NULL, record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS elicences (
    licence_number TEXT PRIMARY KEY, type TEXT NOT NULL, holder TEXT NOT NULL, status TEXT NOT NULL,
    source TEXT NOT NULL, record TEXT NOT NULL, request TEXT
);
CREATE INDEX IF NOT EXISTS elicences_holder ON elicences (holder);
"""


class LicenceConflictError(Exception):
    """A licence number is already registered with different content (idempotency key reused)."""


def _dump(record: Record) -> str:
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


class Store:
    """Thin data-access layer; every call opens its own connection so any server thread may use it."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / DB_NAME

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A short-lived connection; WAL lets readers go on while an e-licence is being registered."""
        with closing(sqlite3.connect(self.path, timeout=10, isolation_level=None)) as conn:
            conn.execute("PRAGMA busy_timeout = 10000")
            yield conn

    def ensure_dataset(self, seed: int, as_of: date, persons: int, enterprises: int) -> bool:
        """Create and seed the database unless it already holds exactly this dataset; True if it (re)seeded."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fingerprint = f"v{DATASET_VERSION}:seed={seed}:as_of={as_of.isoformat()}:{persons}:{enterprises}"
        with self.connect() as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(SCHEMA)
            if self._meta(conn).get("fingerprint") == fingerprint:
                return False
            dataset = generate(seed, as_of, persons, enterprises)
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._replace_seed_rows(conn, dataset)
                meta = {
                    "fingerprint": fingerprint,
                    "seed": str(seed),
                    "as_of": as_of.isoformat(),
                    "dataset_version": str(DATASET_VERSION),
                }
                conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return True

    @staticmethod
    def _replace_seed_rows(conn: sqlite3.Connection, dataset: Dataset) -> None:
        conn.execute("DELETE FROM persons")
        conn.execute("DELETE FROM enterprises")
        conn.execute("DELETE FROM elicences WHERE source = 'seed'")
        conn.executemany(
            "INSERT INTO persons VALUES (?, ?, ?, ?)",
            ((p["id_number"], p["name"], p["mobile"], _dump(p)) for p in dataset.persons.values()),
        )
        conn.executemany(
            "INSERT INTO enterprises VALUES (?, ?, ?)",
            ((e["credit_code"], e["name"], _dump(e)) for e in dataset.enterprises.values()),
        )
        conn.executemany(  # a registered licence keeps its number if a generated one happens to match
            "INSERT OR IGNORE INTO elicences VALUES (?, ?, ?, ?, 'seed', ?, NULL)",
            (
                (lic["licence_number"], lic["type"], lic["holder"], lic["status"], _dump(lic))
                for lic in dataset.licences.values()
            ),
        )

    @staticmethod
    def _meta(conn: sqlite3.Connection) -> dict[str, str]:
        return dict(conn.execute("SELECT key, value FROM meta").fetchall())

    def meta(self) -> Record:
        """Seed, as-of date and row counts, so clients can tell which dataset they are talking to."""
        with self.connect() as conn:
            meta: Record = {k: v for k, v in self._meta(conn).items() if k != "fingerprint"}
            meta["seed"] = int(meta["seed"])
            meta["dataset_version"] = int(meta["dataset_version"])
            meta["counts"] = {
                "persons": conn.execute("SELECT COUNT(*) FROM persons").fetchone()[0],
                "enterprises": conn.execute("SELECT COUNT(*) FROM enterprises").fetchone()[0],
                "elicences": conn.execute("SELECT COUNT(*) FROM elicences").fetchone()[0],
            }
        return meta

    def _one(self, sql: str, key: str) -> Record | None:
        with self.connect() as conn:
            row = conn.execute(sql, (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def person(self, id_number: str) -> Record | None:
        """The natural-person record, or None."""
        return self._one("SELECT record FROM persons WHERE id_number = ?", id_number)

    def enterprise(self, credit_code: str) -> Record | None:
        """The legal-entity record, or None."""
        return self._one("SELECT record FROM enterprises WHERE credit_code = ?", credit_code)

    def licence(self, licence_number: str) -> Record | None:
        """One e-licence, or None."""
        return self._one("SELECT record FROM elicences WHERE licence_number = ?", licence_number)

    def licences_of(self, holder: str) -> list[Record]:
        """All e-licences of a holder, valid and revoked, in licence-number order."""
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT record FROM elicences WHERE holder = ? ORDER BY type, licence_number", (holder,)
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def register_licence(self, record: Record, request: Record) -> tuple[Record, bool]:
        """Insert a newly issued e-licence; replaying the same request returns the stored one.

        ``request`` holds what the caller actually sent: a replay is recognised by it rather than by
        the full record, whose defaults (such as today's issue date) may differ on another day.
        Returns the stored record and whether it was created now.
        """
        number = record["licence_number"]
        with self.connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(
                    "SELECT record, request FROM elicences WHERE licence_number = ?", (number,)
                ).fetchone()
                if row is None:
                    conn.execute(
                        "INSERT INTO elicences VALUES (?, ?, ?, ?, 'registered', ?, ?)",
                        (number, record["type"], record["holder"], record["status"], _dump(record), _dump(request)),
                    )
            finally:
                conn.execute("COMMIT")
        if row is None:
            return record, True
        if row[1] != _dump(request):
            raise LicenceConflictError(number)
        return json.loads(row[0]), False
