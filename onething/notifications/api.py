"""REST API of the 站内信 (in-site messages) under /api/messages/: the signed-in user's own
messages only; another user's message id is 404. Thin: selectors read, services mark read.
POSTs need the CSRF token like every session-authenticated request."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from onething.common.api import BilingualAPIError, ErrorSerializer
from onething.notifications import selectors, services
from onething.notifications.models import Message
from onething.notifications.serializers import MarkedReadSerializer, MessageSerializer, UnreadCountSerializer

TAGS = ["messages"]
FORBIDDEN = OpenApiResponse(ErrorSerializer, description="not logged in 未登录, or CSRF check failed")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="no such message of yours 没有这条消息")


class MessageListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="My in-site messages 我的站内信 (newest first, at most 100)",
        responses={200: MessageSerializer(many=True), 403: FORBIDDEN},
    )
    def get(self, request: Request) -> Response:
        return Response(MessageSerializer(selectors.messages_of(user=request.user), many=True).data)


class UnreadCountView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="How many of my messages are unread 未读消息数",
        responses={200: UnreadCountSerializer, 403: FORBIDDEN},
    )
    def get(self, request: Request) -> Response:
        return Response({"unread": selectors.unread_count(user=request.user)})


class MessageReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Mark one of my messages read 标为已读 (the first reading time is kept)",
        request=None,
        responses={200: MessageSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        try:
            message = services.message_open(user=request.user, message_id=pk)
        except Message.DoesNotExist as missing:
            raise BilingualAPIError(
                code="not_found", message="没有这条消息", message_en="no such message", status_code=404
            ) from missing
        return Response(MessageSerializer(message).data)


class MarkAllReadView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Mark all my messages read 全部标为已读",
        request=None,
        responses={200: MarkedReadSerializer, 403: FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        marked = services.messages_mark_all_read(user=request.user)
        return Response({"marked": marked, "unread": selectors.unread_count(user=request.user)})
