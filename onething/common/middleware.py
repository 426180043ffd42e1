"""Middleware of the whole site: language choice, content security policy, the API's input
limits and error format. (The log context of a request and the access log are operations':
onething/operations/middleware.py.)

Language choice: Chinese unless the person chose English.

Django's LocaleMiddleware would follow the browser's Accept-Language, which turns the
portal English for anyone with an English-language browser. A government portal here is
Chinese first, so only an explicit choice counts: the language switch (a cookie set by
/i18n/setlang/) or ``?lang=en`` on any URL.
"""

import json
import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

SUPPORTED = {code for code, _ in settings.LANGUAGES}
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
