"""The gate of the staff pages: who may open them, and what of theirs the view needs."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def role_required(resolve: Callable[[Any], Any], *, denied: str, attribute: str = ""):
    """A view decorator: anonymous users go to the login page; a user for whom ``resolve``
    finds nothing (None) gets 403 with the ``denied`` message (a lazy translation, shown in
    the request's language); otherwise what it found is put on ``request.<attribute>``."""

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            found = resolve(request.user)
            if found is None:
                raise PermissionDenied(str(denied))
            if attribute:
                setattr(request, attribute, found)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
