"""Django's error views (handler400/403/404/500 of onething/urls.py): the documented JSON
error format on an API path (settings.API_PATH_PREFIXES, the department callbacks included),
Django's HTML pages elsewhere. With DEBUG on Django shows its debug pages instead of calling
these; ApiInputMiddleware turns those into the JSON format on API paths too."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from onething.common.api import error_body, status_error, too_large_error
from onething.common.limits import is_api_path


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api_path(request.path):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(error_body(too_large_error()), status=413)
    return JsonResponse(status_error(400), status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api_path(request.path):
        return defaults.permission_denied(request, exception)
    return JsonResponse(status_error(403), status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not is_api_path(request.path):
        return defaults.page_not_found(request, exception)
    return JsonResponse(status_error(404), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if not is_api_path(request.path):
        return defaults.server_error(request)
    return JsonResponse(status_error(500), status=500)
