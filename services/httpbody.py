"""The stand-alone services' shared HTTP plumbing on the stdlib server: reading a request body safely,
answering in JSON, stopping cleanly.

Shared by services/datahub and services/department so both refuse the same things the
same way: chunked bodies, a bad Content-Length, a body over the limit (drained when
moderately oversized, so the client reads the 413 instead of a connection reset).
"""

from __future__ import annotations

import json
import signal
import sys
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import FrameType
from typing import Any

from services.redaction import mask_identifiers

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


class JsonApiHandler(BaseHTTPRequestHandler):
    """The HTTP plumbing both stand-alone services share: every method goes to
    ``handle_api``; bodies are read safely; errors (the service's ``api_error`` class, bugs,
    malformed requests) are answered in the service's JSON error format; responses carry a
    Content-Length so keep-alive works.

    A reply is anything with ``status`` and either ``payload`` (sent as JSON) or ``body``
    (bytes), optionally ``content_type`` and ``headers``.
    """

    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: the status line, headers and body go out in separate writes; with Nagle's
    # algorithm the last one waits for the client's delayed ACK, ~40 ms on every keep-alive
    # request after the first (seen in bench/load_bench.py: 8 hub calls per draft, 44 ms each)
    disable_nagle_algorithm = True
    timeout = 30  # a client announcing more body than it sends must not hold a thread forever
    max_body_bytes = MAX_BODY_BYTES
    log_name = "service"
    api_error: type  # the service's error class: api_error(code[, detail]) with .status and .payload()

    # do_* names are fixed by BaseHTTPRequestHandler.
    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def handle_api(self, method: str, body: bytes):
        raise NotImplementedError

    def before_send(self, reply) -> None:
        """Hook run before a reply goes out (e.g. simulated slowness)."""

    def _serve(self, method: str) -> None:
        try:
            reply = self.handle_api(method, self._read_body())
        except self.api_error as err:
            reply = JsonReply(err.status, err.payload())
        except OSError:  # the client went away (e.g. its timeout expired during simulated latency)
            self.close_connection = True
            return
        except Exception:  # a bug, not bad input: log it and answer in the API's error format
            traceback.print_exc()
            err = self.api_error("internal_error")
            reply = JsonReply(err.status, err.payload())
        self.before_send(reply)
        try:
            self._send(reply)
        except OSError:
            self.close_connection = True

    def _read_body(self) -> bytes:
        try:
            return read_body(self, self.max_body_bytes)
        except BodyRefused as refused:
            error = self.api_error(refused.code, refused.detail) if refused.detail else self.api_error(refused.code)
            raise error from refused

    def _send(self, reply) -> None:
        data = getattr(reply, "body", None)
        if data is None:
            data = json.dumps(reply.payload, ensure_ascii=False).encode("utf-8")
        self.send_response(reply.status)
        self.send_header("Content-Type", getattr(reply, "content_type", JSON_TYPE))
        self.send_header("Content-Length", str(len(data)))
        for name, value in (getattr(reply, "headers", None) or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", None) != "HEAD":
            self.wfile.write(data)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed request lines and headers get the API's JSON error format too, not stdlib HTML."""
        self.close_connection = True
        payload = self.api_error("bad_request").payload()
        payload["error"]["code"] = f"http_{code}"
        if code != 400:
            payload["error"].update(message="不支持的请求方法或协议版本", message_en="Unsupported method or protocol")
        self._send(JsonReply(code, payload))

    def log_message(self, format: str, *args: Any) -> None:
        """The access log (and the stdlib's error lines, which quote the request line): ID
        numbers, mobile numbers and credit codes in paths and query strings are masked."""
        if not self.server.quiet:
            sys.stderr.write(f"{self.log_name} {self.address_string()} {mask_identifiers(format % args)}\n")


@dataclass
class JsonReply:
    status: int
    payload: Any = None


JSON_TYPE = "application/json; charset=utf-8"


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends serve_forever like Ctrl-C does, so the socket is closed cleanly."""
    raise KeyboardInterrupt


def serve_until_stopped(server: HTTPServer) -> None:
    """Serve until Ctrl-C or SIGTERM, then close the socket."""
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
