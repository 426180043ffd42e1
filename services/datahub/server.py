"""HTTP plumbing of the data hub on the stdlib's ThreadingHTTPServer (no third-party dependency).

Only reading bodies, writing JSON and mapping exceptions live here; the API itself is in ``api.py``.
Responses always carry a Content-Length, so HTTP/1.1 keep-alive works with ``requests.Session``.
"""

from __future__ import annotations

import json
import signal
import sys
import traceback
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from services.httpbody import BodyRefused, read_body

from .api import Api, ApiError, Simulation
from .store import Store

MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """Everything the command line (or the environment) decides."""

    host: str
    port: int
    data_dir: Path
    seed: int
    as_of: date
    key: str
    persons: int
    enterprises: int
    simulation: Simulation = field(default_factory=Simulation)
    quiet: bool = False


class DatahubHTTPServer(ThreadingHTTPServer):
    """A threading server that carries the shared ``Api`` for its handlers."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], api: Api, quiet: bool = False) -> None:
        super().__init__(address, DatahubHandler)
        self.api, self.quiet = api, quiet


class DatahubHandler(BaseHTTPRequestHandler):
    """Turns one HTTP exchange into a call of ``Api.handle`` and a JSON response."""

    server: DatahubHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "OneThingDatahub/1"
    timeout = 30  # a client announcing more body than it sends must not hold a thread forever

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

    def _serve(self, method: str) -> None:
        try:
            body = self._read_body()
            status, payload = self.server.api.handle(method, self.path, self.headers, body)
        except ApiError as err:
            status, payload = err.status, err.payload()
        except OSError:  # the client went away (e.g. its timeout expired during simulated latency)
            self.close_connection = True
            return
        except Exception:  # a bug, not bad input: log it and answer in the API's error format
            traceback.print_exc()
            err = ApiError("internal_error")
            status, payload = err.status, err.payload()
        try:
            self._send(status, payload)
        except OSError:
            self.close_connection = True

    def _read_body(self) -> bytes:
        try:
            return read_body(self, MAX_BODY_BYTES)
        except BodyRefused as refused:
            raise (ApiError(refused.code, refused.detail) if refused.detail else ApiError(refused.code)) from refused

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if getattr(self, "command", None) != "HEAD":
            self.wfile.write(data)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed request lines and headers get the API's JSON error format too, not stdlib HTML."""
        self.close_connection = True
        payload = ApiError("bad_request").payload()
        payload["error"]["code"] = f"http_{code}"
        if code != 400:
            payload["error"].update(message="不支持的请求方法或协议版本", message_en="Unsupported method or protocol")
        self._send(code, payload)

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            sys.stderr.write(f"datahub {self.address_string()} {format % args}\n")


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends serve_forever like Ctrl-C does, so the socket is closed cleanly."""
    raise KeyboardInterrupt


def run(settings: Settings) -> None:
    """Seed the data directory if needed, then serve until interrupted."""
    store = Store(settings.data_dir)
    reseeded = store.ensure_dataset(settings.seed, settings.as_of, settings.persons, settings.enterprises)
    api = Api(store, settings.key, settings.simulation)
    server = DatahubHTTPServer((settings.host, settings.port), api, settings.quiet)
    host, port = server.server_address[:2]
    action = "seeded" if reseeded else "reused"
    print(
        f"datahub listening on http://{host}:{port} (data {action} in {store.path}, seed={settings.seed}, "
        f"as_of={settings.as_of.isoformat()}, latency_ms={settings.simulation.latency_ms})",
        flush=True,
    )
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
