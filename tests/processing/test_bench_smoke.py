"""CI runs the dispatch benchmark (bench/dispatch_bench.py) on a small N: it must start its
own database, department service, web server and workers, push the cases through, run
the bare baseline, print the figures and clean up. The figures of a full run are in
docs/processing.md; this only checks that the benchmark works.

Needs PostgreSQL and Redis (the benchmark creates its own database and uses its own
Redis database number, 12 here, flushed)."""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("DATABASE_URL", "")
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")

pytestmark = [
    pytest.mark.skipif(
        not DATABASE_URL.startswith(("postgres://", "postgresql://")),
        reason="the dispatch benchmark needs PostgreSQL (DATABASE_URL=postgres://...)",
    ),
    pytest.mark.skipif(
        not BROKER_URL.startswith("redis://"),
        reason="the dispatch benchmark needs Redis (CELERY_BROKER_URL=redis://...)",
    ),
]

FIGURES = [
    r"engine item dispatches/s\s+\d+\.\d",
    r"baseline tasks/s\s+\d+\.\d",
    r"ratio\s+\d+\.\d\d\s+target >= 0\.50: (target met|MISSED)",
    r"cases/s\s+\d+\.\d",
    r"acceptance -> all dispatched\s+p50 \d+\.\d{3} s\s+p99 \d+\.\d{3} s",
    r"acceptance -> concluded\s+p50 \d+\.\d{3} s\s+p99 \d+\.\d{3} s",
    r"reconcile\s+\d+ run\(s\), found: ",
    r"result: (target met|MISSED) \(engine \d+\.\d\d x baseline\)",
]


def test_dispatch_bench_small_run():
    db_name = f"onething_bench_smoke_{os.getpid()}"
    command = [sys.executable, "bench/dispatch_bench.py", "--cases", "5", "--workers", "1", "--concurrency", "4"]
    command += ["--db-name", db_name, "--redis-db", "12", "--timeout", "45"]
    started = time.monotonic()
    bench = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = bench.communicate(timeout=80)
    except subprocess.TimeoutExpired:
        bench.terminate()  # SIGTERM: the benchmark stops its processes and drops its database
        stdout, stderr = bench.communicate(timeout=30)
        pytest.fail(f"the benchmark took more than 80 s:\n{stdout}\n{stderr}")
    output = stdout + stderr
    assert bench.returncode == 0, output
    for figure in FIGURES:
        assert re.search(figure, stdout), f"missing {figure!r} in:\n{output}"
    assert "30 item cases of 5 cases" in stdout, output  # child-birth with these answers: 6 items each
    assert time.monotonic() - started < 90
