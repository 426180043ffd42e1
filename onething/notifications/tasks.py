"""Celery tasks of notifications: ids in, ``services`` do the work."""

import logging

from celery import shared_task

from onething.notifications import services
from onething.notifications.channels import TransientDeliveryError
from onething.notifications.models import Notification

logger = logging.getLogger(__name__)


@shared_task(
    name="notifications.deliver",
    bind=True,
    autoretry_for=(TransientDeliveryError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
    acks_late=True,
    ignore_result=True,
)
def deliver_notification(self, notification_id: int) -> str | None:
    """Deliver one notification (at most once, see ``services.deliver``); retried on transient errors."""
    try:
        return services.deliver(notification_id=notification_id).state
    except Notification.DoesNotExist:
        logger.warning("notification %s does not exist: nothing to deliver", notification_id)
        return None


@shared_task(name="notifications.reconcile", ignore_result=True)
def reconcile_notifications() -> int:
    """Re-enqueue notifications a lost broker message or a dead worker left unfinished."""
    return services.redeliver_stuck()
