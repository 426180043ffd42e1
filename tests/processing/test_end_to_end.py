"""End to end on PostgreSQL and Redis, with real Celery worker processes and the
department service as a real HTTP server; and the fault tests: failing departments,
a worker killed in the middle of dispatching, Redis restarted during a run. Each counts
cases in and cases concluded: nothing lost, nothing done twice."""

import os
import shutil
import sqlite3
import subprocess
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from onething.cases.models import Case
from onething.processing import services
from onething.processing.models import DepartmentEndpoint, ItemCase
from tests.processing.conftest import accepted_case
from tests.processing.workers import Worker, e2e_available
from tests.services.department_fixtures import start_departments

available, why = e2e_available()
pytestmark = [
    pytest.mark.skipif(not available, reason=why),
    pytest.mark.django_db(transaction=True),
]
FAST = {
    "RECONCILE_STALE_SECONDS": "3",
    "POLL_AFTER_SECONDS": "5",
    "DISPATCH_BACKOFF_BASE_SECONDS": "0.2",
    "DISPATCH_BACKOFF_MAX_SECONDS": "2",
    "DISPATCH_MAX_ATTEMPTS": "50",
    "DEPARTMENT_TIMEOUT": "3",
}


@pytest.fixture
def e2e(settings, live_server, datahub_settings, tmp_path):
    """Demo catalogue wired to a department service; settings the workers share."""
    for key, value in FAST.items():
        setattr(settings, key, type(getattr(settings, key))(value))
    settings.CALLBACK_BASE_URL = live_server.url
    workers: list[Worker] = []
    departments = []

    def wire(*args: str) -> object:
        server = start_departments(tmp_path / f"departments-{len(departments)}", *args)
        departments.append(server)
        settings.DEPARTMENT_SERVICE_URL = server.url
        call_command("load_demo", verbosity=0)
        for endpoint in DepartmentEndpoint.objects.filter(adapter="http"):
            endpoint.base_url = server.base_url(endpoint.department.code)
            endpoint.save()
        return server

    def worker(name: str = "w1", concurrency: int = 4) -> Worker:
        env = {**FAST, "CALLBACK_BASE_URL": live_server.url, "CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
        started = Worker(tmp_path, env, concurrency=concurrency, name=name)
        workers.append(started)
        return started

    yield wire, worker
    for started in workers:
        started.stop()
    for server in departments:
        server.stop()


def citizens(count: int):
    """The demo mother (known to the data hub), once per case to file."""
    from django.contrib.auth import get_user_model

    from services.datahub.demo_identities import MOTHER

    return [get_user_model().objects.get(username=MOTHER.id_number)] * count


def run_until_concluded(
    cases: list[Case], timeout: float, reconcile_every: float | None = None, supervised: list | None = None
) -> None:
    """Wait for every case to conclude; optionally act as Celery beat's reconciliation and
    as the process supervisor that starts again a worker that exited."""
    deadline, last = time.monotonic() + timeout, 0.0
    numbers = [c.number for c in cases]
    while time.monotonic() < deadline:
        open_cases = Case.objects.filter(number__in=numbers, state=Case.State.PROCESSING).count()
        if open_cases == 0:
            return
        for started in supervised or []:
            started.supervise()
        if reconcile_every and time.monotonic() - last > reconcile_every:
            services.reconcile()
            last = time.monotonic()
        time.sleep(0.3)
    left = dict(
        ItemCase.objects.filter(case__number__in=numbers)
        .exclude(state__in=["approved", "rejected", "cancelled"])
        .values_list("idempotency_key", "state")
    )
    raise AssertionError(f"not concluded in {timeout}s: {left}")


def department_count(server) -> int:
    with sqlite3.connect(server.data_dir / "departments.sqlite3") as db:
        return db.execute("SELECT count(*) FROM item_cases").fetchone()[0]


def assert_nothing_lost_nothing_twice(cases: list[Case], server) -> None:
    numbers = [c.number for c in cases]
    concluded = Case.objects.filter(number__in=numbers, state=Case.State.CONCLUDED).count()
    assert concluded == len(cases), "every case in is concluded"
    item_cases = ItemCase.objects.filter(case__number__in=numbers)
    assert item_cases.filter(state="approved").count() == item_cases.count()
    assert department_count(server) == item_cases.count(), "each item case submitted exactly once"


def test_child_birth_from_acceptance_to_all_approved(e2e):
    wire, worker = e2e
    server = wire()
    worker()
    case = accepted_case(citizens(1)[0], today=timezone.localdate())
    run_until_concluded([case], timeout=60)
    item_cases = {ic.item_code: ic for ic in ItemCase.objects.filter(case=case)}
    birth, household = item_cases["birth-certificate-issue"], item_cases["newborn-household-registration"]
    assert household.dispatched_at >= birth.concluded_at
    assert household.data["birth_cert_no"] == birth.result["certificate_number"]
    assert_nothing_lost_nothing_twice([case], server)


def test_departments_failing_thirty_percent(e2e):
    wire, worker = e2e
    server = wire("--http-5xx-rate", "0.3", "--drop-callback-rate", "0.3")
    worker()
    cases = [accepted_case(user, today=timezone.localdate()) for user in citizens(4)]
    run_until_concluded(cases, timeout=120, reconcile_every=2)
    assert_nothing_lost_nothing_twice(cases, server)
    assert ItemCase.objects.filter(case__in=cases, attempts__gt=1).exists(), "some dispatches were retried"


def test_worker_killed_in_the_middle_of_dispatching(e2e):
    wire, worker = e2e
    server = wire("--timeout-rate", "0.5")  # half the answers come late: dispatches are in flight
    first = worker("w1", concurrency=4)
    cases = [accepted_case(user, today=timezone.localdate()) for user in citizens(4)]
    time.sleep(1.0)
    in_flight = ItemCase.objects.filter(case__in=cases, state="dispatching").count()
    first.kill()
    worker("w2", concurrency=4)
    run_until_concluded(cases, timeout=150, reconcile_every=2)
    assert_nothing_lost_nothing_twice(cases, server)
    assert in_flight >= 0  # reported for the record; the point is the counts above


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server to restart")
def test_redis_restarted_during_a_run(e2e, settings):
    if not settings.CELERY_BROKER_URL.startswith("redis://127.0.0.1:6379"):
        pytest.skip("restarts the local Redis on 127.0.0.1:6379 only")
    wire, worker = e2e
    server = wire()
    started = worker()
    cases = [accepted_case(user, today=timezone.localdate()) for user in citizens(3)]
    subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], check=False, capture_output=True)
    time.sleep(1.0)
    subprocess.run(
        [
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "-::1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            "/var/lib/redis" if os.path.isdir("/var/lib/redis") else "/tmp",
            "--logfile",
            "/var/log/redis/ci.log" if os.path.isdir("/var/log/redis") else "",
        ],
        check=True,
        capture_output=True,
    )
    time.sleep(1.0)
    more = [accepted_case(user, today=timezone.localdate()) for user in citizens(2)]
    run_until_concluded(cases + more, timeout=150, reconcile_every=2, supervised=[started])
    assert started.restarts >= 1, "the worker left when its broker went away and was started again"
    assert_nothing_lost_nothing_twice(cases + more, server)
