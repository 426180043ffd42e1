"""Helpers of the accounts tests."""

import pytest

from services.datahub import demo_identities as demo

PASSWORD = "Citizen-pass-2026"


def signup_data(person=demo.MOTHER, **override):
    """The sign-up page's fields for a demo person."""
    data = {
        "id_number": person.id_number,
        "full_name": person.name,
        "mobile": person.mobile,
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    return {**data, **override}


def api_signup_data(person=demo.CITIZEN, **override):
    """The API's sign-up body for a demo person."""
    data = {"id_number": person.id_number, "full_name": person.name, "mobile": person.mobile, "password": PASSWORD}
    return {**data, **override}


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
