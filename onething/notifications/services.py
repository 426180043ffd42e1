"""Record notifications once, deliver each at most once, and recover the ones a broker lost.

- ``notify`` writes one ``Notification`` per channel in the caller's transaction (unique
  ``dedup_key``: a second call for the same event writes nothing) and enqueues delivery
  after commit.
- ``deliver`` claims a pending row with a conditional update (pending → sending), so two
  workers, a redelivered broker message or a re-run beat task never deliver it twice, then
  calls the channel.
- ``redeliver_stuck`` (beat, ``notifications.reconcile``) re-enqueues rows left pending or
  sending, so nothing committed is lost if a broker message disappears.
- 站内信: ``notify`` also writes one ``Message`` for a recipient with an account, in the same
  transaction (nothing to deliver, so nothing to fail or retry); ``message_open`` and
  ``messages_mark_all_read`` mark them read.

One window remains, as with any external send: a worker that dies after the channel sent
and before the row says so leaves it "sending"; reconciliation then sends it again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from onething.common.queueing import task_named
from onething.notifications import transitions
from onething.notifications.channels import (
    PermanentDeliveryError,
    TransientDeliveryError,
    registry,
)
from onething.notifications.models import Message, Notification

if TYPE_CHECKING:  # whatever settings.AUTH_USER_MODEL is: notifications sit below accounts
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

DEFAULT_CHANNELS = ("sms", "email")
DEFAULT_MAX_ATTEMPTS = 10  # the task retries 5 times per enqueue; reconciliation may enqueue again


def max_attempts() -> int:
    """Delivery tries after which a notification is given up (``settings.NOTIFICATION_MAX_ATTEMPTS``)."""
    return int(getattr(settings, "NOTIFICATION_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def notify(
    *,
    recipient: AbstractBaseUser | None,
    subject: str,
    body: str,
    dedup_key: str,
    channels: Sequence[str] = DEFAULT_CHANNELS,
    case_number: str = "",
    addresses: Mapping[str, str] | None = None,
) -> list[Notification]:
    """Record a notification on each channel the recipient can be reached on, and send it after commit.

    ``dedup_key`` names the event (``"deferral-reminder:<material id>:<due date>"``); the
    row of each channel gets ``f"{dedup_key}:{channel}"``. Calling again with the same key
    (a beat task run twice, a retried request) creates nothing and sends nothing: it returns
    the existing rows. ``addresses`` gives an address per channel where there is no account
    or the case names another one (``{"sms": "13916880001"}``); otherwise the channel asks
    the recipient (``user.mobile``, ``user.email``). Channels with no address are skipped.
    ``body`` must read on its own: an SMS carries only the body.

    A recipient with an account also gets the notification as an in-site message (站内信),
    once per event, whatever channels reached them (``Message``, same transaction).

    Runs in the caller's transaction if there is one; delivery is enqueued only when it
    commits (a broker that is down then loses nothing: ``redeliver_stuck`` finds the row).
    Raises ValueError for an unknown channel or an empty dedup key.
    """
    if not dedup_key:
        raise ValueError("dedup_key must not be empty")
    unknown = [name for name in channels if name not in registry]
    if unknown:
        raise ValueError(f"unknown notification channel(s): {', '.join(unknown)}")
    addresses = addresses or {}

    notifications: list[Notification] = []
    with transaction.atomic():
        if recipient is not None:
            # one statement (INSERT ... ON CONFLICT DO NOTHING): a second call for the same
            # event and recipient, or a concurrent one, leaves the first message as it is
            Message.objects.bulk_create(
                [
                    Message(
                        recipient=recipient, dedup_key=dedup_key, subject=subject, body=body, case_number=case_number
                    )
                ],
                ignore_conflicts=True,
            )
        for name in dict.fromkeys(channels):  # each channel once, in the order given
            address = addresses.get(name) or (registry.get(name).address_for(recipient) if recipient else None)
            if not address:
                continue
            # get_or_create creates in a savepoint and, on IntegrityError (a concurrent call
            # with the same key), returns the row that won: never a second one.
            notification, created = Notification.objects.get_or_create(
                dedup_key=f"{dedup_key}:{name}",
                defaults={
                    "recipient": recipient,
                    "channel": name,
                    "address": address.strip(),
                    "subject": subject,
                    "body": body,
                    "case_number": case_number,
                },
            )
            if created:
                _enqueue_on_commit(notification.pk)
            notifications.append(notification)
    return notifications


def message_open(*, user, message_id: int) -> Message:
    """One of ``user``'s messages, marked read the first time it is opened (a conditional
    update: opening it again keeps the first reading time). ``Message.DoesNotExist`` for
    another user's message or an unknown id.

    Not audited: reading one's own message changes no case and no decision."""
    message = Message.objects.get(pk=message_id, recipient=user)
    if message.read_at is None:
        now = timezone.now()
        if Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now):
            message.read_at = now
        else:  # read meanwhile in another tab
            message.refresh_from_db(fields=["read_at"])
    return message


def messages_mark_all_read(*, user) -> int:
    """全部标为已读: every unread message of ``user`` is read now; how many were unread."""
    return Message.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())


def deliver(*, notification_id: int) -> Notification:
    """Deliver one notification if it is pending; otherwise leave it alone (sent once, however often called).

    The row is claimed with ``UPDATE ... WHERE state = 'pending'``: only the caller whose
    update changed it delivers. On success it becomes sent; on ``PermanentDeliveryError``
    failed; on ``TransientDeliveryError`` (or an unexpected error) pending again, with the
    error recorded, and the error is re-raised so that the Celery task retries. After
    ``max_attempts()`` tries it becomes failed. Raises ``Notification.DoesNotExist`` for an
    unknown id.
    """
    claimed = transitions.claim(notification_id=notification_id)
    notification = Notification.objects.get(pk=notification_id)
    if not claimed:
        logger.debug("notification %s is %s: not delivering", notification_id, notification.state)
        return notification

    try:
        if notification.channel not in registry:
            raise PermanentDeliveryError(f"未知的渠道: {notification.channel}")
        channel = registry.get(notification.channel)
        channel.deliver(notification=notification)
    except PermanentDeliveryError as error:
        transitions.finish(notification, state=Notification.State.FAILED, last_error=str(error))
        logger.warning("notification %s failed permanently: %s", notification_id, error)
        return notification
    except Exception as error:  # transient, or a bug in a channel: try again, up to max_attempts()
        message = str(error) or type(error).__name__
        attempts = notification.attempts
        if attempts >= max_attempts():
            transitions.finish(
                notification, state=Notification.State.FAILED, last_error=f"已尝试 {attempts} 次: {message}"
            )
            logger.warning("notification %s failed after %s attempts: %s", notification_id, attempts, error)
            return notification
        transitions.finish(notification, state=Notification.State.PENDING, last_error=message)
        if isinstance(error, TransientDeliveryError):
            logger.info("notification %s: transient failure, will retry: %s", notification_id, error)
        else:
            logger.exception("notification %s: unexpected error in channel %r", notification_id, notification.channel)
        raise

    transitions.finish(
        notification,
        state=Notification.State.SENT,
        last_error="",
        delivered_by=channel.name,
        sent_at=timezone.now(),
    )
    return notification


def redeliver_stuck(*, older_than_minutes: int = 10, limit: int = 1000) -> int:
    """Re-enqueue notifications left pending or sending for longer than ``older_than_minutes``.

    "Sending" for that long means the worker died mid-delivery: the row goes back to pending.
    Rows that used up ``max_attempts()`` become failed instead. Returns how many rows were
    enqueued. Safe to run twice at once: ``deliver`` claims each row once.
    """
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    unfinished = Notification.objects.filter(
        Q(last_attempt_at__lt=cutoff) | Q(last_attempt_at__isnull=True, created_at__lt=cutoff),
        state__in=[Notification.State.PENDING, Notification.State.SENDING],
    )
    given_up = transitions.give_up(
        queryset=unfinished.filter(attempts__gte=max_attempts()), last_error=f"已尝试 {max_attempts()} 次，不再重试"
    )
    if given_up:
        logger.warning("%s notification(s) gave up after %s attempts", given_up, max_attempts())
    reset = transitions.reset_stuck(queryset=unfinished)
    if reset:
        logger.warning("%s notification(s) were stuck in sending: back to pending", reset)
    ids = list(
        unfinished.filter(state=Notification.State.PENDING).order_by("created_at").values_list("pk", flat=True)[:limit]
    )
    for notification_id in ids:
        _enqueue_on_commit(notification_id)
    if ids:
        logger.info("re-enqueued %s unfinished notification(s)", len(ids))
    return len(ids)


def _enqueue_on_commit(notification_id: int) -> None:
    """Enqueue delivery once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: _enqueue(notification_id), robust=True)


def _enqueue(notification_id: int) -> None:
    """Send the task; a broker that is down must not fail the caller's committed work."""
    try:
        task_named("notifications.deliver").delay(notification_id)
    except Exception:
        logger.exception("could not enqueue notification %s: reconciliation will pick it up", notification_id)
