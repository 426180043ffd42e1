"""The record of every notification, and the outbox of the default (not sending) SMS channel."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message to one address through one channel.

    ``dedup_key`` is unique: the caller's key for the event plus the channel
    (``deferral-reminder:<material id>:<due date>:sms``), so the same notification is recorded,
    and therefore sent, at most once. ``state`` moves pending → sending → sent | failed; a
    transient failure moves it back to pending. ``attempts`` counts the claims (delivery tries).
    """

    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        help_text=_("为空表示发往一个没有账号的地址"),
    )
    channel = models.CharField(_("渠道"), max_length=32, db_index=True)
    address = models.CharField(_("地址"), max_length=254, help_text=_("手机号码或电子邮箱"))
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    dedup_key = models.CharField(_("去重键"), max_length=255, unique=True)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    delivered_by = models.CharField(
        _("发送实现"), max_length=100, blank=True, help_text=_("实际处理该消息的渠道实现，例如不实际发送的短信发件箱")
    )
    case_number = models.CharField(_("办件编号"), max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    last_attempt_at = models.DateTimeField(_("最近尝试时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息通知")
        verbose_name_plural = _("消息通知")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"{self.channel}: {self.subject}"


class SmsOutbox(models.Model):
    """What the default SMS channel would have sent. Nothing in this table reached a phone."""

    notification = models.ForeignKey(
        Notification, verbose_name=_("消息通知"), on_delete=models.CASCADE, related_name="sms_outbox"
    )
    mobile = models.CharField(_("手机号码"), max_length=20)
    body = models.TextField(_("短信内容"))
    created_at = models.DateTimeField(_("写入时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("短信发件箱（未实际发送）")
        verbose_name_plural = _("短信发件箱（未实际发送）")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"{self.mobile}: {self.body[:20]}"


class Message(models.Model):
    """站内信: one in-site message per notified event and account, beside the SMS and e-mail rows.

    Written by ``services.notify`` in the same transaction as the ``Notification`` rows, once
    per event and recipient (``dedup_key`` is the caller's key for the event, without a
    channel; unique per recipient, as some callers tell several people of one event): it is
    not a channel row, because it has nothing to deliver and therefore nothing that can
    fail or be retried. ``read_at`` is set the first time its recipient opens it.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    case_number = models.CharField(_("办件编号"), max_length=64, blank=True)
    dedup_key = models.CharField(_("去重键"), max_length=255)
    created_at = models.DateTimeField(_("收到时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内信")
        verbose_name_plural = _("站内信")
        ordering = ("-created_at", "-pk")
        constraints = [models.UniqueConstraint(fields=["recipient", "dedup_key"], name="uniq_message_per_event")]
        indexes = [
            # the header's unread count and the list, both per recipient
            models.Index(fields=["recipient", "read_at"], name="message_recipient_unread"),
            models.Index(fields=["recipient", "-created_at"], name="message_recipient_newest"),
        ]

    def __str__(self) -> str:
        return self.subject
