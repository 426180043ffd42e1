"""Admin of notifications and of the SMS outbox: read-only records, addresses masked."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from onething.audit.admin import ReadOnlyAdmin
from onething.common.admin_paginator import LargeTablePaginator
from onething.identity.masking import mask_id_number, mask_mobile
from onething.identity.validators import IDENTIFIER_SHAPE
from onething.notifications.channels import registry
from onething.notifications.models import Notification, SmsOutbox


def mask_address(value: str | None) -> str:
    """``13916880001`` → ``139****0001``; ``zhang.san@example.com`` → ``z***@example.com``."""
    text = (value or "").strip()
    if "@" in text:
        local, _at, domain = text.rpartition("@")
        return f"{local[:1]}***@{domain}"
    return mask_mobile(text)


def _person(user) -> str:
    """A user as shown in lists: the name, else the username (masked when it is an ID number)."""
    if user is None:
        return "-"
    if user.full_name:
        return user.full_name
    return mask_id_number(user.username) if IDENTIFIER_SHAPE.match(user.username.upper()) else user.username


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = (
        "recipient_name",
        "channel_label",
        "masked_address",
        "subject",
        "state",
        "attempts",
        "created_at",
        "sent_at",
        "case_number",
    )
    list_filter = ("state", "channel", "created_at")
    search_fields = ("=case_number",)
    search_help_text = _("按办件编号查找")
    list_select_related = ("recipient",)
    show_full_result_count = False
    paginator = LargeTablePaginator
    fields = (
        "recipient_name",
        "channel_label",
        "masked_address",
        "case_number",
        "subject",
        "body",
        "state",
        "attempts",
        "last_error",
        "delivered_by",
        "dedup_key",
        "created_at",
        "last_attempt_at",
        "sent_at",
    )
    readonly_fields = fields

    @admin.display(description=_("接收人"), ordering="recipient__full_name")
    def recipient_name(self, notification: Notification) -> str:
        return _person(notification.recipient)

    @admin.display(description=_("渠道"), ordering="channel")
    def channel_label(self, notification: Notification) -> str:
        if notification.channel in registry:
            return registry.get(notification.channel).label or notification.channel
        return notification.channel

    @admin.display(description=_("地址"), ordering="address")
    def masked_address(self, notification: Notification) -> str:
        return mask_address(notification.address)


@admin.register(SmsOutbox)
class SmsOutboxAdmin(ReadOnlyAdmin):
    list_display = ("masked_mobile", "body", "case_number", "created_at")
    search_fields = ("=notification__case_number",)
    search_help_text = _("按办件编号查找")
    list_select_related = ("notification",)
    show_full_result_count = False
    fields = ("masked_mobile", "body", "notification", "case_number", "created_at")
    readonly_fields = fields

    @admin.display(description=_("手机号码"), ordering="mobile")
    def masked_mobile(self, row: SmsOutbox) -> str:
        return mask_mobile(row.mobile)

    @admin.display(description=_("办件编号"), ordering="notification__case_number")
    def case_number(self, row: SmsOutbox) -> str:
        return row.notification.case_number
