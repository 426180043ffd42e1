"""Department secrets: encrypted at rest, two accepted during a rotation (current and
previous), requests signed with the current one, rotation by command and admin."""

import io
import json
import secrets

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from onething.audit.models import AuditEvent
from onething.catalog.models import Department
from onething.common import secretbox
from onething.processing import services
from onething.processing.adapters.http import HttpAdapter
from onething.processing.models import DepartmentEndpoint
from services.protocol import signing

pytestmark = pytest.mark.django_db

OLD = "old-" + "a" * 40
NEW = "new-" + "b" * 40


@pytest.fixture
def endpoint():
    department = Department.objects.create(code="secret-dept", name="密钥部门")
    return DepartmentEndpoint.objects.create(
        department=department, adapter="http", base_url="http://127.0.0.1:9/departments/secret-dept", secret=OLD
    )


def _raw(endpoint: DepartmentEndpoint) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret, previous_secret FROM processing_departmentendpoint WHERE id = %s", [endpoint.pk])
        return cursor.fetchone()


def test_secrets_are_encrypted_at_rest(endpoint):
    stored, previous = _raw(endpoint)
    assert OLD not in stored and previous == ""
    assert Fernet(_key()).decrypt(stored.encode()).decode() == OLD
    assert DepartmentEndpoint.objects.get(pk=endpoint.pk).secret == OLD


def _key() -> bytes:
    from django.conf import settings

    return settings.SECRETS_ENCRYPTION_KEY.split(",")[0].encode()


def test_a_wrong_key_cannot_read_them_and_a_second_key_can(endpoint, settings):
    current = settings.SECRETS_ENCRYPTION_KEY
    settings.SECRETS_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(secretbox.UndecryptableSecret):
        DepartmentEndpoint.objects.get(pk=endpoint.pk)
    # a new key first, the old one after it: old values read, new ones written with the new key
    settings.SECRETS_ENCRYPTION_KEY = f"{settings.SECRETS_ENCRYPTION_KEY},{current}"
    assert DepartmentEndpoint.objects.get(pk=endpoint.pk).secret == OLD


def test_decryption_is_cached_per_process(endpoint, monkeypatch):
    DepartmentEndpoint.objects.get(pk=endpoint.pk)
    calls = []
    box = secretbox._box()
    monkeypatch.setattr(secretbox, "_box", lambda: calls.append(1) or box)
    for _ in range(3):
        assert DepartmentEndpoint.objects.get(pk=endpoint.pk).secret == OLD
    assert calls == []


def _callback(client, secret: str, department: str = "secret-dept"):
    path = reverse("api-processing-callback", args=[department])
    body = json.dumps({"event_id": secrets.token_hex(8), "idempotency_key": "none", "state": "received"}).encode()
    headers = signing.sign_headers(secret, department, "POST", path, body)
    return client.post(path, body, content_type="application/json", headers={k: v for k, v in headers.items()})


def test_callbacks_are_accepted_with_the_current_and_the_previous_secret_during_a_rotation(client, endpoint):
    services.department_secret_rotate(endpoint=endpoint, new_secret=NEW)
    stored, previous = _raw(endpoint)
    assert NEW not in stored and OLD not in previous and previous  # both encrypted
    # a good signature reaches the payload check (no such item case), a bad one is refused
    assert _callback(client, NEW).json()["error"]["code"] == "unknown_item_case"
    assert _callback(client, OLD).json()["error"]["code"] == "unknown_item_case"
    forged = _callback(client, "forged-" + "c" * 40)
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "bad_signature"
    services.department_secret_retire_previous(endpoint=endpoint)
    refused = _callback(client, OLD)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "bad_signature"
    assert _callback(client, NEW).json()["error"]["code"] == "unknown_item_case"


def test_requests_to_the_department_are_signed_with_the_current_secret(endpoint):
    services.department_secret_rotate(endpoint=endpoint, new_secret=NEW)
    fresh = DepartmentEndpoint.objects.select_related("department").get(pk=endpoint.pk)
    assert HttpAdapter(fresh).client().secret == NEW


def test_rotate_command_generates_prints_once_and_audits(endpoint):
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_department_secret", "secret-dept", stdout=out, stderr=err)
    new = out.getvalue().strip()
    assert len(new) >= 50 and new not in err.getvalue()
    endpoint.refresh_from_db()
    assert endpoint.accepted_secrets() == [new, OLD]
    call_command("rotate_department_secret", "secret-dept", "--retire-previous", stdout=io.StringIO())
    endpoint.refresh_from_db()
    assert endpoint.accepted_secrets() == [new]
    actions = list(AuditEvent.objects.filter(object_type="DepartmentEndpoint").values_list("action", "after"))
    assert ("department.secret_rotated", {"department": "secret-dept", "previous_accepted": True}) in actions
    assert ("department.previous_secret_retired", {"department": "secret-dept"}) in actions
    assert not any(new in json.dumps(after) or OLD in json.dumps(after) for _, after in actions)


def test_rotation_refuses_a_short_or_demo_secret(endpoint):
    for bad in ("short", "demo-agriculture-secret", "demo-" + "x" * 40):
        with pytest.raises(services.SecretRefused):
            services.department_secret_rotate(endpoint=endpoint, new_secret=bad)
    endpoint.refresh_from_db()
    assert endpoint.accepted_secrets() == [OLD]


def test_admin_never_shows_a_secret_and_rotates_with_a_new_one(client, django_user_model, endpoint):
    admin = django_user_model.objects.create_superuser(username="root", password="Root-pass-2026", role="admin")
    client.force_login(admin)
    url = reverse("admin:processing_departmentendpoint_change", args=[endpoint.pk])
    page = client.get(url).content.decode()
    assert OLD not in page and _raw(endpoint)[0] not in page
    response = client.post(
        url,
        {"department": endpoint.department_id, "adapter": "http", "base_url": endpoint.base_url, "new_secret": NEW},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    endpoint.refresh_from_db()
    assert endpoint.accepted_secrets() == [NEW, OLD]
    assert NEW not in client.get(url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_secrets_already_stored():
    from django.db.migrations.executor import MigrationExecutor

    before, after = ("processing", "0004_due_date_provisional"), ("processing", "0005_department_secrets_encrypted")
    department = Department.objects.create(code="plain-dept", name="明文部门")
    MigrationExecutor(connection).migrate([before])
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO processing_departmentendpoint (department_id, adapter, base_url, secret) "
                "VALUES (%s, 'http', '', %s)",
                [department.pk, OLD],
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate([after])
    endpoint = DepartmentEndpoint.objects.get(department=department)
    assert OLD not in _raw(endpoint)[0]
    assert endpoint.secret == OLD and endpoint.previous_secret == ""
