"""Django's ``flush``, which on SQLite may empty the audit table too (it deletes every row
of every table; PostgreSQL's flush uses TRUNCATE, which the audit trigger does not cover).
See onething/audit/append_only.py."""

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import DEFAULT_DB_ALIAS, connections


class Command(DjangoFlush):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        connection.audit_flush = True
        try:
            return super().handle(**options)
        finally:
            connection.audit_flush = False
