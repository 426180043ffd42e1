"""API error format: every error carries a machine code and bilingual messages.

``{"error": {"code": "invalid_answers", "message": "...", "message_en": "...",
"details": [...]}}``
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class BilingualAPIError(APIException):
    """An API error with a Chinese and an English message and optional details."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(
        self, *, code: str, message: str, message_en: str, details: Any = None, status_code: int | None = None
    ):
        self.error_code = code
        self.message = message
        self.message_en = message_en
        self.details = details
        if status_code is not None:
            self.status_code = status_code
        super().__init__(detail=message, code=code)


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


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, BilingualAPIError):
        body = {"error": {"code": exc.error_code, "message": exc.message, "message_en": exc.message_en}}
        if exc.details is not None:
            body["error"]["details"] = exc.details
        return Response(body, status=exc.status_code)
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
