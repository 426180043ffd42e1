"""Recompute the provisional dates of cases when a year's holiday schedule is entered."""

from django.dispatch import receiver

from onething.workdays.services import schedule_entered


@receiver(schedule_entered, dispatch_uid="intake_provisional_dates")
def recompute_provisional_dates(sender, *, year: int, **kwargs) -> int:
    from onething.intake.services import provisional_dates_recompute

    return provisional_dates_recompute(year=year)
