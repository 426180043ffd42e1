"""/healthz: is the database reachable, the broker reachable, a Celery worker alive?

Each check is bounded in time (the broker connection and the worker ping time out after
settings.HEALTHZ_TIMEOUT_SECONDS, default 1 s), and the result is kept for
settings.HEALTHZ_CACHE_SECONDS per process, so a load balancer polling every second from
several places costs one check round per process every few seconds and the endpoint never
hangs. The answer says only ok/fail per check (no host names, URLs or error texts: it is
unauthenticated); the reason goes to the log.

A warning is not a failure: ``"warnings"`` (present only when there is one) says e.g. that
the working-day calendar's holiday schedule ends within 60 days
(``{"workday_schedule": {"last_day": "2026-12-31", "days_left": 24}}``); the status stays
"ok" and the code 200.

``?scope=web`` checks only the database and the broker: use it for a web server's
readiness probe, so that a dead worker pool does not take every web server out of the
load balancer (watch the workers through the full check or the metrics instead).
"""

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from celery import Celery
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

log = logging.getLogger(__name__)

CHECKS = ("database", "broker", "workers")
WEB_CHECKS = ("database", "broker")


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    seconds: float


_cache: dict[str, tuple[float, CheckResult]] = {}
_lock = threading.Lock()


def _broker() -> tuple[str, dict]:
    """The broker URL and transport options of the settings, with short timeouts."""
    timeout = settings.HEALTHZ_TIMEOUT_SECONDS
    options = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {})
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        options.update(socket_connect_timeout=timeout, socket_timeout=timeout, max_retries=0)
    else:  # polling transports (filesystem, memory): look for the answers often
        options["polling_interval"] = 0.05
    if url == "filesystem://":  # the same transport; a host name keeps kombu from warning each time
        url = "filesystem://localhost/"
    return url, options


def broker_connection() -> Connection:
    """A fresh connection to the Celery broker of the settings, with a short timeout: the
    Redis transport in production, kombu's filesystem transport in the embedded default."""
    url, options = _broker()
    return Connection(url, connect_timeout=settings.HEALTHZ_TIMEOUT_SECONDS, transport_options=options)


_probes: dict[str, Celery] = {}


def _probe_app() -> Celery:
    """A Celery app used only to send the control ping, on the broker of the settings and
    without a connection pool (a fresh connection per check, so a restarted Redis is not
    met with a dead pooled one). The project's app is not used: it reads its broker once,
    at start-up, and publishes through its own pool (it is read here as Celery's current
    app, which onething/__init__.py loads: operations stands below the Celery module)."""
    from celery import current_app as project

    url, options = _broker()
    key = f"{url}|{sorted(options.items())}"
    if key not in _probes:
        probe = Celery("onething-health", broker=url, set_as_current=False, fixups=[])
        probe.conf.update(
            broker_transport_options=options,
            broker_connection_timeout=settings.HEALTHZ_TIMEOUT_SECONDS,
            broker_connection_retry=False,
            broker_connection_max_retries=0,
            broker_pool_limit=0,
            control_exchange=project.conf.control_exchange,
        )
        _probes[key] = probe
    return _probes[key]


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("SELECT 1 returned something else")


def check_broker() -> None:
    """Open a channel: with Redis that connects and PINGs the server; with the filesystem
    transport it checks that the queue folders exist."""
    with broker_connection() as conn:
        timeout = settings.HEALTHZ_TIMEOUT_SECONDS
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
        channel = conn.channel()
        client = getattr(channel, "client", None)
        if callable(getattr(client, "ping", None)):
            client.ping()
        channel.close()


def check_workers() -> None:
    """A Celery control ping answered by at least one worker within the timeout (returns
    as soon as the first answer arrives). A worker on the embedded filesystem broker looks
    at its queues once a second, so there the wait is at least 2 s (``make run`` only)."""
    timeout = settings.HEALTHZ_TIMEOUT_SECONDS
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        timeout = max(timeout, 2.0)
    with broker_connection() as conn:
        replies = _probe_app().control.ping(timeout=timeout, limit=1, connection=conn)
    if not replies:
        raise RuntimeError("no worker answered the ping")


_FUNCTIONS = {"database": check_database, "broker": check_broker, "workers": check_workers}


def run_check(name: str, *, use_cache: bool = True) -> CheckResult:
    """Run one check (or reuse its result from the last HEALTHZ_CACHE_SECONDS)."""
    now = time.monotonic()
    if use_cache:
        with _lock:
            cached = _cache.get(name)
        if cached and now - cached[0] < settings.HEALTHZ_CACHE_SECONDS:
            return cached[1]
    started = time.perf_counter()
    try:
        _FUNCTIONS[name]()
        ok = True
    except Exception as err:
        log.warning("health check %s failed: %s: %s", name, type(err).__name__, err)
        ok = False
    result = CheckResult(ok=ok, seconds=round(time.perf_counter() - started, 4))
    with _lock:
        _cache[name] = (time.monotonic(), result)
    return result


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def warnings() -> dict[str, Any]:
    """What an administrator must do soon, without failing the check (never raises)."""
    found: dict[str, Any] = {}
    try:
        from onething.workdays.selectors import schedule_warning

        warning = schedule_warning()
    except Exception as err:
        log.warning("health warning workday_schedule unavailable: %s: %s", type(err).__name__, err)
        return found
    if warning is not None:
        found["workday_schedule"] = {
            "last_day": warning.last_day.isoformat() if warning.last_day else None,
            "days_left": warning.days_left,
        }
    return found


def health(*, checks: tuple[str, ...] = CHECKS) -> dict[str, Any]:
    """{"status": "ok" | "fail", "checks": {name: "ok" | "fail"}} and, when there are any,
    "warnings" (see ``warnings``); the workers check is skipped (reported "fail") when the
    broker itself is unreachable. Warnings never change the status."""
    results: dict[str, str] = {}
    for name in checks:
        if name == "workers" and results.get("broker") == "fail":
            results[name] = "fail"
            continue
        results[name] = "ok" if run_check(name).ok else "fail"
    status = "ok" if all(value == "ok" for value in results.values()) else "fail"
    body: dict[str, Any] = {"status": status, "checks": results}
    if results.get("database") == "ok":
        found = warnings()
        if found:
            body["warnings"] = found
    return body


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every check passes, 503 otherwise, with which one failed."""
    checks = WEB_CHECKS if request.GET.get("scope") == "web" else CHECKS
    body = health(checks=checks)
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)
