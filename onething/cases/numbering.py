"""Case numbers people can read out: bundle code, date and a daily sequence, e.g.
``CHILD-BIRTH-20261128-0042``."""

from django.db import connection
from django.utils import timezone

from onething.cases.models import CaseSequence


def next_case_number(*, bundle_code: str) -> str:
    """Hand out the next number for today (Asia/Shanghai); safe under concurrency: one
    statement creates the day's row or increments it, and returns the number (an upsert:
    PostgreSQL and SQLite >= 3.35 both have INSERT ... ON CONFLICT ... RETURNING)."""
    day = timezone.localdate()
    table, code, on, last = map(connection.ops.quote_name, [CaseSequence._meta.db_table, "bundle_code", "day", "last"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({code}, {on}, {last}) VALUES (%s, %s, 1) "
            f"ON CONFLICT ({code}, {on}) DO UPDATE SET {last} = {table}.{last} + 1 RETURNING {last}",
            [bundle_code, connection.ops.adapt_datefield_value(day)],
        )
        (last,) = cursor.fetchone()
    return f"{bundle_code.upper()}-{day:%Y%m%d}-{last:04d}"
