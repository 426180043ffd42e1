"""Calendar helpers: Shanghai's date and the monthly data epoch.

Newborns in the synthetic data must be born "within the last three months", so their birth dates
(and therefore their ID numbers) depend on the calendar. Anchoring them to the first day of the
current month (the *data epoch*) keeps them stable for a whole month: a data directory seeded on
the 1st and a test that imports ``demo_identities`` on the 28th agree.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

REFERENCE_DATE = date(2026, 1, 1)
"""Ages of the stable population are computed against this fixed date, never against today,
so that the bulk of the data (and every ID number in it) is identical whenever it is generated."""


def shanghai_today() -> date:
    """Today in Shanghai (UTC+8, no daylight saving), whatever the host's time zone."""
    return datetime.now(SHANGHAI).date()


def data_epoch(today: date | None = None) -> date:
    """First day of the month of ``today``: the default "as of" date newborns are placed before."""
    return (today or shanghai_today()).replace(day=1)


def years_before(day: date, years: int) -> date:
    """Same calendar day ``years`` earlier (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_on(birth: date, day: date) -> int:
    """Completed years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def years_after(day: date, years: int) -> date:
    """Same calendar day ``years`` later (29 February falls back to the 28th)."""
    return years_before(day, -years)
