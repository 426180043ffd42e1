"""The bare baseline of bench/dispatch_bench.py: a Celery task that makes the same HTTP call
to the same department service as a dispatch does, and nothing else (no database, no
state machine, no audit, no callbacks).

The same task with a ``callback_url`` is the benchmark's *protocol floor*: the department
then calls back, signed, to the bare callback view of bench/bare_wsgi.py, which checks the
signature and counts (``FLOOR_CALLBACKS_KEY``). A dispatch and its callback with no engine
work in between is the most any engine speaking this protocol could do on this machine.

It runs in the engine's own Celery app and worker configuration (``celery -A onething
worker -I bench.baseline_tasks -Q bench``: same broker, acks_late, prefetch 1, pool), so
that the only difference between the two measurements is what the task does. Messages go
to the separate queue ``bench`` (see ``enqueue``), which engine workers never read.

Each completion increments a Redis counter (``DONE_KEY``) that the benchmark polls. The
module also tells the benchmark when a worker is ready (``worker_ready`` → a file in
``$BENCH_READY_DIR``), for any worker that includes it, so workers can log at WARNING.
"""

import os
import threading
import uuid
from pathlib import Path

from celery import shared_task
from celery.signals import worker_ready

from services.protocol.client import DepartmentClient

QUEUE = "bench"
DONE_KEY = "bench:bare_submit:done"
FAILED_KEY = "bench:bare_submit:failed"
FLOOR_CALLBACKS_KEY = "bench:floor:callbacks"
FLOOR_CERTIFICATES_KEY = "bench:floor:certificates"

_local = threading.local()


def department_client(base_url: str, department: str, secret: str, timeout: float) -> DepartmentClient:
    """One client (connection pool) per thread and department, as the engine's HTTP adapter keeps."""
    clients = _local.__dict__.setdefault("clients", {})
    key = (base_url, department, secret)
    if key not in clients:
        clients[key] = DepartmentClient(base_url, department, secret, timeout=timeout)
    return clients[key]


def redis_connection():
    from django.conf import settings
    from redis import Redis

    if not hasattr(_local, "redis"):
        _local.redis = Redis.from_url(settings.CELERY_BROKER_URL)
    return _local.redis


@shared_task(name="bench.bare_submit", acks_late=True, ignore_result=True)
def bare_submit(
    base_url: str,
    department: str,
    secret: str,
    item_code: str,
    case_number: str,
    data: dict,
    callback_url: str | None = None,
) -> str:
    """One signed submission with a fresh idempotency key; count it as done (or failed)."""
    key = f"bare-{uuid.uuid4().hex}"
    try:
        answer = department_client(base_url, department, secret, 5.0).submit(
            idempotency_key=key,
            case_number=case_number,
            item_code=item_code,
            item_case_id=key,
            data=data,
            materials=[],
            callback_url=callback_url,
        )
    except Exception:
        redis_connection().incr(FAILED_KEY)
        raise
    redis_connection().incr(DONE_KEY)
    return answer["reference"]


def enqueue(**submission: object) -> None:
    """Send one bare submission (the arguments of ``bare_submit``; with a callback URL: the
    floor) to the ``bench`` queue."""
    bare_submit.apply_async(kwargs=submission, queue=QUEUE)


@worker_ready.connect
def _tell_the_benchmark(sender=None, **kwargs) -> None:
    ready_dir = os.environ.get("BENCH_READY_DIR")
    if ready_dir:
        hostname = getattr(sender, "hostname", None) or f"worker-{os.getpid()}"
        (Path(ready_dir) / f"{hostname}.ready").write_text(str(os.getpid()))
