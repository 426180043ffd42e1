"""The fault tests on `make run`'s embedded default, SQLite and kombu's filesystem broker,
with real Celery worker processes: a worker killed in the middle of dispatching, and a
department callback delivered more than once. (test_end_to_end.py covers PostgreSQL and
Redis.) With the filesystem broker a message taken by a killed worker is gone: the
reconciliation, not a redelivery, sends the interrupted dispatch again.

pytest-django's SQLite test database lives in this process's memory, where a worker process
cannot open it. Each test therefore copies it (schema and all) into a file of its own and
points this process's connection at the file for the test; the worker gets the file
through DATABASE_URL, and a broker folder of the test's own through ONETHING_VAR_DIR. The
callbacks go to a live server started on the file (not pytest-django's ``live_server``,
which shares this thread's connection). Nothing changes for the rest of the suite."""

import json
import sqlite3
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from onething.audit.models import AuditEvent
from onething.processing.models import CallbackReceipt, DepartmentEndpoint, ItemCase
from services.protocol import signing
from tests.processing.conftest import accepted_case
from tests.processing.test_end_to_end import (
    FAST,
    assert_nothing_lost_nothing_twice,
    citizens,
    department_keys,
    kill_while_dispatching,
    run_until_concluded,
)
from tests.processing.workers import Worker
from tests.services.department_fixtures import start_departments


def embedded_default() -> tuple[bool, str]:
    if django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return False, "the embedded default only (SQLite); test_end_to_end.py covers PostgreSQL"
    if not django_settings.CELERY_BROKER_URL.startswith("filesystem://"):
        return False, "the embedded default only (filesystem broker); test_end_to_end.py covers Redis"
    return True, ""


available, why = embedded_default()
pytestmark = [
    pytest.mark.skipif(not available, reason=why),
    pytest.mark.django_db(transaction=True),
]
# test_end_to_end's timings, with a department answer given up on after one second, not three:
# the answers held back (--timeout-rate) cost less waiting
TIMINGS = {**FAST, "DEPARTMENT_TIMEOUT": "1"}
WORKER_CONCURRENCY = 2  # SQLite takes one writer at a time; two pool processes keep the waits short


@pytest.fixture
def file_database(transactional_db, settings, tmp_path) -> Path:
    """The test database copied into a file, this process connected to it for the test.
    The in-memory database is kept open meanwhile (closing its last connection would
    destroy it) and is this process's again after, for pytest-django to empty."""
    path = tmp_path / "onething.sqlite3"
    connection.ensure_connection()
    memory = connection.connection
    target = sqlite3.connect(path)
    memory.backup(target)
    target.close()
    name = connection.settings_dict["NAME"]
    connection.connection = None  # detached, not closed: the next query connects to the file
    connection.settings_dict["NAME"] = settings.DATABASES["default"]["NAME"] = str(path)
    try:
        yield path
    finally:
        connection.close()
        connection.settings_dict["NAME"] = settings.DATABASES["default"]["NAME"] = name
        connection.connection = memory


@pytest.fixture
def broker_dir(settings, tmp_path) -> Path:
    """A var/ of the test's own: the filesystem broker's folders that this process publishes
    to and the workers (ONETHING_VAR_DIR) consume from; nothing left in the shared ones by
    other tests is delivered here."""
    from onething.celery import app

    var = tmp_path / "var"
    broker = var / "broker"
    for sub in ("queue", "processed", "control"):
        (broker / sub).mkdir(parents=True, exist_ok=True)
    options = {
        "data_folder_in": str(broker / "queue"),
        "data_folder_out": str(broker / "queue"),
        "processed_folder": str(broker / "processed"),
        "store_processed": False,
        "control_folder": str(broker / "control"),
    }

    def use(transport_options: dict) -> None:
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = transport_options
        app.conf.broker_transport_options = transport_options
        app._pool = None
        app.amqp._producer_pool = None

    before = app.conf.broker_transport_options
    use(options)
    yield var
    use(before)


@pytest.fixture
def embedded(settings, file_database, broker_dir, datahub_settings, tmp_path):
    """Demo catalogue wired to a department service, a live server and workers, all on the
    file database and the test's broker folders."""
    from pytest_django.live_server_helper import LiveServer

    for key, value in TIMINGS.items():
        setattr(settings, key, type(getattr(settings, key))(value))
    server = LiveServer("localhost")  # after file_database: its thread opens its own connection to the file
    server._live_server_modified_settings.enable()
    settings.CALLBACK_BASE_URL = server.url
    workers: list[Worker] = []
    departments = []

    def wire(*args: str):
        started = start_departments(tmp_path / f"departments-{len(departments)}", *args)
        departments.append(started)
        settings.DEPARTMENT_SERVICE_URL = started.url
        call_command("load_demo", verbosity=0)
        for endpoint in DepartmentEndpoint.objects.filter(adapter="http"):
            endpoint.base_url = started.base_url(endpoint.department.code)
            endpoint.save()
        return started

    def worker(name: str = "w1", concurrency: int = WORKER_CONCURRENCY) -> Worker:
        env = {
            **TIMINGS,
            "CALLBACK_BASE_URL": server.url,
            "DATABASE_URL": f"sqlite:///{file_database}",
            "CELERY_BROKER_URL": "filesystem://localhost/",
            "ONETHING_VAR_DIR": str(broker_dir),
        }
        started = Worker(tmp_path, env, concurrency=min(concurrency, WORKER_CONCURRENCY), name=name)
        workers.append(started)
        return started

    try:
        yield wire, worker, server
    finally:
        for started in workers:
            started.kill()  # the test is over: nothing of theirs needs finishing
        for started in departments:
            started.stop()
        server._live_server_modified_settings.disable()
        server.stop()


def approvals_per_item_case(item_cases) -> Counter:
    return Counter(
        AuditEvent.objects.filter(
            action="item_case.approved", object_id__in=[str(ic.pk) for ic in item_cases]
        ).values_list("object_id", flat=True)
    )


def test_worker_killed_in_the_middle_of_dispatching(embedded):
    wire, worker, _ = embedded
    server = wire("--timeout-rate", "0.5")  # half the answers come late: dispatches stay in flight
    cases = [accepted_case(user, today=timezone.localdate()) for user in citizens(2)]
    in_flight = kill_while_dispatching(worker, cases)
    worker("w2")
    run_until_concluded(cases, timeout=90, reconcile_every=2)  # reconcile: what Celery beat runs
    assert_nothing_lost_nothing_twice(cases, server)
    item_cases = ItemCase.objects.filter(case__in=cases)
    approvals = approvals_per_item_case(item_cases)
    assert sorted(approvals.values()) == [1] * item_cases.count(), "each item case approved exactly once"
    held = Counter(department_keys(server))
    assert held == Counter(item_cases.values_list("idempotency_key", flat=True)), "the department got each once"
    for key in in_flight:  # the interrupted dispatches: sent again, taken once, concluded once
        assert held[key] == 1 and item_cases.get(idempotency_key=key).state == "approved", key


def post_again(server_url: str, secrets: dict[str, str], receipt: CallbackReceipt) -> dict:
    """The stored callback, signed again (a new nonce), as a department that sends it twice."""
    code = receipt.department.code
    path = f"/api/processing/callbacks/{code}/"
    raw = json.dumps(receipt.payload).encode()
    headers = {"Content-Type": "application/json", **signing.sign_headers(secrets[code], code, "POST", path, raw)}
    request = urllib.request.Request(server_url + path, data=raw, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return {"code": response.status, **json.loads(response.read())}


def test_a_callback_delivered_twice_changes_the_item_case_once(embedded):
    """While the worker dispatches and callbacks are being applied, every callback that has
    arrived is delivered twice more, concurrently; each changes its item case once."""
    wire, worker, live = embedded
    server = wire()
    worker()
    cases = [accepted_case(user, today=timezone.localdate()) for user in citizens(2)]
    numbers = [c.number for c in cases]
    answers: list[dict] = []
    sent: set[str] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = not ItemCase.objects.filter(case__number__in=numbers).exclude(state="approved").exists()
        receipts = list(
            CallbackReceipt.objects.filter(item_case__case__number__in=numbers)
            .exclude(event_id__in=sent)
            .select_related("department")
        )
        threads = [
            threading.Thread(target=lambda r=r: answers.append(post_again(live.url, server.secrets, r)))
            for r in receipts
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        sent.update(r.event_id for r in receipts)
        if done:  # every callback (stored with its approval) was in this last round
            break
        time.sleep(0.2)
    run_until_concluded(cases, timeout=30, reconcile_every=2)
    assert sent and len(answers) == 2 * len(sent), "every callback was delivered twice more"
    assert {(a["code"], a["status"]) for a in answers} == {(200, "duplicate")}
    assert_nothing_lost_nothing_twice(cases, server)
    item_cases = ItemCase.objects.filter(case__in=cases)
    receipts = CallbackReceipt.objects.filter(item_case__in=item_cases)
    assert receipts.count() == len(sent) and receipts.filter(applied_at__isnull=True).count() == 0
    approvals = approvals_per_item_case(item_cases)
    assert sorted(approvals.values()) == [1] * item_cases.count(), "each item case approved exactly once"
