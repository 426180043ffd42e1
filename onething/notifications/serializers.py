"""Shapes of the 站内信 API."""

from rest_framework import serializers

from onething.notifications.models import Message


class MessageSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField(help_text="已读")

    class Meta:
        model = Message
        fields = ("id", "subject", "body", "case_number", "created_at", "read_at", "read")
        read_only_fields = fields

    def get_read(self, message: Message) -> bool:
        return message.read_at is not None


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField(help_text="未读消息数")


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="本次标为已读的消息数")
    unread = serializers.IntegerField(help_text="仍未读的消息数")
