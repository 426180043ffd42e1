"""/metrics: access by bearer token, Prometheus text that parses, the figures it reports."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.django_db

TOKEN = "metrics-test-token-7f3a"
FAMILIES = {
    "onething_cases",
    "onething_item_cases",
    "onething_dead_letters",
    "onething_item_cases_time_status",
    "onething_item_cases_overdue",
    "onething_item_cases_oldest_age_seconds",
    "onething_open_item_case_retries",
    "onething_dispatch_retries_recent",
    "onething_dispatch_latency_seconds",
    "onething_queue_length",
    "onething_health_check",
    "onething_metrics_scrape_duration_seconds",
    "onething_workday_schedule_days_left",
}


@pytest.fixture
def token(settings, memory_broker):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client) -> dict:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(response.content.decode())}
    return families


def samples(family, name=None) -> dict:
    return {tuple(sorted(s.labels.items())): s.value for s in family.samples if name is None or s.name == name}


def test_metrics_refused_without_the_token(client, token):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 403


def test_no_token_means_debug_only(client, settings, memory_broker):
    settings.METRICS_TOKEN = ""
    settings.DEBUG = False
    assert client.get("/metrics").status_code == 403
    settings.DEBUG = True
    assert client.get("/metrics").status_code == 200


def test_metrics_parse_and_contain_every_family(client, token):
    families = scrape(client)
    assert FAMILIES <= set(families)
    assert families["onething_dispatch_latency_seconds"].type == "histogram"


def test_figures_come_from_the_database(client, token, ops_cases):
    families = scrape(client)
    cases = samples(families["onething_cases"])
    assert cases[(("state", "processing"),)] == 2
    assert cases[(("state", "concluded"),)] == 1
    assert cases[(("state", "submitted"),)] == 0
    items = samples(families["onething_item_cases"])
    assert items[(("state", "received"),)] == 3
    assert items[(("state", "dead_letter"),)] == 1
    assert samples(families["onething_dead_letters"]) == {(): 1}
    department = ops_cases["department"].code
    late = samples(families["onething_item_cases_time_status"])
    assert late == {
        (("department", department), ("time_status", "overdue")): 1,
        (("department", department), ("time_status", "warning")): 1,
    }
    assert samples(families["onething_item_cases_overdue"]) == {(): 1}
    # attempts beyond the first: 2 (item b) + 5 (the dead letter) among unfinished ones
    assert samples(families["onething_open_item_case_retries"]) == {(): 7}
    # dispatched within the window: only item b retried
    assert samples(families["onething_dispatch_retries_recent"]) == {(): 2}

    # first-wave dispatches 2 s, 3 s and 40 s after acceptance; the downstream one is left out
    latency = families["onething_dispatch_latency_seconds"]
    buckets = {s.labels["le"]: s.value for s in latency.samples if s.name.endswith("_bucket")}
    assert buckets["1.0"] == 0
    assert buckets["2.5"] == 1
    assert buckets["5.0"] == 2
    assert buckets["30.0"] == 2
    assert buckets["60.0"] == 3
    assert buckets["+Inf"] == 3
    gsum = families["onething_dispatch_latency_seconds_gsum"].samples[0].value
    assert gsum == pytest.approx(45.0, abs=0.01)

    oldest = samples(families["onething_item_cases_oldest_age_seconds"])
    assert set(oldest) == {(("state", "received"),), (("state", "dead_letter"),), (("state", "in_progress"),)}
    assert all(0 <= age < 60 for age in oldest.values())


def test_latency_window_excludes_old_dispatches(client, token, ops_cases, settings):
    from datetime import timedelta

    from django.utils import timezone

    from onething.processing.models import ItemCase

    old = timezone.now() - timedelta(hours=2)
    ItemCase.objects.update(state_changed_at=old, dispatched_at=old)
    families = scrape(client)
    latency = families["onething_dispatch_latency_seconds"]
    assert {s.labels["le"]: s.value for s in latency.samples if s.name.endswith("_bucket")}["+Inf"] == 0
    assert samples(families["onething_dispatch_retries_recent"]) == {(): 0}


def test_queue_lengths_of_the_filesystem_broker(client, settings, tmp_path):
    settings.METRICS_TOKEN = TOKEN
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path)}
    settings.HEALTHZ_TIMEOUT_SECONDS = 0.2
    for i in range(3):
        (tmp_path / f"170000000{i}_abc{i}.dispatch.msg").write_text("{}")
    (tmp_path / "1700000009_abc.callbacks.msg").write_text("{}")
    lengths = samples(scrape(client)["onething_queue_length"])
    assert lengths[(("queue", "dispatch"),)] == 3
    assert lengths[(("queue", "callbacks"),)] == 1
    assert lengths[(("queue", "maintenance"),)] == 0


def test_scrapes_are_cached(client, token, ops_cases, settings, django_assert_max_num_queries):
    settings.METRICS_CACHE_SECONDS = 60
    scrape(client)
    with django_assert_max_num_queries(0):
        scrape(client)
