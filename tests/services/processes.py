"""Running the stand-alone services (services/datahub, services/department) as real
subprocesses in tests: wait until healthy, stop cleanly."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import requests


def healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=0.5).status_code == 200
    except requests.RequestException:
        return False


def wait_until_healthy(
    process: subprocess.Popen[bytes], log_path: Path, deadline: float, listening: re.Pattern[str], name: str
) -> str:
    """Read the base URL from the "listening on" line of the log, then poll /health."""
    url = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log_path.read_text()}")
        if url is None:
            found = listening.search(log_path.read_text())
            url = found.group(1) if found else None
        if url and healthy(url):
            return url
        time.sleep(0.05)
    raise RuntimeError(f"{name} did not become healthy:\n{log_path.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate and reap the process (kill it if it does not stop within 5 s)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
