"""A private ``redis-server`` for tests that stop, restart or flush Redis: its own free port
and directory, so that the Redis a developer or CI shares (127.0.0.1:6379) is never touched."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

REDIS_SERVER = shutil.which("redis-server")
needs_redis_server = pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server binary")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """``redis-server`` on 127.0.0.1:<free port>, no persistence, data and log in ``directory``."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen[bytes] | None = None
        for _attempt in range(5):  # another process may take the free port before redis binds it
            self.port = free_port()
            if self.start():
                return
        raise RuntimeError(f"redis-server did not start:\n{self.log_path.read_text(errors='replace')}")

    @property
    def log_path(self) -> Path:
        return self.directory / "redis.log"

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, timeout: float = 10) -> bool:
        """Start on self.port (again after stop()); True once it answers PING."""
        command = [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                   "--appendonly", "no", "--dir", str(self.directory), "--logfile", str(self.log_path)]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            if _ping(self.port):
                return True
            time.sleep(0.05)
        self.stop()
        return False

    def stop(self) -> None:
        """SIGTERM (no save: --save ""), reap; SIGKILL if it lingers."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def restart(self, down_for: float = 1.0) -> None:
        """Stop, stay down for ``down_for`` seconds, start again on the same port."""
        self.stop()
        time.sleep(down_for)
        if not self.start():
            raise RuntimeError(f"redis-server did not start again:\n{self.log_path.read_text(errors='replace')}")
