"""Department callbacks: signed, applied once; duplicates and replays change nothing;
a forged signature is refused and logged."""

import json

import pytest

from onething.audit.models import AuditEvent
from onething.processing.models import CallbackReceipt, ItemCase
from services.protocol import signing
from tests.processing.conftest import accepted_case

pytestmark = pytest.mark.django_db
URL = "/api/processing/callbacks/health-commission/"


def post(client, body: dict, secret: str, *, nonce: str | None = None, department="health-commission"):
    raw = json.dumps(body).encode()
    headers = signing.sign_headers(secret, department, "POST", URL, raw, nonce=nonce)
    return client.post(URL, raw, content_type="application/json", headers=headers)


@pytest.fixture
def birth(wired_demo, mother):
    from onething.processing import services

    case = accepted_case(mother)
    item_case = ItemCase.objects.get(case=case, item_code="birth-certificate-issue")
    services.dispatch(item_case_id=item_case.pk)
    item_case.refresh_from_db()
    return item_case


def approval(item_case, event_id="ev-1"):
    return {
        "event_id": event_id,
        "reference": item_case.reference,
        "idempotency_key": item_case.idempotency_key,
        "item_case_id": item_case.pk,
        "state": "approved",
        "result": {"certificate_number": "CSYX1"},
        "certificate": {"type": "birth_medical_certificate", "number": "CSYX1", "data": {}},
    }


def test_a_signed_callback_is_stored_once_and_applied(client, birth, wired_demo, django_capture_on_commit_callbacks):
    from onething.processing.services import apply_receipt

    secret = wired_demo.secrets["health-commission"]
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = post(client, approval(birth), secret)
        again = post(client, approval(birth), secret)  # a duplicate delivery: new nonce, same event
    assert first.status_code == 200 and first.json()["status"] == "accepted"
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert CallbackReceipt.objects.count() == 1
    receipt = CallbackReceipt.objects.get()
    assert receipt.applied_at is not None  # applied in the request that brought it
    assert not any("apply_callback" in repr(callback) for callback in queued)
    assert apply_receipt(receipt_id=receipt.pk) == "already applied"
    birth.refresh_from_db()
    assert birth.state == ItemCase.State.APPROVED and birth.result == {"certificate_number": "CSYX1"}


def test_a_callback_that_fails_to_apply_is_kept_and_queued(
    client, birth, wired_demo, monkeypatch, django_capture_on_commit_callbacks
):
    """Applying fails (a bug, a lost database connection): the department still gets its
    acknowledgement, the stored callback stays unapplied and goes to the callbacks queue."""
    from onething.processing import services
    from onething.processing.services import apply_receipt

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "apply_status", broken)
    sent = []
    monkeypatch.setattr("onething.processing.tasks.apply_callback.delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, approval(birth), wired_demo.secrets["health-commission"])
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    receipt = CallbackReceipt.objects.get()
    assert receipt.applied_at is None and sent == [receipt.pk]
    monkeypatch.undo()
    assert apply_receipt(receipt_id=receipt.pk) == "applied"  # what the queued task does
    birth.refresh_from_db()
    assert birth.state == ItemCase.State.APPROVED


def test_a_failure_halfway_through_applying_leaves_no_half_applied_state(
    client, birth, wired_demo, monkeypatch, django_capture_on_commit_callbacks
):
    """The receipt, the item case's approval and its audit event share one transaction: when
    something fails after the item case moved (here the licence), none of it stays; the
    receipt is kept unapplied and queued, and applying it later does it all once."""
    from onething.issuance import services as issuance
    from onething.issuance.models import IssuedLicence
    from onething.processing.services import apply_receipt

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(issuance, "licence_from_approval", broken)
    sent = []
    monkeypatch.setattr("onething.processing.tasks.apply_callback.delay", sent.append)
    before = birth.state
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, approval(birth), wired_demo.secrets["health-commission"])
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    birth.refresh_from_db()
    assert birth.state == before  # the approval was rolled back with the failure
    assert not AuditEvent.objects.filter(action="item_case.approved").exists()
    receipt = CallbackReceipt.objects.get()
    assert receipt.applied_at is None and sent == [receipt.pk]
    again = post(client, approval(birth), wired_demo.secrets["health-commission"])
    assert again.json()["status"] == "duplicate"  # the kept receipt still turns a redelivery away
    monkeypatch.undo()
    assert apply_receipt(receipt_id=receipt.pk) == "applied"
    birth.refresh_from_db()
    assert birth.state == ItemCase.State.APPROVED
    assert AuditEvent.objects.filter(action="item_case.approved").count() == 1
    assert IssuedLicence.objects.filter(item_case=birth).count() == 1


def test_a_replayed_request_is_refused(client, birth, wired_demo):
    secret = wired_demo.secrets["health-commission"]
    assert post(client, approval(birth), secret, nonce="a" * 32).status_code == 200
    replay = post(client, approval(birth, "ev-2"), secret, nonce="a" * 32)
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "replayed_nonce"


def test_a_forged_callback_is_refused_and_logged(client, birth, caplog):
    response = post(client, approval(birth), "not-the-secret")
    assert response.status_code == 401 and response.json()["error"]["code"] == "bad_signature"
    assert CallbackReceipt.objects.count() == 0
    assert AuditEvent.objects.filter(action="callback.refused").exists()
    assert "refused callback" in caplog.text
    birth.refresh_from_db()
    assert birth.state == ItemCase.State.RECEIVED


def test_a_callback_for_another_departments_item_is_not_applied(client, birth, wired_demo):
    secret = wired_demo.secrets["public-security"]
    raw = json.dumps(approval(birth)).encode()
    url = "/api/processing/callbacks/public-security/"
    headers = signing.sign_headers(secret, "public-security", "POST", url, raw)
    response = client.post(url, raw, content_type="application/json", headers=headers)
    assert response.status_code == 404


def test_unsigned_or_malformed(client, birth, wired_demo):
    assert client.post(URL, b"{}", content_type="application/json").status_code == 401
    secret = wired_demo.secrets["health-commission"]
    raw = b"not json"
    headers = signing.sign_headers(secret, "health-commission", "POST", URL, raw)
    assert client.post(URL, raw, content_type="application/json", headers=headers).status_code == 400
