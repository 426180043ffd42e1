"""API error format: every error carries a machine code and bilingual messages.

``{"error": {"code": "invalid_answers", "message": "...", "message_en": "...",
"details": [...]}}``
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from django.utils import translation
from rest_framework import exceptions, serializers, status
from rest_framework.exceptions import APIException
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from onething.common.errors import DomainError


class BilingualAPIError(DomainError, APIException):
    """An error of the API layer itself (a malformed or oversized request, a throttle), with
    an explicit status: a :class:`DomainError` like the services' own, so the one handler
    below answers both alike. Services raise the domain errors of onething/common/errors.py."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(
        self, *, code: str, message: str, message_en: str, details: Any = None, status_code: int | None = None
    ):
        DomainError.__init__(
            self, message, message_en, code=code, details=details, status_code=status_code or self.status_code
        )
        APIException.__init__(self, detail=message, code=code)

    @property
    def error_code(self) -> str:
        return self.code


# Chinese messages for DRF's own errors (malformed JSON, wrong content type, missing login ...).
DRF_MESSAGES = {
    "parse_error": "请求内容格式错误，无法解析",
    "authentication_failed": "身份验证失败",
    "not_authenticated": "请先登录",
    "permission_denied": "没有权限",
    "not_found": "没有找到",
    "method_not_allowed": "不支持此请求方法",
    "not_acceptable": "无法提供所要求的响应格式",
    "unsupported_media_type": "不支持此请求内容类型",
    "throttled": "请求过于频繁，请稍后再试",
    "invalid": "请求格式错误",
}


# The error of a bare HTTP status (Django's own 400/403/404/405/413/500 on an API path, see
# onething/common/error_views.py): code, Chinese and English message.
STATUS_ERRORS: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "请求格式错误", "bad request"),
    401: ("not_authenticated", DRF_MESSAGES["not_authenticated"], "authentication required"),
    403: ("permission_denied", DRF_MESSAGES["permission_denied"], "permission denied"),
    404: ("not_found", DRF_MESSAGES["not_found"], "not found"),
    405: ("method_not_allowed", DRF_MESSAGES["method_not_allowed"], "method not allowed"),
    406: ("not_acceptable", DRF_MESSAGES["not_acceptable"], "not acceptable"),
    413: ("body_too_large", "请求内容过大", "the request body is too large"),
    415: ("unsupported_media_type", DRF_MESSAGES["unsupported_media_type"], "unsupported media type"),
    429: ("throttled", DRF_MESSAGES["throttled"], "too many requests"),
    500: ("server_error", "服务器内部错误，请稍后再试", "internal server error, please try again later"),
    503: ("unavailable", "服务暂时不可用，请稍后再试", "service temporarily unavailable, please try again later"),
}


def status_error(status_code: int) -> dict[str, dict[str, str]]:
    """The documented error body for a bare HTTP status."""
    code, message, message_en = STATUS_ERRORS.get(
        status_code,
        (f"http_{status_code}", "请求失败" if status_code < 500 else STATUS_ERRORS[500][1], f"HTTP {status_code}"),
    )
    return {"error": {"code": code, "message": message, "message_en": message_en}}


def _size(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MiB" if limit >= 1024 * 1024 else f"{limit / 1024:g} KiB"


def too_large_error(limit: int | None = None) -> BilingualAPIError:
    """413 ``body_too_large``: the request body is over the path's limit (onething/common/limits.py)."""
    size = f"（最多 {_size(limit)}）" if limit else ""
    return BilingualAPIError(
        code="body_too_large",
        message=f"请求内容过大{size}",
        message_en=f"the request body is larger than {_size(limit)}" if limit else "the request body is too large",
        status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def too_deep_error(limit: int) -> BilingualAPIError:
    """400 ``too_deep``: the JSON body nests arrays/objects deeper than settings.JSON_MAX_DEPTH."""
    return BilingualAPIError(
        code="too_deep",
        message=f"请求内容嵌套层级过深（最多 {limit} 层）",
        message_en=f"the JSON body is nested deeper than {limit} levels",
    )


def error_body(exc: DomainError) -> dict:
    """The documented body of a domain error (a service's, or the API layer's own)."""
    return exc.body()


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Every error of a DRF view in the documented format: a domain error (onething/common/
    errors.py) with the status of its kind, DRF's own errors translated. An exception that is no client
    error (a bug) is left to Django, which logs it and answers 500; on an API path that answer
    is JSON too (onething/common/error_views.py, middleware.ApiInputMiddleware)."""
    request = context.get("request")
    if request is not None and getattr(request, "accepted_renderer", None) is None:
        # failed before content negotiation (e.g. while the CSRF check read the body): DRF's
        # own handling needs a renderer, and the answer is JSON
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
    if isinstance(exc, RequestDataTooBig):
        exc = too_large_error()
    elif isinstance(exc, SuspiciousOperation):
        code, message, message_en = STATUS_ERRORS[400]
        exc = BilingualAPIError(code=code, message=message, message_en=message_en)
    if isinstance(exc, DomainError):  # what a service refused, or the API layer's own error
        return Response(error_body(exc), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, APIException):
        # DRF's own errors ({"detail": ...} or field lists) in the one documented format
        response.data = _bilingual_body(exc)
    return response


def _bilingual_body(exc: APIException) -> dict:
    code = exc.default_code
    if isinstance(exc, exceptions.ValidationError):
        body = {"code": "invalid_request", "message": DRF_MESSAGES["invalid"], "message_en": "malformed request"}
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return {"error": body | {"details": [detail]}}
    message_en = str(exc.detail) if isinstance(exc.detail, str) else str(exc.default_detail)
    if message_en == str(exc.default_detail):  # DRF's own message, in the active language
        with translation.override("en"):
            message_en = str(exc.default_detail)
    return {"error": {"code": code, "message": DRF_MESSAGES.get(code, "请求失败"), "message_en": message_en}}


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    message_en = serializers.CharField()
    details = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="per-field or per-question problems: {field|question, code, message, message_en}",
    )


class ErrorSerializer(serializers.Serializer):
    """The shape of every API error (for the OpenAPI schema)."""

    error = ErrorBodySerializer()
