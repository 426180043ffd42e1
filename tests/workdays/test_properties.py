"""Properties of the arithmetic over the seeded years, checked against chinesecalendar."""

from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onething.workdays.services import NoScheduleForYear, add_working_days, is_working_day, working_days_between
from tests.profiles import examples

pytestmark = pytest.mark.django_db


def naive_add(start: date, days: int) -> date | None:
    """Step day by day with chinesecalendar; None when the walk leaves 2026."""
    day = start
    while days:
        day += timedelta(days=1)
        if day.year > 2026:
            return None
        days -= chinese_calendar.is_workday(day)
    return day


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.dates(min_value=date(2010, 1, 1), max_value=date(2026, 12, 31)), days=st.integers(0, 40))
def test_add_then_count_round_trips(start, days):
    expected = naive_add(start, days)
    if expected is None:  # reaches 2027, which has no schedule
        with pytest.raises(NoScheduleForYear):
            add_working_days(start=start, days=days)
        return
    result = add_working_days(start=start, days=days)
    assert result == expected
    assert working_days_between(start=start, end=result) == days
    if days > 0:
        assert is_working_day(day=result)
        assert result > start


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 12, 31)),
    second=st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 12, 31)),
)
def test_counting_is_additive_and_antisymmetric(first, second):
    middle = date.fromordinal((first.toordinal() + second.toordinal()) // 2)
    assert working_days_between(start=first, end=second) == -working_days_between(start=second, end=first)
    assert working_days_between(start=first, end=second) == working_days_between(
        start=first, end=middle
    ) + working_days_between(start=middle, end=second)
