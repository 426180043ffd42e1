"""CI runs the load benchmark (bench/load_bench.py) on a tiny N: it must start its own
database, data hub, department service, web server and workers, log citizens and a clerk
in through the API, submit, accept and conclude every case, lose none, run the bare
baseline, print the figures and clean up. The figures of a full run are in docs/load.md;
this only checks that the benchmark works.

Needs PostgreSQL and Redis (the benchmark creates its own database and uses its own
Redis database number, 1 of a redis-server started
for the test on a free port, flushed: never the shared Redis)."""

import re
import time

from tests.bench.runner import bench_db_name, needs_postgres_and_redis, run_bench

pytestmark = needs_postgres_and_redis("load")

FIGURES = [
    r"submissions/s\s+\d+\.\d\s+target >= 100/s: (met|MISSED)",
    r"submit p99\s+\d+\.\d ms\s+target < 300 ms: (met|MISSED)",
    r"notice\s+p50\s+\d+\.\d ms\s+p99\s+\d+\.\d ms",
    r"submit\s+p50\s+\d+\.\d ms\s+p99\s+\d+\.\d ms",
    r"accept\s+p50\s+\d+\.\d ms",
    r"errors\s+0\b",
    r"cases lost\s+0\b",
    r"cases unacknowledged\s+0\b",
    r"bare baseline req/s\s+\d+\.\d",
    r"journey floor/s\s+\d+\.\d\s+bare req/s / 5 requests per citizen journey",
    r"bare\s+p50\s+\d+\.\d ms\s+p99\s+\d+\.\d ms",
    r"ratio\s+\d+\.\d\d",
    r"load window\s+CPU s in .*web \d+\.\d.*bench \d+\.\d",
    r"result: submissions/s (met|MISSED), p99 (met|MISSED); cases lost 0; .*#19 targets: \d of 4 met",
    # issue 19: CPU per journey, engine side apart from the harness; the journey floor on the engine side; targets
    r"CPU/journey\s+\d+\.\d ms\s+engine side \d+\.\d ms \(.*\bweb \d+\.\d.*\); harness \d+\.\d ms \(.*bench",
    r"bare CPU/request\s+\d+\.\d ms\s+engine side \d+\.\d ms \(.*bare-web \d+\.\d.*\); harness",
    r"engine-side journey floor/s\s+\d+\.\d\s+\d+ core\(s\) / \(5 requests x \d+\.\d ms",
    r"paced window\s+1\.0/s\s+offered for 4 s; \d+\.\d submissions/s achieved, 0 error\(s\)",
    r"target web CPU/journey\s+\d+\.\d ms\s+web CPU in the window / citizen journeys; target <= 40 ms: (met|MISSED)",
    r"target p99 at 50/s\s+\d+\.\d ms\s+offered 1\.0/s, achieved \d+\.\d/s, 0 error\(s\); .*: MISSED",  # not 50/s
    r"target sustained rate\s+\d+\.\d\d\s+x engine-side journey floor .*target >= 0\.50 x: (met|MISSED)",
    r"target cases lost\s+0\s+target 0: met",
]


def test_load_bench_small_run(private_redis):
    db_name = bench_db_name("load_smoke")
    command = ["bench/load_bench.py", "--users", "2", "--duration", "6", "--warmup", "1"]
    command += ["--clerks", "1", "--web-workers", "2", "--workers", "1", "--concurrency", "4"]
    command += ["--db-name", db_name, "--redis-db", "1", "--timeout", "60", "--bare-requests", "200"]
    command += ["--rate", "1", "--rate-duration", "4"]
    started = time.monotonic()
    stdout, output = run_bench(command, timeout=190, broker_url=private_redis.url(0))
    for figure in FIGURES:
        assert re.search(figure, stdout), f"missing {figure!r} in:\n{output}"
    submitted = int(re.search(r"cases submitted\s+(\d+)", stdout).group(1))
    concluded = int(re.search(r"cases concluded\s+(\d+)", stdout).group(1))
    assert submitted >= 1 and concluded == submitted, output
    for row in ("CPU/journey", "bare CPU/request"):
        found = re.search(re.escape(row) + r"\s+[\d.]+ ms\s+engine side (\d+\.\d) ms .*; harness (\d+\.\d) ms", stdout)
        engine_side, harness = float(found.group(1)), float(found.group(2))
        assert 0 < engine_side < 10000 and 0 < harness < 10000, (row, output)
    web = float(re.search(r"target web CPU/journey\s+(\d+\.\d) ms", stdout).group(1))
    assert 0 < web < 10000, output
    assert time.monotonic() - started < 200
