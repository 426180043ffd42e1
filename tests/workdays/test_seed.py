"""The data migration seeds every year chinesecalendar knows, with Chinese names."""

from datetime import date, timedelta

import chinese_calendar
import pytest
from django.core.management import call_command

from onething.workdays.models import CalendarDay, CalendarYear
from onething.workdays.seed import package_schedules
from onething.workdays.services import is_working_day, schedule_problems

pytestmark = pytest.mark.django_db


def test_every_package_year_is_seeded_from_the_package():
    years = list(CalendarYear.objects.order_by("year").values_list("year", "source"))
    assert years == [(year, "chinesecalendar") for year in range(2004, 2027)]


def test_seeded_calendar_agrees_with_chinesecalendar_on_every_day():
    day, last = date(2004, 1, 1), date(2026, 12, 31)
    while day <= last:
        assert is_working_day(day=day) is chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_only_exceptions_are_stored_with_chinese_names():
    assert not CalendarDay.objects.filter(kind="holiday", date__week_day__in=[1, 7]).exists()  # Sun=1, Sat=7
    assert not CalendarDay.objects.filter(kind="workday", date__week_day__in=[2, 3, 4, 5, 6]).exists()
    holiday_names = set(CalendarDay.objects.filter(kind="holiday").values_list("name", flat=True))
    assert holiday_names == {
        "元旦",
        "春节",
        "清明节",
        "劳动节",
        "端午节",
        "中秋节",
        "国庆节",
        "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
    }
    assert set(CalendarDay.objects.filter(kind="workday").values_list("name", flat=True)) <= {
        name + "调休" for name in holiday_names
    }


def test_spring_festival_2026_as_seeded():
    days = {row.date: (row.kind, row.name) for row in CalendarDay.objects.filter(year__year=2026, date__month=2)}
    assert days == {
        date(2026, 2, 14): ("workday", "春节调休"),  # Saturday
        **{date(2026, 2, day): ("holiday", "春节") for day in (16, 17, 18, 19, 20, 23)},  # 15, 21, 22 are weekends
        date(2026, 2, 28): ("workday", "春节调休"),  # Saturday
    }


def test_2015_victory_day_holiday():
    assert list(
        CalendarDay.objects.filter(date__range=(date(2015, 9, 1), date(2015, 9, 30))).values_list(
            "date", "kind", "name"
        )
    ) == [
        (date(2015, 9, 3), "holiday", "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日"),
        (date(2015, 9, 4), "holiday", "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日"),
        (date(2015, 9, 6), "workday", "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日调休"),
    ]


@pytest.mark.parametrize("year", range(2004, 2027))
def test_every_seeded_year_passes_the_admin_validation(year):
    holidays, workdays = package_schedules()[year]
    assert schedule_problems(year=year, holidays=holidays, workdays=workdays) == []


def test_seed_command_is_idempotent_and_leaves_admin_years_alone(schedule_2027):
    before = CalendarDay.objects.count()
    call_command("seed_workdays", verbosity=0)
    assert CalendarDay.objects.count() == before

    CalendarYear.objects.filter(year=2010).delete()
    CalendarYear.objects.filter(year=2026).update(source="admin")
    CalendarDay.objects.filter(date=date(2026, 2, 16)).delete()
    call_command("seed_workdays", "--refresh", verbosity=0)
    assert CalendarYear.objects.get(year=2010).source == "chinesecalendar"
    assert not is_working_day(day=date(2010, 10, 1))
    assert not CalendarDay.objects.filter(date=date(2026, 2, 16)).exists()  # admin's 2026 untouched
    assert CalendarYear.objects.get(year=2027).source == "admin"
