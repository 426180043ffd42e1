"""Celery tasks of 一体管理: ids in, a service call, nothing else (queue: maintenance)."""

from celery import shared_task


@shared_task(name="oversight.mark_overdue_rectifications", ignore_result=True)
def mark_overdue_rectifications() -> dict:
    """Beat (settings.CELERY_BEAT_SCHEDULE): flag overdue and late-contact rectifications,
    fill in deadlines a missing calendar year held back. Running it twice changes nothing twice."""
    from onething.oversight.ratings import mark_overdue

    return mark_overdue()


@shared_task(name="oversight.dashboard_compact", ignore_result=True)
def dashboard_compact() -> None:
    """Beat: fold the dashboard ledgers' delta rows into one row per key (PostgreSQL;
    a no-op elsewhere). Reads stay exact whether or not it has run."""
    from onething.oversight.dashboard_selectors import summary_compact

    summary_compact()
