"""Passwords like the ID number, the name or the mobile number, or of digits only, are refused
wherever a password is set: sign-up (services, page, API) and the admin's password forms."""

import pytest
from django.test import Client

from onething.accounts import services
from onething.accounts.models import User
from services.datahub import demo_identities as demo

from .conftest import PASSWORD, api_signup_data, signup_data

pytestmark = pytest.mark.django_db

CITIZEN_CASES = {
    "the ID number": (demo.MOTHER.id_number, "password_too_similar"),
    "the ID number in lower case": (demo.MOTHER.id_number.lower(), "password_too_similar"),
    "digits only": ("8402719365", "password_entirely_numeric"),
}


def password_codes(problems) -> list[str]:
    return [error.code for error in problems.get("password", [])]


@pytest.mark.parametrize(("password", "code"), CITIZEN_CASES.values(), ids=CITIZEN_CASES.keys())
def test_sign_up_refuses_a_password_from_the_identity(password, code):
    problems = services.sign_up_problems(id_number=demo.MOTHER.id_number, full_name=demo.MOTHER.name, password=password)
    assert code in password_codes(problems)
    assert all(error.message and error.message_en for error in problems["password"])


def test_sign_up_refuses_the_enterprise_name_or_credit_code():
    for password in (demo.ENTERPRISE_NAME, demo.ENTERPRISE_CREDIT_CODE):
        problems = services.sign_up_problems(
            id_number=demo.ENTERPRISE_CREDIT_CODE,
            full_name=demo.ENTERPRISE_NAME,
            password=password,
        )
        assert "password_too_similar" in password_codes(problems), password


def test_the_similarity_message_names_the_field_in_both_languages():
    problems = services.sign_up_problems(
        id_number=demo.MOTHER.id_number, full_name=demo.MOTHER.name, password="Aa" + "x" * 8
    )
    assert not problems  # a good password is accepted
    problems = services.sign_up_problems(
        id_number=demo.MOTHER.id_number,
        full_name=demo.MOTHER.name,
        password=demo.MOTHER.id_number,
    )
    similar = next(e for e in problems["password"] if e.code == "password_too_similar")
    assert similar.message == "密码与您的证件号码太相似，请换一个"
    assert similar.message_en == "The password is too similar to the ID number."


def test_the_sign_up_page_and_api_refuse_it(client):
    page = client.post(
        "/accounts/signup/", signup_data(password1=demo.MOTHER.id_number, password2=demo.MOTHER.id_number)
    )
    assert page.status_code == 400 and "密码与您的证件号码太相似" in page.content.decode()
    response = client.post(
        "/api/accounts/signup/", api_signup_data(password=demo.CITIZEN.mobile), content_type="application/json"
    )
    assert response.status_code == 400
    details = {(d["field"], d["code"]) for d in response.json()["error"]["details"]}
    assert ("password", "password_entirely_numeric") in details
    assert not User.objects.exists()


def test_a_password_like_the_hub_mobile_gets_no_code_and_is_told_only_to_that_mobile(client, datahub_settings):
    """The mobile is the hub's, not typed: the check runs once the hub answered, and its
    outcome goes to that mobile only; the response is the same as for any sign-up."""
    from .conftest import sms_to

    weak = "Z" + demo.CITIZEN.mobile
    response = client.post("/api/accounts/signup/", api_signup_data(password=weak), content_type="application/json")
    good = client.post("/api/accounts/signup/", api_signup_data(), content_type="application/json")
    assert response.status_code == good.status_code == 202
    assert {k for k in response.json() if k != "token"} == {k for k in good.json() if k != "token"}
    bodies = sms_to(demo.CITIZEN.mobile)
    assert any("密码与本手机号码太相似" in body for body in bodies)
    assert sum("验证码为" in body for body in bodies) == 1  # only the good sign-up got a code


# --- the admin's password forms ----------------------------------------------------------------


@pytest.fixture
def admin_client(db):
    root = User.objects.create_superuser(username="root", password="Root-pass-2026", role=User.Role.ADMIN)
    client = Client()
    client.force_login(root)
    return client


@pytest.mark.parametrize("password", [demo.CITIZEN.id_number, demo.CITIZEN.mobile, "8402719365"])
def test_the_admin_cannot_set_a_password_from_the_identity(admin_client, account, password):
    response = admin_client.post(
        f"/admin/accounts/user/{account.pk}/password/",
        {"usable_password": "true", "password1": password, "password2": password},
    )
    assert response.status_code == 200  # the form again, with the error
    account.refresh_from_db()
    assert account.check_password(PASSWORD) and not account.check_password(password)


def test_the_admin_cannot_create_an_account_with_such_a_password(admin_client):
    number = demo.MOTHER.id_number
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": number,
            "usable_password": "true",
            "password1": number,
            "password2": number,
            "role": "citizen",
            "id_number": number,
            "full_name": demo.MOTHER.name,
            "mobile": demo.MOTHER.mobile,
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(username=number).exists()


def test_staff_cannot_change_their_own_password_to_their_mobile(db):
    clerk = User.objects.create_user(
        username="clerk-x", password="Clerk-pass-2026", role=User.Role.CLERK, mobile="13916889999", is_staff=True
    )
    client = Client()
    client.force_login(clerk)
    response = client.post(
        "/admin/password_change/",
        {"old_password": "Clerk-pass-2026", "new_password1": "13916889999", "new_password2": "13916889999"},
    )
    assert response.status_code == 200
    clerk.refresh_from_db()
    assert clerk.check_password("Clerk-pass-2026")
