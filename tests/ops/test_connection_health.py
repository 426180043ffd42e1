"""The PostgreSQL backend's health check (onething/common/dbbackends/postgresql): no
``SELECT 1`` on a connection in steady use, a check on one that sat idle, and a connection
broken under use closed at the end of the request so that the next one reconnects."""

import psycopg
import pytest
from django.db import OperationalError, connection, connections

from onething.catalog.models import Department

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the backend of PostgreSQL"),
]


def _new_request():
    """What Django does for a connection at the start of a request or task."""
    connection.health_check_done = False


def _terminate_backend():
    params = connection.settings_dict
    with psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        host=params["HOST"],
        port=params["PORT"] or None,
        password=params["PASSWORD"] or None,
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])


@pytest.fixture
def pings(monkeypatch):
    calls = []
    backend = type(connections["default"])
    real = backend.is_usable

    def counted(self):
        calls.append(1)
        return real(self)

    monkeypatch.setattr(backend, "is_usable", counted)
    return calls


def test_a_connection_in_steady_use_is_not_pinged_an_idle_one_is(pings):
    Department.objects.exists()
    assert connection.health_check_enabled
    _new_request()
    Department.objects.exists()
    assert pings == []
    connection._last_used -= 5  # idle for five seconds
    _new_request()
    Department.objects.exists()
    assert pings == [1]


def test_an_idle_connection_broken_meanwhile_is_replaced_before_use(pings):
    Department.objects.exists()
    _terminate_backend()
    connection._last_used -= 5
    _new_request()
    Department.objects.exists()  # no error: the check found it broken, a new connection answers
    assert pings == [1]


def test_a_connection_broken_under_use_fails_one_request_and_is_closed_after_it():
    Department.objects.exists()
    _terminate_backend()
    _new_request()
    with pytest.raises(OperationalError):
        Department.objects.exists()
    connection.close_if_unusable_or_obsolete()  # the end of that request
    assert connection.connection is None
    _new_request()
    Department.objects.exists()  # the next request reconnects
