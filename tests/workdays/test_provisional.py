"""A year without a holiday schedule never stops intake: its dates are counted with
weekends only, marked provisional (暂定) wherever shown, recomputed and audited when the
year is entered; administrators are warned from 60 days before the last scheduled day.

The test database knows 2004–2026 (chinesecalendar); 2027 is missing until a test enters
the made-up schedule of conftest (元旦 Friday 1 January 2027 is a holiday there)."""

from datetime import date, datetime, time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from onething.audit.models import AuditEvent
from onething.intake import selectors as intake_selectors
from onething.intake import services as intake_services
from onething.processing.models import ItemCase
from onething.workdays import selectors
from onething.workdays.services import (
    NoScheduleForYear,
    add_working_days,
    count_working_days,
    due_after,
    set_year_schedule,
)
from tests.intake.test_acceptance import clerk, deferrable_and_pledgeable, online_case
from tests.workdays.conftest import HOLIDAYS_2027, NOTE_2027, WORKDAYS_2027

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 12, 28)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def enter_2027():
    return set_year_schedule(year=2027, holidays=HOLIDAYS_2027, workdays=WORKDAYS_2027, note=NOTE_2027)


# --- the arithmetic ----------------------------------------------------------------------------


def test_a_year_without_schedule_counts_weekends_only_and_says_so():
    # Tue 29, Wed 30, Thu 31 December; then 2027 unknown: Fri 1 January counts, Mon 4 is the 5th
    assert due_after(start=MONDAY, days=5) == (date(2027, 1, 4), True)
    assert due_after(start=date(2026, 12, 31), days=1) == (date(2027, 1, 1), True)
    assert due_after(start=date(2027, 1, 8), days=1) == (date(2027, 1, 11), True)  # Friday -> Monday
    assert due_after(start=date(2026, 12, 1), days=5) == (date(2026, 12, 8), False)  # inside 2026: exact
    assert due_after(start=date(2026, 12, 30), days=1) == (date(2026, 12, 31), False)
    assert count_working_days(start=MONDAY, end=date(2027, 1, 4)) == (5, True)
    assert count_working_days(start=date(2027, 1, 4), end=MONDAY) == (-5, True)
    assert count_working_days(start=date(2026, 12, 1), end=date(2026, 12, 8)) == (5, False)
    with pytest.raises(NoScheduleForYear):  # the exact API still refuses to guess
        add_working_days(start=MONDAY, days=5)


def test_entering_the_year_makes_the_same_count_exact():
    enter_2027()
    assert due_after(start=MONDAY, days=5) == (date(2027, 1, 5), False)  # 元旦 Friday 1 January is off
    assert count_working_days(start=MONDAY, end=date(2027, 1, 5)) == (5, False)
    # 2028 is still missing: a count that reaches it stays provisional
    assert due_after(start=date(2027, 12, 30), days=3) == (date(2028, 1, 4), True)


# --- acceptance, display and the recomputation ---------------------------------------------------


def accept_on_monday(mother):
    """Accept a child-birth case on Monday 28 December 2026 with one material deferred."""
    probe = online_case(mother, upload_all=False)
    deferred_key, _ = deferrable_and_pledgeable(probe)
    case = online_case(mother, declare={deferred_key: "deferred"})
    case = intake_services.case_accept(case=case, clerk=clerk(), today=MONDAY)
    accepted_at = timezone.make_aware(datetime.combine(MONDAY, time(10)), SHANGHAI)
    type(case).objects.filter(pk=case.pk).update(accepted_at=accepted_at)  # as if accepted that day
    case.refresh_from_db()
    return case, case.material_checks.get(key=deferred_key)


def test_acceptance_into_2027_succeeds_and_is_shown_provisional(demo_bundles, datahub_settings, mother, client):
    case, check = accept_on_monday(mother)
    days = intake_selectors.bundle_days(case)
    assert case.state in {"accepted", "processing"}
    assert (case.due_date, case.due_date_provisional) == due_after(start=MONDAY, days=days)
    assert case.due_date_provisional and case.due_date.year == 2027
    assert (check.due_date, check.due_date_provisional) == (date(2027, 1, 4), True)
    accepted = AuditEvent.objects.get(action="case.accepted", case_number=case.number)
    assert accepted.after["due_date_provisional"] is True

    client.force_login(mother)
    citizen = client.get(reverse("apply:case", args=[case.number])).content.decode()
    assert citizen.count('data-provisional="1"') >= 3  # the summary box, the sentence, the deferral
    assert "（暂定）" in citizen
    client.force_login(clerk())
    console = client.get(reverse("intake:case", args=[case.number])).content.decode()
    due_line = console.split('id="due-date"')[1].split("</dd>")[0]
    assert f"{case.due_date:%Y-%m-%d}" in due_line and "（暂定）" in due_line
    queue = client.get(reverse("intake:mine")).content.decode()
    assert "（暂定）" in queue


def test_entering_2027_recomputes_clears_and_audits(demo_bundles, datahub_settings, mother, client):
    case, check = accept_on_monday(mother)
    provisional_due = case.due_date
    item_case = case.item_cases.order_by("-committed_days", "pk").first()
    dispatched_at = timezone.make_aware(datetime.combine(MONDAY, time(11)), SHANGHAI)
    item_due = due_after(start=MONDAY, days=item_case.committed_days)
    assert item_due.provisional
    ItemCase.objects.filter(pk=item_case.pk).update(
        dispatched_at=dispatched_at, due_date=item_due.day, due_date_provisional=True
    )
    untouched = online_case(mother)  # not accepted: nothing to recompute

    row = enter_2027()

    assert row.recomputed_cases == 1
    case.refresh_from_db()
    check.refresh_from_db()
    item_case.refresh_from_db()
    expected = add_working_days(start=MONDAY, days=intake_selectors.bundle_days(case))
    assert (case.due_date, case.due_date_provisional) == (expected, False)
    assert (check.due_date, check.due_date_provisional) == (date(2027, 1, 5), False)  # 元旦 is off
    assert item_case.due_date == add_working_days(start=MONDAY, days=item_case.committed_days)
    assert not item_case.due_date_provisional
    event = AuditEvent.objects.get(action="case.due_dates_recomputed")
    assert event.case_number == case.number
    assert event.before["case"] == {"due_date": provisional_due.isoformat(), "provisional": True}
    assert event.after["case"] == {"due_date": expected.isoformat(), "provisional": False}
    assert event.after[f"material:{check.key}"] == {"due_date": "2027-01-05", "provisional": False}
    assert event.after[f"item:{item_case.item_code}"]["provisional"] is False
    assert not AuditEvent.objects.filter(action="case.due_dates_recomputed", case_number=untouched.number).exists()

    client.force_login(mother)
    assert 'data-provisional="1"' not in client.get(reverse("apply:case", args=[case.number])).content.decode()

    # entering the year again changes nothing more, and writes no second event
    assert enter_2027().recomputed_cases == 0
    assert AuditEvent.objects.filter(action="case.due_dates_recomputed").count() == 1


def test_dispatch_into_2027_stores_a_provisional_due_date(demo_bundles, datahub_settings, mother, monkeypatch):
    from onething.processing import services as processing_services

    case, _check = accept_on_monday(mother)
    item_case = case.item_cases.order_by("-committed_days", "pk").first()
    ItemCase.objects.filter(pk=item_case.pk).update(state="dispatching")
    item_case.refresh_from_db()
    real = timezone.localdate
    monkeypatch.setattr(
        processing_services,
        "timezone",
        SimpleNamespace(localdate=lambda *a, **k: MONDAY if not a else real(*a, **k), now=timezone.now),
    )
    processing_services._dispatched(item_case, "DEPT-REF-1")
    item_case.refresh_from_db()
    assert (item_case.due_date, item_case.due_date_provisional) == due_after(
        start=MONDAY, days=item_case.committed_days
    )
    assert item_case.due_date_provisional


def test_the_admin_page_reports_the_recomputation(demo_bundles, datahub_settings, mother, admin_client):
    accept_on_monday(mother)
    response = admin_client.post(
        reverse("admin:workdays_calendaryear_enter"),
        {
            "year": "2027",
            "note": NOTE_2027,
            "holidays": "2027-01-01 元旦\n2027-02-05..2027-02-12 春节\n",
            "workdays": "2027-02-20 春节调休\n",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "已重算 1 个办件的暂定期限" in response.content.decode()


# --- the warning -------------------------------------------------------------------------------


def test_warning_from_60_days_before_the_last_scheduled_day():
    assert selectors.schedule_warning(today=date(2026, 10, 31)) is None  # 61 days before 31 December
    warning = selectors.schedule_warning(today=date(2026, 11, 1))
    assert (warning.last_day, warning.days_left, warning.next_year) == (date(2026, 12, 31), 60, 2027)
    assert "2027" in warning.message and "还剩 60 天" in warning.message
    assert selectors.schedule_warning(today=date(2026, 12, 31)).days_left == 0
    assert selectors.schedule_warning(today=date(2027, 1, 5)).days_left == -5
    enter_2027()
    assert selectors.schedule_warning(today=date(2026, 12, 7)) is None
    assert selectors.schedule_warning(today=date(2027, 11, 1)).next_year == 2028


@pytest.fixture
def on_day(monkeypatch):
    """Fix the warning's "today" (only in the selectors module)."""

    def fix(day: date) -> None:
        monkeypatch.setattr(selectors, "timezone", SimpleNamespace(localdate=lambda: day))

    return fix


def test_health_reports_the_warning_and_stays_200(client, monkeypatch, on_day):
    from onething.operations import health

    monkeypatch.setitem(health._FUNCTIONS, "broker", lambda: None)
    health.clear_cache()
    on_day(date(2026, 11, 1))
    response = client.get("/healthz?scope=web")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["warnings"] == {"workday_schedule": {"last_day": "2026-12-31", "days_left": 60}}
    on_day(date(2026, 10, 31))
    assert "warnings" not in client.get("/healthz?scope=web").json()
    health.clear_cache()


def test_metrics_report_the_days_left():
    from onething.operations.metrics import _workday_metrics

    def days_left() -> float:
        (family,) = list(_workday_metrics())
        assert family.name == "onething_workday_schedule_days_left"
        return family.samples[0].value

    today = timezone.localdate()
    assert days_left() == (date(2026, 12, 31) - today).days
    enter_2027()
    assert days_left() == (date(2027, 12, 31) - today).days


def test_dashboard_and_admin_index_show_the_warning(admin_client, admin_user, on_day):
    on_day(date(2026, 12, 7))
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert 'id="schedule-warning"' in index and "还剩 24 天" in index
    dashboard = admin_client.get(reverse("oversight:dashboard")).content.decode()
    assert 'id="schedule-warning"' in dashboard and "2027" in dashboard
    on_day(date(2026, 10, 1))
    assert 'id="schedule-warning"' not in admin_client.get(reverse("admin:index")).content.decode()
