"""Reads from the working-day calendar (for pages, the admin and explanations of deadlines).

The arithmetic itself lives in ``services`` (cached per process); these are plain queries.
"""

from datetime import date

from django.db.models import QuerySet

from onething.workdays.models import CalendarDay, CalendarYear


def covered_years() -> list[int]:
    """The years whose schedule is known, ascending."""
    return list(CalendarYear.objects.order_by("year").values_list("year", flat=True))


def year_schedule(*, year: int) -> CalendarYear | None:
    """A year with its days prefetched (``year.days.all()``), or None if it was never entered."""
    return CalendarYear.objects.filter(year=year).prefetch_related("days").first()


def special_days(*, start: date, end: date) -> QuerySet[CalendarDay]:
    """The holidays and make-up working days in [start, end], by date — e.g. to explain why a
    deadline falls where it does ("春节 2026-02-16 至 2026-02-20 放假")."""
    return CalendarDay.objects.filter(date__range=(start, end)).order_by("date")
