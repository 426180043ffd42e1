"""The engine's connection to the government data hub (services/datahub)."""

from django.conf import settings

from services.datahub.client import DatahubClient, DatahubError, DatahubRequestError, DatahubUnavailable

__all__ = ["DatahubError", "DatahubRequestError", "DatahubUnavailable", "datahub_client"]


def datahub_client() -> DatahubClient:
    """A client for this request or task. Short timeout: a slow hub must never hang a page."""
    return DatahubClient(
        settings.DATAHUB_URL,
        key=settings.DATAHUB_KEY,
        timeout=settings.DATAHUB_TIMEOUT,
        client_id=settings.DATAHUB_CLIENT_ID,
    )
