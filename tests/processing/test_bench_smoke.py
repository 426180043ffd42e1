"""CI runs the dispatch benchmark (bench/dispatch_bench.py) on a small N: it must start its
own database, department service, web server and workers, push the cases through, run
the bare baseline, print the figures and clean up. The figures of a full run are in
docs/processing.md; this only checks that the benchmark works.

Needs PostgreSQL and Redis (the benchmark creates its own database and uses its own
Redis database number, 1 of a redis-server started
for the test on a free port, flushed: never the shared Redis)."""

import re
import time

from tests.bench.runner import bench_db_name, needs_postgres_and_redis, run_bench

pytestmark = needs_postgres_and_redis("dispatch")

FIGURES = [
    r"engine item dispatches/s\s+\d+\.\d",
    r"baseline tasks/s\s+\d+\.\d",
    r"ratio\s+\d+\.\d\d\s+target >= 0\.50: (target met|MISSED)",
    r"protocol floor items/s\s+\d+\.\d\s+30 bare submissions, each with its signed callback",
    r"floor ratio\s+\d+\.\d\d\s+the most an engine on this protocol could reach",
    r"cases/s\s+\d+\.\d",
    r"acceptance -> all dispatched\s+p50 \d+\.\d{3} s\s+p99 \d+\.\d{3} s",
    r"acceptance -> concluded\s+p50 \d+\.\d{3} s\s+p99 \d+\.\d{3} s",
    r"reconcile\s+\d+ run\(s\), found: ",
    r"result: (target met|MISSED) \(engine \d+\.\d\d x baseline\); #19 targets: \d of 4 met",
    # issue 19: the harness's CPU apart from the engine side's, the floor on the engine side, SQL per item
    r"engine CPU/item\s+\d+\.\d ms\s+engine side \d+\.\d ms \(.*\bweb \d+\.\d.*\); harness \d+\.\d ms \(.*department",
    r"bare task CPU/task\s+\d+\.\d ms\s+engine side \d+\.\d ms \(.*workers \d+\.\d.*\); harness",
    r"floor CPU/item\s+\d+\.\d ms\s+engine side \d+\.\d ms \(.*floor-web \d+\.\d.*\); harness",
    r"engine-side floor items/s\s+\d+\.\d",
    r"engine-side floor ratio\s+\d+\.\d\d\s+bare task CPU / floor engine-side CPU per item",
    r"SQL statements/item\s+(\d+\.\d|n/a)",
    r"SQL transactions/item\s+\d+\.\d\s+\d+ transactions / 30 items",
    r"target engine CPU/item\s+\d+\.\d\d\s+x bare task CPU \(.*\); target <= 2\.00 x: (met|MISSED)",
    r"target dispatches/s\s+\d+\.\d\d\s+x baseline tasks/s; target >= 0\.50 x: (met|MISSED)",
    r"target SQL statements/item\s+(\d+\.\d\s+target <= 8: (met|MISSED)|n/a\s+target <= 8: not counted here)",
    r"target SQL transactions/item\s+\d+\.\d\s+target <= 3: (met|MISSED)",
]


def milliseconds(row: str, stdout: str) -> tuple[float, float]:
    """(engine side, harness) ms per unit of a CPU row."""
    found = re.search(re.escape(row) + r"\s+[\d.]+ ms\s+engine side (\d+\.\d) ms .*; harness (\d+\.\d) ms", stdout)
    return float(found.group(1)), float(found.group(2))


def test_dispatch_bench_small_run(private_redis):
    db_name = bench_db_name("bench_smoke")
    command = ["bench/dispatch_bench.py", "--cases", "5", "--workers", "1", "--concurrency", "4"]
    command += ["--db-name", db_name, "--redis-db", "1", "--timeout", "45"]
    started = time.monotonic()
    stdout, output = run_bench(command, timeout=80, broker_url=private_redis.url(0))
    for figure in FIGURES:
        assert re.search(figure, stdout), f"missing {figure!r} in:\n{output}"
    assert "30 item cases of 5 cases" in stdout, output  # child-birth with these answers: 6 items each
    certificates = int(re.search(r"fetches the certificate PDF \((\d+)\)", stdout).group(1))
    assert 0 < certificates < 30, output  # the items that issue a certificate, fetched by the floor
    for row in ("engine CPU/item", "bare task CPU/task", "floor CPU/item"):
        engine_side, harness = milliseconds(row, stdout)
        assert 0 < engine_side < 5000 and 0 < harness < 5000, (row, output)
    transactions = float(re.search(r"SQL transactions/item\s+(\d+\.\d)", stdout).group(1))
    assert 1 <= transactions < 200, output  # every item case is written at least once
    statements = re.search(r"SQL statements/item\s+(\d+\.\d)", stdout)
    if statements:  # counted where the server log or pg_stat_statements is readable
        assert 1 <= float(statements.group(1)) < 500, output
    assert time.monotonic() - started < 90
