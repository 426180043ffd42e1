"""Celery tasks of 一网办理: ids in, a service call, nothing else. Queues: dispatch,
callbacks, maintenance (see settings.CELERY_TASK_ROUTES and docs/processing.md)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from onething.processing import services


@shared_task(
    name="processing.dispatch_item_case",
    acks_late=True,
    ignore_result=True,
    # a connection lost since the previous task (no health check on a warm one: celery.py)
    # fails the claim before anything is written: one immediate new try on a new connection
    autoretry_for=(InterfaceError, OperationalError),
    max_retries=1,
    retry_kwargs={"countdown": 0},
)
def dispatch_item_case(item_case_id: int) -> str:
    """Retries are scheduled by the service (backoff with jitter, a new message per try),
    so a lost retry message is found again by the reconciliation."""
    return services.dispatch(item_case_id=item_case_id)


@shared_task(name="processing.apply_callback", acks_late=True, ignore_result=True)
def apply_callback(receipt_id: int) -> str:
    return services.apply_receipt(receipt_id=receipt_id)


@shared_task(name="processing.reconcile", ignore_result=True)
def reconcile() -> dict:
    return services.reconcile()


@shared_task(name="processing.mark_time_limits", ignore_result=True)
def mark_time_limits() -> dict:
    from onething.processing.timelimits import mark_time_limits as mark

    return mark()
