"""The audit trail append-only in the database on SQLite too: triggers refuse every UPDATE
of ``oversight_auditevent`` and every DELETE outside ``manage.py flush`` (see
onething/audit/append_only.py). PostgreSQL keeps the trigger of migration 0003."""

from django.db import migrations

from onething.audit.append_only import sqlite_triggers_forward, sqlite_triggers_reverse


class Migration(migrations.Migration):
    dependencies = [("oversight", "0003_auditevent_append_only")]

    operations = [migrations.RunPython(sqlite_triggers_forward, sqlite_triggers_reverse, elidable=False)]
