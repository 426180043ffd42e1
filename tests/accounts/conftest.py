"""Helpers of the accounts tests."""

import re

import pytest

from services.datahub import demo_identities as demo

PASSWORD = "Citizen-pass-2026"


def signup_data(person=demo.MOTHER, **override):
    """The sign-up page's fields (step 1) for a demo person."""
    data = {"id_number": person.id_number, "full_name": person.name, "password1": PASSWORD, "password2": PASSWORD}
    return {**data, **override}


def enterprise_signup_data(**override):
    """The sign-up page's fields for the demo enterprise, by its legal representative."""
    enterprise = {
        "id_number": demo.ENTERPRISE_CREDIT_CODE,
        "full_name": demo.ENTERPRISE_NAME,
        "representative_id_number": demo.LEGAL_REP.id_number,
        "representative_name": demo.LEGAL_REP.name,
    }
    return signup_data(**{**enterprise, **override})


def api_signup_data(person=demo.CITIZEN, **override):
    """The API's sign-up body (step 1) for a demo person."""
    data = {"id_number": person.id_number, "full_name": person.name, "password": PASSWORD}
    return {**data, **override}


def api_enterprise_data(**override):
    """The API's sign-up body for the demo enterprise, by its legal representative."""
    enterprise = {
        "id_number": demo.ENTERPRISE_CREDIT_CODE,
        "full_name": demo.ENTERPRISE_NAME,
        "representative_id_number": demo.LEGAL_REP.id_number,
        "representative_name": demo.LEGAL_REP.name,
    }
    return api_signup_data(**{**enterprise, **override})


def sms_to(mobile: str) -> list[str]:
    """Deliver the pending SMS (as the worker would) and return the texts of the SMS outbox
    sent to ``mobile``, oldest first: where the demo shows the codes."""
    from onething.notifications import services as notifications
    from onething.notifications.models import Notification, SmsOutbox

    for pk in Notification.objects.filter(channel="sms", state="pending").values_list("pk", flat=True):
        notifications.deliver(notification_id=pk)
    return list(SmsOutbox.objects.filter(mobile=mobile).order_by("created_at", "pk").values_list("body", flat=True))


def code_sent_to(mobile: str) -> str:
    """The code of the latest sign-up SMS to ``mobile`` (fails if none was sent)."""
    codes = [match for body in sms_to(mobile) for match in re.findall(r"验证码为 (\d{6})", body)]
    assert codes, f"no sign-up code was sent to {mobile}"
    return codes[-1]


def all_sms_codes() -> list[str]:
    """Every sign-up code in the SMS outbox, whoever it went to."""
    from onething.notifications.models import SmsOutbox

    sms_to("-")
    return [m for body in SmsOutbox.objects.values_list("body", flat=True) for m in re.findall(r"\d{6}", body)]


def with_wrong_check_digit(id_number: str) -> str:
    last = id_number[-1]
    return id_number[:-1] + ("0" if last != "0" else "1")


@pytest.fixture
def account(db):
    """An existing citizen account (the demo citizen) with password ``PASSWORD``."""
    from onething.accounts.models import User

    return User.objects.create_user(
        username=demo.CITIZEN.id_number,
        password=PASSWORD,
        id_number=demo.CITIZEN.id_number,
        full_name=demo.CITIZEN.name,
        mobile=demo.CITIZEN.mobile,
        role=User.Role.CITIZEN,
        real_name_verified=True,
    )


@pytest.fixture
def login_limit(settings):
    """A small failure limit so throttling tests stay short."""
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_WINDOW_MINUTES = 15
    return 3
