"""Django's error views (handler400/403/404/500 of onething/urls.py): the documented JSON
error format on an API path (settings.API_PATH_PREFIXES, the department callbacks included),
Django's HTML pages elsewhere. With DEBUG on Django shows its debug pages instead of calling
these; ApiInputMiddleware turns those into the JSON format on API paths too.

And the one HTML answer to a domain error (onething/common/errors.py): ``domain_errors``,
the counterpart for pages of the API's exception handler."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views import defaults

from onething.common.api import error_body, status_error, too_large_error
from onething.common.errors import DomainError, Kind
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


# --- domain errors on HTML pages -------------------------------------------------------------


def domain_errors(back: str, *kwargs_of_back: str) -> Callable:
    """A view decorator: a :class:`DomainError` the view lets through becomes the same
    answer on every page. ``not_allowed`` is Django's 403 page and ``not_found`` its 404
    page (as the API's 403 and 404); any other kind (a refusal, a state conflict) is its
    message, in the page's language, shown on the page the user acted on: a redirect to
    the URL named ``back``, reversed with the view's keyword arguments ``kwargs_of_back``.

    A view that shows a refusal next to the fields it concerns (a form again, with 400)
    catches that error itself, before this decorator sees it."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except DomainError as error:
                return domain_error_response(
                    request, error, back=reverse(back, kwargs={name: kwargs[name] for name in kwargs_of_back})
                )

        return wrapper

    return decorator


def domain_error_response(request: HttpRequest, error: DomainError, *, back: str) -> HttpResponse:
    """The HTML answer to one domain error (see ``domain_errors``)."""
    if error.kind == Kind.NOT_ALLOWED:
        raise PermissionDenied(error.text) from error
    if error.kind == Kind.NOT_FOUND:
        raise Http404(error.text) from error
    messages.error(request, error.text)
    return redirect(back)
