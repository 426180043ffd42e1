"""The engine's data-hub client (onething/identity/datahub.py): one keep-alive connection per
thread through http.client, a connection the hub closed meanwhile replaced once without the
caller noticing, requests (with the environment's proxy) when a proxy is set, and the same
answers and errors as the shared client."""

import socket
import threading

import pytest

from onething.identity.datahub import (
    DatahubRequestError,
    DatahubUnavailable,
    PooledDatahubClient,
    datahub_client,
    reset_datahub_clients,
)
from services.datahub import demo_identities as demo


@pytest.fixture
def hub(datahub_settings):
    reset_datahub_clients()
    yield datahub_client()
    reset_datahub_clients()


def test_calls_share_one_connection(hub):
    first = hub.get_person(demo.MOTHER_ID_NUMBER)
    connection = hub._connection
    assert connection is not None and connection.sock is not None
    local_port = connection.sock.getsockname()[1]
    assert hub.get_person(demo.MOTHER_ID_NUMBER) == first
    assert hub.verify_person(demo.MOTHER_ID_NUMBER, first["name"]) == {"match": True}
    assert hub._connection is connection and connection.sock.getsockname()[1] == local_port
    assert datahub_client() is hub  # the same client for the next caller of this thread


def test_answers_and_errors_as_the_shared_client(hub, datahub_settings):
    assert hub.get_elicence("NO-SUCH-LICENCE-0001") is None  # 404
    with pytest.raises(DatahubRequestError) as refused:
        hub.get_person("110101199001019999")  # the hub refuses a malformed ID number (4xx)
    assert refused.value.status == 400 and refused.value.code == "invalid_id_number"
    wrong_key = PooledDatahubClient(datahub_settings.base_url, key="not-the-key", timeout=2)
    with pytest.raises(DatahubRequestError):
        wrong_key.get_person(demo.MOTHER_ID_NUMBER)


def test_a_connection_closed_by_the_hub_is_replaced_once(hub):
    hub.get_person(demo.MOTHER_ID_NUMBER)
    # a kept connection whose other end has gone (the hub closed it while idle)
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []
    threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True).start()
    stale = type(hub._connection)("127.0.0.1", server.getsockname()[1], timeout=2)
    stale.connect()
    threading.Event().wait(0.2)
    accepted[0].close()
    server.close()
    hub._connection.close()
    hub._connection = stale
    assert hub.get_person(demo.MOTHER_ID_NUMBER)["id_number"] == demo.MOTHER_ID_NUMBER
    assert hub._connection is not stale


def test_hub_down_is_unavailable(datahub_down):
    reset_datahub_clients()
    with pytest.raises(DatahubUnavailable):
        datahub_client().get_person(demo.MOTHER_ID_NUMBER)
    reset_datahub_clients()


def test_a_proxy_in_the_environment_goes_through_requests(monkeypatch, datahub_settings):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = PooledDatahubClient("http://hub.example:8701", timeout=1)
    assert client._direct is None and client.session.proxies.get("http") == "http://127.0.0.1:9"
    with pytest.raises(DatahubUnavailable):  # the proxy is not there: requests says so, as before
        client.get_person(demo.MOTHER_ID_NUMBER)
    assert client._connection is None
