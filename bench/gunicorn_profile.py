"""gunicorn configuration that profiles every web worker of the engine (not the bare one) with
cProfile, timed in the worker's own CPU time, from its fork to its exit: request parsing,
WSGI, middleware and the views, everything a worker runs. Prefill's pool threads are not in
it (cProfile follows one thread). One file per worker, ``<WEB_PROFILE_DIR>/web-<pid>.prof``;
read them with ``python -m pstats`` or bench/profile_summary.py.

    GUNICORN_CMD_ARGS="--config bench/gunicorn_profile.py" WEB_PROFILE_DIR=/tmp/prof \\
    DATABASE_URL=... CELERY_BROKER_URL=... .venv/bin/python bench/load_bench.py ...

The load benchmark passes its environment to gunicorn, so nothing else is needed. cProfile
slows a worker by about half: read the shares, not the absolute figures.
"""

import cProfile
import os
import sys
import time

_profiles: dict[int, cProfile.Profile] = {}


def _wanted() -> bool:
    return bool(os.environ.get("WEB_PROFILE_DIR")) and not any("bare_wsgi" in arg for arg in sys.argv)


def post_fork(server, worker) -> None:
    if _wanted():
        profile = cProfile.Profile(time.thread_time)
        _profiles[os.getpid()] = profile
        profile.enable()


def worker_exit(server, worker) -> None:
    profile = _profiles.pop(os.getpid(), None)
    if profile is not None:
        profile.disable()
        profile.dump_stats(os.path.join(os.environ["WEB_PROFILE_DIR"], f"web-{os.getpid()}.prof"))
