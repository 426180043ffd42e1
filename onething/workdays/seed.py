"""Seeding the calendar from the ``chinesecalendar`` package (2004–2026 in 1.11.0).

Used by the data migration and by the ``seed_workdays`` command, so this module takes
the model classes as arguments (the migration passes its historical models) and must
stay free of imports from the rest of the project.

The package keys ``holidays`` and ``workdays`` by date with English festival names as
values. Only the exceptions to the plain week are stored here: a package holiday that
falls on a weekend is off anyway and is skipped.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

# The package's Holiday enum values (English) -> the festivals' Chinese names.
FESTIVAL_NAMES: dict[str, str] = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
MAKE_UP_SUFFIX = "调休"
PACKAGE_SOURCE = "chinesecalendar"


def festival_name(english: str) -> str:
    """The Chinese name of one of the package's festivals (its own Chinese label if unmapped)."""
    if english in FESTIVAL_NAMES:
        return FESTIVAL_NAMES[english]
    import chinese_calendar

    try:
        return chinese_calendar.Holiday(english).chinese
    except ValueError:
        return english


def package_note() -> str:
    import chinese_calendar

    return f"chinesecalendar {chinese_calendar.__version__} 数据（据历年国务院办公厅节假日安排通知）"


def package_schedules() -> dict[int, tuple[list[tuple[date, str]], list[tuple[date, str]]]]:
    """Every year the package knows: ``{year: (holidays, workdays)}`` with Chinese names.

    ``holidays`` are weekdays that are off; ``workdays`` are weekend days that are worked
    (named e.g. “春节调休”). Both are sorted by date.
    """
    import chinese_calendar

    known = {day.year for day in chinese_calendar.holidays} | {day.year for day in chinese_calendar.workdays}
    years: dict[int, tuple[list, list]] = {year: ([], []) for year in sorted(known)}
    for day, english in sorted(chinese_calendar.holidays.items()):
        if day.weekday() < 5:
            years[day.year][0].append((day, festival_name(english)))
    for day, english in sorted(chinese_calendar.workdays.items()):
        if day.weekday() >= 5:
            years[day.year][1].append((day, festival_name(english) + MAKE_UP_SUFFIX))
    return years


@transaction.atomic
def seed_from_package(year_model, day_model, *, refresh: bool = False) -> tuple[list[int], list[int]]:
    """Create the package's years that are missing; with ``refresh`` also rewrite the years
    that came from the package. Years entered by administrators are never touched.

    Returns ``(created_years, refreshed_years)``.
    """
    existing = dict(year_model.objects.values_list("year", "source"))
    note = package_note()
    created: list[int] = []
    refreshed: list[int] = []
    new_days = []
    for year, (holidays, workdays) in package_schedules().items():
        if year not in existing:
            row = year_model.objects.create(year=year, source=PACKAGE_SOURCE, note=note)
            created.append(year)
        elif refresh and existing[year] == PACKAGE_SOURCE:
            row = year_model.objects.get(year=year)
            row.note = note
            row.save()
            day_model.objects.filter(year=row).delete()
            refreshed.append(year)
        else:
            continue
        new_days += [day_model(date=day, kind="holiday", name=name, year=row) for day, name in holidays]
        new_days += [day_model(date=day, kind="workday", name=name, year=row) for day, name in workdays]
    day_model.objects.bulk_create(new_days, batch_size=500)
    return created, refreshed
