"""Middleware of the whole site: language choice, log context, content security policy, the
API's input limits and error format.

Language choice: Chinese unless the person chose English.

Django's LocaleMiddleware would follow the browser's Accept-Language, which turns the
portal English for anyone with an English-language browser. A government portal here is
Chinese first, so only an explicit choice counts: the language switch (a cookie set by
/i18n/setlang/) or ``?lang=en`` on any URL.
"""

import json
import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse
from django.utils import translation

SUPPORTED = {code for code, _ in settings.LANGUAGES}
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
access_log = logging.getLogger("onething.access")
log = logging.getLogger(__name__)


def chosen_language(request: HttpRequest) -> str:
    for candidate in (request.GET.get("lang"), request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)):
        if candidate in SUPPORTED:
            return candidate
    return settings.LANGUAGE_CODE


class ChosenLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


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
        from onething.common.logging import case_number_var, request_id_var

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
        from onething.common.logging import case_number_var

        number = view_kwargs.get("number")
        if isinstance(number, str) and number:
            case_number_var.set(number)


def _clear_request_context(**_) -> None:
    from onething.common.logging import case_number_var, request_id_var

    request_id_var.set("")
    case_number_var.set("")


request_finished.connect(_clear_request_context, dispatch_uid="onething-clear-log-context")


class ContentSecurityPolicyMiddleware:
    """Content-Security-Policy on every response (settings.CSP_POLICY; a path prefix in
    settings.CSP_PATH_POLICIES gets its own, should a page ever need one).
    Scripts only from files ('self'): no inline script or event-handler attribute works.
    Styles allow 'unsafe-inline' (see docs/operations.md, "Content security policy").
    settings.CSP_REPORT_ONLY sends it as Content-Security-Policy-Report-Only instead."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.policy = settings.CSP_POLICY
        self.path_policies = sorted(settings.CSP_PATH_POLICIES.items(), key=lambda item: -len(item[0]))
        self.header = "Content-Security-Policy-Report-Only" if settings.CSP_REPORT_ONLY else "Content-Security-Policy"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.policy and self.header not in response.headers:
            policy = next((p for prefix, p in self.path_policies if request.path.startswith(prefix)), self.policy)
            response.headers[self.header] = policy
        return response


class ApiInputMiddleware:
    """The API's input limits and error format, for paths under settings.API_PATH_PREFIXES
    (docs/security.md, "Input limits and error format"):

    * a body whose Content-Length is over the path's limit (onething.common.limits.body_limit)
      is refused with 413 ``body_too_large`` before anything reads it;
    * every error answer (4xx or 5xx) that is not JSON (Django's own 404 and 405, its DEBUG
      error pages, a 500 of a bug) is replaced by the documented JSON error of its status, so
      a client always gets ``{"error": {"code", "message", "message_en"}}``, DEBUG on or off.
      Headers (Allow, Retry-After, the security headers) are kept.

    Placed right after RequestContextMiddleware, before anything that may read the body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from onething.common.limits import body_limit, is_api_path

        if not is_api_path(request.path):
            return self.get_response(request)
        limit = body_limit(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = limit + 1
        if length > limit:
            from onething.common.api import error_body, too_large_error

            log.warning("refused request to %s: body_too_large (%s)", request.path, request.META.get("REMOTE_ADDR"))
            return HttpResponse(
                json.dumps(error_body(too_large_error(limit))), status=413, content_type="application/json"
            )
        response = self.get_response(request)
        if response.status_code >= 400 and not response.streaming and not _is_json(response):
            as_json(response)
        return response


def _is_json(response: HttpResponse) -> bool:
    media_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def as_json(response: HttpResponse) -> HttpResponse:
    """Turn an error response into the documented JSON error of its status, in place."""
    from onething.common.api import status_error

    response.content = json.dumps(status_error(response.status_code)).encode()
    response["Content-Type"] = "application/json"
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))
    return response
