"""Working-day arithmetic on the seeded calendar.

Facts from chinesecalendar 1.11.0 (the State Council's notices):
- 2026 春节: off Sun 2026-02-15 .. Mon 2026-02-23; make-up working Saturdays 2026-02-14 and 2026-02-28.
- 2026 中秋节 Fri 2026-09-25 (with the weekend); 国庆节 off Thu 2026-10-01 .. Wed 2026-10-07;
  make-up working Sunday 2026-09-20 and Saturday 2026-10-10.
- 2026 元旦: off Thu 2026-01-01 .. Sat 2026-01-03; make-up working Sunday 2026-01-04.
- 2025 国庆节/中秋节 off Wed 2025-10-01 .. Wed 2025-10-08 (10-06 is 中秋节);
  make-up working Sunday 2025-09-28 and Saturday 2025-10-11.
"""

import time
from datetime import date

import pytest

from onething.workdays.services import (
    NoScheduleForYear,
    add_working_days,
    is_working_day,
    next_working_day,
    working_days_between,
)

pytestmark = pytest.mark.django_db

NO_2027 = (
    "尚未录入 2027 年的节假日安排，无法计算工作日；请管理员在“工作日历”中录入国务院公布的安排"
    " / no holiday schedule for 2027: an administrator must enter the State Council's schedule"
)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 13), True),  # Friday
        (date(2026, 2, 14), True),  # Saturday, 春节调休
        (date(2026, 2, 15), False),  # Sunday, 春节
        (date(2026, 2, 16), False),  # Monday, 春节
        (date(2026, 2, 23), False),  # Monday, 春节
        (date(2026, 2, 24), True),  # Tuesday
        (date(2026, 2, 28), True),  # Saturday, 春节调休
        (date(2026, 3, 1), False),  # plain Sunday
        (date(2026, 9, 20), True),  # Sunday, 国庆节调休
        (date(2026, 9, 25), False),  # Friday, 中秋节
        (date(2026, 10, 7), False),  # Wednesday, 国庆节
        (date(2026, 10, 10), True),  # Saturday, 国庆节调休
        (date(2025, 9, 28), True),  # Sunday, 国庆节调休
        (date(2025, 10, 6), False),  # Monday, 中秋节
        (date(2025, 10, 8), False),  # Wednesday, 国庆节
        (date(2025, 10, 11), True),  # Saturday, 国庆节调休
    ],
)
def test_is_working_day(day, working):
    assert is_working_day(day=day) is working


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 2, 13), 0, date(2026, 2, 13)),
        (date(2026, 2, 15), 0, date(2026, 2, 15)),  # 0 days: start unchanged even on a holiday
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Friday -> the make-up Saturday
        (date(2026, 2, 14), 1, date(2026, 2, 24)),  # across the whole Spring Festival
        (date(2026, 2, 12), 3, date(2026, 2, 24)),  # 13 Fri, 14 Sat (make-up), 24 Tue
        (date(2026, 2, 16), 1, date(2026, 2, 24)),  # received during the holiday
        (date(2026, 2, 24), 4, date(2026, 2, 28)),  # 25, 26, 27, then the make-up Saturday 28
        (date(2026, 2, 10), 20, date(2026, 3, 16)),
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # after Golden Week
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # 8 Thu, 9 Fri, 10 Sat (make-up)
        (date(2026, 9, 19), 1, date(2026, 9, 20)),  # Saturday -> the make-up Sunday
        (date(2026, 9, 24), 1, date(2026, 9, 28)),  # 中秋节 Friday 25 and the weekend
        (date(2025, 9, 30), 1, date(2025, 10, 9)),
        (date(2025, 9, 27), 1, date(2025, 9, 28)),  # the make-up Sunday
        (date(2025, 9, 26), 5, date(2025, 10, 10)),  # 28 Sun, 29, 30, Oct 9, Oct 10
        (date(2025, 12, 30), 2, date(2026, 1, 4)),  # 31 Dec, then (元旦 1-3 Jan) the make-up Sunday 4 Jan
    ],
)
def test_add_working_days(start, days, expected):
    assert add_working_days(start=start, days=days) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 2, 13), date(2026, 2, 13), 0),
        (date(2026, 2, 13), date(2026, 2, 28), 6),  # 14 (make-up), 24, 25, 26, 27, 28 (make-up)
        (date(2026, 2, 14), date(2026, 2, 23), 0),  # the Spring Festival itself
        (date(2026, 2, 28), date(2026, 2, 13), -6),
        (date(2026, 9, 30), date(2026, 10, 10), 3),
        (date(2026, 9, 18), date(2026, 10, 11), 11),  # 20 (make-up), 21-24, 28-30, 8, 9, 10 (make-up)
        (date(2025, 9, 26), date(2025, 10, 12), 6),  # 28 (make-up), 29, 30, Oct 9, 10, 11 (make-up)
        (date(2025, 12, 31), date(2026, 1, 4), 1),  # only the make-up Sunday
        (date(2023, 12, 31), date(2024, 12, 31), 251),  # 2024 had 251 working days
        (date(2025, 12, 31), date(2026, 12, 31), 248),  # and 2026 has 248
    ],
)
def test_working_days_between(start, end, expected):
    assert working_days_between(start=start, end=end) == expected


def test_next_working_day():
    assert next_working_day(day=date(2026, 9, 30)) == date(2026, 10, 8)
    assert next_working_day(day=date(2026, 2, 13)) == date(2026, 2, 14)
    assert next_working_day(day=date(2026, 2, 13), include_day=True) == date(2026, 2, 13)
    assert next_working_day(day=date(2026, 10, 3), include_day=True) == date(2026, 10, 8)
    assert next_working_day(day=date(2026, 10, 9), include_day=True) == date(2026, 10, 9)


def test_datetimes_are_refused():
    from datetime import datetime

    with pytest.raises(TypeError):
        add_working_days(start=datetime(2026, 3, 2, 9, 0), days=1)


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        add_working_days(start=date(2026, 3, 2), days=-1)


def test_the_last_days_of_2026_still_work():
    assert add_working_days(start=date(2026, 12, 30), days=1) == date(2026, 12, 31)
    assert is_working_day(day=date(2026, 12, 31))
    assert working_days_between(start=date(2026, 12, 1), end=date(2026, 12, 31)) == 22


@pytest.mark.parametrize(
    "calculation",
    [
        lambda: add_working_days(start=date(2026, 12, 30), days=2),  # would land in 2027
        lambda: add_working_days(start=date(2026, 12, 31), days=1),
        lambda: add_working_days(start=date(2026, 11, 20), days=40),
        lambda: add_working_days(start=date(2027, 3, 1), days=0),
        lambda: working_days_between(start=date(2026, 12, 1), end=date(2027, 1, 5)),
        lambda: working_days_between(start=date(2027, 1, 5), end=date(2026, 12, 1)),
        lambda: is_working_day(day=date(2027, 1, 4)),
        lambda: next_working_day(day=date(2026, 12, 31)),
    ],
)
def test_reaching_2027_fails_loudly(calculation):
    with pytest.raises(NoScheduleForYear) as raised:
        calculation()
    assert raised.value.year == 2027
    assert str(raised.value) == NO_2027


def test_a_year_before_the_calendar_fails_too():
    with pytest.raises(NoScheduleForYear) as raised:
        working_days_between(start=date(2003, 12, 1), end=date(2004, 1, 5))
    assert raised.value.year == 2003


def test_calculations_are_fast():
    add_working_days(start=date(2026, 1, 5), days=1)  # load the snapshot
    calls = 20_000
    began = time.perf_counter()
    for offset in range(calls):
        start = date.fromordinal(date(2020, 1, 1).toordinal() + offset % 2000)
        end = add_working_days(start=start, days=15)
        working_days_between(start=start, end=end)
        is_working_day(day=end)
    per_call = (time.perf_counter() - began) / (calls * 3)
    assert per_call < 100e-6, f"{per_call * 1e6:.1f} µs per call"
