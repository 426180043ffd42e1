"""The sign-up, login and logout pages."""

import re

import pytest
from axes.models import AccessAttempt
from django.test import Client

from onething.accounts.models import User
from services.datahub import demo_identities as demo

from .conftest import (
    PASSWORD,
    all_sms_codes,
    code_sent_to,
    enterprise_signup_data,
    signup_data,
    with_wrong_check_digit,
)

pytestmark = pytest.mark.django_db


def html_of(response) -> str:
    return response.content.decode()


def test_signup_page_has_labelled_fields_and_links_to_login(client):
    html = html_of(client.get("/accounts/signup/?next=/bundles/x/"))
    for name, label in [
        ("id_number", "证件号码"),
        ("full_name", "姓名/企业名称"),
        ("representative_id_number", "法定代表人身份证号码（企业填写）"),
        ("representative_name", "法定代表人姓名（企业填写）"),
        ("password1", "密码"),
        ("password2", "确认密码"),
    ]:
        assert f'<label for="id_{name}">{label}</label>' in html
        assert f'name="{name}"' in html
    assert 'name="mobile"' not in html  # the code goes to the mobile the data hub holds
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'href="/accounts/login/?next=/bundles/x/"' in html
    assert 'name="next" value="/bundles/x/"' in html


def finish(client, person, *, next_url=""):
    """Step 2 of the page: the code from the SMS outbox."""
    data = {"code": code_sent_to(person.mobile), **({"next": next_url} if next_url else {})}
    return client.post("/accounts/signup/verify/", data)


def test_signup_with_real_identity_logs_in_and_redirects(client, datahub_settings):
    response = client.post("/accounts/signup/", signup_data())
    assert response.status_code == 302 and response["Location"] == "/accounts/signup/verify/"
    page = html_of(client.get(response["Location"]))
    assert "若信息与政务数据一致，验证码已发送至您在政务数据中登记的手机" in page
    assert '<label for="id_code">短信验证码</label>' in page and 'autocomplete="one-time-code"' in page
    response = finish(client, demo.MOTHER)
    assert response.status_code == 302 and response["Location"] == "/my/"
    user = User.objects.get(id_number=demo.MOTHER.id_number)
    assert user.real_name_verified and user.role == User.Role.CITIZEN and user.mobile == demo.MOTHER.mobile
    assert int(client.session["_auth_user_id"]) == user.pk


def test_signup_redirects_to_safe_next_only(client, datahub_settings):
    response = client.post("/accounts/signup/?next=/bundles/t/", signup_data())
    assert response["Location"] == "/accounts/signup/verify/?next=%2Fbundles%2Ft%2F"
    assert finish(client, demo.MOTHER, next_url="/bundles/t/")["Location"] == "/bundles/t/"
    other = Client()
    data = signup_data(demo.FATHER, next="https://evil.example/")
    assert other.post("/accounts/signup/", data)["Location"] == "/accounts/signup/verify/"
    assert finish(other, demo.FATHER, next_url="https://evil.example/")["Location"] == "/my/"


def test_verify_page_without_a_pending_signup_goes_back_to_step_one(client):
    assert client.get("/accounts/signup/verify/")["Location"] == "/accounts/signup/"


def test_wrong_name_gets_the_usual_answer_and_no_code(client, datahub_settings):
    response = client.post("/accounts/signup/", signup_data(full_name="林晓"))
    assert response.status_code == 302 and response["Location"] == "/accounts/signup/verify/"
    assert all_sms_codes() == []
    for _ in range(4):
        refused = client.post("/accounts/signup/verify/", {"code": "123456"})
        assert refused.status_code == 400 and "验证码错误" in html_of(refused)
        assert re.search(r'<input[^>]*name="code"[^>]*aria-invalid="true"', html_of(refused))
    voided = client.post("/accounts/signup/verify/", {"code": "123456"})
    assert "验证码已失效" in html_of(voided) and 'href="/accounts/signup/"' in html_of(voided)
    assert client.get("/accounts/signup/verify/")["Location"] == "/accounts/signup/"
    assert not User.objects.exists()


def test_invalid_checksum_and_password_mismatch(client, datahub_settings):
    data = signup_data(id_number=with_wrong_check_digit(demo.MOTHER.id_number), password2="something-else-1")
    html = html_of(client.post("/accounts/signup/", data))
    assert "两次输入的密码不一致" in html
    assert "居民身份证号码有误" in html or "校验码" in html
    assert re.search(r'<input[^>]*name="id_number"[^>]*autofocus', html)  # the first field in error
    assert 'aria-describedby="id_id_number_helptext id_id_number_error"' in html
    assert not User.objects.exists()


def test_a_registered_identity_gets_the_usual_answer(client, datahub_settings, account):
    response = client.post("/accounts/signup/", signup_data(demo.CITIZEN))
    assert response.status_code == 302 and response["Location"] == "/accounts/signup/verify/"
    assert "该证件号码已注册" not in html_of(client.get(response["Location"]))
    assert User.objects.count() == 1


def test_enterprise_signup(client, datahub_settings):
    response = client.post("/accounts/signup/", enterprise_signup_data(id_number=demo.ENTERPRISE_CREDIT_CODE.lower()))
    assert response.status_code == 302
    assert finish(client, demo.LEGAL_REP).status_code == 302
    user = User.objects.get(username=demo.ENTERPRISE_CREDIT_CODE)
    assert user.role == User.Role.ENTERPRISE and user.full_name == demo.ENTERPRISE_NAME
    assert user.mobile == demo.LEGAL_REP.mobile


def test_enterprise_without_its_legal_representative_is_asked_for_one(client, datahub_settings):
    data = signup_data(id_number=demo.ENTERPRISE_CREDIT_CODE, full_name=demo.ENTERPRISE_NAME)
    html = html_of(client.post("/accounts/signup/", data))
    assert "请填写法定代表人的居民身份证号码" in html and "请填写法定代表人姓名" in html
    assert not User.objects.exists()


def test_hub_down_shows_message_and_creates_nothing(client, datahub_down):
    response = client.post("/accounts/signup/", signup_data())
    assert response.status_code == 503
    assert "实名核验服务暂时不可用，请稍后再试" in html_of(response)
    assert not User.objects.exists()


def test_login_page_links_to_signup(client):
    html = html_of(client.get("/accounts/login/?next=/my/cases/"))
    assert '<label for="id_identity">证件号码</label>' in html and '<label for="id_password">密码</label>' in html
    assert 'href="/accounts/signup/?next=/my/cases/"' in html


def test_login_success_and_next(client, account):
    response = client.post("/accounts/login/?next=/my/cases/", {"identity": account.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/my/cases/"
    assert int(client.session["_auth_user_id"]) == account.pk


def test_login_lowercase_x_and_default_redirect(client, db):
    person = demo.MOTHER
    User.objects.create_user(username=person.id_number, password=PASSWORD, id_number=person.id_number)
    response = client.post("/accounts/login/", {"identity": f" {person.id_number.lower()} ", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/my/"


def test_login_failure_is_generic(client, account):
    wrong_password = html_of(client.post("/accounts/login/", {"identity": account.username, "password": "nope"}))
    unknown_user = html_of(client.post("/accounts/login/", {"identity": "310101199001011234", "password": "nope"}))
    for html in (wrong_password, unknown_user):
        assert "证件号码或密码错误" in html
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.count() == 2  # one per identity, counted by django-axes


def test_login_throttled_after_limit(client, account, login_limit):
    for _ in range(login_limit - 1):
        response = client.post("/accounts/login/", {"identity": account.username, "password": "wrong"})
        assert response.status_code == 400
    locking = client.post("/accounts/login/", {"identity": account.username, "password": "wrong"})
    assert locking.status_code == 429 and "登录失败次数过多" in html_of(locking)  # the failure that locks says so
    response = client.post("/accounts/login/", {"identity": account.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "登录失败次数过多" in html_of(response) and "分钟" in html_of(response)
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_logout_is_post_only(client, account):
    client.force_login(account)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_csrf_is_required(account):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/accounts/login/", {"identity": account.username, "password": PASSWORD}).status_code == 403
    assert strict.post("/accounts/signup/", signup_data()).status_code == 403
    strict.get("/accounts/login/")
    token = strict.cookies["csrftoken"].value
    response = strict.post(
        "/accounts/login/", {"identity": account.username, "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert strict.post("/accounts/logout/").status_code == 403


def test_english_page_shows_english_service_messages(client, datahub_settings):
    data = signup_data(id_number=demo.ENTERPRISE_CREDIT_CODE, full_name=demo.ENTERPRISE_NAME)
    html = html_of(client.post("/accounts/signup/?lang=en", data))
    assert "enter the legal representative&#x27;s name" in html
