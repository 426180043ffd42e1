"""Real Celery worker processes for end-to-end tests, against the test database.

On PostgreSQL and Redis the workers get the test database by default (test_database_url).
The embedded SQLite test database lives in the test process's memory, where no other process
can reach it: test_faults_embedded.py copies it into a file and passes DATABASE_URL (and a
broker folder, ONETHING_VAR_DIR) in ``env``, which overrides the default."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def e2e_available() -> tuple[bool, str]:
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        return False, "needs PostgreSQL (DATABASE_URL=postgres://...)"
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        return False, "needs Redis (CELERY_BROKER_URL=redis://...)"
    return True, ""


def test_database_url() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{connection.settings_dict['NAME']}"


class Worker:
    """``celery -A onething worker`` on every queue, as a separate process group."""

    def __init__(self, log_dir: Path, env: dict[str, str], concurrency: int = 4, name: str = "w1"):
        self.log_dir, self.name, self.restarts = log_dir, name, 0
        self.env = {**os.environ, "DATABASE_URL": test_database_url(), **env}
        self.command = [
            sys.executable, "-m", "celery", "-A", "onething", "worker", "-Q",
            "dispatch,callbacks,notifications,maintenance", "-c", str(concurrency), "-n", f"{name}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO",
        ]  # fmt: skip
        self._start()

    def _start(self) -> None:
        self.log_path = self.log_dir / f"worker-{self.name}-{time.monotonic_ns()}.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_ready()

    def supervise(self) -> bool:
        """What a process supervisor does: start the worker again if it has exited."""
        if self.process.poll() is None:
            return False
        self.restarts += 1
        self._start()
        return True

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited:\n{self.log_path.read_text()}")
            if "ready." in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children) at once."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
