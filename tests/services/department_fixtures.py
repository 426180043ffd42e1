"""Fixtures that run the department systems as a real subprocess, exactly as `python -m services.department` does,
and a small signed-callback receiver that plays the engine's callback endpoint.

The server is started with ``--port 0`` and the port is read back from its "listening on" line. DEPARTMENT_*
variables of the developer's shell are removed so that only the options given here configure the process.
Import what a test module needs: ``from tests.services.department_fixtures import departments, ...``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from services.protocol import signing
from services.protocol.client import DepartmentClient
from tests.services import processes

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = ROOT / "services" / "department" / "departments.json"
SEED = 1
LISTENING = re.compile(r"listening on (http://[\d.]+:\d+)")


@dataclass
class DepartmentProcess:
    """A running department service and what a test needs to talk to it."""

    url: str  # http://127.0.0.1:PORT — the base URL of department D is f"{url}/departments/{D}"
    secrets: dict[str, str]
    data_dir: Path
    config_path: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def base_url(self, department: str) -> str:
        """The protocol's base URL of one department."""
        return f"{self.url}/departments/{department}"

    def client(self, department: str, timeout: float = 5.0) -> DepartmentClient:
        """A signing client of one department."""
        return DepartmentClient(self.base_url(department), department, self.secrets[department], timeout=timeout)

    def stop(self) -> None:
        """Terminate and reap the process (kill it if it does not stop within 5 s)."""
        processes.stop(self.process)


def _wait_until_healthy(process: subprocess.Popen[bytes], log_path: Path, deadline: float) -> str:
    return processes.wait_until_healthy(process, log_path, deadline, LISTENING, "department service")


def start_departments(
    data_dir: Path,
    *args: str,
    config: Path | dict[str, Any] | None = None,
    seed: int = SEED,
    delay_scale: float = 0.0,
) -> DepartmentProcess:
    """Spawn ``python -m services.department`` on a free port and wait for /health.

    ``config`` is a path or a configuration document (written into ``data_dir``); by default the demo
    configuration. Delays are scaled by ``delay_scale`` (0: decisions within milliseconds).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    if isinstance(config, dict):
        config_path = data_dir / f"config-{time.monotonic_ns()}.json"
        config_path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    else:
        config_path = Path(config or DEFAULT_CONFIG)
    document = json.loads(config_path.read_text(encoding="utf-8"))
    secrets = {code: spec["secret"] for code, spec in document["departments"].items()}
    log_path = data_dir / f"server-{time.monotonic_ns()}.log"
    command = [
        sys.executable,
        "-m",
        "services.department",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        "--config",
        str(config_path),
        "--seed",
        str(seed),
        "--delay-scale",
        str(delay_scale),
        "--quiet",
        *args,
    ]
    env = {name: value for name, value in os.environ.items() if not name.startswith("DEPARTMENT_")}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        url = _wait_until_healthy(process, log_path, time.monotonic() + 20)
    except BaseException:
        process.kill()
        process.wait(timeout=5)
        raise
    return DepartmentProcess(url, secrets, data_dir, config_path, process, log_path)


@dataclass
class Callback:
    """One callback as received: the verification verdict (None = genuine) and the decoded body."""

    path: str
    headers: dict[str, str]
    body: bytes
    error: str | None
    payload: Any


@dataclass
class CallbackReceiver:
    """Plays the engine's callback endpoint: verifies signatures, deduplicates on event_id, records everything.

    ``fail_first`` answers the first N deliveries of every event with 500 (to exercise retries).
    """

    secrets: dict[str, str]
    fail_first: int = 0
    received: list[Callback] = field(default_factory=list)
    _attempts: dict[str, int] = field(default_factory=dict)
    _condition: threading.Condition = field(default_factory=threading.Condition)
    _server: ThreadingHTTPServer | None = None
    _nonces: signing.NonceCache = field(default_factory=signing.NonceCache)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]  # type: ignore[union-attr]
        return f"http://{host}:{port}/callbacks/department?source=pytest"

    def start(self) -> CallbackReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver._receive(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def _receive(self, path: str, headers: dict[str, str], body: bytes) -> int:
        department = signing.header(headers, signing.HEADER_DEPARTMENT) or ""
        secret = self.secrets.get(department)
        error = (
            "unknown_department"
            if secret is None
            else signing.verify(secret, headers, "POST", path, body, self._nonces, department=department)
        )
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        event_id = payload.get("event_id") if isinstance(payload, dict) else None
        with self._condition:
            attempt = self._attempts[event_id] = self._attempts.get(event_id, 0) + 1  # type: ignore[index]
            if error is None and attempt <= self.fail_first:
                return 500
            self.received.append(Callback(path, headers, body, error, payload))
            self._condition.notify_all()
        return 401 if error else 200

    def events(self) -> list[dict[str, Any]]:
        """Genuine callbacks, one per event_id (the first delivery wins, as an engine would deduplicate)."""
        with self._condition:
            seen: dict[str, dict[str, Any]] = {}
            for callback in self.received:
                if callback.error is None and callback.payload["event_id"] not in seen:
                    seen[callback.payload["event_id"]] = callback.payload
            return list(seen.values())

    def wait_for(self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 10.0) -> list[dict]:
        """Wait until ``predicate(events())`` holds; return the events (fail the test on timeout)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                events = self.events()
                if predicate(events):
                    return events
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    pytest.fail(f"callbacks did not arrive in {timeout} s; got {len(events)}: {events[-3:]}")
                self._condition.wait(min(remaining, 0.2))

    def event_for(self, reference: str, state: str, timeout: float = 10.0) -> dict[str, Any]:
        """The callback of one item case reaching one state."""
        events = self.wait_for(lambda es: any(e["reference"] == reference and e["state"] == state for e in es), timeout)
        return next(e for e in events if e["reference"] == reference and e["state"] == state)


@pytest.fixture(scope="session")
def departments(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DepartmentProcess]:
    """The demo departments (services/department/departments.json) with delays scaled to 0, for a session."""
    server = start_departments(tmp_path_factory.mktemp("departments"))
    yield server
    server.stop()


@pytest.fixture
def spawn_departments() -> Iterator[Callable[..., DepartmentProcess]]:
    """Start extra department services (other configurations or options); all are stopped after the test."""
    started: list[DepartmentProcess] = []

    def spawn(data_dir: Path, *args: str, **kwargs: Any) -> DepartmentProcess:
        server = start_departments(data_dir, *args, **kwargs)
        started.append(server)
        return server

    yield spawn
    for server in started:
        server.stop()


@pytest.fixture
def make_receiver() -> Iterator[Callable[..., CallbackReceiver]]:
    """Start callback receivers for given secrets; all are stopped after the test."""
    started: list[CallbackReceiver] = []

    def make(secrets: dict[str, str], fail_first: int = 0) -> CallbackReceiver:
        receiver = CallbackReceiver(dict(secrets), fail_first=fail_first).start()
        started.append(receiver)
        return receiver

    yield make
    for receiver in started:
        receiver.stop()


@pytest.fixture
def receiver(departments: DepartmentProcess, make_receiver: Callable[..., CallbackReceiver]) -> CallbackReceiver:
    """A callback receiver that knows the secrets of the session's departments."""
    return make_receiver(departments.secrets)
