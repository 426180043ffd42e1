"""Admin speed: every changelist of the admin costs a number of queries that does not grow
with its rows (no N+1: related objects are joined by list_select_related), within a
ceiling; the admin index too. And the audit trail's changelist reads as words: the action's
Chinese name and a short ``field: old → new`` change."""

from datetime import date

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from onething.audit import services as audit
from onething.cases.models import Case
from onething.catalog.models import Department
from onething.intake.models import Clerk, ServiceCentre
from onething.issuance.models import Delivery, IssuedLicence
from onething.notifications.models import Notification, SmsOutbox
from onething.processing.models import CallbackReceipt, ItemCase, Officer

pytestmark = pytest.mark.django_db

#: No changelist may need more queries than this, whatever its rows (session, user, count,
#: the page, a filter's choices, the admin's own reads).
CHANGELIST_CEILING = 12
INDEX_CEILING = 6


def _rows(version, centre, department, *, start: int, count: int) -> None:
    """``count`` cases with one of everything the admin lists about a case."""
    User = get_user_model()
    for n in range(start, start + count):
        number = f"T-BIRTH-20261120-{n:04d}"
        applicant = User.objects.create_user(username=f"3101041992031{n:05d}", password="x", full_name=f"申请人{n}")
        clerk = User.objects.create_user(username=f"clerk-{n}", password="x", role="clerk", full_name=f"窗口{n}")
        Clerk.objects.create(user=clerk, centre=centre)
        officer = User.objects.create_user(username=f"officer-{n}", password="x", role="officer")
        Officer.objects.create(user=officer, department=department)
        case = Case.objects.create(
            number=number, version=version, applicant=applicant, centre=centre, owner=clerk, idempotency_key=number
        )
        item = ItemCase.objects.create(
            case=case,
            item_code="t-birth",
            item_name="出生医学证明",
            department=department,
            state="approved",
            committed_days=5,
            idempotency_key=f"{number}:t-birth",
        )
        IssuedLicence.objects.create(
            case=case, item_case=item, licence_type="t", title="证", number=f"L{n}", holder="h", issuer="i"
        )
        Delivery.objects.create(case=case, method=Delivery.Method.PICKUP, centre=centre)
        CallbackReceipt.objects.create(event_id=f"e{n}", department=department, item_case=item, payload={})
        note = Notification.objects.create(
            recipient=applicant,
            case_number=number,
            channel="sms",
            address="13916880001",
            subject="s",
            body="b",
            dedup_key=f"d{n}",
        )
        SmsOutbox.objects.create(notification=note, mobile="13916880001", body="b")
        audit.record(
            action="case.accepted",
            actor=clerk,
            case_number=number,
            obj=case,
            before={"state": "submitted"},
            after={"state": "accepted", "due_date": date(2026, 12, 1).isoformat()},
        )


@pytest.fixture
def world(published_sample):
    centre = ServiceCentre.objects.create(code="t-east", name="东区中心")
    department = Department.objects.get(code="health")
    get_user_model().objects.create_superuser(username="root-1", password="x", role="admin")
    return published_sample, centre, department


def _changelists() -> list[str]:
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") for model in admin.site._registry
    ]


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_changelists_do_not_grow_with_their_rows(client, world):
    version, centre, department = world
    client.force_login(get_user_model().objects.get(username="root-1"))
    _rows(version, centre, department, start=1, count=2)
    few = {url: _queries(client, url) for url in _changelists()}
    _rows(version, centre, department, start=3, count=6)
    many = {url: _queries(client, url) for url in _changelists()}
    assert many == few  # no query per row
    over = {url: n for url, n in many.items() if n > CHANGELIST_CEILING}
    assert not over, over
    assert _queries(client, reverse("admin:index")) <= INDEX_CEILING


def test_the_audit_changelist_reads_as_words(client, world):
    version, centre, department = world
    client.force_login(get_user_model().objects.get(username="root-1"))
    _rows(version, centre, department, start=1, count=1)
    audit.record(action="t.something_new", after={"x": 1})
    page = client.get(reverse("admin:audit_auditevent_changelist")).content.decode()
    assert "受理（case.accepted）" in page
    assert "状态: submitted → accepted" in page and "承诺办结日期: 2026-12-01" in page
    assert "t.something_new" in page and "x: 1" in page
    assert '{"state"' not in page  # no raw JSON in the list


def test_big_unfiltered_lists_take_the_estimate_filtered_ones_count(world, monkeypatch):
    from onething.audit.models import AuditEvent
    from onething.common import admin_paginator

    audit.record(action="t.one", after={})
    audit.record(action="t.two", after={})
    exact = AuditEvent.objects.count()  # the sample's publication is audited too
    assert admin_paginator.LargeTablePaginator(AuditEvent.objects.all(), 100).count == exact  # SQLite: exact
    monkeypatch.setattr(admin_paginator, "_estimated_rows", lambda alias, table: 5_000_000)
    assert admin_paginator.LargeTablePaginator(AuditEvent.objects.all(), 100).count == 5_000_000
    assert admin_paginator.LargeTablePaginator(AuditEvent.objects.filter(action="t.one"), 100).count == 1
    monkeypatch.setattr(admin_paginator, "_estimated_rows", lambda alias, table: 500)
    assert admin_paginator.LargeTablePaginator(AuditEvent.objects.all(), 100).count == exact  # small: exact
