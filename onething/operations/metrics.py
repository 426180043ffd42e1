"""Prometheus metrics at /metrics, computed from the database when scraped.

Why from the database and not counters in memory: the web runs as several gunicorn
processes and the work in several Celery worker processes on several machines; counters
kept in each process would need prometheus-client's multiprocess mode (a shared directory
per machine, cleaned at every restart) and still be per machine. The database already
knows every case, item case, attempt and timestamp, so one scrape of any web process
gives the whole deployment's figures. The queries are aggregates over indexed columns
(state, time_status, state_changed_at); the dispatch latency and recent retries look only
at item cases that changed state within settings.METRICS_WINDOW_SECONDS. The result is
kept settings.METRICS_CACHE_SECONDS per process, so several Prometheus servers scraping
cost one round of queries.

Access: ``Authorization: Bearer <METRICS_TOKEN>``; with no token configured, only when
DEBUG is on (``make run``). See docs/operations.md for the families and the alerts.
"""

import hmac
import logging
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

log = logging.getLogger(__name__)

# Seconds from a case's acceptance to an item case's dispatch (the department's receipt).
LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
QUEUES = ("dispatch", "callbacks", "notifications", "maintenance")


def _case_metrics() -> Iterator[Metric]:
    from onething.cases.models import Case

    family = GaugeMetricFamily("onething_cases", "Cases (办件) by state.", labels=["state"])
    # COUNT(*) lets PostgreSQL answer from the state index alone (an index-only scan)
    counts = dict(Case.objects.order_by().values_list("state").annotate(n=Count("*")))
    for state in Case.State.values:
        family.add_metric([state], counts.get(state, 0))
    yield family


def _item_case_metrics(now) -> Iterator[Metric]:
    """Two queries over the item cases: the finished ones counted by state (an index-only
    scan of the state index), the unfinished ones (a small share, found through the same
    index) grouped by state, time status and department, which gives every other figure."""
    from onething.catalog.models import Department
    from onething.processing.models import FINAL_STATES, ItemCase

    items = ItemCase.objects.order_by()
    final = [state for state in ItemCase.State.values if state in FINAL_STATES]
    unfinished = [state for state in ItemCase.State.values if state not in FINAL_STATES]
    counts = dict(items.filter(state__in=final).values_list("state").annotate(n=Count("*")))
    rows = list(
        items.filter(state__in=unfinished)
        .values_list("state", "time_status", "department_id")
        .annotate(
            n=Count("*"),
            oldest=Min("state_changed_at"),
            retries=Sum(F("attempts") - 1, filter=Q(attempts__gt=1)),
        )
    )
    departments = dict(Department.objects.values_list("id", "code"))
    oldest: dict[str, object] = {}
    late: dict[tuple[str, str], int] = {}
    open_retries = 0
    for state, time_status, department_id, n, since, retries in rows:
        counts[state] = counts.get(state, 0) + n
        oldest[state] = min(since, oldest.get(state, since))
        open_retries += retries or 0
        if time_status in (ItemCase.TimeStatus.WARNING, ItemCase.TimeStatus.OVERDUE):
            key = (departments.get(department_id, str(department_id)), time_status)
            late[key] = late.get(key, 0) + n

    family = GaugeMetricFamily("onething_item_cases", "Item cases (子件) by state.", labels=["state"])
    for state in ItemCase.State.values:
        family.add_metric([state], counts.get(state, 0))
    yield family
    yield GaugeMetricFamily(
        "onething_dead_letters",
        "Item cases dead-lettered after the retry budget, waiting for an administrator to re-dispatch.",
        value=counts.get(ItemCase.State.DEAD, 0),
    )
    by_department = GaugeMetricFamily(
        "onething_item_cases_time_status",
        "Unfinished item cases in warning (80% of the time limit) or overdue, by department.",
        labels=["department", "time_status"],
    )
    for (department, status), n in sorted(late.items()):
        by_department.add_metric([department, status], n)
    yield by_department
    yield GaugeMetricFamily(
        "onething_item_cases_overdue",
        "Unfinished item cases past their due date.",
        value=sum(n for (_, status), n in late.items() if status == ItemCase.TimeStatus.OVERDUE),
    )
    age = GaugeMetricFamily(
        "onething_item_cases_oldest_age_seconds",
        "Age of the oldest unfinished item case in each state (stuck dispatches show here).",
        labels=["state"],
    )
    for state, since in sorted(oldest.items()):
        age.add_metric([state], max(0.0, (now - since).total_seconds()))
    yield age
    yield GaugeMetricFamily(
        "onething_open_item_case_retries",
        "Dispatch retries (attempts beyond the first) of the unfinished item cases.",
        value=open_retries,
    )

    since = now - timedelta(seconds=settings.METRICS_WINDOW_SECONDS)
    recent = items.filter(state_changed_at__gte=since, dispatched_at__gte=since)
    recent_retries = recent.filter(attempts__gt=1).aggregate(n=Sum(F("attempts") - 1))["n"] or 0
    yield GaugeMetricFamily(
        "onething_dispatch_retries_recent",
        f"Dispatch retries of the item cases dispatched in the last {settings.METRICS_WINDOW_SECONDS} s.",
        value=recent_retries,
    )
    yield _latency(recent)


def _latency(recent) -> Metric:
    """Acceptance → dispatch of the item cases dispatched within the window, first-wave
    items only (a downstream item waits for its upstream's approval by design). A gauge
    histogram: the buckets describe the window and go down as well as up, so
    histogram_quantile() is applied to them directly, without rate()."""
    latency = ExpressionWrapper(F("dispatched_at") - F("case__accepted_at"), output_field=DurationField())
    first_wave = recent.filter(upstream=[], case__accepted_at__isnull=False).annotate(latency=latency)
    aggregates = {
        f"le_{i}": Count("id", filter=Q(latency__lte=timedelta(seconds=bound)))
        for i, bound in enumerate(LATENCY_BUCKETS)
    }
    row = first_wave.aggregate(total=Count("*"), sum=Sum("latency"), **aggregates)
    buckets = [(str(b), row[f"le_{i}"]) for i, b in enumerate(LATENCY_BUCKETS)]
    buckets.append(("+Inf", row["total"]))
    total_seconds = row["sum"].total_seconds() if isinstance(row["sum"], timedelta) else (row["sum"] or 0) / 1e6
    return GaugeHistogramMetricFamily(
        "onething_dispatch_latency_seconds",
        f"Seconds from a case's acceptance to the dispatch of its first-wave item cases, "
        f"item cases dispatched in the last {settings.METRICS_WINDOW_SECONDS} s.",
        buckets=buckets,
        gsum_value=max(0.0, total_seconds),
    )


def _queue_lengths() -> Iterator[Metric]:
    """Messages waiting in each Celery queue (Redis lists, or files of the filesystem broker)."""
    from onething.operations.health import broker_connection

    family = GaugeMetricFamily("onething_queue_length", "Messages waiting in each Celery queue.", labels=["queue"])
    url = settings.CELERY_BROKER_URL
    try:
        if url.startswith(("redis://", "rediss://")):
            with broker_connection() as conn:
                client = conn.channel().client
                pipe = client.pipeline()
                for queue in QUEUES:  # kombu keeps priorities 3, 6, 9 in lists of their own
                    for key in (queue, *(f"{queue}\x06\x16{p}" for p in (3, 6, 9))):
                        pipe.llen(key)
                lengths = pipe.execute()
                for i, queue in enumerate(QUEUES):
                    family.add_metric([queue], sum(lengths[i * 4 : i * 4 + 4]))
        elif url.startswith("filesystem://"):
            folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
            names = [entry.name for entry in folder.iterdir()] if folder.is_dir() else []
            for queue in QUEUES:
                family.add_metric([queue], sum(1 for name in names if name.endswith(f".{queue}.msg")))
    except Exception as err:
        log.warning("queue lengths unavailable: %s: %s", type(err).__name__, err)
        return
    yield family


def _health_metrics() -> Iterator[Metric]:
    from onething.operations.health import CHECKS, run_check

    family = GaugeMetricFamily(
        "onething_health_check", "1 when the /healthz check passes (database, broker, workers).", labels=["check"]
    )
    for name in CHECKS:
        family.add_metric([name], 1.0 if run_check(name).ok else 0.0)
    yield family


def _workday_metrics() -> Iterator[Metric]:
    """Days until the last day with a holiday schedule (negative after it); the oversight
    pages and /healthz warn from 60 days on (onething.workdays.selectors.schedule_warning)."""
    from onething.workdays.services import last_scheduled_day

    last_day = last_scheduled_day()
    if last_day is None:
        return
    yield GaugeMetricFamily(
        "onething_workday_schedule_days_left",
        "Days from today to the last day of the latest year with a holiday schedule (工作日历); "
        "enter the next year before it reaches 0 (warned from 60).",
        value=(last_day - timezone.localdate()).days,
    )


class DatabaseCollector:
    """Everything above, collected once per scrape."""

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        now = timezone.now()
        yield from _case_metrics()
        yield from _item_case_metrics(now)
        yield from _queue_lengths()
        yield from _health_metrics()
        yield from _workday_metrics()
        yield GaugeMetricFamily(
            "onething_metrics_scrape_duration_seconds",
            "Time spent computing these metrics.",
            value=time.perf_counter() - started,
        )


_cache: dict[str, tuple[float, bytes]] = {}
_lock = threading.Lock()


def render() -> bytes:
    """The exposition text, reused for METRICS_CACHE_SECONDS."""
    with _lock:
        cached = _cache.get("text")
        if cached and time.monotonic() - cached[0] < settings.METRICS_CACHE_SECONDS:
            return cached[1]
        registry = CollectorRegistry(auto_describe=False)
        registry.register(DatabaseCollector())
        text = generate_latest(registry)
        _cache["text"] = (time.monotonic(), text)
        return text


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return settings.DEBUG
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain; charset=utf-8")
    return HttpResponse(render(), content_type=CONTENT_TYPE_PLAIN_0_0_4)
