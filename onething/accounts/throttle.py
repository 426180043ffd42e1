"""One login throttle for every way in: the login page, the API login and ``/admin/login/``.

django-axes does the counting (settings ``AXES_*``): its authentication backend refuses a
locked-out login before the password is looked at, and its signal handler records every
failure of ``django.contrib.auth.authenticate`` in the database (``axes.AccessAttempt``), so
every web process sees the same count whichever path the guess came through. The functions
here are what the settings point axes at:

- ``identity_key``: what is counted per identity, the ``identity`` of our page and API or the
  ``username`` of the admin, stripped and in upper case (``x`` and ``X`` share one count);
- ``client_address``: the peer address (``REMOTE_ADDR``), never a forwarded header a client
  could forge;
- ``LoginThrottleHandler``: axes' database handler with a limit of its own per parameter
  (``LOGIN_FAILURE_LIMIT`` per identity, ``LOGIN_ADDRESS_FAILURE_LIMIT`` per address);
- ``lockout_response``: a locked-out admin login gets a bilingual page, the API its JSON error.

An administrator lifts a lock-out by deleting the rows in the admin (Axes → Access attempts)
or with ``manage.py axes_reset_username <identity>`` (``axes_reset_ip <address>`` for an address).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from services.datahub.ids import normalize

IDENTITY_FIELDS = ("identity", "username")  # our page and API; Django's admin login
MAX_KEY_LENGTH = 255  # axes.AccessAttempt.username


def identity_key(request: HttpRequest | None, credentials: Mapping[str, Any] | None = None) -> str | None:
    """The identity a login attempt is counted against: the ``username`` given to ``authenticate``
    (or, without credentials, the ``identity`` / ``username`` field of the posted form), stripped
    and in upper case. None when the attempt names nobody."""
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        posted = getattr(request, "POST", None) or {}
        value = next((posted.get(name) for name in IDENTITY_FIELDS if posted.get(name)), None)
    if value is None:
        return None
    return normalize(str(value))[:MAX_KEY_LENGTH]  # the one identifier rule (NFKC, strip, upper)


def client_address(request: HttpRequest) -> str | None:
    """The address failures are counted against: the peer address of the request (a TLS proxy
    in front must pass the real one in REMOTE_ADDR)."""
    return request.META.get("REMOTE_ADDR") or None


def failure_limit(request: HttpRequest | None = None, credentials: Mapping[str, Any] | None = None) -> int:
    """The common scale of axes' count (``AXES_FAILURE_LIMIT``): the per-identity limit."""
    return settings.LOGIN_FAILURE_LIMIT


def cool_off(request: HttpRequest | None = None) -> timedelta:
    """How long a lock-out lasts after the last counted failure (``AXES_COOLOFF_TIME``)."""
    return timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)


def parameter_limit(parameter: str | list[str]) -> int:
    """The limit of one lockout parameter: per address ``LOGIN_ADDRESS_FAILURE_LIMIT`` (higher,
    since a service centre may share one address), per identity ``LOGIN_FAILURE_LIMIT``."""
    names = [parameter] if isinstance(parameter, str) else list(parameter)
    if names == ["ip_address"]:
        return getattr(settings, "LOGIN_ADDRESS_FAILURE_LIMIT", settings.LOGIN_FAILURE_LIMIT)
    return settings.LOGIN_FAILURE_LIMIT


class LoginThrottleHandler(AxesDatabaseHandler):
    """axes' database handler with a limit per lockout parameter.

    Axes compares one number, ``get_failures``, with one limit. Here each parameter's count is
    put on the scale of that limit (``count * limit // own_limit``), which reaches the limit
    exactly when the count reaches the parameter's own limit; the worst parameter decides.
    A successful login forgets only the identity's failures, so logging in to one's own
    account does not clear the failures an address made against other identities."""

    def _counted(self, request: HttpRequest, credentials: Mapping[str, Any] | None) -> list[tuple[int, QuerySet]]:
        parameters = get_lockout_parameters(request, credentials)
        attempts = self.get_user_attempts(request, credentials)
        return [(parameter_limit(parameter), rows) for parameter, rows in zip(parameters, attempts, strict=True)]

    def get_failures(self, request: HttpRequest, credentials: Mapping[str, Any] | None = None) -> int:
        limit = get_failure_limit(request, credentials)
        worst = 0
        for own_limit, rows in self._counted(request, credentials):
            count = rows.aggregate(total=Sum("failures_since_start"))["total"] or 0
            worst = max(worst, count * limit // max(own_limit, 1))
        return worst

    def locked_until(self, request: HttpRequest, credentials: Mapping[str, Any] | None = None) -> datetime | None:
        """When the lock-out of this request's identity or address ends (None if not locked): when
        enough of the latest failures have aged past the cool-off to bring every count below its limit."""
        window = get_cool_off(request) or cool_off(request)
        until = None
        for own_limit, rows in self._counted(request, credentials):
            total = 0
            for at, failures in rows.order_by("-attempt_time").values_list("attempt_time", "failures_since_start"):
                total += failures
                if total >= own_limit:
                    until = max(until, at + window) if until else at + window
                    break
        return until

    def reset_user_attempts(self, request: HttpRequest, credentials: Mapping[str, Any] | None = None) -> int:
        username = get_client_username(request, credentials)
        if username is None:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


def _handler() -> LoginThrottleHandler:
    from axes.handlers.proxy import AxesProxyHandler

    handler = AxesProxyHandler.get_implementation()
    return handler if isinstance(handler, LoginThrottleHandler) else LoginThrottleHandler()


def locked_until(*, request: HttpRequest, identity: str | None) -> datetime:
    """When a locked-out login (flagged by axes on ``request``) may be tried again."""
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.update_request(request)  # the address and time axes counted with
    credentials = {"username": identity} if identity is not None else getattr(request, "axes_credentials", None)
    return _handler().locked_until(request, credentials) or timezone.now() + cool_off(request)


class Locked:
    """The bilingual lock-out message, with when to try again."""

    code = "too_many_attempts"

    def __init__(self, retry_at: datetime) -> None:
        self.retry_at = retry_at

    @property
    def retry_after_seconds(self) -> int:
        return max(1, int((self.retry_at - timezone.now()).total_seconds() + 0.999))

    @property
    def _minutes(self) -> int:
        return -(-self.retry_after_seconds // 60)

    @property
    def message(self) -> str:
        local = timezone.localtime(self.retry_at)
        return f"登录失败次数过多，请于 {local:%H:%M} 后（约 {self._minutes} 分钟后）再试"

    @property
    def message_en(self) -> str:
        local = timezone.localtime(self.retry_at)
        return f"too many failed logins; try again after {local:%H:%M} (in about {self._minutes} min)"

    def details(self) -> list[dict[str, Any]]:
        return [{"retry_at": self.retry_at.isoformat(), "retry_after_seconds": self.retry_after_seconds}]


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Mapping[str, Any] | None = None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: what a locked-out login is answered. Our login page and API
    already answered 429 in their own way (form error, JSON error); anything else (the admin's
    login) gets a bilingual page, or the JSON error format under /api/."""
    if original_response is not None and original_response.status_code == 429:
        return original_response
    identity = identity_key(request, credentials)
    locked = Locked(locked_until(request=request, identity=identity))
    if request.path.startswith("/api/"):
        body = {
            "error": {
                "code": locked.code,
                "message": locked.message,
                "message_en": locked.message_en,
                "details": locked.details(),
            }
        }
        response: HttpResponse = JsonResponse(body, status=429)
    else:
        response = render(request, "accounts/locked_out.html", {"locked": locked}, status=429)
    response["Retry-After"] = str(locked.retry_after_seconds)
    return response
