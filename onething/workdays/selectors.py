"""Reads from the working-day calendar (for pages, the admin and explanations of deadlines).

The arithmetic itself lives in ``services`` (cached per process); these are plain queries,
and ``schedule_warning``, which tells administrators that the next year must be entered.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

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


# --- The warning before the last scheduled day ----------------------------------------------

WARNING_DAYS = 60


@dataclass(frozen=True)
class ScheduleWarning:
    """The known schedule ends soon (or has ended): the next year must be entered.

    ``last_day`` is 31 December of the latest year with a schedule (None when no year is
    known); ``days_left`` the days from today to it (0 on the day, negative after it)."""

    last_day: date | None
    days_left: int
    next_year: int

    @property
    def message(self) -> str:
        if self.last_day is None:
            known = "尚未录入任何年度的节假日安排"
        elif self.days_left >= 0:
            known = f"已录入的节假日安排只到 {self.last_day:%Y-%m-%d}（还剩 {self.days_left} 天）"
        else:
            known = f"已录入的节假日安排只到 {self.last_day:%Y-%m-%d}（已过 {-self.days_left} 天）"
        return (
            f"{known}。请尽快在“工作日历 → 录入年度安排”中录入国务院公布的 {self.next_year} 年安排；"
            f"在此之前，落在 {self.next_year} 年的期限只按周末暂定计算，并标注“暂定”。"
        )

    @property
    def message_en(self) -> str:
        if self.last_day is None:
            known = "no year's holiday schedule has been entered"
        else:
            known = f"the holiday schedule ends on {self.last_day.isoformat()} ({self.days_left} days left)"
        return (
            f"{known}: enter the State Council's {self.next_year} schedule (工作日历 → 录入年度安排); until then "
            f"deadlines in {self.next_year} are counted with weekends only and marked provisional"
        )


def schedule_warning(*, today: date | None = None) -> ScheduleWarning | None:
    """A warning from ``WARNING_DAYS`` (60) days before the last scheduled day on, else None.

    Reads the per-process calendar snapshot (no query while it is fresh), so pages, the
    health check and the metrics can all ask."""
    from onething.workdays.services import last_scheduled_day

    today = today or timezone.localdate()
    last_day = last_scheduled_day()
    if last_day is None:
        return ScheduleWarning(last_day=None, days_left=0, next_year=today.year)
    days_left = (last_day - today).days
    if days_left > WARNING_DAYS:
        return None
    return ScheduleWarning(last_day=last_day, days_left=days_left, next_year=last_day.year + 1)
