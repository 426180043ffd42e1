"""The notifications admin: a read-only record with masked addresses."""

import pytest

from onething.accounts.models import User
from onething.notifications import services
from onething.notifications.admin import mask_address
from onething.notifications.models import SmsOutbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    admin = User.objects.create_superuser(username="root", password="Admin-pass-2026", role=User.Role.ADMIN)
    client.force_login(admin)
    return client


@pytest.fixture
def sent(full_user):
    notifications = services.notify(
        recipient=full_user,
        subject="办件已受理",
        body="您的办件 YJS-2026-000007 已受理。",
        dedup_key="accepted:7",
        case_number="YJS-2026-000007",
    )
    for notification in notifications:
        services.deliver(notification_id=notification.pk)
    return notifications


def test_mask_address():
    assert mask_address("13916880001") == "139****0001"
    assert mask_address("zhang.san@example.com") == "z***@example.com"


def test_changelist_masks_addresses_and_searches_case_numbers(admin_client, sent):
    html = admin_client.get("/admin/notifications/notification/").content.decode()
    assert "139****0001" in html and "13916880001" not in html
    assert "z***@example.com" in html and "zhang.san@example.com" not in html
    assert "张三" in html and "短信" in html and "已发送" in html
    found = admin_client.get("/admin/notifications/notification/", {"q": "YJS-2026-000007"}).content.decode()
    assert "139****0001" in found
    missing = admin_client.get("/admin/notifications/notification/", {"q": "YJS-2026-999999"}).content.decode()
    assert "139****0001" not in missing


def test_notifications_are_read_only(admin_client, sent):
    notification = sent[0]
    assert admin_client.get("/admin/notifications/notification/add/").status_code == 403
    page = admin_client.get(f"/admin/notifications/notification/{notification.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "13916880001" not in html and 'name="body"' not in html
    post = admin_client.post(f"/admin/notifications/notification/{notification.pk}/change/", {"body": "x"})
    assert post.status_code == 403
    assert admin_client.get(f"/admin/notifications/notification/{notification.pk}/delete/").status_code == 403


def test_sms_outbox_is_a_read_only_list(admin_client, sent):
    assert SmsOutbox.objects.count() == 1
    html = admin_client.get("/admin/notifications/smsoutbox/").content.decode()
    assert "139****0001" in html and "YJS-2026-000007" in html and "未实际发送" in html
    assert admin_client.get("/admin/notifications/smsoutbox/add/").status_code == 403
