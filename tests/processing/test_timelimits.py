"""Working-day time limits of item cases: yellow at 80%, red after, pauses not counted."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from onething.notifications.models import Notification
from onething.processing.models import ItemCase
from onething.processing.timelimits import mark_time_limits, time_status
from tests.processing.conftest import accepted_case

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def received(item_case: ItemCase, *, on: date, days: int, due: date) -> ItemCase:
    ItemCase.objects.filter(pk=item_case.pk).update(
        state=ItemCase.State.RECEIVED,
        dispatched_at=datetime(on.year, on.month, on.day, 10, tzinfo=SHANGHAI),
        committed_days=days,
        due_date=due,
    )
    item_case.refresh_from_db()
    return item_case


def test_lights_follow_working_days(wired_demo, mother):
    case = accepted_case(mother)
    item_case = ItemCase.objects.get(case=case, item_code="birth-certificate-issue")
    # dispatched Mon 2026-11-16, 5 working days -> due Mon 2026-11-23
    item_case = received(item_case, on=date(2026, 11, 16), days=5, due=date(2026, 11, 23))
    assert time_status(item_case=item_case, today=date(2026, 11, 18)) == "normal"  # 2 of 5
    assert time_status(item_case=item_case, today=date(2026, 11, 20)) == "warning"  # 4 of 5 = 80%
    assert time_status(item_case=item_case, today=date(2026, 11, 21)) == "warning"  # Saturday: still 4
    assert time_status(item_case=item_case, today=date(2026, 11, 24)) == "overdue"
    item_case.paused_working_days = 2  # two days waiting for the citizen do not count
    assert time_status(item_case=item_case, today=date(2026, 11, 20)) == "normal"


def test_marking_notifies_the_department_once(wired_demo, mother):
    case = accepted_case(mother)
    item_case = ItemCase.objects.get(case=case, item_code="birth-certificate-issue")
    received(item_case, on=date(2026, 11, 16), days=5, due=date(2026, 11, 23))
    assert mark_time_limits(today=date(2026, 11, 20))["warning"] >= 1
    assert mark_time_limits(today=date(2026, 11, 20))["warning"] == 0
    assert ItemCase.objects.get(pk=item_case.pk).time_status == "warning"
    assert mark_time_limits(today=date(2026, 11, 24))["overdue"] >= 1
    assert Notification.objects.filter(dedup_key__startswith=f"time-overdue:{item_case.pk}").count() >= 1
