"""The audit table append-only in the database, on SQLite as on PostgreSQL.

The table keeps the name it had before the model moved from oversight to this app, and the
migrations that installed the triggers stay in oversight (they ran there on every existing
database).

PostgreSQL: a trigger refuses every UPDATE and DELETE of ``oversight_auditevent``
(migration oversight.0003); ``TRUNCATE``, which ``manage.py flush`` and the test databases use to
start afresh, is not covered.

SQLite has no TRUNCATE: ``manage.py flush`` (and so every transactional test's teardown)
empties tables with ``DELETE FROM``. Its triggers (migration oversight.0004) therefore refuse every
UPDATE, and every DELETE unless the SQL function ``onething_audit_flush()`` answers 1.
That function exists only on the engine's own connections (registered when Django opens
one, below) and answers 1 only while ``manage.py flush`` runs on that connection (the
project's ``flush`` command, onething/audit/management/commands/flush.py). On any
other connection (the ``sqlite3`` shell, another program) the function does not exist and
the DELETE fails with "no such function": the guard fails closed.

A migration that alters AuditEvent makes SQLite rebuild the table, which drops its
triggers: such a migration must call ``sqlite_triggers_forward`` again
(tests/security/test_audit_append_only_sqlite.py fails otherwise).
"""

from __future__ import annotations

from django.db.backends.signals import connection_created

FLUSH_FUNCTION = "onething_audit_flush"
REFUSED = "audit events are append-only / 审计记录只能追加"

SQLITE_FORWARD = [
    "DROP TRIGGER IF EXISTS oversight_auditevent_no_update",
    "DROP TRIGGER IF EXISTS oversight_auditevent_no_delete",
    "CREATE TRIGGER oversight_auditevent_no_update BEFORE UPDATE ON oversight_auditevent "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSED} (UPDATE refused)'); END",
    "CREATE TRIGGER oversight_auditevent_no_delete BEFORE DELETE ON oversight_auditevent "
    f"WHEN NOT {FLUSH_FUNCTION}() BEGIN SELECT RAISE(ABORT, '{REFUSED} (DELETE refused)'); END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS oversight_auditevent_no_update",
    "DROP TRIGGER IF EXISTS oversight_auditevent_no_delete",
]


def sqlite_triggers_forward(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement, params=None)


def sqlite_triggers_reverse(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement, params=None)


def _register_flush_function(sender, connection, **kwargs) -> None:
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function(
        FLUSH_FUNCTION, 0, lambda: 1 if getattr(connection, "audit_flush", False) else 0
    )


def install() -> None:
    connection_created.connect(_register_flush_function, dispatch_uid="onething-audit-flush-function")
