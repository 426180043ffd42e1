"""Summary ledgers for the management dashboard (一体管理), PostgreSQL only.

Counting 4 million item cases on every page view is too slow, so two small ledgers hold
the counts the dashboard needs, grouped by the case's submission day (in settings.TIME_ZONE
at migration time), bundle, centre (0 = none) and channel or department/state/time status:

- ``dashboard_case_ledger``: cases, form fields, prefilled fields, first-time-right cases,
  and materials by source (shared = e-licence or data hub, deferred, pledged);
- ``dashboard_item_ledger``: item cases by department, state and time status.

Statement-level triggers with transition tables keep them exact inside the transaction of
every insert, update and delete of cases, case materials and item cases. The triggers only
ever INSERT signed delta rows (never update a counter), so concurrent writers never wait
for each other or deadlock; readers ``SUM`` the rows. ``dashboard_compact()`` (a periodic
task) folds the deltas into one row per key, ``dashboard_rebuild()`` recomputes everything
from the source tables. The dashboard reads directly from the source tables on other
databases (SQLite in development), and tests check both paths agree.

Not a Django model: these are an implementation detail of the dashboard's reads
(onething/oversight/dashboard_selectors.py); the migration state does not know them, so
makemigrations ignores them.
"""

from django.conf import settings
from django.db import migrations

SHARED = "('elicence', 'datahub')"


def _day(alias: str, tz: str) -> str:
    return f"(({alias}.submitted_at AT TIME ZONE '{tz}')::date)"


def _case_key(alias: str, tz: str) -> str:
    return f"{_day(alias, tz)}, v.bundle_id, coalesce({alias}.centre_id, 0)"


def _key_changed(old: str, new: str) -> str:
    return (
        f"({old}.submitted_at, {old}.version_id, {old}.centre_id, {old}.channel) IS DISTINCT FROM "
        f"({new}.submitted_at, {new}.version_id, {new}.centre_id, {new}.channel)"
    )


def _material_values(alias: str, sign: str) -> str:
    return (
        f"{sign}(({alias}.source IN {SHARED})::int), {sign}(({alias}.source = 'deferred')::int), "
        f"{sign}(({alias}.source = 'pledged')::int)"
    )


def forward_sql(tz: str) -> list[str]:
    case_cols = "day, bundle_id, centre_id, channel, cases, fields, prefilled, first_time_right"
    material_cols = "day, bundle_id, centre_id, channel, shared, deferred, pledged"
    item_cols = "day, bundle_id, centre_id, department_id, state, time_status, n"

    def case_rows(source: str, sign: str) -> str:
        return (
            f"SELECT {_case_key('c', tz)}, c.channel, {sign}1, {sign}c.field_count::bigint, "
            f"{sign}c.prefilled_count::bigint, {sign}(c.first_time_right::int) "
            f"FROM {source} c JOIN catalog_bundleversion v ON v.id = c.version_id"
        )

    def material_rows(source: str, sign: str) -> str:
        return (
            f"SELECT {_case_key('c', tz)}, c.channel, {_material_values('m', sign)} "
            f"FROM {source} m JOIN cases_case c ON c.id = m.case_id JOIN catalog_bundleversion v ON v.id = c.version_id"
        )

    def item_rows(source: str, sign: str) -> str:
        return (
            f"SELECT {_case_key('c', tz)}, i.department_id, i.state, i.time_status, {sign}1 "
            f"FROM {source} i JOIN cases_case c ON c.id = i.case_id JOIN catalog_bundleversion v ON v.id = c.version_id"
        )

    def folded(cols: str, keys: int, values: list[str], parts: list[str]) -> str:
        """Insert the sum of the parts per key, leaving out keys whose sums are all zero."""
        names = [c.strip() for c in cols.split(",")]
        key_names, value_names = names[:keys], names[keys:]
        inner = " UNION ALL ".join(parts)
        sums = ", ".join(f"sum({v})" for v in value_names)
        nonzero = " OR ".join(f"sum({v}) <> 0" for v in value_names)
        aliased = ", ".join(f"k{i}" for i in range(keys))
        labelled = f"SELECT * FROM ({inner}) AS d({', '.join(f'k{i}' for i in range(keys))}, {', '.join(value_names)})"
        return (
            f"INSERT INTO {values[0]} ({', '.join(key_names)}, {', '.join(value_names)}) "
            f"SELECT {aliased}, {sums} FROM ({labelled}) AS x GROUP BY {aliased} HAVING {nonzero};"
        )

    case_ledger = ["dashboard_case_ledger"]
    item_ledger = ["dashboard_item_ledger"]
    rekey_items_old = (
        f"SELECT {_case_key('o', tz)}, i.department_id, i.state, i.time_status, -1 FROM old_rows o "
        f"JOIN new_rows n ON n.id = o.id JOIN processing_itemcase i ON i.case_id = o.id "
        f"JOIN catalog_bundleversion v ON v.id = o.version_id WHERE {_key_changed('o', 'n')}"
    )
    rekey_items_new = (
        f"SELECT {_case_key('n', tz)}, i.department_id, i.state, i.time_status, 1 FROM new_rows n "
        f"JOIN old_rows o ON o.id = n.id JOIN processing_itemcase i ON i.case_id = n.id "
        f"JOIN catalog_bundleversion v ON v.id = n.version_id WHERE {_key_changed('o', 'n')}"
    )
    rekey_materials_old = (
        f"SELECT {_case_key('o', tz)}, o.channel, {_material_values('m', '-')} FROM old_rows o "
        f"JOIN new_rows n ON n.id = o.id JOIN cases_casematerial m ON m.case_id = o.id "
        f"JOIN catalog_bundleversion v ON v.id = o.version_id WHERE {_key_changed('o', 'n')}"
    )
    rekey_materials_new = (
        f"SELECT {_case_key('n', tz)}, n.channel, {_material_values('m', '')} FROM new_rows n "
        f"JOIN old_rows o ON o.id = n.id JOIN cases_casematerial m ON m.case_id = n.id "
        f"JOIN catalog_bundleversion v ON v.id = n.version_id WHERE {_key_changed('o', 'n')}"
    )

    def function(name: str, body: str) -> str:
        return (
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
            f"BEGIN\n{body}\nRETURN NULL;\nEND\n$fn$;"
        )

    def triggers(table: str, prefix: str) -> list[str]:
        return [
            f"CREATE TRIGGER {prefix}_ins AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_ins();",
            f"CREATE TRIGGER {prefix}_upd AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows "
            f"NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_upd();",
            f"CREATE TRIGGER {prefix}_del AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_del();",
        ]

    rebuild = (
        "CREATE OR REPLACE FUNCTION dashboard_rebuild() RETURNS void LANGUAGE plpgsql AS $fn$\n"
        "BEGIN\n"
        "LOCK TABLE cases_case, cases_casematerial, processing_itemcase IN SHARE MODE;\n"
        "TRUNCATE dashboard_case_ledger, dashboard_item_ledger;\n"
        + folded(case_cols, 4, case_ledger, [case_rows("cases_case", "")])
        + "\n"
        + folded(material_cols, 4, case_ledger, [material_rows("cases_casematerial", "")])
        + "\n"
        + folded(item_cols, 6, item_ledger, [item_rows("processing_itemcase", "")])
        + "\nEND\n$fn$;"
    )
    compact = (
        "CREATE OR REPLACE FUNCTION dashboard_compact() RETURNS void LANGUAGE sql AS $fn$\n"
        "WITH moved AS (DELETE FROM dashboard_case_ledger RETURNING day, bundle_id, centre_id, channel, cases, "
        "fields, prefilled, first_time_right, shared, deferred, pledged)\n"
        "INSERT INTO dashboard_case_ledger (day, bundle_id, centre_id, channel, cases, fields, prefilled, "
        "first_time_right, shared, deferred, pledged)\n"
        "SELECT day, bundle_id, centre_id, channel, sum(cases), sum(fields), sum(prefilled), sum(first_time_right), "
        "sum(shared), sum(deferred), sum(pledged) FROM moved GROUP BY 1, 2, 3, 4\n"
        "HAVING sum(cases) <> 0 OR sum(fields) <> 0 OR sum(prefilled) <> 0 OR sum(first_time_right) <> 0 "
        "OR sum(shared) <> 0 OR sum(deferred) <> 0 OR sum(pledged) <> 0;\n"
        "WITH moved AS (DELETE FROM dashboard_item_ledger RETURNING day, bundle_id, centre_id, department_id, "
        "state, time_status, n)\n"
        "INSERT INTO dashboard_item_ledger (day, bundle_id, centre_id, department_id, state, time_status, n)\n"
        "SELECT day, bundle_id, centre_id, department_id, state, time_status, sum(n) FROM moved "
        "GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(n) <> 0;\n"
        "$fn$;"
    )
    return [
        """CREATE TABLE dashboard_case_ledger (
            id bigserial PRIMARY KEY,
            day date NOT NULL,
            bundle_id bigint NOT NULL,
            centre_id bigint NOT NULL,
            channel varchar(16) NOT NULL,
            cases integer NOT NULL DEFAULT 0,
            fields bigint NOT NULL DEFAULT 0,
            prefilled bigint NOT NULL DEFAULT 0,
            first_time_right integer NOT NULL DEFAULT 0,
            shared integer NOT NULL DEFAULT 0,
            deferred integer NOT NULL DEFAULT 0,
            pledged integer NOT NULL DEFAULT 0
        );""",
        "CREATE INDEX dashboard_case_ledger_day ON dashboard_case_ledger (day);",
        """CREATE TABLE dashboard_item_ledger (
            id bigserial PRIMARY KEY,
            day date NOT NULL,
            bundle_id bigint NOT NULL,
            centre_id bigint NOT NULL,
            department_id bigint NOT NULL,
            state varchar(24) NOT NULL,
            time_status varchar(16) NOT NULL,
            n integer NOT NULL
        );""",
        "CREATE INDEX dashboard_item_ledger_day ON dashboard_item_ledger (day);",
        "CREATE INDEX dashboard_item_ledger_department ON dashboard_item_ledger (department_id, day);",
        function("dashboard_case_ins", folded(case_cols, 4, case_ledger, [case_rows("new_rows", "")])),
        function("dashboard_case_del", folded(case_cols, 4, case_ledger, [case_rows("old_rows", "-")])),
        function(
            "dashboard_case_upd",
            "\n".join(
                [
                    folded(case_cols, 4, case_ledger, [case_rows("old_rows", "-"), case_rows("new_rows", "")]),
                    folded(item_cols, 6, item_ledger, [rekey_items_old, rekey_items_new]),
                    folded(material_cols, 4, case_ledger, [rekey_materials_old, rekey_materials_new]),
                ]
            ),
        ),
        *triggers("cases_case", "dashboard_case"),
        function("dashboard_material_ins", folded(material_cols, 4, case_ledger, [material_rows("new_rows", "")])),
        function("dashboard_material_del", folded(material_cols, 4, case_ledger, [material_rows("old_rows", "-")])),
        function(
            "dashboard_material_upd",
            folded(material_cols, 4, case_ledger, [material_rows("old_rows", "-"), material_rows("new_rows", "")]),
        ),
        *triggers("cases_casematerial", "dashboard_material"),
        function("dashboard_item_ins", folded(item_cols, 6, item_ledger, [item_rows("new_rows", "")])),
        function("dashboard_item_del", folded(item_cols, 6, item_ledger, [item_rows("old_rows", "-")])),
        function(
            "dashboard_item_upd",
            folded(item_cols, 6, item_ledger, [item_rows("old_rows", "-"), item_rows("new_rows", "")]),
        ),
        *triggers("processing_itemcase", "dashboard_item"),
        rebuild,
        compact,
        "SELECT dashboard_rebuild();",
    ]


BACKWARD = [
    "DROP TRIGGER IF EXISTS dashboard_case_ins ON cases_case;",
    "DROP TRIGGER IF EXISTS dashboard_case_upd ON cases_case;",
    "DROP TRIGGER IF EXISTS dashboard_case_del ON cases_case;",
    "DROP TRIGGER IF EXISTS dashboard_material_ins ON cases_casematerial;",
    "DROP TRIGGER IF EXISTS dashboard_material_upd ON cases_casematerial;",
    "DROP TRIGGER IF EXISTS dashboard_material_del ON cases_casematerial;",
    "DROP TRIGGER IF EXISTS dashboard_item_ins ON processing_itemcase;",
    "DROP TRIGGER IF EXISTS dashboard_item_upd ON processing_itemcase;",
    "DROP TRIGGER IF EXISTS dashboard_item_del ON processing_itemcase;",
    *(
        f"DROP FUNCTION IF EXISTS {name}();"
        for name in [
            "dashboard_case_ins",
            "dashboard_case_upd",
            "dashboard_case_del",
            "dashboard_material_ins",
            "dashboard_material_upd",
            "dashboard_material_del",
            "dashboard_item_ins",
            "dashboard_item_upd",
            "dashboard_item_del",
            "dashboard_rebuild",
            "dashboard_compact",
        ]
    ),
    "DROP TABLE IF EXISTS dashboard_case_ledger;",
    "DROP TABLE IF EXISTS dashboard_item_ledger;",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in forward_sql(settings.TIME_ZONE):
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("processing", "0001_initial"),
        ("cases", "0004_case_concluded_at_alter_case_state"),
        ("catalog", "0001_initial"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
