"""Periodic upkeep of 一表申请."""

from celery import shared_task

from onething.apply import services


@shared_task(name="apply.purge_expired_drafts", ignore_result=True)
def purge_expired_drafts() -> int:
    """Drafts expire after settings.DRAFT_LIFETIME_DAYS without a save."""
    return services.drafts_purge_expired()
