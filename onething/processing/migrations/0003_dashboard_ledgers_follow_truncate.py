"""The dashboard ledgers follow a TRUNCATE of their source tables (PostgreSQL only).

Row triggers (0002) do not fire on TRUNCATE, so truncating cases, materials or item cases
(a test database's flush, a data reset) would leave the ledgers counting rows that no
longer exist. A statement trigger after TRUNCATE recomputes them from what remains.
"""

from django.db import migrations

TABLES = ["cases_case", "cases_casematerial", "processing_itemcase"]
FORWARD = [
    "CREATE OR REPLACE FUNCTION dashboard_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
    "BEGIN\n  PERFORM dashboard_rebuild();\n  RETURN NULL;\nEND\n$fn$;",
    *(
        f"CREATE TRIGGER dashboard_truncated AFTER TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION dashboard_truncated();"
        for table in TABLES
    ),
]
BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS dashboard_truncated ON {table};" for table in TABLES),
    "DROP FUNCTION IF EXISTS dashboard_truncated();",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("processing", "0002_dashboard_summaries")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
