"""Request signatures shared by the data hub server and its client.

Every ``/v1`` request carries ``X-Client-Id``, ``X-Timestamp`` (unix seconds) and ``X-Signature``:
the lowercase hex HMAC-SHA256, under the shared key, of::

    {METHOD}\\n{path with query, exactly as sent}\\n{timestamp}\\n{sha256 hex of the raw body}

Binding the body hash and the timestamp into the signature stops tampering and limits replays to the
allowed clock skew; the same function signs on both sides, so they cannot drift apart.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

DEFAULT_KEY = "demo-datahub-key"
MAX_SKEW_SECONDS = 300


class AuthError(Exception):
    """Authentication failed; ``code`` is the machine-readable reason returned to the caller."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def string_to_sign(method: str, path_with_query: str, timestamp: str, body: bytes) -> str:
    """The canonical text that is signed."""
    return f"{method.upper()}\n{path_with_query}\n{timestamp}\n{hashlib.sha256(body).hexdigest()}"


def sign(key: str, method: str, path_with_query: str, timestamp: str, body: bytes = b"") -> str:
    """Hex HMAC-SHA256 of the canonical text."""
    message = string_to_sign(method, path_with_query, timestamp, body).encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(
    key: str, client_id: str, method: str, path_with_query: str, body: bytes = b"", now: float | None = None
) -> dict[str, str]:
    """The three authentication headers for one request."""
    timestamp = str(int(time.time() if now is None else now))
    return {
        "X-Client-Id": client_id,
        "X-Timestamp": timestamp,
        "X-Signature": sign(key, method, path_with_query, timestamp, body),
    }


def verify(
    key: str,
    headers: Mapping[str, str],
    method: str,
    path_with_query: str,
    body: bytes,
    now: float | None = None,
    max_skew: int = MAX_SKEW_SECONDS,
) -> str:
    """Check the headers of a request and return the client id; raise AuthError otherwise."""
    client_id, timestamp, signature = (headers.get(name) for name in ("X-Client-Id", "X-Timestamp", "X-Signature"))
    if not client_id or not timestamp or not signature:
        raise AuthError("missing_credentials")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise AuthError("bad_timestamp")
    if abs((time.time() if now is None else now) - int(timestamp)) > max_skew:
        raise AuthError("stale_timestamp")
    expected = sign(key, method, path_with_query, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode("utf-8", "replace")):
        raise AuthError("bad_signature")
    return client_id
