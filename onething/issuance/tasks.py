"""Celery tasks of 统一发证: ids in, a service call. Queue: callbacks (settings routes)."""

from celery import shared_task
from django.conf import settings

from onething.issuance import services
from onething.issuance.errors import TransientIssuanceError


@shared_task(
    name="issuance.collect_licence",
    acks_late=True,
    ignore_result=True,
    autoretry_for=(TransientIssuanceError,),
    retry_backoff=5,
    retry_backoff_max=min(600, settings.CELERY_VISIBILITY_TIMEOUT // 2),
    retry_jitter=True,
    max_retries=8,
)
def collect_licence(licence_id: int) -> str:
    """After the retries the licence stays pending; ``reconcile`` sends it again later."""
    return services.licence_collect(licence_id=licence_id)


@shared_task(name="issuance.reconcile", ignore_result=True)
def reconcile() -> int:
    return services.reconcile()
