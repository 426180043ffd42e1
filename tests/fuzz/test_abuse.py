"""Abuse of the two doors that take bytes from outside: the upload API and the department
callbacks. Each bad request is refused with a clear status and the bilingual error body,
logged, forged callbacks are audited, nothing is stored; and a legitimate request after
all the abuse still goes through (nothing lost).

What tests/apply/test_uploads.py and tests/processing/test_callbacks.py already cover
(renamed .exe, oversized stream, missing field; unsigned, wrong secret, replayed nonce,
another department's item, signed non-JSON) is not repeated here.
"""

import json
import logging
import re
import time

import pytest

from onething.apply.models import Upload
from onething.audit.models import AuditEvent
from onething.processing.models import CallbackNonce, CallbackReceipt, ItemCase
from services.protocol import signing
from tests.processing.test_callbacks import URL, approval, birth, post  # noqa: F401 (birth is a fixture)
from tests.security.conftest import world  # noqa: F401 (the security tests' world, for the sweep below)

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LIMIT = 64 * 1024

# --- uploads ------------------------------------------------------------------------------


@pytest.fixture
def uploader(settings, tmp_path, mother, client):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    settings.UPLOAD_MAX_BYTES = LIMIT
    client.force_login(mother)
    return client


def stored_files(settings) -> list:
    return [p for p in settings.UPLOAD_ROOT.rglob("*") if p.is_file()] if settings.UPLOAD_ROOT.exists() else []


def upload(client, name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/api/uploads/", {"file": SimpleUploadedFile(name, data)})


MALFORMED_UPLOADS = [
    ("empty.pdf", b"", "empty_file"),
    ("scan.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 40, "corrupt_file"),  # a PDF header, then garbage
    ("truncated.pdf", PDF[:20], "corrupt_file"),
    ("bomb.pdf", b"PK\x03\x04" + b"\x00" * 1000, "unsupported_type"),  # a zip named .pdf
    ("page.png", b"<html><script>alert(1)</script></html>", "unsupported_type"),
    ("id.jpg", b"\xff\xd8", "unsupported_type"),  # two bytes of a JPEG magic
    ("big.pdf", PDF + b"0" * (LIMIT + 1), "file_too_large"),
]


@pytest.mark.parametrize(("name", "data", "code"), MALFORMED_UPLOADS, ids=[m[0] for m in MALFORMED_UPLOADS])
def test_malformed_uploads_are_refused_logged_and_not_stored(uploader, settings, caplog, name, data, code):
    with caplog.at_level(logging.WARNING):
        response = upload(uploader, name, data)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["message_en"]
    assert f"refused upload from user {uploader.session['_auth_user_id']}: {code}" in caplog.text
    assert not Upload.objects.exists() and stored_files(settings) == []


def test_uploads_in_the_wrong_shape_are_refused(uploader, settings):
    as_json = uploader.post("/api/uploads/", {"file": "%PDF-1.4"}, content_type="application/json")
    assert as_json.status_code == 415 and as_json.json()["error"]["code"] == "unsupported_media_type"
    as_text_field = uploader.post("/api/uploads/", {"file": "%PDF-1.4 %%EOF"})  # a form field, not a file
    assert as_text_field.status_code == 400 and as_text_field.json()["error"]["code"] == "file_required"
    garbled = uploader.post(
        "/api/uploads/", b"--x\r\ngarbage", content_type="multipart/form-data; boundary=x"
    )  # a multipart body cut short
    assert garbled.status_code == 400 and set(garbled.json()["error"]) >= {"code", "message", "message_en"}
    assert not Upload.objects.exists() and stored_files(settings) == []


def test_a_real_file_after_the_abuse_is_accepted(uploader, settings):
    for name, data, _ in MALFORMED_UPLOADS:
        upload(uploader, name, data)
    response = upload(uploader, "出生医学证明.pdf", PDF)
    assert response.status_code == 201
    assert Upload.objects.get().sha256 == response.json()["sha256"]
    assert len(stored_files(settings)) == 1


# --- department callbacks -----------------------------------------------------------------


def send(client, raw: bytes, headers: dict, content_type: str = "application/json"):
    return client.generic("POST", URL, raw, content_type=content_type, headers=headers)


def signed(secret: str, raw: bytes, **kwargs) -> dict:
    return signing.sign_headers(secret, "health-commission", "POST", URL, raw, **kwargs)


def forgeries(secret: str, birth_case) -> list[tuple[str, bytes, dict, str]]:
    """(name, body, headers, expected code) of callbacks whose signature is not good."""
    genuine = json.dumps(approval(birth_case, "ev-forged")).encode()
    other = json.dumps(approval(birth_case, "ev-other") | {"state": "rejected"}).encode()
    headers = signed(secret, genuine)
    forged = []
    for missing in (
        signing.HEADER_DEPARTMENT,
        signing.HEADER_TIMESTAMP,
        signing.HEADER_NONCE,
        signing.HEADER_SIGNATURE,
    ):
        forged.append(
            (f"without {missing}", genuine, {k: v for k, v in headers.items() if k != missing}, "missing_signature")
        )
    now = time.time()
    forged += [
        ("signature over another body", other, headers, "bad_signature"),
        (
            "another department's header",
            genuine,
            headers | {signing.HEADER_DEPARTMENT: "public-security"},
            "department_mismatch",
        ),
        # past the 300 s window by a margin: the headers are signed before the requests are sent,
        # and on a loaded machine seconds pass (a 301 s "ahead" came back inside the window)
        ("timestamp 330 s old", genuine, signed(secret, genuine, now=now - 330), "stale_timestamp"),
        ("timestamp 330 s ahead", genuine, signed(secret, genuine, now=now + 330), "stale_timestamp"),
        ("timestamp in words", genuine, headers | {signing.HEADER_TIMESTAMP: "tomorrow"}, "bad_timestamp"),
        ("timestamp far future", genuine, headers | {signing.HEADER_TIMESTAMP: "9" * 13}, "bad_timestamp"),
        ("short nonce", genuine, signed(secret, genuine, nonce="abc"), "bad_nonce"),
        ("non-hex nonce", genuine, signed(secret, genuine, nonce="z" * 32), "bad_nonce"),
        ("signature in unicode", genuine, headers | {signing.HEADER_SIGNATURE: "签名" * 32}, "bad_signature"),
    ]
    return forged


def test_forged_callbacks_are_refused_logged_and_audited(client, birth, wired_demo, caplog):  # noqa: F811
    secret = wired_demo.secrets["health-commission"]
    forged = forgeries(secret, birth)
    with caplog.at_level(logging.WARNING, logger="onething.processing.callbacks"):
        for name, raw, headers, code in forged:
            response = send(client, raw, headers)
            assert response.status_code == 401, name
            assert response.json()["error"]["code"] == code, name
    assert caplog.text.count("refused callback from health-commission") == len(forged)
    notes = list(AuditEvent.objects.filter(action="callback.refused").values_list("note", flat=True))
    assert sorted(notes) == sorted(f"health-commission: {code}" for _, _, _, code in forged)
    assert not CallbackReceipt.objects.exists()
    assert not CallbackNonce.objects.exists()  # forged requests cannot fill the nonce store


def test_malformed_signed_callbacks_are_refused_and_logged(client, birth, wired_demo, caplog):  # noqa: F811
    secret = wired_demo.secrets["health-commission"]
    good = approval(birth, "ev-x")
    bodies = {
        "a JSON list": (b"[1, 2]", "malformed"),
        "a JSON string": (b'"approved"', "malformed"),
        "no event id": (json.dumps({k: v for k, v in good.items() if k != "event_id"}).encode(), "malformed"),
        "event id of 101 characters": (json.dumps(good | {"event_id": "e" * 101}).encode(), "malformed"),
        "a NUL in the payload": (json.dumps(good | {"reason": "a\x00b"}).encode(), "malformed"),
        "a lone surrogate": (json.dumps(good | {"reason": "\ud800"}).encode(), "malformed"),
        "invalid UTF-8": (b'{"event_id": "\xff\xfe"}', "malformed"),
        "unknown item case": (json.dumps(good | {"idempotency_key": "no-such-key"}).encode(), "unknown_item_case"),
    }
    with caplog.at_level(logging.WARNING, logger="onething.processing.callbacks"):
        for name, (raw, code) in bodies.items():
            response = send(client, raw, signed(secret, raw))
            assert response.status_code in {400, 404}, name
            assert response.json()["error"]["code"] == code, name
            assert f"refused callback from health-commission: {code}" in caplog.text, name
    assert not CallbackReceipt.objects.exists()


def test_callbacks_of_the_wrong_size_type_or_address_are_refused_before_reading(
    client,
    birth,  # noqa: F811
    wired_demo,
    caplog,
):
    secret = wired_demo.secrets["health-commission"]
    huge = b'{"event_id": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    raw = json.dumps(approval(birth, "ev-type")).encode()
    with caplog.at_level(logging.WARNING, logger="onething.processing.callbacks"):
        too_big = send(client, huge, signed(secret, huge))
        as_text = send(client, raw, signed(secret, raw), content_type="text/plain")
        as_form = send(client, raw, signed(secret, raw), content_type="application/x-www-form-urlencoded")
        nobody = client.post("/api/processing/callbacks/no-such-department/", raw, content_type="application/json")
        fetched = client.get(URL)
    assert (too_big.status_code, too_big.json()["error"]["code"]) == (413, "body_too_large")
    assert (as_text.status_code, as_text.json()["error"]["code"]) == (415, "unsupported_media_type")
    assert as_form.status_code == 415
    assert (nobody.status_code, nobody.json()["error"]["code"]) == (404, "unknown_department")
    assert fetched.status_code == 405
    for code in ("body_too_large", "unsupported_media_type", "unknown_department"):
        assert f": {code} (" in caplog.text
    assert not CallbackReceipt.objects.exists()


def test_a_legitimate_callback_after_all_the_abuse_still_applies(
    client,
    birth,  # noqa: F811
    wired_demo,
    django_capture_on_commit_callbacks,
):
    from onething.processing.services import apply_receipt

    secret = wired_demo.secrets["health-commission"]
    for _, raw, headers, _ in forgeries(secret, birth):
        send(client, raw, headers)
    replayed = json.dumps(approval(birth, "ev-replay")).encode()
    replay_headers = signed(secret, replayed)
    send(client, replayed, replay_headers)  # accepted once (an approval with another event id) ...
    assert send(client, replayed, replay_headers).json()["error"]["code"] == "replayed_nonce"  # ... then a replay
    CallbackReceipt.objects.all().delete()  # keep only what follows: the legitimate callback

    with django_capture_on_commit_callbacks(execute=False):
        response = post(client, approval(birth, "ev-legit"), secret)
    assert response.status_code == 200 and response.json() == {"status": "accepted", "event_id": "ev-legit"}
    receipt = CallbackReceipt.objects.get()
    assert receipt.applied_at is not None  # applied in its own request
    assert apply_receipt(receipt_id=receipt.pk) == "already applied"
    birth.refresh_from_db()
    assert birth.state == ItemCase.State.APPROVED


# --- every endpoint: deep nesting and oversized bodies and fields --------------------------
# The two shapes the fuzzers above and schemathesis never sent. Every URL of the URL
# configuration (tests/security/urlwalk.py, the Django admin included), its path parameters
# filled from the security tests' world (tests/security/matrix.py) and, as a role allowed
# there (so the body gets past the access check), each unsafe method the view takes:
#   (a) JSON nested 5,000 levels deep, (b) a 12 MB body, (c) one 2.7 MB field.
# Never a 5xx; on an API path (and the signed department callback) always the JSON error
# format: 413 ``body_too_large`` for (b) and (c), ``too_deep`` where a JSON body is read.

DEEP = ("[" * 5000 + "]" * 5000).encode()
HUGE = b'{"data": "' + b"x" * (12 * 1024 * 1024) + b'"}'
BIG_FIELD = "长" * (900 * 1024)  # 2.7 MB of UTF-8 in one field
FORM_FIELDS = ("reason", "note", "id_number")  # free-text and identifier fields the forms read
PREFERRED_ROLES = ("citizen_a", "clerk_x", "officer_p", "admin", "citizen_b", "clerk_y", "officer_q", "anonymous")


ADMIN_MODEL_PAGE = re.compile(
    r"^admin:[a-z0-9]+_[a-z0-9]+_(changelist|add|change|delete|history)$|^admin:<unnamed admin/\w+/\w+/"
)


def _every_endpoint():
    """Every URL pattern, but of the Django admin's model pages (the same five Django views for
    each of some twenty models, ~100 URLs) one model's each: the admin's own pages, its
    custom views (import, exports) and the first model's five pages all run."""
    from tests.security.urlwalk import walk

    chosen, seen_kinds = [], set()
    for endpoint in walk():
        kind = ADMIN_MODEL_PAGE.match(endpoint.name)
        if kind:
            key = kind.group(1) or "redirect"
            if key in seen_kinds:
                continue
            seen_kinds.add(key)
        chosen.append(endpoint)
    return chosen


def _methods(callback) -> list[str]:
    """The unsafe methods a view takes: a class view's handlers, POST for a function view."""
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is None:
        return ["POST"]
    taken = [m.upper() for m in ("post", "put", "patch", "delete") if hasattr(view_class, m)]
    return taken or ["POST"]


# A role for a URL the matrix has no entry for yet, by namespace; path parameters it does not
# name, by parameter name (else by converter). Admin objects: an id that does not exist (an
# admin POST to a delete page deletes; the fuzz must not).
ROLE_BY_NAMESPACE = {"intake": "clerk_x", "workbench": "officer_p", "oversight": "admin", "apply": "citizen_a"}
PLAUSIBLE = {
    "number": "@live.number",
    "check_id": "@deferred_check.pk",
    "draft_id": "@draft.pk",
    "code": "child-birth",
    "department": "hrss",
    "object_id": "999999",
    "id": "999999",
    "content_type_id": "1",
    "app_label": "accounts",
    "url": "nothing/",
}
BY_CONVERTER = {"int": "1", "slug": "x", "uuid": "00000000-0000-0000-0000-000000000000", "str": "x", "path": "x"}
PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def _url_and_client(endpoint, the_world):
    from django.urls import reverse

    from tests.security.matrix import MATRIX, WINDOW_TOKEN
    from tests.security.world import client_for, resolve, start_window_session

    probes = MATRIX.get(endpoint.name)
    namespace = endpoint.name.split(":", 1)[0] if ":" in endpoint.name else ""
    if namespace == "admin":
        role, kwargs = "admin", {}
    elif probes:
        role = next((r for r in PREFERRED_ROLES if r in probes[0].allowed), "anonymous")
        kwargs = dict(probes[0].kwargs)
    else:
        role, kwargs = ROLE_BY_NAMESPACE.get(namespace, "anonymous"), {}
    for converter, name, regex_name in PARAMETER.findall(endpoint.route):
        name = name or regex_name
        kwargs.setdefault(name, PLAUSIBLE.get(name, BY_CONVERTER.get(converter or "str")))
    kwargs = {key: resolve(value, the_world) for key, value in kwargs.items()}
    client = client_for(role, the_world)
    if kwargs.get("token") == WINDOW_TOKEN:
        kwargs["token"] = start_window_session(client) if role == "clerk_x" else "not-this-sessions-token"
    if "<unnamed" in endpoint.name:  # Django admin's unnamed redirects and catch-all
        path = PARAMETER.sub(lambda m: str(kwargs[m.group(2) or m.group(3)]), endpoint.route)
        return "/" + path.replace("^", "").replace("$", "").replace("\\Z", ""), client
    return reverse(endpoint.name, kwargs=kwargs), client


def _signed(url: str, method: str, body: bytes) -> dict:
    """A department's genuine signature, for the callback URL (else it is refused unread)."""
    from onething.processing.models import DepartmentEndpoint

    department = url.rstrip("/").rsplit("/", 1)[-1]
    endpoint = DepartmentEndpoint.objects.filter(department__code=department).first()
    if endpoint is None or not endpoint.secret:
        return {}
    return signing.sign_headers(endpoint.secret, department, method, url, body)


def _assert_answer(url: str, response, shape: str, *, expect: tuple[int, str] | None = None):
    seen = f"{shape} {response.request['REQUEST_METHOD']} {url}: {response.status_code}"
    assert response.status_code < 500, seen
    if url.startswith("/api/") and response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json"), seen
        error = json.loads(response.content)["error"]
        assert error["code"] and error["message"] and error["message_en"], seen
        if expect:
            assert (response.status_code, error["code"]) == expect, seen


@pytest.mark.parametrize("endpoint", _every_endpoint(), ids=lambda e: e.name)
def test_deep_and_oversized_input_on_every_endpoint(world, endpoint):  # noqa: F811
    url, client = _url_and_client(endpoint, world)
    api = url.startswith("/api/")
    for method in _methods(endpoint.callback):
        deep = client.generic(method, url, DEEP, content_type="application/json", headers=_signed(url, method, DEEP))
        _assert_answer(url, deep, "5,000 levels")

        huge = client.generic(method, url, HUGE, content_type="application/json", headers=_signed(url, method, HUGE))
        _assert_answer(url, huge, "12 MB", expect=(413, "body_too_large"))

        if api:
            field = json.dumps({"data": {"note": BIG_FIELD}, "identity": BIG_FIELD}, ensure_ascii=False).encode()
            headers = _signed(url, method, field)
            one = client.generic(method, url, field, content_type="application/json", headers=headers)
            _assert_answer(url, one, "2.7 MB field", expect=(413, "body_too_large"))
        elif not endpoint.name.startswith("admin:"):  # (Django's admin forms: their model's max_length)
            for name in FORM_FIELDS:
                _assert_answer(url, client.post(url, {name: BIG_FIELD}), f"2.7 MB {name}")
