"""HTTP plumbing of the data hub on the stdlib's ThreadingHTTPServer (no third-party dependency).

Only reading bodies, writing JSON and mapping exceptions live here; the API itself is in ``api.py``.
Responses always carry a Content-Length, so HTTP/1.1 keep-alive works with ``requests.Session``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from http.server import ThreadingHTTPServer
from pathlib import Path

from services.httpbody import JsonApiHandler, JsonReply, serve_until_stopped

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


class DatahubHandler(JsonApiHandler):
    """Turns one HTTP exchange into a call of ``Api.handle`` and a JSON response."""

    server: DatahubHTTPServer
    server_version = "OneThingDatahub/1"
    max_body_bytes = MAX_BODY_BYTES
    log_name = "datahub"
    api_error = ApiError

    def handle_api(self, method: str, body: bytes) -> JsonReply:
        status, payload = self.server.api.handle(method, self.path, self.headers, body)
        return JsonReply(status, payload)


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
    serve_until_stopped(server)
