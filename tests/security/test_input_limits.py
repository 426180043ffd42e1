"""Input limits and the API's error format (docs/security.md, "Input limits and error format"):

* M1: a request body over the path's limit (1 MiB for the JSON API, the department
  protocol's 2 MiB for callbacks, uploads their own) is refused with a JSON 413 before it is read;
* M2: JSON nested deeper than JSON_MAX_DEPTH is a JSON 400 ``too_deep`` on every API, the
  signed callback and login included; every API error, 4xx or 5xx, DEBUG on or off, is in the
  documented JSON format (Django's own 404/405/500 too), other pages keep their HTML;
* L1: identifiers are normalised by one rule (NFKC, stripped, upper case): a full-width
  resident ID typed with a Chinese input method is checked, stored and sent as ASCII, signs
  up without a 503 or an ERROR log line; digits of other scripts are refused.

The every-endpoint sweep of the same shapes is tests/fuzz/test_abuse.py.
"""

import json
import logging

import pytest
from django.test import Client
from rest_framework.settings import api_settings

from onething.accounts.models import User
from onething.apply import services, validators
from onething.processing.models import CallbackReceipt
from services.datahub import demo_identities as demo
from services.datahub import ids
from services.protocol import signing
from tests.apply.test_submission import complete, start
from tests.processing.test_callbacks import URL as CALLBACK
from tests.processing.test_callbacks import approval, birth  # noqa: F401 (birth is a fixture)

pytestmark = pytest.mark.django_db
DEEP = ("[" * 5000 + "]" * 5000).encode()
DEEP_OBJECT = ('{"a":' * 5000 + "1" + "}" * 5000).encode()
HUGE = b'{"identity": "' + b"x" * (12 * 1024 * 1024) + b'"}'
FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def the_error(response, status: int, code: str | None = None) -> dict:
    """The response is the documented JSON error with this status (and code)."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    error = json.loads(response.content)["error"]
    assert error["code"] and error["message"] and error["message_en"], error
    if code:
        assert error["code"] == code, error
    return error


def no_raise(**kwargs) -> Client:
    return Client(raise_request_exception=False, **kwargs)


def browser() -> Client:
    """A client with a CSRF cookie but no token header: Django's CSRF check then reads the
    form body (DRF parses it) before DRF's content negotiation."""
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string

    client = no_raise(enforce_csrf_checks=True)
    client.cookies[settings.CSRF_COOKIE_NAME] = _get_new_csrf_string()
    return client


# --- M1: body limits ------------------------------------------------------------------------


def test_12_mb_to_an_api_is_a_json_413_not_an_html_400(demo_bundles, mother, caplog):
    signed_in = no_raise()
    signed_in.force_login(mother)
    with caplog.at_level(logging.WARNING):
        for client, url in [
            (no_raise(), "/api/accounts/login/"),
            (no_raise(enforce_csrf_checks=True), "/api/accounts/signup/"),
            (no_raise(), "/api/bundles/child-birth/notice/"),
            (signed_in, "/api/drafts/"),
            (signed_in, "/api/uploads/"),
        ]:
            error = the_error(client.post(url, HUGE, content_type="application/json"), 413, "body_too_large")
            assert error["message"] == "请求内容过大（最多 1 MiB）", url
    assert "refused request to /api/drafts/: body_too_large" in caplog.text


def test_each_path_keeps_its_own_limit(demo_bundles, mother, settings):
    settings.API_MAX_BODY_BYTES = 1024
    over = json.dumps({"identity": "x" * 2000, "password": "x"}).encode()
    the_error(no_raise().post("/api/accounts/login/", over, content_type="application/json"), 413, "body_too_large")
    # a department callback may be as large as the protocol's 2 MiB: refused here for its
    # signature, not its size
    raw = json.dumps({"event_id": "e", "padding": "x" * (1536 * 1024)}).encode()
    callback = no_raise().post("/api/processing/callbacks/hrss/", raw, content_type="application/json")
    the_error(callback, 401, "missing_signature")
    # a file upload keeps its own limit (UPLOAD_MAX_BYTES): a 1.5 MB file reaches the upload check
    from django.core.files.uploadedfile import SimpleUploadedFile

    uploader = no_raise()
    uploader.force_login(mother)
    scan = SimpleUploadedFile("scan.pdf", b"%PDF-1.7\n" + b"0" * (1536 * 1024))
    assert uploader.post("/api/uploads/", {"file": scan}).status_code != 413


# --- M2: nesting depth ----------------------------------------------------------------------


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["arrays", "objects"])
def test_json_5000_levels_deep_is_a_json_400_everywhere(body, demo_bundles, datahub_settings, mother):
    anonymous, signed_in = no_raise(), no_raise()
    signed_in.force_login(mother)
    draft = start(mother)
    for client, method, url in [
        (anonymous, "POST", "/api/bundles/child-birth/notice/"),
        (signed_in, "POST", "/api/drafts/"),
        (signed_in, "PATCH", f"/api/drafts/{draft.pk}/"),
        (signed_in, "POST", f"/api/drafts/{draft.pk}/materials/"),
        (anonymous, "POST", "/api/accounts/login/"),
        (anonymous, "POST", "/api/accounts/signup/"),
        # the CSRF check reads the body before content negotiation (there the old error handler crashed)
        (browser(), "POST", "/api/accounts/login/"),
    ]:
        response = client.generic(method, url, body, content_type="application/json")
        error = the_error(response, 400, "too_deep")
        assert error["message_en"] == "the JSON body is nested deeper than 64 levels", url


def test_a_signed_callback_5000_levels_deep_is_refused_with_400(birth, wired_demo, caplog):  # noqa: F811
    secret = wired_demo.secrets["health-commission"]
    body = json.dumps(approval(birth, "ev-deep"))[:-1].encode() + b', "result": ' + DEEP + b"}"
    headers = signing.sign_headers(secret, "health-commission", "POST", CALLBACK, body)
    with caplog.at_level(logging.WARNING, logger="onething.processing.callbacks"):
        response = no_raise().post(CALLBACK, body, content_type="application/json", headers=headers)
    the_error(response, 400, "too_deep")
    assert "refused callback from health-commission: too_deep" in caplog.text
    assert not CallbackReceipt.objects.exists()


def test_nesting_up_to_the_limit_is_parsed(demo_bundles, settings):
    settings.JSON_MAX_DEPTH = 8
    nested = '{"a": ' * 7 + '"[[[[[[[[[[ in a string ]]"' + "}" * 7
    answered = no_raise().post("/api/bundles/child-birth/notice/", nested, content_type="application/json")
    assert answered.status_code != 400 or json.loads(answered.content)["error"]["code"] != "too_deep"
    deeper = '{"a": ' * 9 + "1" + "}" * 9
    the_error(
        no_raise().post("/api/bundles/child-birth/notice/", deeper, content_type="application/json"), 400, "too_deep"
    )


# --- M2: one error format, DEBUG on or off --------------------------------------------------


@pytest.mark.parametrize("debug", [True, False], ids=["DEBUG on", "DEBUG off"])
def test_every_api_error_is_the_json_format(debug, settings, demo_bundles, monkeypatch):
    settings.DEBUG = debug
    client = no_raise()
    the_error(client.get("/api/no-such-thing/"), 404, "not_found")
    not_allowed = client.get("/api/processing/callbacks/hrss/")
    the_error(not_allowed, 405, "method_not_allowed")
    assert not_allowed["Allow"] == "POST"
    the_error(client.put("/api/accounts/login/", "{}", content_type="application/json"), 405)
    the_error(client.post("/api/accounts/login/", HUGE, content_type="application/json"), 413, "body_too_large")
    the_error(client.post("/api/accounts/login/", DEEP, content_type="application/json"), 400, "too_deep")
    the_error(client.post("/api/accounts/login/", "{", content_type="application/json"), 400, "parse_error")
    # a page keeps its HTML
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")

    from onething.notice import api

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(api.BundleListView, "get", broken)
    error = the_error(client.get("/api/bundles/"), 500, "server_error")
    assert "a bug" not in json.dumps(error)  # no traceback, DEBUG on or off


@pytest.mark.parametrize("debug", [True, False], ids=["DEBUG on", "DEBUG off"])
def test_a_failure_before_content_negotiation_is_a_json_500_not_a_crash(debug, settings, monkeypatch, caplog):
    settings.DEBUG = debug
    parser = api_settings.DEFAULT_PARSER_CLASSES[0]

    def broken(*args, **kwargs):
        raise RuntimeError("the parser broke")

    monkeypatch.setattr(parser, "parse", broken)
    client = browser()  # the CSRF check parses the body first
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.post("/api/accounts/login/", '{"identity": "x"}', content_type="application/json")
    the_error(response, 500, "server_error")
    logged = [r.exc_info[1] for r in caplog.records if r.exc_info]
    assert logged and all(isinstance(exc, RuntimeError) for exc in logged), logged  # not "no accepted_renderer"


# --- L1: identifiers ------------------------------------------------------------------------


def test_one_rule_for_identifiers_full_width_becomes_ascii_other_scripts_are_refused():
    resident, code = demo.MOTHER.id_number, demo.ENTERPRISE_CREDIT_CODE
    typed = f"  {resident.translate(FULL_WIDTH)}　"
    assert validators.identifier(typed) == ids.normalize(typed) == resident
    assert validators.resident_id(typed) is None
    assert validators.credit_code(code.lower().translate(FULL_WIDTH)) is None
    assert validators.mobile(demo.MOTHER.mobile.translate(FULL_WIDTH)) is None
    for foreign in (resident.translate(ARABIC_INDIC), code.translate(ARABIC_INDIC)):
        assert validators.resident_id(foreign) is not None and validators.credit_code(foreign) is not None
        assert not ids.is_valid_id_number(foreign) and not ids.is_valid_holder(ids.normalize(foreign))


def test_sign_up_and_log_in_with_a_full_width_id(client, datahub_settings, caplog):
    typed = demo.CITIZEN.id_number.translate(FULL_WIDTH)
    from tests.accounts.conftest import code_sent_to

    body = {"id_number": typed, "full_name": demo.CITIZEN.name, "password": "Pw-2026!x"}
    with caplog.at_level(logging.INFO):
        started = client.post("/api/accounts/signup/", body, content_type="application/json")
        assert started.status_code == 202, started.content  # old: 503 verification_unavailable
        verify = {"token": started.json()["token"], "code": code_sent_to(demo.CITIZEN.mobile)}
        signed_up = client.post("/api/accounts/signup/verify/", verify, content_type="application/json")
    assert signed_up.status_code == 201, signed_up.content
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # old: an ERROR anyone could cause
    user = User.objects.get()
    assert user.id_number == user.username == demo.CITIZEN.id_number  # stored as ASCII
    client.logout()
    login = {"identity": typed, "password": "Pw-2026!x"}
    assert client.post("/api/accounts/login/", login, content_type="application/json").status_code == 200


def test_a_full_width_id_in_the_form_is_stored_and_dispatched_as_ascii(client, demo_bundles, datahub_settings, mother):
    draft = start(mother)
    typed = {
        "father.id_number": draft.data["father.id_number"].translate(FULL_WIDTH),
        "employer.credit_code": validators.EXAMPLES["credit_code"].lower().translate(FULL_WIDTH),
        "applicant.mobile": draft.data["applicant.mobile"].translate(FULL_WIDTH),
    }
    client.force_login(mother)
    saved = client.patch(f"/api/drafts/{draft.pk}/", {"data": complete(draft) | typed}, content_type="application/json")
    assert saved.status_code == 200 and saved.json()["problems"] == [], saved.content
    draft.refresh_from_db()
    case = services.draft_submit(draft=draft)
    for key, value in typed.items():  # kept, submitted and sent to departments in the ASCII form
        assert draft.data[key] == case.data[key] == ids.normalize(value) != value, key
        assert case.data[key].isascii()
