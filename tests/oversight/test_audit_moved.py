"""AuditEvent moved from oversight to the audit app without moving a row: a database
migrated before the move keeps its events, its triggers and its content type (so the
permissions given on it), and a fresh database ends up the same (the test database itself)."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from onething.audit.models import AuditEvent

ROOT = Path(__file__).resolve().parents[2]


def _manage(tmp_path: Path, *args: str) -> None:
    env = os.environ | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ONETHING_VAR_DIR": str(tmp_path / "var"),
    }
    subprocess.run([sys.executable, "manage.py", *args, "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)


def test_the_model_keeps_its_table():
    assert AuditEvent._meta.app_label == "audit"
    assert AuditEvent._meta.db_table == "oversight_auditevent"


def test_a_database_migrated_before_the_move_keeps_its_events_triggers_and_content_type(tmp_path):
    # the database as main left it: oversight's migrations up to the append-only triggers,
    # an event in the table, the content type (and a permission on it) under oversight
    _manage(tmp_path, "migrate", "oversight", "0004")
    db = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    db.execute(
        "INSERT INTO oversight_auditevent (at, action, case_number, object_type, object_id, note)"
        " VALUES ('2026-11-28 01:00:00', 'case.accepted', 'T-1', '', '', 'before the move')"
    )
    db.execute("UPDATE django_content_type SET app_label = 'oversight' WHERE model = 'auditevent'")
    (content_type,) = db.execute("SELECT id FROM django_content_type WHERE model = 'auditevent'").fetchone()
    assert db.execute("SELECT count(*) FROM auth_permission WHERE content_type_id = ?", [content_type]).fetchone()[0]

    _manage(tmp_path, "migrate")

    assert db.execute("SELECT action, note FROM oversight_auditevent").fetchall() == [
        ("case.accepted", "before the move")
    ]
    assert db.execute("SELECT id, app_label FROM django_content_type WHERE model = 'auditevent'").fetchall() == [
        (content_type, "audit")
    ]
    triggers = db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'oversight_auditevent'")
    assert sorted(row[0] for row in triggers) == ["oversight_auditevent_no_delete", "oversight_auditevent_no_update"]
    with pytest.raises(sqlite3.OperationalError):  # no engine connection: the guard fails closed
        db.execute("DELETE FROM oversight_auditevent")
    applied = {row for row in db.execute("SELECT app, name FROM django_migrations WHERE app IN ('audit', 'oversight')")}
    assert {("oversight", "0005_auditevent_moved_to_audit"), ("audit", "0001_initial")} <= applied


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the test database here is SQLite")
@pytest.mark.django_db
def test_a_fresh_database_has_the_table_and_no_second_one():
    tables = connection.introspection.table_names()
    assert "oversight_auditevent" in tables and "audit_auditevent" not in tables
