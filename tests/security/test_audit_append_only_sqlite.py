"""The audit table refuses UPDATE and DELETE in the database itself, on SQLite as on
PostgreSQL, whoever sends them (raw SQL here, past the model's guards); only
``manage.py flush`` (the transactional tests' teardown) may empty it."""

import sqlite3

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from onething.audit import append_only
from onething.audit.models import AuditEvent
from onething.audit.services import record


def _raw(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_raw_update_and_delete_of_audit_events_are_refused():
    record(action="test.append_only", note="before")
    event = AuditEvent.objects.get(action="test.append_only")
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"UPDATE {table} SET note = %s WHERE id = %s", ["after", event.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"DELETE FROM {table} WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"DELETE FROM {table}")
    assert AuditEvent.objects.get(pk=event.pk).note == "before"


@pytest.mark.django_db(transaction=True)
def test_flush_still_empties_the_database():
    record(action="test.flushed")
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    # and the guard is back on afterwards
    record(action="test.after_flush")
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"DELETE FROM {table}")


def test_sqlite_triggers_fail_closed_on_a_connection_of_another_program():
    """Without the engine's SQL function (the sqlite3 shell, another program) a DELETE
    fails; an INSERT still works."""
    plain = sqlite3.connect(":memory:", isolation_level=None)
    plain.execute("CREATE TABLE oversight_auditevent (id INTEGER PRIMARY KEY, note TEXT)")
    for statement in append_only.SQLITE_FORWARD:
        plain.execute(statement)
    plain.execute("INSERT INTO oversight_auditevent (note) VALUES ('x')")
    with pytest.raises(sqlite3.OperationalError, match=append_only.FLUSH_FUNCTION):
        plain.execute("DELETE FROM oversight_auditevent")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        plain.execute("UPDATE oversight_auditevent SET note = 'y'")
    assert plain.execute("SELECT count(*) FROM oversight_auditevent").fetchone() == (1,)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's triggers (PostgreSQL: tests/oversight)")
@pytest.mark.django_db
def test_the_sqlite_triggers_are_installed_by_the_migration():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'oversight_auditevent'")
        assert sorted(row[0] for row in cursor.fetchall()) == [
            "oversight_auditevent_no_delete",
            "oversight_auditevent_no_update",
        ]
