"""API error format: every error carries a machine code and bilingual messages.

``{"error": {"code": "invalid_answers", "message": "...", "message_en": "...",
"details": [...]}}``
"""

from typing import Any

from rest_framework import serializers, status
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


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, BilingualAPIError):
        body = {"error": {"code": exc.error_code, "message": exc.message, "message_en": exc.message_en}}
        if exc.details is not None:
            body["error"]["details"] = exc.details
        return Response(body, status=exc.status_code)
    return drf_exception_handler(exc, context)


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
