"""Celery application: the same tasks run on Redis in production and on kombu's
filesystem transport in the embedded default (see settings.CELERY_BROKER_URL)."""

import os
import time

from celery import Celery
from celery.signals import beat_init, task_postrun, task_prerun, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onething.settings")

app = Celery("onething")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery's Django fix-up closes every database connection before and after each task
# unless this is set; a new PostgreSQL backend per task costs more server CPU than the
# task itself. With it, connections live as long as settings' CONN_MAX_AGE says
# (checked before each task, below) and are recycled every 2 x this many tasks.
app.conf.CELERY_DB_REUSE_MAX = 500
app.autodiscover_tasks()


# A connection that answered a task within this many seconds is not health-checked again
# before the next one (the check is a ``SELECT 1`` round trip per task: ~1.5 statements per
# item case at full load). After a longer pause it is, as Django checks a request's.
WARM_CONNECTION_SECONDS = 2.0
_last_task_end = [float("-inf")]


@task_prerun.connect
def _close_old_connections(task=None, **kwargs) -> None:
    """What Django does at the start of every request: drop a connection that is older
    than CONN_MAX_AGE or broken (CONN_HEALTH_CHECKS), so a restarted database is survived.
    A connection used by the previous task less than WARM_CONNECTION_SECONDS ago, without
    an error, is taken as healthy; if the database went away in between, that task fails
    on its first statement (nothing written: the dispatch task retries it once, and the
    reconciliation finds whatever else it left) and the next task gets a new connection.
    Not for eager tasks: they run inside the caller's transaction."""
    from django.db import close_old_connections, connections

    if task is None or getattr(task.request, "is_eager", False):
        return

    close_old_connections()
    if time.monotonic() - _last_task_end[0] < WARM_CONNECTION_SECONDS:
        for connection in connections.all(initialized_only=True):
            if connection.connection is not None and not connection.errors_occurred:
                connection.health_check_done = True


@task_postrun.connect
def _note_task_end(task=None, **kwargs) -> None:
    if task is not None and not getattr(task.request, "is_eager", False):
        _last_task_end[0] = time.monotonic()


@worker_init.connect
@beat_init.connect
def _refuse_demo_secrets(sender=None, **kwargs) -> None:
    """A worker or beat does not start, with DEBUG off, while a department endpoint holds a
    demo secret (onething/operations/checks.py). SystemExit: Celery logs and swallows ordinary
    exceptions raised by signal handlers."""
    if getattr(sender, "app", None) is not app:
        return
    from django.core.exceptions import ImproperlyConfigured

    from onething.operations.checks import refuse_to_start

    try:
        refuse_to_start()
    except ImproperlyConfigured as refused:
        raise SystemExit(str(refused)) from None


# Log context across processes: the case number travels in the message headers
# (onething/operations/logging.py); with LOG_FORMAT=json the worker logs through settings.LOGGING.
# After _close_old_connections, so that a case-number lookup gets a healthy connection.
from onething.operations.logging import connect_celery_signals  # noqa: E402

connect_celery_signals(json_logs=os.environ.get("LOG_FORMAT", "text").strip().lower() == "json")
