"""The accounts REST API."""

import pytest
from django.test import Client

from onething.accounts.models import User
from services.datahub import demo_identities as demo

from .conftest import PASSWORD, api_enterprise_data, api_signup_data, code_sent_to, with_wrong_check_digit

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def error_of(response) -> dict:
    body = response.json()["error"]
    assert body["code"] and body["message"] and body["message_en"]
    return body


def test_signup_logs_in_and_me_answers(client, datahub_settings):
    started = post(client, "/api/accounts/signup/", api_signup_data())
    assert started.status_code == 202, started.content
    assert started.json()["message"].startswith("若信息与政务数据一致") and started.json()["expires_in_seconds"] == 300
    assert client.get("/api/accounts/me/").status_code == 403  # not yet
    body = {"token": started.json()["token"], "code": code_sent_to(demo.CITIZEN.mobile)}
    response = post(client, "/api/accounts/signup/verify/", body)
    assert response.status_code == 201, response.content
    assert response.json()["id_number"] == demo.CITIZEN.id_number and response.json()["mobile"] == demo.CITIZEN.mobile
    assert response.json()["role"] == "citizen" and response.json()["real_name_verified"] is True
    me = client.get("/api/accounts/me/")
    assert me.status_code == 200 and me.json()["full_name"] == demo.CITIZEN.name


def test_signup_refusals_carry_field_details(client, datahub_settings, account):
    bad_id = api_signup_data(demo.MOTHER, id_number=with_wrong_check_digit(demo.MOTHER.id_number))
    refused = error_of(post(client, "/api/accounts/signup/", bad_id))
    assert refused["code"] == "invalid_sign_up"
    assert [(d["field"], d["code"]) for d in refused["details"]] == [("id_number", "resident_id")]

    missing = post(client, "/api/accounts/signup/", {"id_number": demo.MOTHER.id_number})
    body = error_of(missing)
    assert missing.status_code == 400 and body["code"] == "invalid_request"
    assert {d["field"] for d in body["details"]} == {"full_name", "password"}

    wrong_code = post(client, "/api/accounts/signup/verify/", {"token": "x", "code": "123456"})
    assert wrong_code.status_code == 400 and error_of(wrong_code)["code"] == "signup_expired"
    assert {d["field"] for d in error_of(post(client, "/api/accounts/signup/verify/", {}))["details"]} == {
        "token",
        "code",
    }
    assert User.objects.count() == 1


def test_enterprise_signup(client, datahub_settings):
    started = post(client, "/api/accounts/signup/", api_enterprise_data())
    assert started.status_code == 202
    body = {"token": started.json()["token"], "code": code_sent_to(demo.LEGAL_REP.mobile)}
    response = post(client, "/api/accounts/signup/verify/", body)
    assert response.status_code == 201 and response.json()["role"] == "enterprise"


def test_signup_with_hub_down_is_503(client, datahub_down):
    response = post(client, "/api/accounts/signup/", api_signup_data())
    assert response.status_code == 503
    body = error_of(response)
    assert body["code"] == "verification_unavailable" and body["message"] == "实名核验服务暂时不可用，请稍后再试"
    assert not User.objects.exists()


def test_login_me_logout(client, account):
    assert client.get("/api/accounts/me/").status_code in {401, 403}
    assert error_of(client.get("/api/accounts/me/"))["code"] == "not_authenticated"

    failed = post(client, "/api/accounts/login/", {"identity": account.username, "password": "wrong"})
    assert failed.status_code == 400 and error_of(failed)["message"] == "证件号码或密码错误"

    response = post(client, "/api/accounts/login/", {"identity": account.username, "password": PASSWORD})
    assert response.status_code == 200 and response.json()["username"] == account.username
    assert client.get("/api/accounts/me/").json()["id_number"] == account.id_number

    assert client.post("/api/accounts/logout/").status_code == 204
    assert client.get("/api/accounts/me/").status_code in {401, 403}


def test_login_throttled_with_429(client, account, login_limit):
    for _ in range(login_limit):
        post(client, "/api/accounts/login/", {"identity": account.username, "password": "wrong"})
    response = post(client, "/api/accounts/login/", {"identity": account.username, "password": PASSWORD})
    assert response.status_code == 429
    body = error_of(response)
    assert body["code"] == "too_many_attempts" and body["details"][0]["retry_after_seconds"] > 0
    assert int(response["Retry-After"]) > 0
    # the page and the API share the count
    assert client.post("/accounts/login/", {"identity": account.username, "password": PASSWORD}).status_code == 429


def test_csrf_is_required_even_when_anonymous(account):
    strict = Client(enforce_csrf_checks=True)
    body = {"identity": account.username, "password": PASSWORD}
    refused = post(strict, "/api/accounts/login/", body)
    assert refused.status_code == 403 and error_of(refused)["code"] == "csrf_failed"
    token = strict.get("/api/accounts/csrf/").json()["csrf_token"]
    response = strict.post("/api/accounts/login/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert strict.post("/api/accounts/logout/").status_code == 403
    token = strict.cookies["csrftoken"].value  # rotated at login
    assert strict.post("/api/accounts/logout/", HTTP_X_CSRFTOKEN=token).status_code == 204


def test_schema_documents_the_endpoints(client):
    schema = client.get("/api/schema/?format=json").json()
    for path in ("signup", "signup/verify", "login", "logout", "me", "csrf"):
        assert f"/api/accounts/{path}/" in schema["paths"]
    assert {"202", "400", "429", "503"} <= set(schema["paths"]["/api/accounts/signup/"]["post"]["responses"])
    assert {"201", "400", "429"} <= set(schema["paths"]["/api/accounts/signup/verify/"]["post"]["responses"])
    login = schema["paths"]["/api/accounts/login/"]["post"]
    assert {"200", "400", "429"} <= set(login["responses"])
    assert {"SignUpRequest", "SignUpStarted", "SignUpVerifyRequest"} <= set(schema["components"]["schemas"])
