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
    r"result: (target met|MISSED) \(engine \d+\.\d\d x baseline\)",
]


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
    assert time.monotonic() - started < 90
