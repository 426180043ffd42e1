"""Sign-up and login rules, called directly (the pages and the API are thin layers over them)."""

import pytest

from onething.accounts import services
from onething.accounts.models import User
from onething.accounts.selectors import mask_id_number, mask_mobile
from services.datahub import demo_identities as demo

from .conftest import PASSWORD, with_wrong_check_digit

pytestmark = pytest.mark.django_db


def sign_up(person=demo.MOTHER, **override):
    values = {"id_number": person.id_number, "full_name": person.name, "mobile": person.mobile, "password": PASSWORD}
    return services.citizen_sign_up(**{**values, **override})


def field_codes(error: services.SignUpError) -> dict[str, list[str]]:
    return {name: [e.code for e in errors] for name, errors in error.fields.items()}


def test_citizen_sign_up_checks_real_name(datahub_settings):
    user = sign_up(id_number=demo.MOTHER.id_number.lower())
    assert user.role == User.Role.CITIZEN
    assert user.username == user.id_number == demo.MOTHER.id_number.upper()
    assert user.real_name_verified and user.full_name == demo.MOTHER.name and user.mobile == demo.MOTHER.mobile
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    "override",
    [{"full_name": "林晓"}, {"mobile": "13916889999"}],
    ids=["wrong name", "someone else's mobile"],
)
def test_real_name_mismatch_is_refused(datahub_settings, override):
    with pytest.raises(services.SignUpError) as refused:
        sign_up(**override)
    assert field_codes(refused.value) == {"full_name": ["real_name_mismatch"]}
    assert not User.objects.exists()


def test_local_checks_come_before_the_hub(datahub_down):
    """Invalid input is refused with per-field messages without asking the hub."""
    with pytest.raises(services.SignUpError) as refused:
        sign_up(id_number=with_wrong_check_digit(demo.MOTHER.id_number), mobile="12345", password="123", full_name=" ")
    codes = field_codes(refused.value)
    assert codes["id_number"] == ["resident_id"]
    assert codes["mobile"] == ["mobile"]
    assert codes["full_name"] == ["required"]
    assert "password_too_short" in codes["password"]
    for errors in refused.value.fields.values():
        assert all(e.message and e.message_en and e.message != e.message_en for e in errors)
    assert any("8" in e.message and "密码" in e.message for e in refused.value.fields["password"])


def test_unknown_identifier_shape_is_refused(datahub_down):
    with pytest.raises(services.SignUpError) as refused:
        sign_up(id_number="12345")
    assert field_codes(refused.value)["id_number"] == ["id_number"]


def test_duplicate_is_refused(datahub_settings):
    sign_up()
    with pytest.raises(services.SignUpError) as refused:
        sign_up()
    assert field_codes(refused.value) == {"id_number": ["id_taken"]}
    assert User.objects.count() == 1


def test_enterprise_sign_up_by_credit_code(datahub_settings):
    user = sign_up(id_number=demo.ENTERPRISE_CREDIT_CODE, full_name=demo.ENTERPRISE_NAME, mobile=demo.LEGAL_REP.mobile)
    assert user.role == User.Role.ENTERPRISE and user.real_name_verified
    assert user.username == demo.ENTERPRISE_CREDIT_CODE and user.full_name == demo.ENTERPRISE_NAME


def test_enterprise_name_must_be_the_registered_one(datahub_settings):
    with pytest.raises(services.SignUpError) as refused:
        sign_up(id_number=demo.ENTERPRISE_CREDIT_CODE, full_name="上海明远科技有限公司", mobile=demo.LEGAL_REP.mobile)
    assert field_codes(refused.value) == {"full_name": ["enterprise_name_mismatch"]}


def test_unregistered_enterprise_is_refused(datahub_settings):
    from services.datahub.ids import make_credit_code

    with pytest.raises(services.SignUpError) as refused:
        sign_up(id_number=make_credit_code("310115", "MA1XXXXX"), full_name="不存在的公司", mobile="13916889999")
    assert field_codes(refused.value) == {"id_number": ["enterprise_not_found"]}


def test_hub_down_refuses_and_creates_nothing(datahub_down):
    with pytest.raises(services.SignUpError) as refused:
        sign_up()
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
    same ID number after the real-name check and then sees the cases filed for them."""
    from onething.intake.services import walk_in_applicant
    from services.datahub.demo_identities import CITIZEN

    walk_in = walk_in_applicant(id_number=CITIZEN.id_number, full_name=CITIZEN.name)
    assert not walk_in.has_usable_password()
    claimed = services.citizen_sign_up(
        id_number=CITIZEN.id_number, full_name=CITIZEN.name, mobile=CITIZEN.mobile, password="Claim-it-2026!"
    )
    assert claimed.pk == walk_in.pk and claimed.check_password("Claim-it-2026!") and claimed.real_name_verified
    with pytest.raises(services.SignUpError):  # now it is taken
        services.citizen_sign_up(
            id_number=CITIZEN.id_number, full_name=CITIZEN.name, mobile=CITIZEN.mobile, password="Claim-it-2026!"
        )
