"""The audit trail becomes append-only in the database too.

* ``actor`` is PROTECT instead of SET_NULL: deleting a user would otherwise rewrite the
  events they made (deactivate a user instead of deleting them).
* On PostgreSQL a trigger refuses every UPDATE and DELETE of ``oversight_auditevent``,
  whoever issues it (the ORM, raw SQL, a psql session of the application's role). TRUNCATE
  is not covered: it is what test databases and the benchmark use to start afresh, and no
  code path of the application issues it. Other databases (SQLite in development and
  tests) rely on the model and queryset guards.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FORWARD = """
CREATE OR REPLACE FUNCTION oversight_auditevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only / 审计记录只能追加 (% refused)', TG_OP;
END
$$;
DROP TRIGGER IF EXISTS oversight_auditevent_append_only ON oversight_auditevent;
CREATE TRIGGER oversight_auditevent_append_only
    BEFORE UPDATE OR DELETE ON oversight_auditevent
    FOR EACH ROW EXECUTE FUNCTION oversight_auditevent_append_only();
"""

REVERSE = """
DROP TRIGGER IF EXISTS oversight_auditevent_append_only ON oversight_auditevent;
DROP FUNCTION IF EXISTS oversight_auditevent_append_only();
"""


def _on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # None: the "%" of RAISE is not a placeholder

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("oversight", "0002_ratings"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to=settings.AUTH_USER_MODEL,
                verbose_name="操作人",
            ),
        ),
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(REVERSE), elidable=False),
    ]
