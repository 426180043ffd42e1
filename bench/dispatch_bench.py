"""Benchmark: fan-out of accepted cases to the department service (一网办理), against a bare
Celery baseline measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/onething \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \\
    .venv/bin/python bench/dispatch_bench.py --cases 300 --workers 2 --concurrency 8

What it does, all on this machine:

1. creates its own database (``--db-name``, dropped and recreated on the server of
   DATABASE_URL), migrates it and loads the demo; uses its own Redis database
   (``--redis-db`` on the server of CELERY_BROKER_URL, flushed at start and end) so that
   its queues never mix with those of an engine or a test run on the same Redis;
2. starts the department service (``--delay-scale 0``: decisions within milliseconds), the
   engine's web server for the callbacks (gunicorn, 3 sync workers) and ``--workers`` Celery
   workers on every engine queue with ``--concurrency`` each;
3. accepts ``--cases`` child-birth cases without the data hub or the intake UI: the case
   rows are bulk-created in state accepted, then each is split (``case_split``) in its own
   transaction, which enqueues its first dispatches on commit. Downstream items are
   dispatched after their upstream's callback: the real flow, dependency order included;
4. waits until every case is concluded, running the reconciliation every
   ``--reconcile-every`` seconds meanwhile as beat would, and measures cases/s, item
   dispatches/s and the latencies from acceptance to all-dispatched and to concluded;
5. stops the engine's workers and web server and runs the baseline: as many workers with
   the same concurrency on the queue ``bench``, and as many tasks as there were item
   dispatches, each making the same signed submission to the same service and nothing
   else (bench/baseline_tasks.py);
6. runs the protocol floor: the same bare tasks, each with a callback URL, so that the
   department service calls back, signed, into a bare view (bench/bare_wsgi.py) served by
   the same gunicorn set-up, which fetches the certificate PDF an approval names; timed
   until every callback arrived. The network exchanges of an item with no engine work at
   all: the most an engine on this protocol could reach;
7. prints the figures and "target met" or "MISSED" (item dispatches/s >= 0.5 x baseline
   tasks/s), the floor and its ratio to the baseline, stops every process and drops its
   database.

Exit status: 0 when the run completed (whether or not the target was met, unless
``--require-target``), 1 for a missed target with ``--require-target``, 2 for an error
(with a message saying what went wrong).
"""

import argparse
import base64
import contextlib
import io
import json
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 0.5
TARGET_CPU_FACTOR = 2.0  # engine-side CPU per item at most this many times the bare task's CPU per task (#19)
TARGET_STATEMENTS = 8  # SQL statements per item (#19)
TARGET_TRANSACTIONS = 3  # transactions per item (#19)
# Process groups that are the test harness, not the engine: the department service and the data hub
# (a real department and the hub run on their own hosts) and this process (load generator, polling).
HARNESS = ("department", "datahub", "bench")
ENGINE_QUEUES = "dispatch,callbacks,notifications,maintenance"
BASELINE_QUEUE = "bench"
ANSWERS = {"birth_place": "local_hospital", "married": True, "mother_insured": True}
BUNDLE = "child-birth"
LISTENING = re.compile(r"listening on (http://[\d.]+:\d+)")
# The engine runs with DEBUG off, which refuses demo secrets (docs/security.md, "Secrets,
# storage and logs"): the benchmark's data hub, departments and engine share fresh ones.
BENCH_DATAHUB_KEY = secrets.token_urlsafe(32)
BENCH_ENCRYPTION_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode()
DEPARTMENT_CONFIG = ROOT / "services" / "department" / "departments.json"
BENCH_DEPARTMENT_SECRETS: dict[str, str] = {
    code: secrets.token_urlsafe(48) for code in json.loads(DEPARTMENT_CONFIG.read_text(encoding="utf-8"))["departments"]
}


class BenchError(Exception):
    """Something kept the benchmark from running; the message says what."""


# --- command line and environment ------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Fan-out of accepted cases to the department service, against a bare Celery baseline.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Needs DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://... (see the module docstring).",
    )
    parser.add_argument("--cases", type=int, default=200, help="accepted cases to push through (default 200)")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes (default 2)")
    parser.add_argument("--concurrency", type=int, default=8, help="pool size of each worker (default 8)")
    parser.add_argument(
        "--reconcile-every", type=float, default=5.0, help="seconds between reconciliation runs (default 5)"
    )
    parser.add_argument(
        "--timeout", type=float, default=None, help="seconds each phase may take (default 60 + 1 s per case)"
    )
    parser.add_argument(
        "--db-name", default="onething_bench", help="database created for the run (default %(default)s)"
    )
    parser.add_argument(
        "--redis-db", type=int, default=13, help="Redis database number used for the run, flushed (default 13)"
    )
    parser.add_argument(
        "--worker-log-level", default="WARNING", help="log level of the Celery workers (default WARNING)"
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--keep-logs", action="store_true", help="keep the processes' logs (else kept on errors only)")
    parser.add_argument("--require-target", action="store_true", help="exit with 1 when the target is missed")
    parser.add_argument(
        "--pg-log",
        default=None,
        help="the PostgreSQL server's log file, to count SQL statements (default: found if readable)",
    )
    args = parser.parse_args(argv)
    if args.cases < 1 or args.workers < 1 or args.concurrency < 1:
        parser.error("--cases, --workers and --concurrency must be at least 1")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.db_name):
        parser.error("--db-name: lower-case letters, digits and underscores only")
    if args.timeout is None:
        args.timeout = 60.0 + args.cases
    return args


@dataclass(frozen=True)
class Targets:
    database_url: str  # of the bench database
    maintenance: dict  # psycopg connection arguments for the server's "postgres" database
    db_name: str
    broker_url: str  # of the bench Redis database


def postgres_target(db_name: str) -> tuple[str, dict]:
    """The URL of the benchmark's own database on the server of DATABASE_URL, and the
    psycopg arguments for that server's "postgres" database (to create and drop it)."""
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise BenchError(
            "DATABASE_URL must point at PostgreSQL (postgres://user@host:port/db): the benchmark creates its "
            f"own database on that server. Got: {database_url or '(not set)'}"
        )
    given = urlsplit(database_url)
    if given.path.strip("/") == db_name:
        raise BenchError(f"--db-name {db_name} is the database of DATABASE_URL; the benchmark would drop it")
    maintenance = {
        "dbname": "postgres",
        "user": given.username or "postgres",
        "password": given.password or None,
        "host": given.hostname or "127.0.0.1",
        "port": given.port or 5432,
        "connect_timeout": 5,
    }
    return (
        urlunsplit((given.scheme, given.netloc, f"/{db_name}", given.query, "")),
        {k: v for k, v in maintenance.items() if v is not None},
    )


def targets_from_environment(db_name: str, redis_db: int) -> Targets:
    database_url, maintenance = postgres_target(db_name)
    broker_url = os.environ.get("CELERY_BROKER_URL", "")
    if not broker_url.startswith("redis://"):
        raise BenchError(
            "CELERY_BROKER_URL must point at Redis (redis://host:port/db): the benchmark uses its own database "
            f"number on that server. Got: {broker_url or '(not set)'}"
        )
    if not 0 <= redis_db <= 15:
        raise BenchError("--redis-db must be between 0 and 15")
    broker = urlsplit(broker_url)
    if broker.path.strip("/") == str(redis_db) or (redis_db == 0 and broker.path.strip("/") in {"", "0"}):
        raise BenchError(f"--redis-db {redis_db} is the database of CELERY_BROKER_URL; the benchmark flushes it")
    return Targets(
        database_url=database_url,
        maintenance=maintenance,
        db_name=db_name,
        broker_url=urlunsplit((broker.scheme, broker.netloc, f"/{redis_db}", broker.query, "")),
    )


def recreate_database(targets: Targets) -> None:
    import psycopg

    try:
        with psycopg.connect(**targets.maintenance, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{targets.db_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{targets.db_name}"')
    except psycopg.Error as error:
        raise BenchError(f"cannot create the database {targets.db_name}: {error}") from error


def drop_database(targets: Targets) -> None:
    import psycopg

    try:
        with psycopg.connect(**targets.maintenance, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{targets.db_name}" WITH (FORCE)')
    except psycopg.Error as error:
        print(f"warning: could not drop the database {targets.db_name}: {error}", file=sys.stderr)


def flush_redis(broker_url: str) -> None:
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        client = Redis.from_url(broker_url, socket_timeout=5)
        client.flushdb()
        client.close()
    except RedisError as error:
        raise BenchError(f"cannot reach Redis at {broker_url}: {error}") from error


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- processes -------------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def alive(self) -> bool:
        return self.popen.poll() is None

    def cpu_seconds(self) -> float:
        return group_cpu_seconds(self.popen.pid)

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM the process group (a worker's pool children too); SIGKILL if it lingers."""
        if self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        except ProcessLookupError:
            pass


@dataclass
class Machine:
    """Every process the benchmark started, and where their logs go."""

    log_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)

    def spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> Process:
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("wb") as log:
            popen = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env if env is not None else self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = Process(name, popen, log_path)
        self.processes.append(process)
        return process

    def stop(self, processes: list[Process] | None = None) -> None:
        for process in list(processes if processes is not None else self.processes):
            process.stop()
            if process in self.processes:
                self.processes.remove(process)

    def check_alive(self) -> None:
        for process in self.processes:
            if not process.alive():
                raise BenchError(
                    f"{process.name} exited with {process.popen.returncode}; its log:\n{process.log_tail()}"
                )


def _proc_stats():
    """(command name, process group, CPU ticks incl. reaped children, pid) of every process (Linux /proc)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            head, tail = (entry / "stat").read_text().rsplit(")", 1)
        except (OSError, ValueError):
            continue
        fields = tail.split()  # state, ppid, pgrp, ...; utime, stime, cutime, cstime at 11..14
        yield head.split("(", 1)[-1], int(fields[2]), sum(int(value) for value in fields[11:15]), int(entry.name)


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU of a process group, reaped children included."""
    return sum(ticks for _, group, ticks, _ in _proc_stats() if group == pgid) / os.sysconf("SC_CLK_TCK")


def _redis_serves(pid: int, port: int | None) -> bool:
    """Whether the redis-server ``pid`` listens on ``port`` (its title: ``redis-server host:port``)."""
    if port is None:
        return True
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return f":{port}" in title.split()[1] if len(title.split()) > 1 else False


def servers_cpu_seconds(redis_port: int | None = None) -> dict[str, float]:
    """CPU of the PostgreSQL server (all its clients, not only ours) and of the redis-server
    listening on ``redis_port`` (every redis-server when it is None or none matches)."""
    totals = {"postgres*": 0.0, "redis*": 0.0}
    redis = []
    for name, _, ticks, pid in _proc_stats():
        if name == "postgres":
            totals["postgres*"] += ticks
        elif name.startswith("redis-server"):
            redis.append((pid, ticks))
    ours = [ticks for pid, ticks in redis if _redis_serves(pid, redis_port)]
    totals["redis*"] = sum(ours if ours else (ticks for _, ticks in redis))
    return {name: ticks / os.sysconf("SC_CLK_TCK") for name, ticks in totals.items()}


def redis_port_of(broker_url: str | None) -> int | None:
    return (urlsplit(broker_url).port or 6379) if broker_url else None


def machine_busy() -> tuple[int, int]:
    """Busy and total jiffies of all CPUs since boot (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return sum(values) - values[3] - values[4], sum(values)


@dataclass
class CpuMeter:
    """Where the CPU went during a phase: each of our processes, this process, the machine."""

    machine: "Machine"
    start: dict[str, float] = field(default_factory=dict)
    busy_start: tuple[int, int] = (0, 0)
    wall_start: float = 0.0

    def __post_init__(self) -> None:
        self.start = self._snapshot()
        self.busy_start = machine_busy()
        self.wall_start = time.monotonic()

    def _snapshot(self) -> dict[str, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        counts = {"bench": usage.ru_utime + usage.ru_stime}
        for process in self.machine.processes:
            group = "workers" if process.name.startswith("worker-") else process.name
            counts[group] = counts.get(group, 0.0) + process.cpu_seconds()
        return counts | servers_cpu_seconds(redis_port_of(self.machine.env.get("CELERY_BROKER_URL")))

    def used(self) -> dict[str, float]:
        """CPU seconds per process group since the meter started."""
        now = self._snapshot()
        return {name: now[name] - self.start.get(name, 0.0) for name in now}

    def summary(self) -> str:
        used = self.used()
        busy, total = machine_busy()
        share = (busy - self.busy_start[0]) / max(1, total - self.busy_start[1])
        wall = time.monotonic() - self.wall_start
        parts = ", ".join(f"{name} {seconds:.1f}" for name, seconds in sorted(used.items(), key=lambda kv: -kv[1]))
        cores = os.cpu_count() or 1
        return (
            f"CPU s in {wall:.1f} s wall ({wall * cores:.1f} available): {parts}; "
            f"machine busy {share:.0%} (postgres* = whole server, other users' clients included; "
            "redis* = the broker's redis-server)"
        )


@dataclass
class CpuSplit:
    """CPU seconds of a phase, engine side (web, workers, PostgreSQL, Redis) apart from the harness."""

    engine: dict[str, float]
    harness: dict[str, float]
    other: dict[str, float] = field(default_factory=dict)  # shown apart, in neither sum

    @classmethod
    def of(cls, used: dict[str, float], other: dict[str, float] | None = None) -> "CpuSplit":
        return cls(
            engine={name: seconds for name, seconds in used.items() if name not in HARNESS},
            harness={name: seconds for name, seconds in used.items() if name in HARNESS},
            other=other or {},
        )

    @property
    def engine_seconds(self) -> float:
        return sum(self.engine.values())

    @property
    def harness_seconds(self) -> float:
        return sum(self.harness.values())

    def per_unit(self, count: int) -> str:
        """The split in milliseconds per unit (item, task, journey)."""

        def parts(groups: dict[str, float]) -> str:
            ordered = sorted(groups.items(), key=lambda kv: -kv[1])
            return ", ".join(f"{name} {seconds * 1000 / count:.1f}" for name, seconds in ordered)

        text = (
            f"engine side {self.engine_seconds * 1000 / count:.1f} ms ({parts(self.engine)}); "
            f"harness {self.harness_seconds * 1000 / count:.1f} ms ({parts(self.harness)})"
        )
        if self.other:
            text += "; " + "; ".join(f"{name} {seconds * 1000 / count:.1f} ms" for name, seconds in self.other.items())
        return text


# --- SQL statements and transactions -----------------------------------------------------------

_LOGGED = re.compile(r"\[(\d+)\] [^ ]*@([^ ]+) LOG:  (?:statement|execute [^:]*): (.*)")


def server_log_path(maintenance: dict, given: str | None) -> Path | None:
    """The PostgreSQL server's log file when this process can read it: ``given``, the logging
    collector's current file, or Debian's /var/log/postgresql/postgresql-<major>-main.log."""
    import psycopg

    if given:
        return Path(given) if os.access(given, os.R_OK) else None
    try:
        with psycopg.connect(**maintenance, autocommit=True) as conn:
            current = conn.execute("SELECT pg_current_logfile()").fetchone()[0]
            data_dir = conn.execute("SHOW data_directory").fetchone()[0]
            major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
    except psycopg.Error:
        return None
    candidates = [Path(data_dir) / current] if current else []
    candidates.append(Path(f"/var/log/postgresql/postgresql-{major}-main.log"))
    return next((path for path in candidates if path.is_file() and os.access(path, os.R_OK)), None)


@dataclass
class SqlCounts:
    statements: int | None  # None: no way to count them here
    transactions: int  # of the engine's connections (from the log), else the whole database's
    database_xacts: int  # pg_stat_database xact_commit + xact_rollback of the bench database
    source: str

    def row(self, count: int, unit: str) -> tuple[tuple[str, str, str], tuple[str, str, str]]:
        statements = "n/a" if self.statements is None else f"{self.statements / count:8.1f}"
        stmt_note = (
            self.source if self.statements is None else f"{self.statements} statements / {count} {unit}; {self.source}"
        )
        return (
            (f"SQL statements/{unit.rstrip('s')}", statements, stmt_note),
            (
                f"SQL transactions/{unit.rstrip('s')}",
                f"{self.transactions / count:8.1f}",
                f"{self.transactions} transactions / {count} {unit}; pg_stat_database xact_commit + xact_rollback "
                f"of the bench database {self.database_xacts} ({self.database_xacts / count:.1f}/{unit.rstrip('s')}, "
                "the benchmark's own polling included)",
            ),
        )


class SqlCounter:
    """Counts the SQL the engine's processes run on the bench database.

    ``pg_stat_database`` gives the bench database's transactions (xact_commit + xact_rollback deltas,
    the benchmark's own polling included). With a readable server log, ``log_statement = 'all'`` is set on the bench
    database only (``ALTER DATABASE``; the benchmark's own connections turn it off for their
    session) and the log lines of that database are counted, per backend: statements other than
    BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE, and transactions (a BEGIN … COMMIT block, or a
    statement outside one) of the engine's connections alone. Else statements through
    pg_stat_statements when the server preloads it (the benchmark's own polling then counts too) and
    transactions from pg_stat_database; else statements are not counted (n/a)."""

    def __init__(self, targets: "Targets", log_option: str | None) -> None:
        self.targets = targets
        self.log = server_log_path(targets.maintenance, log_option)
        self.pgss = False
        self.offset = 0
        self.xacts = 0
        self.blocks = 0

    def _bench_db(self):
        import psycopg

        return psycopg.connect(**{**self.targets.maintenance, "dbname": self.targets.db_name}, autocommit=True)

    def enable(self) -> None:
        """Before the engine's processes connect: turn statement logging on for the bench database."""
        import psycopg

        if self.log is not None:
            try:
                with psycopg.connect(**self.targets.maintenance, autocommit=True) as conn:
                    conn.execute(f"ALTER DATABASE \"{self.targets.db_name}\" SET log_statement = 'all'")
                self._quiet_own_connections()
                return
            except psycopg.Error:
                self.log = None
        try:
            with self._bench_db() as conn:
                if conn.execute("SELECT 1 FROM pg_settings WHERE name = 'pg_stat_statements.max'").fetchone():
                    conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
                    self.pgss = True
        except psycopg.Error:
            self.pgss = False

    @staticmethod
    def _quiet_own_connections() -> None:
        from django.db import connections
        from django.db.backends.signals import connection_created

        def quiet(sender, connection, **kwargs) -> None:
            with connection.cursor() as cursor:
                cursor.execute("SET log_statement = 'none'")

        connection_created.connect(quiet, weak=False)
        connections.close_all()  # reconnect quietly

    def _xacts(self) -> int:
        import psycopg

        with psycopg.connect(**self.targets.maintenance, autocommit=True) as conn:
            row = conn.execute(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", [self.targets.db_name]
            ).fetchone()
        return int(row[0]) if row else 0

    def start(self) -> None:
        if self.log is not None:
            self.offset = self.log.stat().st_size
        if self.pgss:
            with self._bench_db() as conn:
                conn.execute("SELECT pg_stat_statements_reset()")
        self.xacts = self._xacts()

    def stop(self) -> SqlCounts:
        """After the engine's processes closed their connections (their statistics are flushed then)."""
        time.sleep(0.6)  # backends report their statistics within a moment of closing
        xacts = self._xacts() - self.xacts
        if self.log is not None:
            statements, transactions = self._count_log()
            source = (
                f"counted from the server log ({self.log}, log_statement=all on the bench database, the engine's "
                f"connections only); {self.blocks} BEGIN…COMMIT blocks + {transactions - self.blocks} single statements"
            )
            return SqlCounts(statements, transactions, xacts, source)
        if self.pgss:
            with self._bench_db() as conn:
                (calls,) = conn.execute(
                    "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
                    "WHERE d.datname = %s AND s.query !~* '^\\s*(begin|commit|rollback|savepoint|release)'",
                    [self.targets.db_name],
                ).fetchone()
            source = "pg_stat_statements (the benchmark's own polling included)"
            return SqlCounts(int(calls), xacts, xacts, source)
        return SqlCounts(None, xacts, xacts, "no readable server log and no pg_stat_statements: not counted")

    def _count_log(self) -> tuple[int, int]:
        statements = transactions = self.blocks = 0
        in_block: dict[str, bool] = {}
        with self.log.open("rb") as log:
            log.seek(self.offset)
            for raw in log:
                found = _LOGGED.search(raw.decode("utf-8", "replace"))
                if not found or found.group(2) != self.targets.db_name:
                    continue
                pid, words = found.group(1), found.group(3).strip().rstrip(";").upper().split()
                first = words[0] if words else ""
                if first in ("BEGIN", "START"):
                    in_block[pid] = True
                    transactions += 1
                    self.blocks += 1
                elif first in ("COMMIT", "END", "ABORT") or (first == "ROLLBACK" and words[1:2] != ["TO"]):
                    in_block[pid] = False
                elif first in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
                    pass
                else:
                    statements += 1
                    if not in_block.get(pid):
                        transactions += 1
        return statements, transactions


def process_cpu_seconds() -> float:
    """User + system CPU of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def wait_for(what: str, condition, timeout: float, machine: Machine, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        machine.check_alive()
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")


def start_departments(machine: Machine, data_dir: Path) -> str:
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {name: value for name, value in os.environ.items() if not name.startswith("DEPARTMENT_")}
    config = json.loads(DEPARTMENT_CONFIG.read_text(encoding="utf-8"))
    for code, department in config["departments"].items():
        department["secret"] = BENCH_DEPARTMENT_SECRETS[code]
    config_path = data_dir / "departments.json"
    config_path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    command = [sys.executable, "-m", "services.department", "--host", "127.0.0.1", "--port", "0"]
    command += ["--data-dir", str(data_dir), "--config", str(config_path), "--delay-scale", "0", "--quiet"]
    process = machine.spawn("department", command, env=env)

    def listening() -> str | None:
        found = LISTENING.search(process.log_path.read_text(errors="replace"))
        return found.group(1) if found and _answers(f"{found.group(1)}/health") else None

    return wait_for("the department service", listening, 30, machine)


def start_datahub(machine: Machine, data_dir: Path, extra: list[str] | None = None) -> str:
    """The data hub (services/datahub) with its default key; the engine registers the
    e-licences departments issue there (统一发证). ``extra``: more command-line options."""
    command = [sys.executable, "-m", "services.datahub", "--host", "127.0.0.1", "--port", "0", "--quiet"]
    command += ["--data-dir", str(data_dir), "--key", BENCH_DATAHUB_KEY, *(extra or [])]
    env = {name: value for name, value in os.environ.items() if not name.startswith("DATAHUB_")}
    process = machine.spawn("datahub", command, env=env)

    def listening() -> str | None:
        found = LISTENING.search(process.log_path.read_text(errors="replace"))
        return found.group(1) if found else None

    return wait_for("the data hub", listening, 120, machine, 0.2)


def _answers(url: str) -> bool:
    import requests

    try:
        requests.get(url, timeout=1)
    except requests.RequestException:
        return False
    return True


def start_web(
    machine: Machine, port: int, *, workers: int = 3, app: str = "onething.wsgi", name: str = "web"
) -> Process:
    # gunicorn as in production (docker/): sync workers keep their database connection,
    # where runserver opens one per request thread
    command = [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--log-level", "warning"]
    process = machine.spawn(name, command)
    # the engine is probed on a JSON page: its HTML pages need collectstatic's manifest with DEBUG off,
    # and a probe of one would log a 500 each time
    probe = "/api/bundles/" if app == "onething.wsgi" else "/"
    wait_for("the engine's web server", lambda: _answers(f"http://127.0.0.1:{port}{probe}"), 60, machine, 0.2)
    return process


def start_workers(machine: Machine, args: argparse.Namespace, *, kind: str, queues: str) -> list[Process]:
    """``args.workers`` Celery workers of ``args.concurrency`` on ``queues``, named ``<kind><n>``;
    returns once every one of them said it is ready."""
    count, concurrency, log_level = args.workers, args.concurrency, args.worker_log_level
    ready_dir = Path(machine.env["BENCH_READY_DIR"])
    started = []
    for index in range(1, count + 1):
        name = f"{kind}{index}"
        command = [sys.executable, "-m", "celery", "-A", "onething", "worker", "-I", "bench.baseline_tasks"]
        command += ["-Q", queues, "-c", str(concurrency), "-n", f"{name}@bench", "-l", log_level]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        started.append(machine.spawn(f"worker-{name}", command))

    def all_ready() -> bool:
        return all((ready_dir / f"{p.name.removeprefix('worker-')}@bench.ready").exists() for p in started)

    wait_for(f"{count} {kind} worker(s) to be ready", all_ready, 90, machine, 0.2)
    return started


# --- the engine run --------------------------------------------------------------------------


def setup_django(machine: Machine) -> None:
    os.environ.update(machine.env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onething.settings")
    import django

    django.setup()


def prepare_catalogue() -> None:
    from django.core.management import call_command

    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):  # data migrations print what they seeded
        call_command("migrate", verbosity=0, interactive=False, stdout=quiet)
        call_command("load_demo", verbosity=0, stdout=quiet)
    use_bench_department_secrets()


def use_bench_department_secrets() -> None:
    """The demo departments' endpoints get the benchmark's secrets (those of the department
    service it started; a fresh one for a department that service does not simulate)."""
    from onething.processing.models import DepartmentEndpoint

    for endpoint in DepartmentEndpoint.objects.select_related("department"):
        endpoint.secret = BENCH_DEPARTMENT_SECRETS.get(endpoint.department.code) or secrets.token_urlsafe(48)
        endpoint.previous_secret = ""
        endpoint.save(update_fields=["secret", "previous_secret"])


def accept_cases(count: int) -> tuple[list[int], float]:
    """Bulk-create accepted child-birth cases and split each in its own transaction."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from onething.apply.selectors import form_for
    from onething.cases.models import Case
    from onething.catalog import situations
    from onething.catalog.selectors import published_version
    from onething.notice.selectors import compiled_version
    from onething.processing.services import case_split
    from services.datahub.demo_identities import MOTHER

    version = published_version(bundle_code=BUNDLE)
    answers, errors = situations.check_answers(compiled_version(version=version).questions, ANSWERS)
    if errors:
        raise BenchError(f"the demo answers are not valid for {BUNDLE}: {errors}")
    form = form_for(version=version, answers=answers)
    data = {f.key: f.example() for f in form.fields}
    citizen = get_user_model().objects.get(username=MOTHER.id_number)
    stamp = f"{time.time_ns() // 1_000_000 % 10**10:010d}"
    Case.objects.bulk_create(
        Case(
            number=f"BENCH{stamp}{i:06d}",
            version=version,
            applicant=citizen,
            state=Case.State.ACCEPTED,
            answers=answers,
            data=data,
            field_count=len(form.fields),
            idempotency_key=f"bench-{stamp}-{i}",
        )
        for i in range(count)
    )
    cases = list(Case.objects.filter(number__startswith=f"BENCH{stamp}").select_related("version").order_by("pk"))
    started = time.monotonic()
    for case in cases:
        with transaction.atomic():
            Case.objects.filter(pk=case.pk).update(accepted_at=timezone.now())
            case_split(case=case)
    return [case.pk for case in cases], time.monotonic() - started


@dataclass
class Reconciliation:
    runs: int = 0
    found: dict[str, int] = field(default_factory=dict)
    last: float = 0.0  # the first run comes at once

    def maybe_run(self, every: float) -> None:
        if time.monotonic() - self.last < every:
            return
        from onething.processing import services

        for key, value in services.reconcile().items():
            self.found[key] = self.found.get(key, 0) + value
        self.runs += 1
        self.last = time.monotonic()

    def summary(self) -> str:
        found = ", ".join(f"{key} {value}" for key, value in sorted(self.found.items())) or "nothing to run"
        return f"{self.runs} run(s), found: {found}"


def wait_until_concluded(
    case_ids: list[int], timeout: float, reconcile_every: float, machine: Machine
) -> Reconciliation:
    from onething.cases.models import Case
    from onething.processing.models import ItemCase

    reconciliation = Reconciliation()
    deadline = time.monotonic() + timeout
    open_cases = len(case_ids)
    while time.monotonic() < deadline:
        machine.check_alive()
        open_cases = Case.objects.filter(pk__in=case_ids, state=Case.State.PROCESSING).count()
        if open_cases == 0:
            return reconciliation
        dead = ItemCase.objects.filter(case_id__in=case_ids, state=ItemCase.State.DEAD)
        if dead.exists():
            first = dead.first()
            raise BenchError(
                f"{dead.count()} item case(s) dead-lettered, e.g. {first.idempotency_key}: {first.last_error}"
            )
        reconciliation.maybe_run(reconcile_every)
        time.sleep(0.2)
    states: dict[str, int] = {}
    for state in ItemCase.objects.filter(case_id__in=case_ids).values_list("state", flat=True):
        states[state] = states.get(state, 0) + 1
    raise BenchError(
        f"{open_cases} of {len(case_ids)} cases not concluded after {timeout:.0f} s; "
        f"item cases by state: {states}; logs in {machine.log_dir}"
    )


@dataclass
class EngineFigures:
    cases: int
    item_cases: int
    acceptance_seconds: float
    dispatch_span: float  # first acceptance -> last dispatched_at
    conclude_span: float  # first acceptance -> last concluded_at
    to_dispatched: list[float]
    to_concluded: list[float]
    attempts: int

    @property
    def dispatches_per_second(self) -> float:
        return self.item_cases / self.dispatch_span

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.conclude_span


def engine_figures(case_ids: list[int], acceptance_seconds: float) -> EngineFigures:
    from django.db.models import Max, Sum

    from onething.cases.models import Case
    from onething.processing.models import ItemCase

    times = Case.objects.filter(pk__in=case_ids).values_list("pk", "accepted_at", "concluded_at")
    cases = {pk: (accepted, concluded) for pk, accepted, concluded in times}
    dispatched = dict(
        ItemCase.objects.filter(case_id__in=case_ids)
        .values("case_id")
        .annotate(last=Max("dispatched_at"))
        .values_list("case_id", "last")
    )
    items = ItemCase.objects.filter(case_id__in=case_ids)
    missing = [pk for pk in case_ids if dispatched.get(pk) is None or cases[pk][1] is None]
    if missing:
        raise BenchError(f"{len(missing)} case(s) have no dispatch or conclusion time, e.g. case id {missing[0]}")
    first = min(accepted for accepted, _ in cases.values())
    return EngineFigures(
        cases=len(case_ids),
        item_cases=items.count(),
        acceptance_seconds=acceptance_seconds,
        dispatch_span=(max(dispatched.values()) - first).total_seconds(),
        conclude_span=(max(concluded for _, concluded in cases.values()) - first).total_seconds(),
        to_dispatched=[(dispatched[pk] - cases[pk][0]).total_seconds() for pk in case_ids],
        to_concluded=[(cases[pk][1] - cases[pk][0]).total_seconds() for pk in case_ids],
        attempts=items.aggregate(total=Sum("attempts"))["total"] or 0,
    )


# --- the baseline ----------------------------------------------------------------------------


def baseline_payloads(case_ids: list[int]) -> list[dict]:
    """The same submissions the engine made: department, item and data of each item case."""
    from onething.processing.models import ItemCase

    payloads = []
    for item_case in ItemCase.objects.filter(case_id__in=case_ids).select_related("case", "department__endpoint"):
        endpoint = item_case.department.endpoint
        payloads.append(
            {
                "base_url": endpoint.base_url,
                "department": item_case.department.code,
                "secret": endpoint.secret,
                "item_code": item_case.item_code,
                "case_number": item_case.case.number,
                "data": item_case.data,
            }
        )
    return payloads


@dataclass
class BaselineFigures:
    tasks: int
    seconds: float
    failed: int
    certificates: int = 0  # certificate PDFs fetched (the floor only)

    @property
    def tasks_per_second(self) -> float:
        return self.tasks / self.seconds


def run_baseline(
    payloads: list[dict], broker_url: str, timeout: float, machine: Machine, *, callbacks: bool = False
) -> BaselineFigures:
    """Send one bare task per payload and time them until all are done; with ``callbacks``
    (the protocol floor: the payloads carry a callback URL) until every callback came too."""
    from redis import Redis

    from bench.baseline_tasks import DONE_KEY, FAILED_KEY, FLOOR_CALLBACKS_KEY, FLOOR_CERTIFICATES_KEY, enqueue

    redis = Redis.from_url(broker_url)
    redis.delete(DONE_KEY, FAILED_KEY, FLOOR_CALLBACKS_KEY, FLOOR_CERTIFICATES_KEY)
    started = time.monotonic()
    for payload in payloads:
        enqueue(**payload)
    deadline = started + timeout
    done = failed = called_back = 0
    while time.monotonic() < deadline:
        done, failed, called_back = (int(value or 0) for value in redis.mget(DONE_KEY, FAILED_KEY, FLOOR_CALLBACKS_KEY))
        if done + failed >= len(payloads) and (not callbacks or called_back >= done):
            seconds = time.monotonic() - started
            certificates = int(redis.get(FLOOR_CERTIFICATES_KEY) or 0)
            return BaselineFigures(tasks=done, seconds=seconds, failed=failed, certificates=certificates)
        machine.check_alive()
        time.sleep(0.01)
    what = "floor" if callbacks else "baseline"
    raise BenchError(
        f"{what}: {done} done, {failed} failed of {len(payloads)} tasks, {called_back} callbacks after {timeout:.0f} s"
    )


def run_floor(
    payloads: list[dict], targets: Targets, args: argparse.Namespace, machine: Machine
) -> tuple[BaselineFigures, str]:
    """The protocol floor: the baseline's submissions, each with a callback URL, so that the
    department service calls back (signed) into a bare view (bench/bare_wsgi.py) on the same
    gunicorn set-up as the engine's, which fetches the certificate document of an approval
    that carries one; no database, no state machine, no fan-in, no data hub."""
    from bench.bare_wsgi import CALLBACK_PATH

    port = free_port()
    machine.env["BENCH_FLOOR_DEPARTMENTS"] = json.dumps(
        {p["department"]: {"base_url": p["base_url"], "secret": p["secret"]} for p in payloads}
    )
    web = start_web(machine, port, app="bench.bare_wsgi", name="floor-web")
    workers = start_workers(machine, args, kind="floor", queues=BASELINE_QUEUE)
    base = f"http://127.0.0.1:{port}{CALLBACK_PATH}"
    meter = CpuMeter(machine)
    floor = run_baseline(
        [{**p, "callback_url": f"{base}{p['department']}/"} for p in payloads],
        targets.broker_url,
        args.timeout,
        machine,
        callbacks=True,
    )
    used = meter.used()
    cpu = meter.summary()
    machine.stop([*workers, web])
    return floor, cpu, CpuSplit.of(used)


# --- report ----------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, int(-(-share * len(ordered) // 1)))
    return ordered[min(rank, len(ordered)) - 1]


def report(
    args: argparse.Namespace,
    engine: EngineFigures,
    baseline: BaselineFigures,
    floor: BaselineFigures,
    recon: Reconciliation,
    cpu: tuple[str, str, str] = ("", "", ""),
    splits: tuple[CpuSplit, CpuSplit, CpuSplit] | None = None,
    sql: SqlCounts | None = None,
) -> bool:
    ratio = engine.dispatches_per_second / baseline.tasks_per_second
    floor_ratio = floor.tasks_per_second / baseline.tasks_per_second
    met = ratio >= TARGET_RATIO
    cores = os.cpu_count() or 1
    per_unit_rows, target_rows, verdicts = [], [], [met]
    if splits is not None:
        engine_split, baseline_split, floor_split = splits
        engine_ms = engine_split.engine_seconds * 1000 / engine.item_cases
        bare_ms = baseline_split.engine_seconds * 1000 / max(1, baseline.tasks)
        floor_ms = floor_split.engine_seconds * 1000 / max(1, floor.tasks)
        per_unit_rows = [
            ("engine CPU/item", f"{engine_ms:6.1f} ms", engine_split.per_unit(engine.item_cases)),
            ("bare task CPU/task", f"{bare_ms:6.1f} ms", baseline_split.per_unit(max(1, baseline.tasks))),
            ("floor CPU/item", f"{floor_ms:6.1f} ms", floor_split.per_unit(max(1, floor.tasks))),
            (
                "engine-side floor items/s",
                f"{cores * 1000 / floor_ms:8.1f}",
                f"{cores} core(s) / {floor_ms:.1f} ms of engine-side CPU per floor item (the harness left out)",
            ),
            (
                "engine-side floor ratio",
                f"{bare_ms / floor_ms:8.2f}",
                f"bare task CPU / floor engine-side CPU per item ({bare_ms:.1f} / {floor_ms:.1f} ms): the protocol "
                f"floor on the engine side, against the target {TARGET_RATIO:.2f}",
            ),
        ]
        cpu_ratio = engine_ms / bare_ms
        cpu_met = cpu_ratio <= TARGET_CPU_FACTOR
        verdicts.append(cpu_met)
        target_rows.append(
            (
                "target engine CPU/item",
                f"{cpu_ratio:8.2f}",
                f"x bare task CPU ({engine_ms:.1f} / {bare_ms:.1f} ms); target <= {TARGET_CPU_FACTOR:.2f} x: "
                + ("met" if cpu_met else "MISSED"),
            )
        )
    target_rows.append(
        (
            "target dispatches/s",
            f"{ratio:8.2f}",
            f"x baseline tasks/s; target >= {TARGET_RATIO:.2f} x: {'met' if met else 'MISSED'}",
        )
    )
    sql_rows: list[tuple[str, str, str]] = []
    if sql is not None:
        sql_rows = list(sql.row(engine.item_cases, "items"))
        for what, count, ceiling in (
            ("statements", sql.statements, TARGET_STATEMENTS),
            ("transactions", sql.transactions, TARGET_TRANSACTIONS),
        ):
            if count is None:
                target_rows.append((f"target SQL {what}/item", "n/a", f"target <= {ceiling}: not counted here"))
                continue
            per_item = count / engine.item_cases
            verdicts.append(per_item <= ceiling)
            target_rows.append(
                (
                    f"target SQL {what}/item",
                    f"{per_item:8.1f}",
                    f"target <= {ceiling}: {'met' if per_item <= ceiling else 'MISSED'}",
                )
            )
    rows = [
        (
            "engine item dispatches/s",
            f"{engine.dispatches_per_second:8.1f}",
            f"{engine.item_cases} item cases of {engine.cases} cases, first acceptance to last dispatch "
            f"{engine.dispatch_span:.2f} s ({engine.attempts} dispatch attempts)",
        ),
        (
            "baseline tasks/s",
            f"{baseline.tasks_per_second:8.1f}",
            f"{baseline.tasks} bare submissions in {baseline.seconds:.2f} s"
            + (f", {baseline.failed} failed" if baseline.failed else ""),
        ),
        ("ratio", f"{ratio:8.2f}", f"target >= {TARGET_RATIO:.2f}: {'target met' if met else 'MISSED'}"),
        (
            "protocol floor items/s",
            f"{floor.tasks_per_second:8.1f}",
            f"{floor.tasks} bare submissions, each with its signed callback to a bare view that "
            f"fetches the certificate PDF ({floor.certificates}), no database, in {floor.seconds:.2f} s"
            + (f", {floor.failed} failed" if floor.failed else ""),
        ),
        (
            "floor ratio",
            f"{floor_ratio:8.2f}",
            f"the most an engine on this protocol could reach; the engine reached "
            f"{engine.dispatches_per_second / floor.tasks_per_second:.0%} of the floor",
        ),
        (
            "cases/s",
            f"{engine.cases_per_second:8.1f}",
            f"first acceptance to last conclusion {engine.conclude_span:.2f} s",
        ),
        (
            "acceptance -> all dispatched",
            f"p50 {percentile(engine.to_dispatched, 0.50):.3f} s",
            f"p99 {percentile(engine.to_dispatched, 0.99):.3f} s, max {max(engine.to_dispatched):.3f} s",
        ),
        (
            "acceptance -> concluded",
            f"p50 {percentile(engine.to_concluded, 0.50):.3f} s",
            f"p99 {percentile(engine.to_concluded, 0.99):.3f} s, max {max(engine.to_concluded):.3f} s",
        ),
        ("acceptance (case_split)", f"{engine.acceptance_seconds:6.2f} s", f"{engine.cases} cases, main process"),
        ("reconcile", "", recon.summary()),
        ("engine run", "", cpu[0]),
        ("baseline run", "", cpu[1]),
        ("floor run", "", cpu[2]),
        *per_unit_rows,
        *sql_rows,
        *target_rows,
    ]
    print()
    print(
        f"dispatch benchmark: {args.cases} cases, {args.workers} worker(s) x concurrency {args.concurrency}, "
        f"{os.cpu_count()} CPU(s), department service --delay-scale 0"
    )
    print_rows(rows)
    print(
        f"result: {'target met' if met else 'MISSED'} (engine {ratio:.2f} x baseline); "
        f"#19 targets: {sum(verdicts)} of {len(target_rows)} met"
    )
    return met


def print_rows(rows: list[tuple[str, str, str]]) -> None:
    """The figures as a table: name, value, note."""
    width = max(len(name) for name, _, _ in rows)
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value:>10}   {note}")


# --- main ------------------------------------------------------------------------------------


def engine_environment(
    targets: Targets, work_dir: Path, *, web_port: int, datahub_url: str, department_url: str, **extra: str
) -> dict[str, str]:
    """The environment of the engine's processes (web and workers): the shell's engine
    settings (CONN_MAX_AGE, DEPARTMENT_TIMEOUT, ...) apply, the benchmark's own database,
    Redis database, data hub and department service, production mode; ``extra`` on top.
    Workers tell the benchmark they are ready through files in ``work_dir / "ready"``."""
    ready_dir = work_dir / "ready"
    ready_dir.mkdir(exist_ok=True)
    return {
        **{name: value for name, value in os.environ.items() if not name.startswith("DATAHUB_")},
        "DATAHUB_URL": datahub_url,
        "DATAHUB_KEY": BENCH_DATAHUB_KEY,
        "SECRETS_ENCRYPTION_KEY": BENCH_ENCRYPTION_KEY,
        "DJANGO_SETTINGS_MODULE": "onething.settings",
        "DATABASE_URL": targets.database_url,
        "CELERY_BROKER_URL": targets.broker_url,
        "DEPARTMENT_SERVICE_URL": department_url,
        "CALLBACK_BASE_URL": f"http://127.0.0.1:{web_port}",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
        "ONETHING_VAR_DIR": str(work_dir / "var"),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),  # settings refuse the default one with DEBUG off
        "LOG_LEVEL": "WARNING",
        "BENCH_READY_DIR": str(ready_dir),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **extra,
    }


def run(args: argparse.Namespace) -> int:
    targets = targets_from_environment(args.db_name, args.redis_db)
    work_dir = Path(tempfile.mkdtemp(prefix="dispatch-bench-"))
    machine = Machine(log_dir=work_dir)
    created_db = completed = False
    try:
        flush_redis(targets.broker_url)
        print(f"database {targets.db_name}, Redis {targets.broker_url}, logs in {work_dir}", flush=True)
        recreate_database(targets)
        created_db = True
        department_url = start_departments(machine, work_dir / "departments")
        datahub_url = start_datahub(machine, work_dir / "datahub")
        web_port = free_port()
        machine.env = engine_environment(
            targets, work_dir, web_port=web_port, datahub_url=datahub_url, department_url=department_url
        )
        setup_django(machine)
        started = time.monotonic()
        prepare_catalogue()
        print(f"migrated and loaded the demo in {time.monotonic() - started:.1f} s", flush=True)
        sql = SqlCounter(targets, args.pg_log)
        sql.enable()

        web = start_web(machine, web_port)
        workers = start_workers(machine, args, kind="engine", queues=ENGINE_QUEUES)
        print(f"department service {department_url}, web :{web_port}, {args.workers} engine worker(s)", flush=True)
        sql.start()
        engine_cpu = CpuMeter(machine)
        split_started = process_cpu_seconds()
        case_ids, acceptance_seconds = accept_cases(args.cases)
        split_cpu = process_cpu_seconds() - split_started
        print(f"accepted {len(case_ids)} cases in {acceptance_seconds:.2f} s; waiting for them to conclude", flush=True)
        recon = wait_until_concluded(case_ids, args.timeout, args.reconcile_every, machine)
        engine_used = engine_cpu.used()
        engine_used["bench"] -= split_cpu  # the split is engine code run by this process: shown apart
        engine_split = CpuSplit.of(engine_used, {"acceptance split (engine code in the bench process)": split_cpu})
        engine_cpu_summary = engine_cpu.summary()
        engine = engine_figures(case_ids, acceptance_seconds)
        print(f"engine done: {engine.item_cases} item cases in {engine.conclude_span:.2f} s", flush=True)

        payloads = baseline_payloads(case_ids)
        from django.db import connections

        connections.close_all()
        machine.stop([*workers, web])
        sql_counts = sql.stop()
        baseline_workers = start_workers(machine, args, kind="bare", queues=BASELINE_QUEUE)
        baseline_cpu = CpuMeter(machine)
        baseline = run_baseline(payloads, targets.broker_url, args.timeout, machine)
        baseline_split = CpuSplit.of(baseline_cpu.used())
        baseline_cpu_summary = baseline_cpu.summary()
        machine.stop(baseline_workers)
        floor, floor_cpu_summary, floor_split = run_floor(payloads, targets, args, machine)
        met = report(
            args,
            engine,
            baseline,
            floor,
            recon,
            cpu=(engine_cpu_summary, baseline_cpu_summary, floor_cpu_summary),
            splits=(engine_split, baseline_split, floor_split),
            sql=sql_counts,
        )
        completed = True
        return 1 if args.require_target and not met else 0
    finally:
        clean_up(machine, targets, drop_db=created_db and not args.keep_db, keep_logs=args.keep_logs or not completed)


def clean_up(machine: Machine, targets: Targets, *, drop_db: bool, keep_logs: bool) -> None:
    """The end of every benchmark run, however it ended: stop the processes, drop the
    database if asked, flush the Redis database, remove the logs unless they are wanted."""
    machine.stop()
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # Django may not be set up yet
        pass
    if drop_db:
        drop_database(targets)
    try:
        flush_redis(targets.broker_url)
    except BenchError as error:
        print(f"warning: {error}", file=sys.stderr)
    if not keep_logs or not any(machine.log_dir.glob("*.log")):
        shutil.rmtree(machine.log_dir, ignore_errors=True)
    else:
        print(f"logs kept in {machine.log_dir}", file=sys.stderr)


def _interrupted(signum, frame) -> None:
    raise KeyboardInterrupt  # SIGTERM: clean up as for Ctrl-C (the finally of run)


def bench_main(name: str, parse, run_bench, argv: list[str] | None = None) -> int:
    """Parse, run, and turn a BenchError or an interruption into exit status 2."""
    args = parse(argv)
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        return run_bench(args)
    except BenchError as error:
        print(f"{name}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    return bench_main("dispatch_bench", parse_args, run, argv)


if __name__ == "__main__":
    sys.exit(main())
