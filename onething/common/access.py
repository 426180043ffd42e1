"""The gate of the staff pages: who may open them, and what of theirs the view needs;
and who is staff on the applicants' pages (sees internal codes, JSON and API links)."""

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


STAFF_ROLES = frozenset({"clerk", "officer", "admin"})


def is_staff_user(user) -> bool:
    """Staff: Django staff or superusers, window clerks, department officers and
    administrators. Only they see internal codes (item codes, certificate types, states),
    the JSON button and API links on the pages applicants use."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or user.is_superuser or getattr(user, "role", "") in STAFF_ROLES)
