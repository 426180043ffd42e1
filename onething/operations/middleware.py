"""The log context of a web request, and the access log.

Placed first in settings.MIDDLEWARE, so every other middleware and the view log with the
request id; the variables themselves are onething/common/logging.py's.
"""

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

from onething.common.logging import case_number_var, request_id_var

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
access_log = logging.getLogger("onething.access")


class RequestContextMiddleware:
    """Log context for a web request: a request id (the proxy's X-Request-ID when it is a
    plain token, else a new one; echoed in the response) and the case number when the URL
    names a case (a ``number`` URL argument). With settings.ACCESS_LOG, one line per
    request: method, path (without the query string, which may hold personal data),
    status and duration. The context is cleared when the request is finished (Django's
    request_finished), not when this middleware returns, so that the handler's own log line
    of a 4xx/5xx response ("django.request", with the traceback) still carries it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        request_id_var.set(request_id)
        case_number_var.set("")
        started = time.perf_counter()
        response = self.get_response(request)
        response.headers.setdefault("X-Request-ID", request_id)
        if settings.ACCESS_LOG:
            access_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        number = view_kwargs.get("number")
        if isinstance(number, str) and number:
            case_number_var.set(number)


def _clear_request_context(**_) -> None:
    request_id_var.set("")
    case_number_var.set("")


request_finished.connect(_clear_request_context, dispatch_uid="onething-clear-log-context")
