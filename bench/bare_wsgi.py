"""The bare baselines of the benchmarks, as Django views and nothing else.

* bench/load_bench.py: ``bare_insert`` inserts one row into PostgreSQL per request.
* bench/dispatch_bench.py, its protocol floor: ``bare_callback`` receives a department's
  signed callback, checks it as the engine does (signature, department, timestamp window,
  nonce, here remembered in memory), fetches the certificate document when the decision
  carries one (signed, as 统一发证 does) and counts the callback in Redis
  (``FLOOR_CALLBACKS_KEY``): no database, no state machine, no fan-in, no Celery task for
  the certificate. The departments come from the environment (``BENCH_FLOOR_DEPARTMENTS``,
  a JSON object department → ``{"base_url", "secret"}``).

Served by the same gunicorn command line as the engine (``gunicorn bench.bare_wsgi``, same
worker count), with the engine's own settings (database and connection reuse, middleware,
DEBUG off), so that the only difference between the two measurements is what the view does:
no authentication, no form, no data hub, no audit, no case numbering. This module is its
own URLconf; the product's URLconf (onething/urls.py) never mounts it.

The table ``BARE_TABLE`` is created by the benchmark (``create_table``), not by a migration:
it exists only in the benchmark's own database.
"""

import json
import os
import threading

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onething.settings")

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

BARE_TABLE = "bench_bare_row"
BARE_PATH = "/bare/"
CALLBACK_PATH = "/bare-callback/"

settings.ROOT_URLCONF = __name__  # before the first request: this module is the only URLconf


def create_table(cursor) -> None:
    """Called by the benchmark with a cursor on its own database."""
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} "
        "(id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), body jsonb NOT NULL)"
    )


@csrf_exempt
@require_POST
def bare_insert(request: HttpRequest) -> JsonResponse:
    """One INSERT of the request body (JSON), in its own autocommit transaction."""
    body = json.loads(request.body or b"{}")
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {BARE_TABLE} (body) VALUES (%s) RETURNING id", [json.dumps(body)])
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


FLOOR_DEPARTMENTS: dict[str, dict[str, str]] = json.loads(os.environ.get("BENCH_FLOOR_DEPARTMENTS", "{}"))
_seen_nonces: set[str] = set()
_nonce_lock = threading.Lock()


def _seen_nonce(nonce: str, timestamp: int) -> bool:
    """The engine stores nonces in its database; the floor keeps them in memory."""
    with _nonce_lock:
        if nonce in _seen_nonces:
            return True
        _seen_nonces.add(nonce)
        return False


@csrf_exempt
@require_POST
def bare_callback(request: HttpRequest, department: str) -> JsonResponse:
    """A department's callback, verified, its certificate document fetched, counted; 401 if
    the signature does not hold."""
    from bench.baseline_tasks import FLOOR_CALLBACKS_KEY, FLOOR_CERTIFICATES_KEY, department_client, redis_connection
    from onething.processing.callbacks import signature_problem

    known = FLOOR_DEPARTMENTS.get(department, {})
    secret = known.get("secret", "")
    problem = signature_problem(request, secrets=[secret], department=department, seen_nonce=_seen_nonce)
    if not secret or problem:
        return JsonResponse({"error": problem or "unknown_department"}, status=401)
    payload = json.loads(request.body)
    number = (payload.get("certificate") or {}).get("number")
    if number:
        department_client(known["base_url"], department, secret, 5.0).certificate_pdf(number)
        redis_connection().incr(FLOOR_CERTIFICATES_KEY)
    redis_connection().incr(FLOOR_CALLBACKS_KEY)
    return JsonResponse({"status": "accepted", "event_id": payload["event_id"]})


urlpatterns = [
    path(BARE_PATH.strip("/") + "/", bare_insert),
    path(CALLBACK_PATH.strip("/") + "/<slug:department>/", bare_callback),
]

application = get_wsgi_application()
