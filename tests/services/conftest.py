"""Fixtures that run the data hub as a real subprocess, exactly as `python -m services.datahub` runs it.

The server is started with ``--port 0`` and the port is read back from its "listening on" line, so
parallel runs never race for a port. DATAHUB_* variables of the developer's shell are removed so
that only the options given here configure the process.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.datahub.client import DatahubClient
from tests.services import processes

ROOT = Path(__file__).resolve().parents[2]
TEST_KEY = "test-datahub-key"
SEED = 20261128
LISTENING = re.compile(r"listening on (http://[\d.]+:\d+)")


@dataclass
class DatahubProcess:
    """A running data hub and what a test needs to talk to it."""

    base_url: str
    key: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path

    def client(self, timeout: float = 5.0) -> DatahubClient:
        """A signing client with the test key."""
        return DatahubClient(self.base_url, key=self.key, timeout=timeout, client_id="pytest")

    def stop(self) -> None:
        """Terminate and reap the process (kill it if it does not stop within 5 s)."""
        processes.stop(self.process)


def _wait_until_healthy(process: subprocess.Popen[bytes], log_path: Path, deadline: float) -> str:
    return processes.wait_until_healthy(process, log_path, deadline, LISTENING, "datahub")


def start_datahub(data_dir: Path, *args: str, seed: int = SEED, key: str = TEST_KEY) -> DatahubProcess:
    """Spawn ``python -m services.datahub`` on a free port and wait for /health."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / f"server-{time.monotonic_ns()}.log"
    command = [
        sys.executable,
        "-m",
        "services.datahub",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        "--seed",
        str(seed),
        "--key",
        key,
        "--quiet",
        *args,
    ]
    env = {name: value for name, value in os.environ.items() if not name.startswith("DATAHUB_")}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        base_url = _wait_until_healthy(process, log_path, time.monotonic() + 20)
    except BaseException:
        process.kill()
        process.wait(timeout=5)
        raise
    return DatahubProcess(base_url, key, data_dir, process, log_path)


@pytest.fixture(scope="session")
def datahub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatahubProcess]:
    """One hub for the whole session, seeded with the default as-of date (this month's data epoch)."""
    server = start_datahub(tmp_path_factory.mktemp("datahub"))
    yield server
    server.stop()


@pytest.fixture
def client(datahub: DatahubProcess) -> Iterator[DatahubClient]:
    """A client of the session hub."""
    with datahub.client() as hub_client:
        yield hub_client


@pytest.fixture
def spawn_datahub() -> Iterator[Callable[..., DatahubProcess]]:
    """Start extra hubs (other options, other data directories); all are stopped after the test."""
    started: list[DatahubProcess] = []

    def spawn(data_dir: Path, *args: str, **kwargs: object) -> DatahubProcess:
        server = start_datahub(data_dir, *args, **kwargs)  # type: ignore[arg-type]
        started.append(server)
        return server

    yield spawn
    for server in started:
        server.stop()
