"""REST API of accounts: sign-up, session login and logout, the signed-in user.

Thin: ``services`` decides. Login is throttled by one counter with the login page and the admin
(django-axes). Every POST needs the CSRF token (cookie ``csrftoken`` from GET
/api/accounts/csrf/, sent back as ``X-CSRFToken``), signed in or not, so that another site
cannot sign a visitor up or in.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.middleware.csrf import get_token
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from onething.accounts import selectors, services, throttle
from onething.accounts.serializers import (
    CsrfTokenSerializer,
    LoginRequestSerializer,
    SignUpRequestSerializer,
    SignUpStartedSerializer,
    SignUpVerifyRequestSerializer,
    UserProfileSerializer,
)
from onething.common.api import BilingualAPIError, ErrorSerializer

TAGS = ["accounts"]
FIELD_LABELS = {
    "id_number": ("证件号码", "id_number"),
    "full_name": ("姓名/企业名称", "full_name"),
    "mobile": ("手机号码", "mobile"),
    "representative_id_number": ("法定代表人身份证号码", "representative_id_number"),
    "representative_name": ("法定代表人姓名", "representative_name"),
    "token": ("注册凭证", "token"),
    "code": ("验证码", "code"),
    "password": ("密码", "password"),
    "identity": ("证件号码", "identity"),
}
ERROR = ErrorSerializer


class TooManyAttempts(BilingualAPIError):
    """429 with a Retry-After header."""

    def __init__(self, throttled: services.LoginThrottled) -> None:
        self.retry_after = throttled.retry_after_seconds
        super().__init__(
            code=throttled.code,
            message=throttled.message,
            message_en=throttled.message_en,
            details=[{"retry_at": throttled.retry_at.isoformat(), "retry_after_seconds": self.retry_after}],
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        )


def _malformed(errors: dict[str, Any]) -> BilingualAPIError:
    """Serializer errors (missing or non-text fields) as the bilingual error format."""
    details = []
    for name, problems in errors.items():
        zh, en = FIELD_LABELS.get(name, (name, name))
        for problem in problems:
            code = getattr(problem, "code", "invalid")
            if code in {"required", "blank", "null"}:
                item = {"code": "required", "message": f"请填写{zh}", "message_en": f"{en} is required"}
            else:
                item = {"code": code, "message": f"{zh}格式不正确", "message_en": f"{en} is invalid"}
            details.append({"field": name, **item})
    return BilingualAPIError(
        code="invalid_request", message="请求内容不完整或格式错误", message_en="malformed request", details=details
    )


class AccountsAPIView(APIView):
    """CSRF on every unsafe request (DRF checks it only for signed-in users), and the bilingual
    error format when a permission is missing."""

    authentication_classes = [SessionAuthentication]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if request.method not in {"GET", "HEAD", "OPTIONS", "TRACE"}:
            try:
                SessionAuthentication().enforce_csrf(request)
            except exceptions.PermissionDenied:
                raise BilingualAPIError(
                    code="csrf_failed",
                    message="安全校验失败，请刷新页面后重试",
                    message_en="CSRF check failed: fetch a token from /api/accounts/csrf/ and send it as X-CSRFToken",
                    status_code=status.HTTP_403_FORBIDDEN,
                ) from None
        super().initial(request, *args, **kwargs)

    def permission_denied(self, request: Request, message: str | None = None, code: str | None = None) -> None:
        if not request.user or not request.user.is_authenticated:
            raise BilingualAPIError(
                code="not_authenticated",
                message="请先登录",
                message_en="authentication required: log in first",
                status_code=status.HTTP_403_FORBIDDEN,
            )
        raise BilingualAPIError(
            code="permission_denied", message="没有权限", message_en="permission denied", status_code=403
        )

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if isinstance(exc, TooManyAttempts | SignUpThrottledError):
            response["Retry-After"] = str(exc.retry_after)
        return response


def _profile(user: Any) -> dict[str, Any]:
    return UserProfileSerializer(selectors.user_profile(user=user)).data


@method_decorator(ensure_csrf_cookie, name="dispatch")
class CsrfView(AccountsAPIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        auth=[],
        summary="Get a CSRF token (also set as the csrftoken cookie)",
        responses=CsrfTokenSerializer,
    )
    def get(self, request: Request) -> Response:
        return Response({"csrf_token": get_token(request)})


def _refused(refused: services.SignUpError) -> BilingualAPIError:
    return BilingualAPIError(
        code=refused.code,
        message=refused.message,
        message_en=refused.message_en,
        details=refused.details(),
        status_code=503 if refused.code == "verification_unavailable" else 400,
    )


class SignUpThrottledError(BilingualAPIError):
    """429 with a Retry-After header."""

    def __init__(self, throttled: services.SignUpThrottled) -> None:
        self.retry_after = throttled.retry_after_seconds
        super().__init__(
            code=throttled.code,
            message=throttled.message,
            message_en=throttled.message_en,
            details=[{"retry_after_seconds": self.retry_after}],
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        )


class SignUpView(AccountsAPIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        auth=[],
        summary="Sign up 注册, step 1: the details; a code goes to the mobile the data hub holds",
        description=(
            "A resident ID number makes a citizen account (ID number and name as in the natural-person "
            "database); a unified social credit code makes an enterprise account (the registered name, and the "
            "legal representative's ID number and name as in the legal-entity database). Also claims an account "
            "opened for a walk-in applicant at a window. The answer is always the same 202 with a new `token`: "
            "when the details match the hub and the identity has no account (or only a window account), a "
            "6-digit code valid for 5 minutes is sent by SMS to the mobile the hub holds (the person's, or the "
            "legal representative's); otherwise nothing is sent. Continue with POST /api/accounts/signup/verify/. "
            "400 `invalid_sign_up` only for details wrong on their face (check character, weak password); "
            "429 `too_many_attempts` per address and per identity; 503 `verification_unavailable` when the data "
            "hub cannot be reached."
        ),
        request=SignUpRequestSerializer,
        responses={
            202: SignUpStartedSerializer,
            400: OpenApiResponse(ERROR, description="invalid_request / invalid_sign_up with per-field details"),
            403: OpenApiResponse(ERROR, description="csrf_failed"),
            429: OpenApiResponse(ERROR, description="too_many_attempts"),
            503: OpenApiResponse(ERROR, description="verification_unavailable"),
        },
    )
    def post(self, request: Request) -> Response:
        body = SignUpRequestSerializer(data=request.data)
        if not body.is_valid():
            raise _malformed(body.errors)
        try:
            started = services.sign_up_start(**body.validated_data, address=throttle.client_address(request._request))
        except services.SignUpThrottled as throttled:
            raise SignUpThrottledError(throttled) from None
        except services.SignUpError as refused:
            raise _refused(refused) from None
        answer = {
            "token": started.token,
            "message": started.message,
            "message_en": started.message_en,
            "expires_in_seconds": int(services.CODE_LIFETIME.total_seconds()),
        }
        return Response(answer, status=status.HTTP_202_ACCEPTED)


class SignUpVerifyView(AccountsAPIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        auth=[],
        summary="Sign up 注册, step 2: the code of the SMS (creates or claims the account; logs it in)",
        description=(
            "The right code within 5 minutes and 5 tries creates the account, real-name verified, with the "
            "password of step 1 and the hub's mobile, or claims the window account; the user is logged in. "
            "400 `invalid_code` counts a try; 400 `signup_expired` when the token is unknown, too old or its "
            "tries are used up (start again); 429 `too_many_attempts`."
        ),
        request=SignUpVerifyRequestSerializer,
        responses={
            201: UserProfileSerializer,
            400: OpenApiResponse(ERROR, description="invalid_request / invalid_code / signup_expired"),
            403: OpenApiResponse(ERROR, description="csrf_failed"),
            429: OpenApiResponse(ERROR, description="too_many_attempts"),
        },
    )
    def post(self, request: Request) -> Response:
        body = SignUpVerifyRequestSerializer(data=request.data)
        if not body.is_valid():
            raise _malformed(body.errors)
        try:
            user = services.sign_up_verify(**body.validated_data, address=throttle.client_address(request._request))
        except services.SignUpThrottled as throttled:
            raise SignUpThrottledError(throttled) from None
        except services.SignUpError as refused:
            raise _refused(refused) from None
        auth_login(request._request, user, backend="django.contrib.auth.backends.ModelBackend")
        return Response(_profile(user), status=status.HTTP_201_CREATED)


class LoginView(AccountsAPIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        auth=[],
        summary="Log in 登录 (starts a session; throttled)",
        description=(
            "After LOGIN_FAILURE_LIMIT failures for the identity or LOGIN_ADDRESS_FAILURE_LIMIT for the client "
            "address, counted together with the login page and /admin/login/ (django-axes), attempts are refused "
            "with 429 `too_many_attempts` and a Retry-After header until LOGIN_FAILURE_WINDOW_MINUTES after the "
            "last failure, or until an administrator lifts the lock-out."
        ),
        request=LoginRequestSerializer,
        responses={
            200: UserProfileSerializer,
            400: OpenApiResponse(ERROR, description="invalid_request / invalid_credentials (never says which)"),
            403: OpenApiResponse(ERROR, description="csrf_failed"),
            429: OpenApiResponse(ERROR, description="too_many_attempts"),
        },
    )
    def post(self, request: Request) -> Response:
        body = LoginRequestSerializer(data=request.data)
        if not body.is_valid():
            raise _malformed(body.errors)
        try:
            user = services.authenticate_login(
                identity=body.validated_data["identity"],
                password=body.validated_data["password"],
                request=request._request,  # the Django request: django-axes counts on it
            )
        except services.LoginThrottled as throttled:
            raise TooManyAttempts(throttled) from None
        except services.LoginFailed as failed:
            raise BilingualAPIError(code=failed.code, message=failed.message, message_en=failed.message_en) from None
        auth_login(request._request, user)
        return Response(_profile(user))


class LogoutView(AccountsAPIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        summary="Log out 退出登录",
        request=None,
        responses={204: None, 403: OpenApiResponse(ERROR, description="csrf_failed")},
    )
    def post(self, request: Request) -> Response:
        auth_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(AccountsAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="The signed-in user 当前用户",
        responses={200: UserProfileSerializer, 403: OpenApiResponse(ERROR, description="not_authenticated")},
    )
    def get(self, request: Request) -> Response:
        return Response(_profile(request.user))
