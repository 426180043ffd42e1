"""Administrators enter a year's schedule; calculations see it at once."""

from datetime import date

import pytest

from onething.workdays import services
from onething.workdays.models import CalendarDay, CalendarYear
from onething.workdays.services import (
    NoScheduleForYear,
    ScheduleInvalid,
    add_working_days,
    is_working_day,
    set_year_schedule,
    working_days_between,
)
from tests.workdays.conftest import HOLIDAYS_2027, NOTE_2027, WORKDAYS_2027

pytestmark = pytest.mark.django_db


def test_entering_2027_makes_the_failing_calculation_work():
    with pytest.raises(NoScheduleForYear):
        add_working_days(start=date(2026, 12, 31), days=1)  # the snapshot is now cached without 2027

    year = set_year_schedule(year=2027, holidays=HOLIDAYS_2027, workdays=WORKDAYS_2027, note=NOTE_2027)

    assert (year.year, year.source, year.note) == (2027, "admin", NOTE_2027)
    assert add_working_days(start=date(2026, 12, 31), days=1) == date(2027, 1, 4)  # 元旦 Fri 1 Jan, then a weekend
    assert add_working_days(start=date(2027, 2, 4), days=1) == date(2027, 2, 15)  # 春节 5 and 8..12 Feb
    assert is_working_day(day=date(2027, 2, 20))  # the make-up Saturday
    assert not is_working_day(day=date(2027, 2, 21))
    assert working_days_between(start=date(2026, 12, 30), end=date(2027, 1, 4)) == 2
    with pytest.raises(NoScheduleForYear) as raised:
        add_working_days(start=date(2027, 12, 30), days=5)
    assert raised.value.year == 2028


def test_replacing_a_year_replaces_its_days(schedule_2027):
    assert not is_working_day(day=date(2027, 2, 5))
    set_year_schedule(year=2027, holidays=[(date(2027, 1, 1), "元旦")], workdays=[], note="更正")
    assert list(CalendarDay.objects.filter(year__year=2027).values_list("date", "name")) == [(date(2027, 1, 1), "元旦")]
    assert is_working_day(day=date(2027, 2, 5))
    assert not is_working_day(day=date(2027, 2, 20))
    assert CalendarYear.objects.get(year=2027).note == "更正"


def test_an_admin_can_correct_a_seeded_year():
    set_year_schedule(year=2026, holidays=[(date(2026, 1, 1), "元旦")], workdays=[], note="更正")
    assert CalendarYear.objects.get(year=2026).source == "admin"
    assert is_working_day(day=date(2026, 10, 1))


def test_every_problem_is_reported_at_once():
    with pytest.raises(ScheduleInvalid) as raised:
        set_year_schedule(
            year=2027,
            holidays=[
                (date(2027, 1, 1), "元旦"),
                (date(2027, 1, 3), "元旦"),  # a Sunday
                (date(2026, 12, 31), "元旦"),  # not in 2027
                (date(2027, 2, 8), "春节"),
            ],
            workdays=[
                (date(2027, 1, 6), "元旦调休"),  # a Wednesday
                (date(2027, 2, 8), "春节调休"),  # also a holiday (and a Monday)
            ],
            note="",
        )
    problems = raised.value.problems
    assert problems == [
        "2027-01-03（星期日）本来就休息，不能录入为法定节假日“元旦”（法定节假日只录入放假的周一至周五）",
        "2026-12-31（星期四）不在 2027 年内（法定节假日“元旦”）",
        "2027-01-06（星期三）本来就是工作日，不能录入为调休上班日“元旦调休”（调休上班日只录入需要上班的周六、周日）",
        "2027-02-08（星期一）本来就是工作日，不能录入为调休上班日“春节调休”（调休上班日只录入需要上班的周六、周日）",
        "2027-02-08（星期一）同时出现在法定节假日和调休上班日中",
    ]
    assert str(raised.value) == "；".join(problems)
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_duplicates_missing_names_and_an_empty_schedule_are_refused():
    with pytest.raises(ScheduleInvalid) as raised:
        set_year_schedule(year=2027, holidays=[], workdays=[(date(2027, 2, 20), " ")], note="")
    assert raised.value.problems == [
        "没有录入任何法定节假日：每年至少有元旦、春节等节日放假，请检查是否漏填",
        "2027-02-20（星期六）缺少名称（调休上班日）",
    ]
    with pytest.raises(ScheduleInvalid) as raised:
        set_year_schedule(year=2027, holidays=[(date(2027, 1, 1), "元旦")] * 2, workdays=[], note="")
    assert raised.value.problems == ["2027-01-01（星期五）在法定节假日中重复出现"]


def test_a_failed_replacement_keeps_the_old_schedule(schedule_2027):
    with pytest.raises(ScheduleInvalid):
        set_year_schedule(year=2027, holidays=[(date(2027, 1, 2), "元旦")], workdays=[], note="")
    assert CalendarDay.objects.filter(year__year=2027).count() == len(HOLIDAYS_2027) + len(WORKDAYS_2027)


def test_deleting_a_year_makes_it_unknown_again(schedule_2027):
    assert is_working_day(day=date(2027, 1, 4))
    schedule_2027.delete()
    with pytest.raises(NoScheduleForYear):
        is_working_day(day=date(2027, 1, 4))


def test_editing_one_day_through_the_orm_is_seen_at_once():
    assert is_working_day(day=date(2026, 3, 2))
    year = CalendarYear.objects.get(year=2026)
    day = CalendarDay.objects.create(date=date(2026, 3, 2), kind="holiday", name="测试", year=year)
    assert not is_working_day(day=date(2026, 3, 2))
    day.delete()
    assert is_working_day(day=date(2026, 3, 2))


def test_other_processes_notice_changes_by_the_database_stamp(settings):
    """A write without signals here stands for a write made by another process."""
    settings.WORKDAYS_CACHE_SECONDS = 3600
    with pytest.raises(NoScheduleForYear):
        is_working_day(day=date(2027, 1, 1))
    year = CalendarYear.objects.bulk_create([CalendarYear(year=2027, source="admin", note="另一进程")])[0]
    CalendarDay.objects.bulk_create([CalendarDay(date=date(2027, 1, 1), kind="holiday", name="元旦", year=year)])
    with pytest.raises(NoScheduleForYear):  # still within the recheck interval
        is_working_day(day=date(2027, 1, 1))

    settings.WORKDAYS_CACHE_SECONDS = 0
    services._valid_until = 0.0  # the interval has passed
    assert is_working_day(day=date(2027, 1, 1)) is False
    assert is_working_day(day=date(2027, 1, 4)) is True


def test_an_empty_calendar_knows_no_year():
    CalendarYear.objects.all().delete()
    with pytest.raises(NoScheduleForYear) as raised:
        working_days_between(start=date(2026, 3, 2), end=date(2026, 3, 9))
    assert raised.value.year == 2026
