"""Sign-up and login rules, called directly (the pages and the API are thin layers over them)."""

import re

import pytest

from onething.accounts import services
from onething.accounts.models import User
from onething.identity.masking import mask_id_number, mask_mobile
from services.datahub import demo_identities as demo

from .conftest import PASSWORD, all_sms_codes, code_sent_to, sms_to, with_wrong_check_digit

pytestmark = pytest.mark.django_db


def start(person=demo.MOTHER, **override):
    values = {"id_number": person.id_number, "full_name": person.name, "password": PASSWORD}
    return services.sign_up_start(**{**values, **override})


def sign_up(person=demo.MOTHER, **override):
    """Both steps, with the code from the SMS outbox."""
    started = start(person, **override)
    return services.sign_up_verify(token=started.token, code=code_sent_to(person.mobile))


def field_codes(error: services.SignUpError) -> dict[str, list[str]]:
    return {name: [e.code for e in errors] for name, errors in error.fields.items()}


def test_citizen_sign_up_checks_real_name(datahub_settings):
    user = sign_up(id_number=demo.MOTHER.id_number.lower())
    assert user.role == User.Role.CITIZEN
    assert user.username == user.id_number == demo.MOTHER.id_number.upper()
    assert user.real_name_verified and user.full_name == demo.MOTHER.name and user.mobile == demo.MOTHER.mobile
    assert user.check_password(PASSWORD)


def test_real_name_mismatch_sends_no_code_and_creates_nothing(datahub_settings):
    started = start(full_name="林晓")
    assert started.message == services.CODE_SENT_MESSAGE  # the usual answer
    assert sms_to(demo.MOTHER.mobile) == []
    with pytest.raises(services.SignUpError) as refused:
        services.sign_up_verify(token=started.token, code="123456")
    assert field_codes(refused.value) == {"code": ["invalid_code"]}
    assert not User.objects.exists()


def test_local_checks_come_before_the_hub(datahub_down):
    """Invalid input is refused with per-field messages without asking the hub."""
    with pytest.raises(services.SignUpError) as refused:
        start(id_number=with_wrong_check_digit(demo.MOTHER.id_number), password="123", full_name=" ")
    codes = field_codes(refused.value)
    assert codes["id_number"] == ["resident_id"]
    assert codes["full_name"] == ["required"]
    assert "password_too_short" in codes["password"]
    for errors in refused.value.fields.values():
        assert all(e.message and e.message_en and e.message != e.message_en for e in errors)
    assert any("8" in e.message and "密码" in e.message for e in refused.value.fields["password"])


def test_an_enterprise_names_its_legal_representative(datahub_down):
    with pytest.raises(services.SignUpError) as refused:
        start(
            id_number=demo.ENTERPRISE_CREDIT_CODE,
            full_name=demo.ENTERPRISE_NAME,
            representative_id_number=with_wrong_check_digit(demo.LEGAL_REP.id_number),
        )
    assert field_codes(refused.value) == {
        "representative_id_number": ["resident_id"],
        "representative_name": ["required"],
    }


def test_unknown_identifier_shape_is_refused(datahub_down):
    with pytest.raises(services.SignUpError) as refused:
        start(id_number="12345")
    assert field_codes(refused.value)["id_number"] == ["id_number"]


def test_a_registered_identity_gets_no_code(datahub_settings):
    sign_up()
    started = start()
    assert started.message == services.CODE_SENT_MESSAGE
    bodies = sms_to(demo.MOTHER.mobile)
    assert len(bodies) == 2 and "已有账号" in bodies[-1] and not re.search(r"\d{6}", bodies[-1])
    with pytest.raises(services.SignUpError):
        services.sign_up_verify(token=started.token, code=re.findall(r"\d{6}", bodies[0])[0])
    assert User.objects.count() == 1


def test_enterprise_sign_up_by_its_legal_representative(datahub_settings):
    user = sign_up(
        demo.LEGAL_REP,
        id_number=demo.ENTERPRISE_CREDIT_CODE,
        full_name=f" {demo.ENTERPRISE_NAME} ",
        representative_id_number=demo.LEGAL_REP.id_number,
        representative_name=demo.LEGAL_REP.name,
    )
    assert user.role == User.Role.ENTERPRISE and user.real_name_verified
    assert user.username == demo.ENTERPRISE_CREDIT_CODE and user.full_name == demo.ENTERPRISE_NAME
    assert user.mobile == demo.LEGAL_REP.mobile


@pytest.mark.parametrize(
    "override",
    [
        {"full_name": "上海明远科技有限公司"},
        {"representative_name": "孙丽"},
        {"representative_id_number": demo.MOTHER.id_number, "representative_name": demo.MOTHER.name},
    ],
    ids=["not the registered name", "wrong representative name", "someone else as representative"],
)
def test_an_enterprise_that_does_not_check_out_gets_no_code(datahub_settings, override):
    values = {
        "id_number": demo.ENTERPRISE_CREDIT_CODE,
        "full_name": demo.ENTERPRISE_NAME,
        "representative_id_number": demo.LEGAL_REP.id_number,
        "representative_name": demo.LEGAL_REP.name,
    }
    start(**{**values, **override})
    assert all_sms_codes() == []


def test_unregistered_enterprise_gets_no_code(datahub_settings):
    from services.datahub.ids import make_credit_code

    start(
        id_number=make_credit_code("310115", "MA1XXXXX"),
        full_name="不存在的公司",
        representative_id_number=demo.LEGAL_REP.id_number,
        representative_name=demo.LEGAL_REP.name,
    )
    assert all_sms_codes() == []


def test_hub_down_refuses_and_creates_nothing(datahub_down):
    with pytest.raises(services.SignUpError) as refused:
        start()
    assert refused.value.code == "verification_unavailable"
    assert refused.value.message == "实名核验服务暂时不可用，请稍后再试"
    assert not User.objects.exists()


def test_masks():
    assert mask_id_number("310104199203150469") == "3101**********0469"
    assert mask_id_number("91310115MA1H7Q2KXA") == "9131**********2KXA"
    assert mask_id_number(None) == "" and mask_id_number("abc") == "*bc"
    assert mask_mobile("13916880001") == "139****0001"


def test_a_walk_in_applicant_claims_the_window_account_online(datahub_settings, db):
    """A person first served at a window (account without password) signs up online with the
    same ID number, proving it with the code sent to the hub's mobile, and then sees the cases
    filed for them."""
    from onething.intake.services import walk_in_applicant

    walk_in = walk_in_applicant(id_number=demo.CITIZEN.id_number, full_name=demo.CITIZEN.name)
    assert not walk_in.has_usable_password()
    claimed = sign_up(demo.CITIZEN, password="Claim-it-2026!")
    assert claimed.pk == walk_in.pk and claimed.check_password("Claim-it-2026!") and claimed.real_name_verified
    started = start(demo.CITIZEN, password="Claim-it-2026!")  # now it is taken: no code
    with pytest.raises(services.SignUpError):
        services.sign_up_verify(token=started.token, code=code_sent_to(demo.CITIZEN.mobile))
