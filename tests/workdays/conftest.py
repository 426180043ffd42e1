"""Helpers of the working-day calendar tests.

The data migration seeds 2004–2026 from chinesecalendar into the test database. The
calendar snapshot is per process and outlives a test's rolled-back transaction, so it is
cleared around every test here.
"""

from datetime import date

import pytest

from onething.workdays.services import clear_calendar_cache

# A made-up 2027 schedule for tests — NOT the State Council's real 2027 notice.
HOLIDAYS_2027 = [
    (date(2027, 1, 1), "元旦"),  # Friday
    (date(2027, 2, 5), "春节"),  # Friday
    *[(date(2027, 2, day), "春节") for day in range(8, 13)],  # Monday 8 .. Friday 12
]
WORKDAYS_2027 = [(date(2027, 2, 20), "春节调休")]  # Saturday
NOTE_2027 = "测试用安排（非真实通知）"


@pytest.fixture(autouse=True)
def fresh_calendar_cache():
    clear_calendar_cache()
    yield
    clear_calendar_cache()


@pytest.fixture
def schedule_2027(db):
    from onething.workdays.services import set_year_schedule

    return set_year_schedule(year=2027, holidays=HOLIDAYS_2027, workdays=WORKDAYS_2027, note=NOTE_2027)
