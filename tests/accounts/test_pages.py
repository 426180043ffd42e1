"""The sign-up, login and logout pages."""

import re

import pytest
from axes.models import AccessAttempt
from django.test import Client

from onething.accounts.models import User
from services.datahub import demo_identities as demo

from .conftest import PASSWORD, signup_data, with_wrong_check_digit

pytestmark = pytest.mark.django_db


def html_of(response) -> str:
    return response.content.decode()


def test_signup_page_has_labelled_fields_and_links_to_login(client):
    html = html_of(client.get("/accounts/signup/?next=/bundles/x/"))
    for name, label in [
        ("id_number", "证件号码"),
        ("full_name", "姓名/企业名称"),
        ("mobile", "手机号码"),
        ("password1", "密码"),
        ("password2", "确认密码"),
    ]:
        assert f'<label for="id_{name}">{label}</label>' in html
        assert f'name="{name}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'href="/accounts/login/?next=/bundles/x/"' in html
    assert 'name="next" value="/bundles/x/"' in html


def test_signup_with_real_identity_logs_in_and_redirects(client, datahub_settings):
    response = client.post("/accounts/signup/", signup_data())
    assert response.status_code == 302 and response["Location"] == "/my/"
    user = User.objects.get(id_number=demo.MOTHER.id_number)
    assert user.real_name_verified and user.role == User.Role.CITIZEN
    assert int(client.session["_auth_user_id"]) == user.pk


def test_signup_redirects_to_safe_next_only(client, datahub_settings):
    response = client.post("/accounts/signup/?next=/bundles/t/", signup_data())
    assert response["Location"] == "/bundles/t/"
    other = Client()
    data = signup_data(demo.FATHER, next="https://evil.example/")
    assert other.post("/accounts/signup/", data)["Location"] == "/my/"


def test_wrong_name_is_refused_on_the_field(client, datahub_settings):
    response = client.post("/accounts/signup/", signup_data(full_name="林晓"))
    html = html_of(response)
    assert response.status_code == 400
    assert "实名核验未通过" in html
    assert re.search(r'<input[^>]*name="full_name"[^>]*aria-invalid="true"', html)
    assert re.search(r'<input[^>]*name="full_name"[^>]*autofocus', html)
    assert 'aria-describedby="id_full_name_helptext id_full_name_error"' in html
    assert not User.objects.exists()


def test_invalid_checksum_and_password_mismatch(client, datahub_settings):
    data = signup_data(id_number=with_wrong_check_digit(demo.MOTHER.id_number), password2="something-else-1")
    html = html_of(client.post("/accounts/signup/", data))
    assert "两次输入的密码不一致" in html
    assert "居民身份证号码有误" in html or "校验码" in html
    assert re.search(r'<input[^>]*name="id_number"[^>]*autofocus', html)  # the first field in error
    assert not User.objects.exists()


def test_duplicate_is_refused(client, datahub_settings, account):
    html = html_of(client.post("/accounts/signup/", signup_data(demo.CITIZEN)))
    assert "该证件号码已注册" in html
    assert User.objects.count() == 1


def test_enterprise_signup(client, datahub_settings):
    data = signup_data(
        id_number=demo.ENTERPRISE_CREDIT_CODE.lower(), full_name=demo.ENTERPRISE_NAME, mobile=demo.LEGAL_REP.mobile
    )
    response = client.post("/accounts/signup/", data)
    assert response.status_code == 302
    user = User.objects.get(username=demo.ENTERPRISE_CREDIT_CODE)
    assert user.role == User.Role.ENTERPRISE and user.full_name == demo.ENTERPRISE_NAME


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
    html = html_of(client.post("/accounts/signup/?lang=en", signup_data(full_name="林晓")))
    assert "real-name check failed" in html
