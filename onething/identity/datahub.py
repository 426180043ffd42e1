"""The engine's connection to the government data hub (services/datahub)."""

import os
import threading
import time

from django.conf import settings

from services.datahub.client import DatahubClient, DatahubError, DatahubRequestError, DatahubUnavailable
from services.http_session import pinned_session

__all__ = ["DatahubError", "DatahubRequestError", "DatahubUnavailable", "datahub_client", "reset_datahub_clients"]

IDLE_SECONDS = 2.0  # a connection unused this long is not reused: the hub may have closed it
_local = threading.local()


class PooledDatahubClient(DatahubClient):
    """A client kept per thread and reused by every request and task of that thread, so
    the hub's keep-alive connection is reused instead of opened (and a session built) for
    each call. ``close()`` keeps it open: callers use it like a fresh client (``with``)."""

    def __init__(self, base_url: str, **options) -> None:
        super().__init__(base_url, **options)
        self.session.close()
        self.session = pinned_session(self.base_url)  # the environment read once, not per call
        self.last_used = time.monotonic()

    def close(self) -> None:
        """Kept for the next caller of this thread (see ``datahub_client``)."""

    def refresh_if_idle(self) -> None:
        now = time.monotonic()
        if now - self.last_used > IDLE_SECONDS:
            self.session.close()  # drop idle connections; the session opens new ones
        self.last_used = now


def datahub_client() -> DatahubClient:
    """The data hub client of this thread (reused; made again when the settings change).
    Short timeout: a slow hub must never hang a page."""
    config = (settings.DATAHUB_URL, settings.DATAHUB_KEY, settings.DATAHUB_TIMEOUT, settings.DATAHUB_CLIENT_ID)
    client: PooledDatahubClient | None = getattr(_local, "client", None)
    if client is None or _local.config != config:
        if client is not None:
            client.session.close()
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
        client.session.close()
    _local.client = None


def _forget_after_fork() -> None:
    global _local
    _local = threading.local()  # a forked worker must not share its parent's connections


os.register_at_fork(after_in_child=_forget_after_fork)
