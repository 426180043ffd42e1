"""Fixtures for the rating and rectification tests: concluded cases built directly (a
published sample bundle, a Case and its ItemCase rows), and one user per role.

Import the fixtures you use into a test module: ``from tests.oversight.ratings_support import *``.
"""

from datetime import datetime
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from onething.cases.models import Case
from onething.catalog.models import Department
from onething.intake.models import Clerk, ServiceCentre
from onething.processing.models import ItemCase, Officer

SHANGHAI = ZoneInfo("Asia/Shanghai")
_numbers = count(1)


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment in Shanghai time."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def make_user(username: str, role: str, **extra):
    return get_user_model().objects.create_user(
        username=username, password="Test-pass-2026", role=role, full_name=username, **extra
    )


def concluded_case(
    version,
    applicant,
    *,
    state: str = Case.State.CONCLUDED,
    channel: str = Case.Channel.ONLINE,
    centre=None,
    items: dict[str, str] | None = None,
) -> Case:
    """A case in ``state`` with one item case per ``{department code: item state}``."""
    n = next(_numbers)
    case = Case.objects.create(
        number=f"T-RATE-{n:05d}",
        version=version,
        applicant=applicant,
        channel=channel,
        centre=centre,
        state=state,
        idempotency_key=f"rate-{n}",
    )
    items = items if items is not None else {"health": ItemCase.State.APPROVED, "police": ItemCase.State.APPROVED}
    for index, (code, item_state) in enumerate(items.items()):
        ItemCase.objects.create(
            case=case,
            item_code=f"item-{index}",
            item_name=f"事项{index}",
            department=Department.objects.get(code=code),
            state=item_state,
            committed_days=5,
            idempotency_key=f"{case.number}-{index}",
        )
    return case


@pytest.fixture
def centre(db):
    return ServiceCentre.objects.create(code="t-centre", name="测试服务中心")


@pytest.fixture
def other_centre(db):
    return ServiceCentre.objects.create(code="t-centre-2", name="另一服务中心")


@pytest.fixture
def people(published_sample, centre, other_centre):
    """citizen A (the applicant), citizen B, an officer of health (rated), an officer of
    police (another department), a clerk of the centre, a clerk of another centre, an admin."""
    users = {
        "citizen_a": make_user("citizen-a", "citizen", mobile="13916880001", email="a@example.com"),
        "citizen_b": make_user("citizen-b", "citizen", mobile="13916880002"),
        "officer_health": make_user("officer-h", "officer", email="h@example.com"),
        "officer_police": make_user("officer-p", "officer", email="p@example.com"),
        "clerk": make_user("clerk-1", "clerk", email="c@example.com"),
        "clerk_other": make_user("clerk-2", "clerk"),
        "admin": make_user("admin-1", "admin", email="admin@example.com"),
    }
    Officer.objects.create(user=users["officer_health"], department=Department.objects.get(code="health"))
    Officer.objects.create(user=users["officer_police"], department=Department.objects.get(code="police"))
    Clerk.objects.create(user=users["clerk"], centre=centre)
    Clerk.objects.create(user=users["clerk_other"], centre=other_centre)
    return users


@pytest.fixture
def case(published_sample, people):
    """Citizen A's concluded online case: health and police both approved."""
    return concluded_case(published_sample, people["citizen_a"])


@pytest.fixture
def window_case(published_sample, people, centre):
    """Citizen A's concluded case filed at the window of ``centre``."""
    return concluded_case(published_sample, people["citizen_a"], channel=Case.Channel.WINDOW, centre=centre)
