"""CI runs the dashboard benchmark (bench/dashboard_bench.py) on a tiny N: it must create
its own database, seed it in SQL, time every dashboard view, export and case lookup,
print the figures against the targets and drop the database. The figures of a full
1,000,000-case run are in docs/dashboard.md; this only checks that the benchmark works.

Needs PostgreSQL (the seed is SQL and the dashboard's ledgers are PostgreSQL triggers)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgres://", "postgresql://")),
    reason="the dashboard benchmark needs PostgreSQL (DATABASE_URL=postgres://...)",
)

LINE = r"p50\s+\d+\.\d ms  p95\s+\d+\.\d ms  target p95 < {target} ms: (met|MISSED)"


def test_dashboard_bench_small_run():
    db_name = f"onething_dashbench_smoke_{os.getpid()}"
    command = [sys.executable, "bench/dashboard_bench.py", "--cases", "300", "--repeat", "2", "--lookups", "20"]
    command += ["--db-name", db_name]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "cases_case 300, processing_itemcase 1,200, cases_casematerial 600" in result.stdout, output
    for view in ["/oversight/", "/oversight/items/", "/oversight/attention/", "/oversight/ratings/"]:
        for variant in ["no filter", "30 days + bundle", "department + centre"]:
            assert re.search(re.escape(f"{view} · {variant}") + r"\s+" + LINE.format(target=300), result.stdout), (
                f"{view} · {variant} missing:\n{output}"
            )
    assert re.search(r"export item_states · no filter\s+" + LINE.format(target=300), result.stdout), output
    assert re.search(r"case lookup · citizen \(apply.selectors.case_of\)\s+" + LINE.format(target=10), result.stdout)
    assert re.search(
        r"case lookup · clerk \(intake.selectors.case_for_clerk\)\s+" + LINE.format(target=10), result.stdout
    )
    assert re.search(r"result: (all targets met|MISSED)", result.stdout), output
    import psycopg

    with psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        left = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name]).fetchone()
    assert left is None, "the benchmark did not drop its database"
