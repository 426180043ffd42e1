"""Keep the per-process calendar snapshot in step with writes made through the ORM.

A saved or deleted day also bumps its year's ``updated`` so that other processes, which
compare ``(number of years, latest updated)``, notice the change too.
"""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from onething.workdays.models import CalendarDay, CalendarYear
from onething.workdays.services import calendar_changed


@receiver(post_save, sender=CalendarYear, dispatch_uid="workdays_year_saved")
@receiver(post_delete, sender=CalendarYear, dispatch_uid="workdays_year_deleted")
def year_changed(sender, **kwargs) -> None:
    calendar_changed()


@receiver(post_save, sender=CalendarDay, dispatch_uid="workdays_day_saved")
@receiver(post_delete, sender=CalendarDay, dispatch_uid="workdays_day_deleted")
def day_changed(sender, instance: CalendarDay, **kwargs) -> None:
    CalendarYear.objects.filter(pk=instance.year_id).update(updated=timezone.now())
    calendar_changed()
