"""HTTP plumbing of the department service on the stdlib's ThreadingHTTPServer.

Only reading bodies, writing responses and mapping exceptions live here; the API is in ``api.py`` and
the background work in ``processing.py``. Responses always carry a Content-Length, so HTTP/1.1
keep-alive works with ``requests.Session``.
"""

from __future__ import annotations

import json
import signal
import sys
import time
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from services.httpbody import BodyRefused, read_body

from .api import Api, ApiError, Response
from .config import Config
from .processing import Processor
from .store import Store

MAX_BODY_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """Everything the command line (or the environment) decides."""

    host: str
    port: int
    data_dir: Path
    config: Config
    seed: int
    workers: int = 16
    public_url: str | None = None
    quiet: bool = False


class DepartmentHTTPServer(ThreadingHTTPServer):
    """A threading server that carries the shared ``Api`` for its handlers."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # bursts of hundreds of dispatches must not be refused at accept()

    def __init__(self, address: tuple[str, int], quiet: bool = False) -> None:
        super().__init__(address, DepartmentHandler)
        self.api: Api | None = None
        self.quiet = quiet


class DepartmentHandler(BaseHTTPRequestHandler):
    """Turns one HTTP exchange into a call of ``Api.handle`` and a response."""

    server: DepartmentHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "OneThingDepartment/1"
    timeout = 30

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
            response = self.server.api.handle(method, self.path, self.headers, body)  # type: ignore[union-attr]
        except ApiError as err:
            response = Response(err.status, err.payload())
        except OSError:
            self.close_connection = True
            return
        except Exception:
            traceback.print_exc()
            err = ApiError("internal_error")
            response = Response(err.status, err.payload())
        if response.late > 0:  # simulated slowness: the work is done, the answer comes too late
            time.sleep(response.late)
        try:
            self._send(response)
        except OSError:
            self.close_connection = True

    def _read_body(self) -> bytes:
        try:
            return read_body(self, MAX_BODY_BYTES)
        except BodyRefused as refused:
            raise (ApiError(refused.code, refused.detail) if refused.detail else ApiError(refused.code)) from refused

    def _send(self, response: Response) -> None:
        data = response.body
        if data is None:
            data = json.dumps(response.payload, ensure_ascii=False).encode("utf-8")
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in response.headers.items():
            self.send_header(name, value)
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
        self._send(Response(code, payload))

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            sys.stderr.write(f"department {self.address_string()} {format % args}\n")


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(settings: Settings) -> None:
    """Open the store, bind, resume unfinished work, then serve until interrupted."""
    store = Store(settings.data_dir)
    store.initialise()
    server = DepartmentHTTPServer((settings.host, settings.port), settings.quiet)
    host, port = server.server_address[:2]
    public_url = (settings.public_url or f"http://{host}:{port}").rstrip("/")
    processor = Processor(settings.config, store, settings.seed, public_url, settings.workers)
    server.api = Api(settings.config, store, processor, settings.seed)
    resumed, redelivered = processor.resume()
    codes = ", ".join(settings.config.departments)
    print(
        f"department listening on http://{host}:{port} (departments: {codes}; data in {store.path}; "
        f"seed={settings.seed}; resumed {resumed} item cases, {redelivered} callbacks)",
        flush=True,
    )
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        processor.stop()
        server.server_close()
