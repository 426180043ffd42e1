"""Reads of the message centre (站内信): a user's own messages only."""

from __future__ import annotations

from django.db.models import QuerySet

from onething.notifications.models import Message

#: the longest list shown at once (newest first); older messages stay stored
PAGE_SIZE = 100


def messages_of(*, user, limit: int = PAGE_SIZE) -> list[Message]:
    """``user``'s messages, newest first, at most ``limit``."""
    return list(_own(user)[:limit])


def message_count(*, user) -> int:
    """How many messages ``user`` has in all (the list says when it shows only the newest)."""
    return _own(user).count()


def unread_count(*, user) -> int:
    """How many of ``user``'s messages are unread: one COUNT on the (recipient, read_at) index."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Message.objects.filter(recipient=user, read_at__isnull=True).count()


def _own(user) -> QuerySet[Message]:
    return Message.objects.filter(recipient=user).order_by("-created_at", "-pk")
