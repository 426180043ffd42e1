"""Fixtures of the operations tests: a clean health/metrics cache, a real in-thread
Celery worker on kombu's in-memory transport, and a few cases and item cases."""

import socket
from datetime import timedelta

import pytest


@pytest.fixture(autouse=True)
def _fresh_caches():
    from onething.operations import health, metrics

    health.clear_cache()
    metrics.clear_cache()
    yield
    health.clear_cache()
    metrics.clear_cache()


@pytest.fixture
def memory_broker(settings, monkeypatch):
    """Point the engine's broker settings at kombu's in-memory transport (shared by every
    connection in this process). Celery prefers the CELERY_BROKER_URL environment variable
    to any app's configured broker, so it goes for the test (CI sets it to Redis)."""
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    settings.CELERY_BROKER_URL = "memory://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    settings.HEALTHZ_TIMEOUT_SECONDS = 0.5
    return settings


@pytest.fixture(scope="session")
def ops_celery_app():
    """A Celery app of its own on the in-memory broker, with a task that logs (one per
    session: Celery keeps a task name bound to the first callable registered under it)."""
    import logging

    from celery import Celery

    # no Django fix-up: it would close the test's database connection when the worker starts
    # set_as_current=False: the project's shared tasks must keep resolving to the project's app
    app = Celery("ops-tests", broker="memory://", backend="cache+memory://", fixups=[], set_as_current=False)
    app.conf.task_default_queue = "ops"
    app.conf.worker_hijack_root_logger = False
    app.conf.broker_connection_retry_on_startup = True
    app.conf.broker_transport_options = {"polling_interval": 0.05}
    seen: list[dict] = []

    @app.task(name="ops.log_something")
    def log_something(message: str) -> str:
        from onething.common.logging import current_case_number, task_id_var

        logging.getLogger("onething.ops.test").info(message)
        seen.append({"case_number": current_case_number(), "task_id": task_id_var.get()})
        return current_case_number()

    app.seen = seen
    app.log_something = log_something
    return app


@pytest.fixture
def live_worker(ops_celery_app, memory_broker):
    """A real worker (solo pool, in a thread) consuming the in-memory broker; it answers
    control pings like any worker."""
    import logging

    from celery import _state
    from celery.contrib.testing.worker import start_worker

    # start_worker makes its app the current and default one and sets up Celery's logging
    # (the root logger's level and handlers): put all of that back for the other tests.
    root = logging.getLogger()
    saved_level, saved_handlers = root.level, list(root.handlers)
    current, default = _state.get_current_app(), _state.default_app
    try:
        with start_worker(ops_celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield ops_celery_app
    finally:
        root.setLevel(saved_level)
        root.handlers[:] = saved_handlers
        current.set_current()
        _state.set_default_app(default)


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def ops_cases(published_sample, django_user_model):
    """Cases and item cases in known states: 2 processing cases, 1 concluded; item cases
    dispatched 3 s and 40 s after acceptance (one with 2 extra attempts), one downstream
    item (not counted in the latency), one dead letter with 6 attempts, one overdue
    and one in warning."""
    from django.utils import timezone

    from onething.cases.models import Case
    from onething.catalog.models import Department
    from onething.processing.models import ItemCase

    applicant = django_user_model.objects.create_user(username="ops-citizen", password="x", role="citizen")
    department = Department.objects.order_by("code").first()
    now = timezone.now()
    accepted = now - timedelta(minutes=5)

    def case(number: str, state: str) -> Case:
        return Case.objects.create(
            number=number,
            version=published_sample,
            applicant=applicant,
            state=state,
            idempotency_key=number,
            accepted_at=accepted,
        )

    first = case("OPS-0001", Case.State.PROCESSING)
    second = case("OPS-0002", Case.State.PROCESSING)
    case("OPS-0003", Case.State.CONCLUDED)

    def item(parent: Case, code: str, **fields) -> ItemCase:
        fields.setdefault("state", ItemCase.State.RECEIVED)
        return ItemCase.objects.create(
            case=parent,
            item_code=code,
            item_name=code,
            department=department,
            committed_days=5,
            idempotency_key=f"{parent.number}-{code}",
            **fields,
        )

    item(first, "a", dispatched_at=accepted + timedelta(seconds=3), attempts=1)
    item(first, "b", dispatched_at=accepted + timedelta(seconds=40), attempts=3, time_status="overdue")
    item(first, "c", upstream=["a"], dispatched_at=accepted + timedelta(seconds=200), attempts=1)
    item(second, "a", state=ItemCase.State.DEAD, attempts=6, last_error="HTTP 503")
    item(
        second,
        "b",
        state=ItemCase.State.IN_PROGRESS,
        time_status="warning",
        attempts=1,
        dispatched_at=accepted + timedelta(seconds=2),
    )
    return {"department": department, "first": first, "second": second}
