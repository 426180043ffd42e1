"""End to end on PostgreSQL and Redis, with real Celery worker processes and the
department service as a real HTTP server; and the fault tests: failing departments,
a worker killed in the middle of dispatching, Redis restarted during a run. Each counts
cases in and cases concluded: nothing lost, nothing done twice."""

import sqlite3
import time
from collections import Counter
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.utils import timezone

from onething.audit.models import AuditEvent
from onething.cases.models import Case
from onething.processing import services
from onething.processing.models import DepartmentEndpoint, ItemCase
from tests.processing.conftest import accepted_case
from tests.processing.workers import Worker, e2e_available
from tests.redis_server import needs_redis_server
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


def department_keys(server) -> list[str]:
    """The idempotency key of every item case the department service holds (one row each)."""
    with sqlite3.connect(server.data_dir / "departments.sqlite3") as db:
        return [key for (key,) in db.execute("SELECT idempotency_key FROM item_cases")]


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


def kill_while_dispatching(worker, cases: list[Case], attempts: int = 5, wait: float = 15.0) -> list[str]:
    """Start a worker, SIGKILL it as soon as one of ``cases``' item cases is claimed
    ("dispatching"), and return the idempotency keys still "dispatching" once it is dead:
    only a worker's dispatch moves an item case into and out of that state, so these
    dispatches were in flight when it died. Tries again with a new worker (at most
    ``attempts`` times) when the kill came between two dispatches."""
    dispatching = ItemCase.objects.filter(case__in=cases, state=ItemCase.State.DISPATCHING)
    for attempt in range(1, attempts + 1):
        started = worker(f"killed{attempt}", concurrency=4)
        deadline = time.monotonic() + wait
        while not dispatching.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        started.kill()
        in_flight = list(dispatching.values_list("idempotency_key", flat=True))
        if in_flight:
            return in_flight
    raise AssertionError(f"no dispatch was in flight at any of {attempts} kills")


def test_worker_killed_in_the_middle_of_dispatching(e2e):
    wire, worker = e2e
    server = wire("--timeout-rate", "0.5")  # half the answers come late: dispatches stay in flight
    cases = [accepted_case(user, today=timezone.localdate()) for user in citizens(4)]
    in_flight = kill_while_dispatching(worker, cases)
    worker("w2", concurrency=4)
    run_until_concluded(cases, timeout=150, reconcile_every=2)
    assert_nothing_lost_nothing_twice(cases, server)
    item_cases = ItemCase.objects.filter(case__in=cases)
    approvals = Counter(
        AuditEvent.objects.filter(
            action="item_case.approved", object_id__in=[str(ic.pk) for ic in item_cases]
        ).values_list("object_id", flat=True)
    )
    assert sorted(approvals.values()) == [1] * item_cases.count(), "each item case approved exactly once"
    held = Counter(department_keys(server))
    assert held == Counter(item_cases.values_list("idempotency_key", flat=True)), "the department got each once"
    for key in in_flight:  # the interrupted dispatches: sent again, taken once, concluded once
        assert held[key] == 1 and item_cases.get(idempotency_key=key).state == "approved", key


@contextmanager
def broker_at(settings, monkeypatch, url: str):
    """This process's Celery app (which publishes the dispatches) and the workers started
    in the block use the broker at ``url``. Celery reads CELERY_BROKER_URL from the
    environment before its configuration, so both change; the app then takes connections
    from kombu's pool for ``url`` (the pools of the shared broker stay open)."""
    from onething.celery import app

    def use(broker_url: str) -> None:
        settings.CELERY_BROKER_URL = broker_url
        app.conf.broker_url = broker_url
        app._pool = None
        app.amqp._producer_pool = None

    before = app.conf.broker_url
    with monkeypatch.context() as patched:
        patched.setenv("CELERY_BROKER_URL", url)
        use(url)
        try:
            yield
        finally:
            use(before)


@needs_redis_server
def test_redis_restarted_during_a_run(e2e, settings, monkeypatch, private_redis):
    """The broker is a redis-server of this test's own (free port, temporary directory),
    stopped and started again while cases are in flight; no other Redis is touched."""
    wire, worker = e2e
    with broker_at(settings, monkeypatch, private_redis.url()):
        server = wire()
        started = worker()
        cases = [accepted_case(user, today=timezone.localdate()) for user in citizens(3)]
        private_redis.restart(down_for=1.0)
        more = [accepted_case(user, today=timezone.localdate()) for user in citizens(2)]
        run_until_concluded(cases + more, timeout=150, reconcile_every=2, supervised=[started])
        assert started.restarts >= 1, "the worker left when its broker went away and was started again"
        assert_nothing_lost_nothing_twice(cases + more, server)
