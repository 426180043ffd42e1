"""What the benchmark smoke tests share: when they can run, and how a benchmark is run."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.redis_server import needs_redis_server

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get("DATABASE_URL", "")
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")


def needs_postgres_and_redis(benchmark: str) -> list:
    """Skip markers: the benchmarks create their own database, and run on a redis-server of
    their own (tests/redis_server.py) where they use and flush one database number."""
    return [
        pytest.mark.skipif(
            not DATABASE_URL.startswith(("postgres://", "postgresql://")),
            reason=f"the {benchmark} benchmark needs PostgreSQL (DATABASE_URL=postgres://...)",
        ),
        pytest.mark.skipif(
            not BROKER_URL.startswith("redis://"),
            reason=f"the {benchmark} benchmark needs Redis (CELERY_BROKER_URL=redis://...)",
        ),
        needs_redis_server,
    ]


def bench_db_name(kind: str) -> str:
    """The benchmark's own database: named after DATABASE_URL's, the benchmark and this process."""
    configured = urlsplit(DATABASE_URL).path.strip("/") or "onething"
    return f"{configured}_{kind}_{os.getpid()}"[-63:].lower()


def run_bench(arguments: list[str], *, timeout: float, broker_url: str) -> tuple[str, str]:
    """Run ``python <arguments>`` from the repository root with CELERY_BROKER_URL=``broker_url``
    (a private redis-server: the benchmark flushes its Redis database); fail the test if it
    takes longer than ``timeout`` (SIGTERM first: the benchmark stops its processes and drops
    its database) or exits non-zero. Returns (stdout, stdout + stderr)."""
    env = {**os.environ, "CELERY_BROKER_URL": broker_url}
    bench = subprocess.Popen(
        [sys.executable, *arguments], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        stdout, stderr = bench.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        bench.terminate()
        stdout, stderr = bench.communicate(timeout=30)
        pytest.fail(f"the benchmark took more than {timeout:.0f} s:\n{stdout}\n{stderr}")
    output = stdout + stderr
    assert bench.returncode == 0, output
    return stdout, output
