"""Reading a request body safely in the stand-alone services' stdlib HTTP handlers.

Shared by services/datahub and services/department so both refuse the same things the
same way: chunked bodies, a bad Content-Length, a body over the limit (drained when
moderately oversized, so the client reads the 413 instead of a connection reset).
"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

MAX_BODY_BYTES = 1024 * 1024
DRAIN_LIMIT_BYTES = 8 * MAX_BODY_BYTES


class BodyRefused(Exception):
    """``code`` is one of length_required, bad_request (with ``detail``), payload_too_large."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code, self.detail = code, detail


def read_body(handler: BaseHTTPRequestHandler, max_bytes: int = MAX_BODY_BYTES) -> bytes:
    """Exactly Content-Length bytes; raise BodyRefused (and mark the connection for closing)
    for anything that would leave the connection in an unknown state."""
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        handler.close_connection = True
        raise BodyRefused("length_required")
    raw = handler.headers.get("Content-Length", "0").strip() or "0"
    if not raw.isdigit():
        handler.close_connection = True
        raise BodyRefused("bad_request", "Content-Length")
    length = int(raw)
    if length > max_bytes:
        handler.close_connection = True
        _discard(handler, length)
        raise BodyRefused("payload_too_large")
    return handler.rfile.read(length) if length else b""


def _discard(handler: BaseHTTPRequestHandler, length: int) -> None:
    remaining = length if length <= DRAIN_LIMIT_BYTES else 0
    while remaining > 0:
        chunk = handler.rfile.read(min(remaining, 65536))
        if not chunk:
            break
        remaining -= len(chunk)
