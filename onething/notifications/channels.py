"""The notification-channel interface: one small class per way of reaching a person, by name.

Like the prefill registry (``onething.apply.prefill.base``), each channel is a class behind
one interface, registered under a name that ``Notification.channel`` records:

- ``"sms"``: ``OutboxSmsChannel`` by default, which **does not send**: it writes the message
  to the ``SmsOutbox`` table (and a line without the text to the log). A real SMS gateway is another subclass of
  ``NotificationChannel``, named by its dotted path in ``settings.NOTIFICATION_SMS_CHANNEL``.
- ``"email"``: ``EmailChannel``, Django's mail (``EMAIL_BACKEND``, ``DEFAULT_FROM_EMAIL``).

``deliver`` either returns (delivered) or raises ``TransientDeliveryError`` (try again
later: a timeout, a busy gateway) or ``PermanentDeliveryError`` (never retry: a refused
address). Any other exception is treated as transient by ``services.deliver``.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import BadHeaderError, get_connection, send_mail
from django.utils.module_loading import import_string

from onething.identity.masking import mask_mobile

if TYPE_CHECKING:
    from onething.notifications.models import Notification

logger = logging.getLogger(__name__)

EMAIL_TIMEOUT_SECONDS = 30  # when settings.EMAIL_TIMEOUT is unset: a hung server must not hold a claim forever


class DeliveryError(Exception):
    """A channel could not deliver a notification."""


class TransientDeliveryError(DeliveryError):
    """Try again later (the task retries with backoff; reconciliation picks up the rest)."""


class PermanentDeliveryError(DeliveryError):
    """Retrying will not help (refused or malformed address): the notification is marked failed."""


class NotificationChannel:
    """One way of reaching a person.

    ``key`` is the registry name (``"sms"``, ``"email"``), set by ``Registry``; ``name`` says
    plainly what this implementation does (shown in the admin as 发送实现); ``label`` is the
    Chinese name of the channel.
    """

    key: str = ""
    name: str = ""
    label: str = ""

    def address_for(self, user) -> str | None:
        """The user's address on this channel, or None if they have none."""
        raise NotImplementedError

    def deliver(self, *, notification: Notification) -> None:
        """Send ``notification.body`` to ``notification.address``; raise a ``DeliveryError`` on failure."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key!r}>"


C = TypeVar("C", bound=type[NotificationChannel])


class Registry:
    """Channels by name. A name may be bound to a setting that names a replacement class."""

    def __init__(self) -> None:
        self._classes: dict[str, type[NotificationChannel]] = {}
        self._settings: dict[str, str] = {}

    def register(self, name: str, *, setting: str | None = None) -> Callable[[C], C]:
        """Class decorator: ``@registry.register("sms", setting="NOTIFICATION_SMS_CHANNEL")``.

        With ``setting``, the class is the default; a dotted path in that setting replaces it.
        """

        def decorator(channel_class: C) -> C:
            if name in self._classes:
                raise ValueError(f"notification channel {name!r} is already registered")
            self._classes[name] = channel_class
            if setting:
                self._settings[name] = setting
            return channel_class

        return decorator

    def get(self, name: str) -> NotificationChannel:
        """A channel instance for ``name`` (the setting is read on each call). KeyError if unknown."""
        channel_class = self._classes[name]
        setting = self._settings.get(name)
        dotted_path = getattr(settings, setting, "") if setting else ""
        if dotted_path:
            channel_class = import_string(dotted_path)
            if not (isinstance(channel_class, type) and issubclass(channel_class, NotificationChannel)):
                raise ImproperlyConfigured(f"settings.{setting} must name a NotificationChannel subclass")
        channel = channel_class()
        channel.key = name
        return channel

    __getitem__ = get

    def __contains__(self, name: object) -> bool:
        return name in self._classes

    def __len__(self) -> int:
        return len(self._classes)

    def names(self) -> list[str]:
        return list(self._classes)


registry = Registry()
"""The engine's notification channels."""


class SmsChannel(NotificationChannel):
    """Base of SMS channels: the address is the user's mobile number. A gateway implements ``deliver``."""

    label = "短信"

    def address_for(self, user) -> str | None:
        mobile = (getattr(user, "mobile", "") or "").strip()
        return mobile or None


@registry.register("sms", setting="NOTIFICATION_SMS_CHANNEL")
class OutboxSmsChannel(SmsChannel):
    """The default SMS channel. It does NOT send SMS: it writes the message to ``SmsOutbox`` and logs
    that it did (with the subject, never the text: a sign-up code must not reach a log).

    Good for development, demos and tests, and honest in production until a gateway is
    configured: the admin shows these rows as 短信发件箱（未实际发送）.
    """

    name = "sms-outbox (不实际发送短信)"

    def deliver(self, *, notification: Notification) -> None:
        from onething.notifications.models import SmsOutbox

        SmsOutbox.objects.create(notification=notification, mobile=notification.address, body=notification.body)
        # the subject only: a body may carry a one-time code, which belongs in no log
        logger.info(
            "SMS NOT SENT (sms-outbox, 不实际发送短信): to %s, notification %s (%s); text in admin 短信发件箱",
            mask_mobile(notification.address),
            notification.pk,
            notification.subject,
        )


@registry.register("email")
class EmailChannel(NotificationChannel):
    """E-mail through Django's mail (``EMAIL_BACKEND``; from ``DEFAULT_FROM_EMAIL``)."""

    name = "email (Django mail)"
    label = "电子邮件"

    def address_for(self, user) -> str | None:
        email = (getattr(user, "email", "") or "").strip()
        return email or None

    def deliver(self, *, notification: Notification) -> None:
        timeout = getattr(settings, "EMAIL_TIMEOUT", None) or EMAIL_TIMEOUT_SECONDS
        try:
            send_mail(
                notification.subject,
                notification.body,
                settings.DEFAULT_FROM_EMAIL,
                [notification.address],
                connection=get_connection(timeout=timeout),
            )
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, BadHeaderError, ValueError) as error:
            raise PermanentDeliveryError(f"邮件被拒收: {error}") from error
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise PermanentDeliveryError(f"邮件被拒收: {error.smtp_code} {error.smtp_error!r}") from error
            raise TransientDeliveryError(f"邮件服务器暂时不可用: {error.smtp_code} {error.smtp_error!r}") from error
        except (smtplib.SMTPException, OSError) as error:
            raise TransientDeliveryError(f"邮件服务器暂时不可用: {error}") from error
