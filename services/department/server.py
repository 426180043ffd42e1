"""HTTP plumbing of the department service on the stdlib's ThreadingHTTPServer.

Only reading bodies, writing responses and mapping exceptions live here; the API is in ``api.py`` and
the background work in ``processing.py``. Responses always carry a Content-Length, so HTTP/1.1
keep-alive works with ``requests.Session``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path

from services.httpbody import JsonApiHandler, serve_until_stopped

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


class DepartmentHandler(JsonApiHandler):
    """Turns one HTTP exchange into a call of ``Api.handle`` and a response."""

    server: DepartmentHTTPServer
    server_version = "OneThingDepartment/1"
    max_body_bytes = MAX_BODY_BYTES
    log_name = "department"
    api_error = ApiError

    def handle_api(self, method: str, body: bytes) -> Response:
        return self.server.api.handle(method, self.path, self.headers, body)  # type: ignore[union-attr]

    def before_send(self, reply) -> None:
        late = getattr(reply, "late", 0.0)
        if late > 0:  # simulated slowness: the work is done, the answer comes too late
            time.sleep(late)


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
    try:
        serve_until_stopped(server)
    finally:
        processor.stop()
