"""The user admin masks ID numbers; the login records (django-axes) are read-only and masked."""

import pytest
from axes.models import AccessAttempt
from django.test import Client

from onething.accounts.models import User
from onething.identity.masking import mask_id_number
from services.datahub import demo_identities as demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    admin = User.objects.create_superuser(username="root", password="Admin-pass-2026", role=User.Role.ADMIN)
    client.force_login(admin)
    return client


def test_changelist_masks_id_numbers_and_searches_them(admin_client, account):
    html = admin_client.get("/admin/accounts/user/").content.decode()
    number = demo.CITIZEN.id_number
    masked = number[:4] + "*" * 10 + number[-4:]
    assert masked in html and number not in html
    found = admin_client.get("/admin/accounts/user/", {"q": number}).content.decode()
    assert demo.CITIZEN.name in found
    assert demo.CITIZEN.name not in admin_client.get("/admin/accounts/user/", {"q": "nobody-such"}).content.decode()


def test_change_and_add_pages_have_identity_fields(admin_client, account):
    change = admin_client.get(f"/admin/accounts/user/{account.pk}/change/").content.decode()
    for name in ("role", "full_name", "id_number", "mobile", "real_name_verified"):
        assert f'name="{name}"' in change
    assert admin_client.get("/admin/accounts/user/add/").status_code == 200


def test_admin_rejects_invalid_id_number(admin_client):
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "clerk01",
            "usable_password": "true",
            "password1": "Clerk-pass-2026",
            "password2": "Clerk-pass-2026",
            "role": "clerk",
            "id_number": "310104199203150460",
        },
    )
    assert response.status_code == 200 and "居民身份证号码有误" in response.content.decode()
    assert not User.objects.filter(username="clerk01").exists()


def test_login_attempts_are_read_only_and_masked(admin_client):
    Client().post("/accounts/login/", {"identity": demo.CITIZEN.id_number, "password": "wrong"}, REMOTE_ADDR="10.0.0.1")
    assert AccessAttempt.objects.get().username == demo.CITIZEN.id_number
    html = admin_client.get("/admin/axes/accessattempt/").content.decode()
    assert "10.0.0.1" in html and demo.CITIZEN.id_number not in html and mask_id_number(demo.CITIZEN.id_number) in html
    found = admin_client.get("/admin/axes/accessattempt/", {"q": demo.CITIZEN.id_number}).content.decode()
    assert "10.0.0.1" in found
    assert admin_client.get("/admin/axes/accessattempt/add/").status_code == 403
    page = admin_client.get(f"/admin/axes/accessattempt/{AccessAttempt.objects.get().pk}/change/").content.decode()
    assert demo.CITIZEN.id_number not in page
