"""Sign-up, login and logout pages. Thin: the rules are in ``services``."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from onething.accounts import selectors, services, throttle
from onething.accounts.forms import LoginForm, SignUpCodeForm, SignUpForm, focus_first_error
from onething.common.i18n import pick


def safe_next(request: HttpRequest, *, user=None) -> str:
    """The ``next`` address of the request if it stays on this site, else the user's landing
    page by role (clerks their queue, officers their workbench, administrators the
    dashboard; everyone else LOGIN_REDIRECT_URL)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return selectors.landing_url(user=user) if user is not None else settings.LOGIN_REDIRECT_URL


def _next_for_template(request: HttpRequest) -> str:
    target = safe_next(request)
    return "" if target == settings.LOGIN_REDIRECT_URL else target


SIGNUP_SESSION_KEY = "signup_token"


def _throttled_page(form, throttled: services.SignUpThrottled) -> int:
    form.add_error(None, pick(throttled.message, throttled.message_en))
    return 429


@sensitive_post_parameters("password1", "password2")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Step 1: the details. Whatever they are, the next page says the same: if they match the
    data hub, a code went to the mobile it holds."""
    form = SignUpForm(request.POST or None)
    status, retry_after = 200, None
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                started = services.sign_up_start(
                    id_number=data["id_number"],
                    full_name=data["full_name"],
                    representative_id_number=data.get("representative_id_number", ""),
                    representative_name=data.get("representative_name", ""),
                    password=data["password1"],
                    address=throttle.client_address(request),
                )
            except services.SignUpThrottled as throttled:
                status, retry_after = _throttled_page(form, throttled), throttled.retry_after_seconds
            except services.SignUpError as refused:
                form.add_service_errors(refused)
                status = 503 if refused.code == "verification_unavailable" else 400
            else:
                request.session[SIGNUP_SESSION_KEY] = started.token
                target = reverse("accounts:signup-verify")
                next_url = _next_for_template(request)
                return HttpResponseRedirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)
        else:
            status = 400
    focus_first_error(form)
    response = render(
        request, "accounts/signup.html", {"form": form, "next": _next_for_template(request)}, status=status
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def signup_verify(request: HttpRequest) -> HttpResponse:
    """Step 2: the code of the SMS. The pending sign-up's token stays in the session."""
    token = request.session.get(SIGNUP_SESSION_KEY)
    if not token:
        return HttpResponseRedirect(reverse("accounts:signup"))
    form = SignUpCodeForm(request.POST or None)
    status, retry_after, expired = 200, None, False
    if request.method == "POST":
        if form.is_valid():
            try:
                user = services.sign_up_verify(
                    token=token, code=form.cleaned_data["code"], address=throttle.client_address(request)
                )
            except services.SignUpThrottled as throttled:
                status, retry_after = _throttled_page(form, throttled), throttled.retry_after_seconds
            except services.SignUpError as refused:
                form.add_service_errors(refused)
                status, expired = 400, refused.code == "signup_expired"
                if expired:
                    request.session.pop(SIGNUP_SESSION_KEY, None)
            else:
                request.session.pop(SIGNUP_SESSION_KEY, None)
                auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return HttpResponseRedirect(safe_next(request))
        else:
            status = 400
    focus_first_error(form)
    context = {
        "form": form,
        "next": _next_for_template(request),
        "expired": expired,
        "sent_message": pick(services.CODE_SENT_MESSAGE, services.CODE_SENT_MESSAGE_EN),
    }
    response = render(request, "accounts/signup_verify.html", context, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    status, retry_after = 200, None
    if request.method == "POST":
        if form.is_valid():
            try:
                user = services.authenticate_login(
                    identity=form.cleaned_data["identity"],
                    password=form.cleaned_data["password"],
                    request=request,
                )
            except services.LoginThrottled as throttled:
                form.add_error(None, pick(throttled.message, throttled.message_en))
                status, retry_after = 429, throttled.retry_after_seconds
            except services.LoginFailed as failed:
                form.add_error(None, pick(failed.message, failed.message_en))
                status = 400
            else:
                auth_login(request, user)
                return HttpResponseRedirect(safe_next(request, user=user))
        else:
            status = 400
    focus_first_error(form)
    context = {"form": form, "next": _next_for_template(request)}
    response = render(request, "accounts/login.html", context, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@csrf_protect
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    target = request.POST.get("next") or ""
    if not (target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})):
        target = settings.LOGOUT_REDIRECT_URL or "/"
    return HttpResponseRedirect(target)
