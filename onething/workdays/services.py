"""Working-day arithmetic and the administrators' schedule entry.

Reads (``add_working_days``, ``working_days_between``, ``is_working_day``,
``next_working_day``) use a per-process snapshot of the whole calendar: a prefix count
of working days over every day from 1 January of the first known year to 31 December of
the last, so each call is an index lookup or a bisection (a few microseconds).

The snapshot is dropped in this process as soon as a ``CalendarYear`` or ``CalendarDay``
is saved or deleted (signals) or ``set_year_schedule`` runs, and again when that
transaction commits. Other processes (web workers, Celery) compare a cheap database stamp
(number of years, latest ``CalendarYear.updated``) at most every
``settings.WORKDAYS_CACHE_SECONDS`` (default 60) seconds and reload when it changed.

The exact calculations raise ``NoScheduleForYear`` when they touch a year that has no
``CalendarYear`` row: such a year is unknown, never silently “plain weekends”. Deadlines
that must be set anyway (acceptance, dispatch, deferrals) use ``due_after`` and
``count_working_days`` instead: they count a year without a schedule as plain weekends
and say so (``provisional=True``); the caller stores the flag and shows “（暂定）”, and
``set_year_schedule`` sends ``schedule_entered`` so that the stored provisional dates
are recomputed when the State Council's schedule is entered.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max
from django.dispatch import Signal

from onething.workdays.models import MAX_YEAR, MIN_YEAR, CalendarDay, CalendarYear

WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
NAME_MAX_LENGTH = CalendarDay._meta.get_field("name").max_length
DEFAULT_CACHE_SECONDS = 60.0


class NoScheduleForYear(Exception):
    """A working-day calculation touched a year whose holiday schedule was never entered."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"尚未录入 {year} 年的节假日安排，无法计算工作日；请管理员在“工作日历”中录入国务院公布的安排"
            f" / no holiday schedule for {year}: an administrator must enter the State Council's schedule"
        )


class ScheduleInvalid(Exception):
    """A year's schedule was rejected; ``problems`` lists every problem found (in Chinese)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("；".join(self.problems))


class DueDate(NamedTuple):
    """A date counted in working days; ``provisional`` when a year it crosses has no
    schedule and was counted as plain weekends (暂定)."""

    day: date
    provisional: bool


class WorkingDayCount(NamedTuple):
    days: int
    provisional: bool


# Sent inside ``set_year_schedule``'s transaction (and by the admin's inline editing) with
# ``year=``; receivers recompute the provisional dates they store and return how many
# cases changed (an int).
schedule_entered = Signal()


# --- The per-process calendar snapshot ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Calendar:
    years: frozenset[int]
    first_year: int
    last_year: int
    first_ordinal: int  # 1 January of first_year
    counts: list[int]  # counts[i]: working days in [first_ordinal, first_ordinal + i]
    stamp: tuple

    def require(self, first_year: int, last_year: int) -> None:
        """Raise for the earliest year in [first_year, last_year] without a schedule."""
        for year in range(first_year, last_year + 1):
            if year not in self.years:
                raise NoScheduleForYear(year)

    def index(self, day: date) -> int:
        return day.toordinal() - self.first_ordinal

    def is_working(self, index: int) -> bool:
        return self.counts[index] != (self.counts[index - 1] if index else 0)

    def is_working_or_weekday(self, day: date) -> bool:
        """The calendar's answer for a year with a schedule; Monday–Friday otherwise."""
        if day.year in self.years:
            return self.is_working(self.index(day))
        return day.weekday() < 5

    def missing_between(self, first_year: int, last_year: int) -> bool:
        return any(year not in self.years for year in range(first_year, last_year + 1))


_lock = threading.Lock()
_cached: _Calendar | None = None
_valid_until = 0.0


def _stamp() -> tuple:
    found = CalendarYear.objects.aggregate(years=Count("id"), updated=Max("updated"))
    return (found["years"], found["updated"])


def _load(stamp: tuple) -> _Calendar:
    years = frozenset(CalendarYear.objects.values_list("year", flat=True))
    if not years:
        return _Calendar(years=years, first_year=0, last_year=-1, first_ordinal=0, counts=[], stamp=stamp)
    first_year, last_year = min(years), max(years)
    first_ordinal = date(first_year, 1, 1).toordinal()
    size = date(last_year, 12, 31).toordinal() - first_ordinal + 1
    # Plain week first: Monday..Friday work. date(1, 1, 1) (ordinal 1) was a Monday.
    working = [(first_ordinal + i - 1) % 7 < 5 for i in range(size)]
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        index = day.toordinal() - first_ordinal
        if 0 <= index < size:
            working[index] = kind == CalendarDay.Kind.WORKDAY
    counts: list[int] = []
    total = 0
    for flag in working:
        total += flag
        counts.append(total)
    return _Calendar(
        years=years,
        first_year=first_year,
        last_year=last_year,
        first_ordinal=first_ordinal,
        counts=counts,
        stamp=stamp,
    )


def _calendar() -> _Calendar:
    global _cached, _valid_until
    cached = _cached
    if cached is not None and time.monotonic() < _valid_until:
        return cached
    with _lock:
        stamp = _stamp()
        cached = _cached
        if cached is None or cached.stamp != stamp:
            cached = _load(stamp)
        _cached = cached
        _valid_until = time.monotonic() + float(getattr(settings, "WORKDAYS_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))
        return cached


def clear_calendar_cache() -> None:
    """Forget this process's calendar snapshot; the next calculation reloads it."""
    global _cached, _valid_until
    with _lock:
        _cached = None
        _valid_until = 0.0


def calendar_changed() -> None:
    """Call after writing calendar rows without the ORM's signals (e.g. ``bulk_create``):
    clears the snapshot now and again when the current transaction commits."""
    clear_calendar_cache()
    transaction.on_commit(clear_calendar_cache)


# --- Arithmetic ---------------------------------------------------------------------------


def _plain_date(value: date) -> date:
    """Refuse datetimes: which calendar day a moment falls on depends on the time zone, so
    the caller must decide (``timezone.localdate(moment)``)."""
    if isinstance(value, datetime):
        raise TypeError(f"expected a date, got a datetime (use timezone.localdate()): {value!r}")
    return value


def is_working_day(*, day: date) -> bool:
    """Whether ``day`` is a working day (工作日): a weekday that is not a statutory holiday,
    or a weekend day that is a make-up working day (调休上班)."""
    day = _plain_date(day)
    calendar = _calendar()
    calendar.require(day.year, day.year)
    return calendar.is_working(calendar.index(day))


def add_working_days(*, start: date, days: int) -> date:
    """The date that is ``days`` working days after ``start``.

    ``start`` itself is not counted (a case received on Friday with a 1-working-day limit
    is due the next working day), so for ``days > 0`` the result is always a working day;
    ``days == 0`` returns ``start`` unchanged. Raises ``ValueError`` for negative ``days``
    and ``NoScheduleForYear`` when ``start`` or any day up to the result lies in a year
    without a schedule.
    """
    start = _plain_date(start)
    if days < 0:
        raise ValueError(f"days must not be negative 工作日数不能为负数: {days}")
    calendar = _calendar()
    calendar.require(start.year, start.year)
    if days == 0:
        return start
    index = calendar.index(start)
    target = calendar.counts[index] + days
    if target > calendar.counts[-1]:
        calendar.require(start.year, calendar.last_year + 1)
    found = bisect_left(calendar.counts, target, index + 1)
    result = date.fromordinal(calendar.first_ordinal + found)
    calendar.require(start.year, result.year)
    return result


def working_days_between(*, start: date, end: date) -> int:
    """The number of working days in (start, end]: ``start`` excluded, ``end`` included.

    So ``working_days_between(start=s, end=add_working_days(start=s, days=n)) == n``.
    Negative when ``end`` is before ``start``. Raises ``NoScheduleForYear`` when any year
    from ``start`` to ``end`` has no schedule.
    """
    start, end = _plain_date(start), _plain_date(end)
    if end < start:
        return -working_days_between(start=end, end=start)
    calendar = _calendar()
    calendar.require(start.year, end.year)
    return calendar.counts[calendar.index(end)] - calendar.counts[calendar.index(start)]


def next_working_day(*, day: date, include_day: bool = False) -> date:
    """The first working day after ``day`` (``include_day=True``: ``day`` itself when it is
    a working day — i.e. roll a date that falls on a holiday or weekend forward)."""
    if include_day and is_working_day(day=day):
        return day
    return add_working_days(start=day, days=1)


def due_after(*, start: date, days: int) -> DueDate:
    """``add_working_days``, except that a year without a schedule never stops it: such a
    year is counted as plain weekends (Monday–Friday work) and the result is marked
    ``provisional``. Used for the deadlines that must be set anyway (受理、派发、容缺);
    the caller stores ``provisional`` next to the date so it can be recomputed."""
    try:
        return DueDate(add_working_days(start=start, days=days), False)
    except NoScheduleForYear:
        pass
    calendar = _calendar()
    day, left = start, days
    while left:
        day += timedelta(days=1)
        left -= calendar.is_working_or_weekday(day)
    return DueDate(day, days > 0 and calendar.missing_between(start.year, day.year))


def count_working_days(*, start: date, end: date) -> WorkingDayCount:
    """``working_days_between`` that counts a year without a schedule as plain weekends
    and says so (``provisional``) instead of raising."""
    try:
        return WorkingDayCount(working_days_between(start=start, end=end), False)
    except NoScheduleForYear:
        pass
    start, end = _plain_date(start), _plain_date(end)
    if end < start:
        count = count_working_days(start=end, end=start)
        return WorkingDayCount(-count.days, count.provisional)
    calendar = _calendar()
    total = sum(
        calendar.is_working_or_weekday(date.fromordinal(ordinal))
        for ordinal in range(start.toordinal() + 1, end.toordinal() + 1)
    )
    return WorkingDayCount(total, True)


def last_scheduled_day() -> date | None:
    """31 December of the latest year with a schedule (None when no year is known)."""
    calendar = _calendar()
    return date(calendar.last_year, 12, 31) if calendar.years else None


# --- Entering a year's schedule -----------------------------------------------------------


def schedule_problems(
    *, year: int | None, holidays: Iterable[tuple[date, str]], workdays: Iterable[tuple[date, str]]
) -> list[str]:
    """Every problem with a year's schedule (empty when it is valid).

    ``holidays`` are the weekdays that are off (法定节假日放假的工作日); ``workdays`` the
    weekend days that are worked (调休上班的周六、周日). Weekend days of a holiday period
    are off anyway and must not be listed. Shared by ``set_year_schedule`` and the admin.
    """
    holidays, workdays = list(holidays), list(workdays)
    problems: list[str] = []
    if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
        problems.append(f"年份 {year} 不在 {MIN_YEAR}–{MAX_YEAR} 之间")
    if not holidays:
        problems.append("没有录入任何法定节假日：每年至少有元旦、春节等节日放假，请检查是否漏填")
    for kind_label, entries, wants_weekend in (("法定节假日", holidays, False), ("调休上班日", workdays, True)):
        seen: set[date] = set()
        for day, name in entries:
            label = f"{day.isoformat()}（{WEEKDAY_NAMES[day.weekday()]}）"
            if year is not None and day.year != year:
                problems.append(f"{label}不在 {year} 年内（{kind_label}“{name}”）")
            if day in seen:
                problems.append(f"{label}在{kind_label}中重复出现")
            seen.add(day)
            if not name.strip():
                problems.append(f"{label}缺少名称（{kind_label}）")
            elif len(name) > NAME_MAX_LENGTH:
                problems.append(f"{label}的名称超过 {NAME_MAX_LENGTH} 个字")
            is_weekend = day.weekday() >= 5
            if wants_weekend and not is_weekend:
                problems.append(
                    f"{label}本来就是工作日，不能录入为调休上班日“{name}”（调休上班日只录入需要上班的周六、周日）"
                )
            if not wants_weekend and is_weekend:
                problems.append(f"{label}本来就休息，不能录入为法定节假日“{name}”（法定节假日只录入放假的周一至周五）")
    for day in sorted({day for day, _ in holidays} & {day for day, _ in workdays}):
        problems.append(f"{day.isoformat()}（{WEEKDAY_NAMES[day.weekday()]}）同时出现在法定节假日和调休上班日中")
    return problems


@transaction.atomic
def set_year_schedule(
    *, year: int, holidays: list[tuple[date, str]], workdays: list[tuple[date, str]], note: str
) -> CalendarYear:
    """Enter or replace a year's schedule as published by the State Council.

    ``holidays``: (date, name) for every weekday that is off, e.g. (2027-02-08, "春节");
    ``workdays``: (date, name) for every weekend day that is worked, e.g. (2027-02-06,
    "春节调休"); ``note``: where it was published (通知标题、文号). All checks run first and
    every problem is reported in one ``ScheduleInvalid``; otherwise the year's rows are
    replaced atomically, its source becomes "admin", and calculations see it at once.
    In the same transaction the stored provisional dates are recomputed
    (``recompute_provisional``); ``row.recomputed_cases`` says how many cases changed.
    """
    problems = schedule_problems(year=year, holidays=holidays, workdays=workdays)
    if problems:
        raise ScheduleInvalid(problems)
    row, _ = CalendarYear.objects.update_or_create(
        year=year, defaults={"source": CalendarYear.Source.ADMIN, "note": note.strip()}
    )
    CalendarDay.objects.filter(year=row).delete()
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=day, kind=CalendarDay.Kind.HOLIDAY, name=name.strip(), year=row) for day, name in holidays]
        + [CalendarDay(date=day, kind=CalendarDay.Kind.WORKDAY, name=name.strip(), year=row) for day, name in workdays]
    )
    calendar_changed()
    row.recomputed_cases = recompute_provisional(year=year)
    return row


def recompute_provisional(*, year: int) -> int:
    """Ask every app that stores provisional dates to recompute those reaching ``year``
    (``schedule_entered``); returns the number of cases whose dates changed."""
    responses = schedule_entered.send(sender=CalendarYear, year=year)
    return sum(result for _receiver, result in responses if isinstance(result, int))
