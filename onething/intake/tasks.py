"""Periodic work of intake: reminders and overdue flags for deferred materials."""

from celery import shared_task

from onething.intake import services


@shared_task(name="intake.remind_deferred_materials", ignore_result=True)
def remind_deferred_materials() -> dict:
    """Hourly: remind once per material and deadline; flag overdue ones. Safe to run twice
    (notifications are deduplicated, overdue flags use a conditional update)."""
    return {"reminded": services.deferred_remind(), "flagged": services.deferred_flag_overdue()}
