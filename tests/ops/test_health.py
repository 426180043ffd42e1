"""/healthz: database, broker and workers, 200 or 503 with the failed check, bounded in time."""

import json
import time

import pytest

pytestmark = pytest.mark.django_db


def checked(body: dict) -> dict:
    """The body without "warnings" (the working-day calendar's warning depends on today's
    date; tests/workdays/test_warning.py checks it)."""
    return {key: value for key, value in body.items() if key != "warnings"}


def test_healthy_with_a_live_worker(client, live_worker, settings):
    settings.HEALTHZ_TIMEOUT_SECONDS = 5  # the ping returns at the first answer; room for a busy machine
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    assert checked(response.json()) == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "workers": "ok"}}
    assert "no-cache" in response["Cache-Control"]


def test_broker_unreachable_is_503_and_says_which(client, settings, closed_port):
    settings.CELERY_BROKER_URL = f"redis://:s3cret-password@127.0.0.1:{closed_port}/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    settings.HEALTHZ_TIMEOUT_SECONDS = 0.5
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 3
    assert response.status_code == 503
    body = response.json()
    assert checked(body) == {"status": "fail", "checks": {"database": "ok", "broker": "fail", "workers": "fail"}}
    # nothing about the broker's address or credentials
    assert str(closed_port) not in response.content.decode()
    assert "s3cret" not in response.content.decode()


def test_no_worker_is_503_but_web_scope_is_200(client, memory_broker):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "ok", "workers": "fail"}
    web = client.get("/healthz?scope=web")
    assert web.status_code == 200
    assert checked(web.json()) == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


def test_database_failure_is_503(client, memory_broker, monkeypatch):
    from onething.operations import health

    def broken():
        raise RuntimeError("connection refused")

    monkeypatch.setitem(health._FUNCTIONS, "database", broken)
    response = client.get("/healthz?scope=web")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "fail"
    assert "connection refused" not in response.content.decode()


def test_filesystem_broker_of_make_run(client, settings, tmp_path):
    """The embedded default: kombu's filesystem transport."""
    for sub in ("queue", "processed", "control"):
        (tmp_path / sub).mkdir()
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "queue"),
        "control_folder": str(tmp_path / "control"),
    }
    response = client.get("/healthz?scope=web")
    assert response.status_code == 200, response.content


def test_results_are_cached_for_a_few_seconds(client, memory_broker, monkeypatch):
    from onething.operations import health

    calls = []
    monkeypatch.setitem(health._FUNCTIONS, "broker", lambda: calls.append(1))
    memory_broker.HEALTHZ_CACHE_SECONDS = 60
    for _ in range(5):
        assert client.get("/healthz?scope=web").status_code == 200
    assert len(calls) == 1
    memory_broker.HEALTHZ_CACHE_SECONDS = 0
    client.get("/healthz?scope=web")
    assert len(calls) == 2


def test_healthz_needs_no_login_and_only_get(client, memory_broker):
    assert client.post("/healthz").status_code == 405
    body = json.loads(client.get("/healthz?scope=web").content)
    assert set(body) <= {"status", "checks", "warnings"}
