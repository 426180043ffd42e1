"""The engine's connection to the government data hub (services/datahub).

Each thread keeps one client and its keep-alive connection. Calls go through the standard
library's ``http.client`` on that connection (about a fifth of the CPU of a call through
``requests``, which prefill makes several times per draft); through ``requests`` only when the
environment names a proxy for the hub."""

import http.client
import json
import os
import ssl
import threading
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from requests.utils import DEFAULT_CA_BUNDLE_PATH

from services.datahub.auth import signed_headers
from services.datahub.client import (
    JSON,
    DatahubClient,
    DatahubError,
    DatahubRequestError,
    DatahubUnavailable,
    _encode,
    _result,
)
from services.http_session import pinned_session

__all__ = ["DatahubError", "DatahubRequestError", "DatahubUnavailable", "datahub_client", "reset_datahub_clients"]

IDLE_SECONDS = 2.0  # a connection unused this long is not reused: the hub may have closed it
_local = threading.local()


# a kept connection the hub closed meanwhile fails like this on reuse: sent again once, on a new one
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class _Answer:
    """What ``services.datahub.client._result`` reads of an answer."""

    def __init__(self, status: int, body: bytes) -> None:
        self.status_code, self.body = status, body

    def json(self) -> Any:
        return json.loads(self.body)  # ValueError when not JSON, as requests raises


class PooledDatahubClient(DatahubClient):
    """A client kept per thread and reused by every request and task of that thread, so
    the hub's keep-alive connection is reused instead of opened (and a session built) for
    each call. ``close()`` keeps it open: callers use it like a fresh client (``with``)."""

    def __init__(self, base_url: str, **options) -> None:
        super().__init__(base_url, **options)
        self.session.close()
        self.session = pinned_session(self.base_url)  # the environment read once, not per call
        parts = urlsplit(self.base_url)
        proxied = self.session.proxies.get(parts.scheme) or self.session.proxies.get("all")
        self._direct = None if proxied or parts.scheme not in ("http", "https") else parts
        self._connection: http.client.HTTPConnection | None = None
        self.last_used = time.monotonic()

    def close(self) -> None:
        """Kept for the next caller of this thread (see ``datahub_client``)."""

    def drop_connections(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self.session.close()

    def refresh_if_idle(self) -> None:
        now = time.monotonic()
        if now - self.last_used > IDLE_SECONDS:
            self.drop_connections()  # the next call opens a new one
        self.last_used = now

    def _request(
        self,
        method: str,
        path: str,
        body: JSON | None = None,
        params: dict[str, str] | None = None,
        allow_404: bool = False,
    ) -> Any:
        if self._direct is None:
            return super()._request(method, path, body, params, allow_404)
        target = self._prefix + path + (f"?{urlencode(params)}" if params else "")
        data = b"" if body is None else _encode(body)
        headers = signed_headers(self.key, self.client_id, method, target, data)
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        try:
            answer = self._exchange(method, target, data, headers)
        except (OSError, http.client.HTTPException) as exc:
            # not str(exc): it may hold the URL, and the URL may name a person (as in the parent)
            raise DatahubUnavailable(f"data hub unreachable at {self.base_url}: {type(exc).__name__}") from exc
        return _result(answer, allow_404)

    def _exchange(self, method: str, target: str, data: bytes, headers: dict[str, str]) -> _Answer:
        while True:
            reused = self._connection is not None
            connection = self._connection or self._connect()
            self._connection = connection
            try:
                connection.request(method, target, body=data or None, headers=headers)
                response = connection.getresponse()
                answer = _Answer(response.status, response.read())
            except BaseException as error:
                self._connection = None
                connection.close()
                if reused and isinstance(error, _STALE):
                    continue  # once: the next round has a new connection
                raise
            if response.will_close:
                self._connection = None
                connection.close()
            return answer

    def _connect(self) -> http.client.HTTPConnection:
        parts = self._direct
        if parts.scheme == "http":
            return http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        verify = self.session.verify  # the CA bundle of the environment, as requests would use it
        if verify is False:
            context = ssl._create_unverified_context()
        else:
            bundle = DEFAULT_CA_BUNDLE_PATH if verify is True else verify
            context = ssl.create_default_context(**{"capath" if os.path.isdir(bundle) else "cafile": bundle})
        return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=self.timeout, context=context)


def datahub_client() -> DatahubClient:
    """The data hub client of this thread (reused; made again when the settings change).
    Short timeout: a slow hub must never hang a page."""
    config = (settings.DATAHUB_URL, settings.DATAHUB_KEY, settings.DATAHUB_TIMEOUT, settings.DATAHUB_CLIENT_ID)
    client: PooledDatahubClient | None = getattr(_local, "client", None)
    if client is None or _local.config != config:
        if client is not None:
            client.drop_connections()
        client = PooledDatahubClient(
            settings.DATAHUB_URL,
            key=settings.DATAHUB_KEY,
            timeout=settings.DATAHUB_TIMEOUT,
            client_id=settings.DATAHUB_CLIENT_ID,
        )
        _local.client, _local.config = client, config
    else:
        client.refresh_if_idle()
    return client


def reset_datahub_clients() -> None:
    """Forget this thread's client (tests; after a fork the connections are not shared)."""
    client = getattr(_local, "client", None)
    if client is not None:
        client.drop_connections()
    _local.client = None


def _forget_after_fork() -> None:
    global _local
    _local = threading.local()  # a forked worker must not share its parent's connections


os.register_at_fork(after_in_child=_forget_after_fork)
