"""The bare baseline of bench/load_bench.py: a Django view that inserts one row into
PostgreSQL per request and does nothing else.

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


urlpatterns = [path(BARE_PATH.strip("/") + "/", bare_insert)]

application = get_wsgi_application()
