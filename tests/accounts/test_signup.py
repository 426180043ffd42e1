"""Sign-up and claim prove control of the identity (pen-test findings H1, H2, M4).

H1: an enterprise is opened by its legal representative, proven by a one-time code sent to
the mobile the data hub holds for them; a person likewise gets the code on the hub's mobile.
H2: the account a clerk opened for a walk-in applicant is claimed only with that proof.
M4: step 1 answers the same whether or not the identity is registered, and is throttled.
"""

import logging
import re

import pytest
from django.test import Client

from onething.accounts import services
from onething.accounts.models import SignupChallenge, User
from onething.audit.models import AuditEvent
from onething.notifications.models import Notification
from services.datahub import demo_identities as demo

from .conftest import PASSWORD, all_sms_codes, api_enterprise_data, api_signup_data, code_sent_to, sms_to

pytestmark = pytest.mark.django_db

START, VERIFY = "/api/accounts/signup/", "/api/accounts/signup/verify/"


def post(client, url, body, address="10.1.0.1"):
    return client.post(url, body, content_type="application/json", REMOTE_ADDR=address)


def start(client, body, address="10.1.0.1"):
    response = post(client, START, body, address)
    assert response.status_code == 202, response.content
    return response


def verify(client, token, code, address="10.1.0.1"):
    return post(client, VERIFY, {"token": token, "code": code}, address)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


# --- H1: an enterprise proves control through its legal representative ------------------------


def test_credit_code_and_name_alone_no_longer_open_an_enterprise_account(client, datahub_settings):
    """The old sign-up body (credit code, registered name, any mobile) creates nothing."""
    old_body = {
        "id_number": demo.ENTERPRISE_CREDIT_CODE,
        "full_name": demo.ENTERPRISE_NAME,
        "mobile": "13912345678",
        "password": PASSWORD,
    }
    response = post(client, START, old_body)
    assert response.status_code == 400
    details = {(d["field"], d["code"]) for d in response.json()["error"]["details"]}
    assert details == {("representative_id_number", "required"), ("representative_name", "required")}
    # someone else named as the legal representative: the usual answer, but no code and no account
    impostor = api_enterprise_data(representative_id_number=demo.MOTHER.id_number, representative_name=demo.MOTHER.name)
    token = start(client, impostor).json()["token"]
    assert not Notification.objects.exists() and all_sms_codes() == []
    for code in ("000000", "123456", "999999"):
        assert verify(client, token, code).status_code == 400
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session


def test_the_code_goes_to_the_legal_representatives_hub_mobile_never_in_the_answer(client, datahub_settings, caplog):
    with caplog.at_level(logging.DEBUG):
        response = start(client, api_enterprise_data())
        code = code_sent_to(demo.LEGAL_REP_MOBILE)  # the SMS outbox, where the demo shows it
    assert code not in response.content.decode() and code not in caplog.text
    assert set(response.json()) == {"token", "message", "message_en", "expires_in_seconds"}
    challenge = SignupChallenge.objects.get()
    assert (
        code not in {challenge.code_hash, challenge.password_hash} and response.json()["token"] != challenge.token_hash
    )

    created = verify(client, response.json()["token"], code)
    assert created.status_code == 201, created.content
    assert code not in created.content.decode()
    user = User.objects.get(username=demo.ENTERPRISE_CREDIT_CODE)
    assert user.role == User.Role.ENTERPRISE and user.real_name_verified
    assert user.full_name == demo.ENTERPRISE_NAME and user.mobile == demo.LEGAL_REP_MOBILE
    assert user.check_password(PASSWORD)
    assert int(client.session["_auth_user_id"]) == user.pk
    assert AuditEvent.objects.filter(action="account.signed_up", object_id=str(user.pk)).exists()
    assert not SignupChallenge.objects.exists()


def test_a_person_gets_the_code_on_the_hub_mobile_not_a_typed_one(client, datahub_settings):
    body = api_signup_data(demo.MOTHER, mobile="13912345678")  # a typed mobile is ignored
    token = start(client, body).json()["token"]
    assert sms_to("13912345678") == []
    code = code_sent_to(demo.MOTHER_MOBILE)
    assert re.fullmatch(r"\d{6}", code)
    assert verify(client, token, code).status_code == 201
    assert User.objects.get(username=demo.MOTHER_ID_NUMBER).mobile == demo.MOTHER_MOBILE


def test_five_wrong_codes_void_the_sign_up(client, datahub_settings):
    token = start(client, api_signup_data()).json()["token"]
    code = code_sent_to(demo.CITIZEN_MOBILE)
    for tries_left in (4, 3, 2, 1):
        refused = verify(client, token, wrong(code))
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_code"
        assert f"还可再试 {tries_left} 次" in refused.json()["error"]["details"][0]["message"]
    assert verify(client, token, wrong(code)).json()["error"]["code"] == "signup_expired"
    assert verify(client, token, code).json()["error"]["code"] == "signup_expired"  # even the right code
    assert not User.objects.exists()


def test_an_expired_code_is_refused(client, datahub_settings):
    from datetime import timedelta

    from django.utils import timezone

    token = start(client, api_signup_data()).json()["token"]
    code = code_sent_to(demo.CITIZEN_MOBILE)
    SignupChallenge.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    refused = verify(client, token, code)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "signup_expired"
    assert not User.objects.exists()


def test_codes_are_six_digits_valid_five_minutes(datahub_settings):
    from datetime import timedelta

    from django.utils import timezone

    started = services.sign_up_start(id_number=demo.FATHER_ID_NUMBER, full_name=demo.FATHER_NAME, password=PASSWORD)
    challenge = SignupChallenge.objects.get()
    assert timedelta(minutes=4, seconds=55) < challenge.expires_at - timezone.now() <= timedelta(minutes=5)
    assert re.fullmatch(r"\d{6}", code_sent_to(demo.FATHER_MOBILE))
    assert started.token and services.CODE_TRIES == 5


# --- H2: the window account is claimed only with the same proof -------------------------------


def test_a_walk_in_enterprise_account_is_not_claimed_with_public_data(client, datahub_settings):
    """The old one-step sign-up claimed the window account (and its cases) with the credit code
    and the name printed on the business licence."""
    from onething.intake.services import walk_in_applicant

    walk_in = walk_in_applicant(id_number=demo.ENTERPRISE_CREDIT_CODE, full_name=demo.ENTERPRISE_NAME)
    old_body = {
        "id_number": demo.ENTERPRISE_CREDIT_CODE,
        "full_name": demo.ENTERPRISE_NAME,
        "mobile": "13912345678",
        "password": "Attacker-pass-2026",
    }
    assert post(client, START, old_body).status_code == 400
    walk_in.refresh_from_db()
    assert not walk_in.has_usable_password() and walk_in.mobile == ""
    assert "_auth_user_id" not in client.session


def test_a_walk_in_account_is_claimed_only_with_the_code_sent_to_the_hub_mobile(client, datahub_settings):
    from onething.intake.services import walk_in_applicant

    walk_in = walk_in_applicant(id_number=demo.CITIZEN_ID_NUMBER, full_name=demo.CITIZEN_NAME, mobile="13800000000")
    body = api_signup_data(demo.CITIZEN, mobile="13912345678", password="Claim-it-2026!")
    token = start(client, body).json()["token"]
    assert sms_to("13912345678") == [] and sms_to("13800000000") == []
    code = code_sent_to(demo.CITIZEN_MOBILE)

    assert verify(client, token, wrong(code)).status_code == 400
    walk_in.refresh_from_db()
    assert not walk_in.has_usable_password()

    claimed = verify(client, token, code)
    assert claimed.status_code == 201 and claimed.json()["id"] == walk_in.pk
    walk_in.refresh_from_db()
    assert walk_in.check_password("Claim-it-2026!") and walk_in.real_name_verified
    assert walk_in.mobile == demo.CITIZEN_MOBILE  # the hub's, neither the typed one nor the window's
    assert User.objects.count() == 1
    assert AuditEvent.objects.filter(action="account.claimed", object_id=str(walk_in.pk)).exists()

    # claimed now: a second sign-up gets the same answer and no code
    again = start(Client(), body, address="10.1.0.2")
    assert again.status_code == 202
    assert len([b for b in sms_to(demo.CITIZEN_MOBILE) if "验证码为" in b]) == 1


def test_a_walk_in_enterprise_account_is_claimed_by_its_legal_representative(client, datahub_settings):
    from onething.intake.services import walk_in_applicant

    walk_in = walk_in_applicant(id_number=demo.ENTERPRISE_CREDIT_CODE, full_name=demo.ENTERPRISE_NAME)
    token = start(client, api_enterprise_data(mobile="13912345678")).json()["token"]
    assert verify(client, token, code_sent_to(demo.LEGAL_REP_MOBILE)).status_code == 201
    walk_in.refresh_from_db()
    assert walk_in.has_usable_password() and walk_in.mobile == demo.LEGAL_REP_MOBILE


# --- M4: no oracle, and throttled ---------------------------------------------------------------


def _without_token(response) -> tuple[int, dict]:
    body = response.json()
    return response.status_code, {key: value for key, value in body.items() if key != "token"}


def test_registered_and_unregistered_identities_get_the_same_answer(datahub_settings, account):
    registered = post(Client(), START, api_signup_data(demo.CITIZEN), "10.1.0.1")
    unregistered = post(Client(), START, api_signup_data(demo.FATHER), "10.1.0.2")
    mismatch = post(Client(), START, api_signup_data(demo.MOTHER, full_name="林晓"), "10.1.0.3")
    assert _without_token(registered) == _without_token(unregistered) == _without_token(mismatch)
    assert registered.status_code == 202
    assert registered["Content-Type"] == unregistered["Content-Type"] == mismatch["Content-Type"]
    assert len(registered.content) == len(unregistered.content) == len(mismatch.content)
    # only the unregistered one got a code; the registered one's owner is told on the hub's mobile
    assert re.search(r"\d{6}", " ".join(sms_to(demo.FATHER_MOBILE)))
    assert [re.findall(r"\d{6}", body) for body in sms_to(demo.CITIZEN_MOBILE)] == [[]]
    assert sms_to(demo.MOTHER_MOBILE) == []


def test_the_sign_up_after_the_limit_from_one_address_is_429(client, datahub_settings, settings):
    settings.SIGNUP_THROTTLE_RATES = {"address": "3/hour", "identity": "10/hour"}
    for person in (demo.MOTHER, demo.FATHER, demo.CITIZEN):
        assert post(client, START, api_signup_data(person)).status_code == 202
    refused = post(client, START, api_signup_data(demo.DISHONEST))
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "too_many_attempts" and "频繁" in error["message"] and error["message_en"]
    assert int(refused["Retry-After"]) > 0
    assert post(client, START, api_signup_data(demo.DISHONEST), address="10.1.0.9").status_code == 202
    # the page counts with the API
    page = client.post(
        "/accounts/signup/",
        {**api_signup_data(demo.LEGAL_REP), "password1": PASSWORD, "password2": PASSWORD},
        REMOTE_ADDR="10.1.0.1",
    )
    assert page.status_code == 429 and "注册请求过于频繁" in page.content.decode()


def test_sign_up_is_throttled_per_identity_across_addresses(client, datahub_settings, settings):
    settings.SIGNUP_THROTTLE_RATES = {"address": "100/hour", "identity": "2/hour"}
    for n in range(2):
        assert post(client, START, api_signup_data(), address=f"10.2.0.{n}").status_code == 202
    assert post(client, START, api_signup_data(), address="10.2.0.9").status_code == 429
    assert post(client, START, api_signup_data(demo.FATHER), address="10.2.0.9").status_code == 202


def test_code_guessing_is_throttled_per_address(client, datahub_settings, settings):
    settings.SIGNUP_THROTTLE_RATES = {"address": "3/hour", "identity": "100/hour"}
    for _ in range(3):
        assert verify(client, "no-such-token", "123456", address="10.3.0.1").status_code == 400
    refused = verify(client, "no-such-token", "123456", address="10.3.0.1")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many_attempts"


def test_hub_down_is_503_and_sends_nothing(client, datahub_down):
    response = post(client, START, api_signup_data())
    assert response.status_code == 503 and response.json()["error"]["code"] == "verification_unavailable"
    assert not SignupChallenge.objects.exists() and not Notification.objects.exists()
