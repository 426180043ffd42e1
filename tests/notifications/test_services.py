"""notify records once per channel; deliver sends each at most once; reconciliation finds lost work."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from onething.notifications import services
from onething.notifications.channels import (
    NotificationChannel,
    OutboxSmsChannel,
    Registry,
    TransientDeliveryError,
    registry,
)
from onething.notifications.models import Notification, SmsOutbox
from onething.notifications.tasks import deliver_notification, reconcile_notifications
from tests.notifications import channels_for_tests

pytestmark = pytest.mark.django_db

KEY = "deferral-reminder:42:2026-03-01"


def _notify(recipient, **extra):
    params = {
        "recipient": recipient,
        "subject": "容缺材料补交提醒",
        "body": "您的办件 YJS-2026-000001 有一份容缺材料须于 2026年3月1日 前补交。",
        "dedup_key": KEY,
        "case_number": "YJS-2026-000001",
    }
    return services.notify(**{**params, **extra})


@pytest.fixture
def flaky_sms(settings):
    settings.NOTIFICATION_SMS_CHANNEL = "tests.notifications.channels_for_tests.FlakySmsChannel"
    channels_for_tests.FlakySmsChannel.calls = 0
    channels_for_tests.FlakySmsChannel.failures = 1
    return channels_for_tests.FlakySmsChannel


# -- notify ------------------------------------------------------------------------------


def test_one_row_per_channel_with_an_address(full_user, mobile_user, make_user):
    both = _notify(full_user)
    assert [(n.channel, n.address) for n in both] == [("sms", "13916880001"), ("email", "zhang.san@example.com")]
    assert {n.dedup_key for n in both} == {f"{KEY}:sms", f"{KEY}:email"}
    assert all(n.state == Notification.State.PENDING and n.case_number == "YJS-2026-000001" for n in both)

    only_mobile = _notify(mobile_user, dedup_key="other-event")
    assert [n.channel for n in only_mobile] == ["sms"]

    assert _notify(make_user("nobody"), dedup_key="third-event") == []
    assert Notification.objects.count() == 3


def test_channels_can_be_chosen_and_raw_addresses_given(full_user):
    assert [n.channel for n in _notify(full_user, channels=["email"])] == ["email"]
    raw = _notify(None, dedup_key="walk-in", addresses={"sms": "13800000000"})
    assert len(raw) == 1 and raw[0].recipient is None and raw[0].address == "13800000000"


def test_unknown_channel_or_empty_key_is_refused(full_user):
    with pytest.raises(ValueError, match="fax"):
        _notify(full_user, channels=["sms", "fax"])
    with pytest.raises(ValueError):
        _notify(full_user, dedup_key="")
    assert not Notification.objects.exists()


def test_same_key_twice_records_and_delivers_once(
    full_user, eager_celery, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True) as first:
        created = _notify(full_user)
    with django_capture_on_commit_callbacks(execute=True) as second:
        again = _notify(full_user)

    assert len(first) == 2 and len(second) == 0  # nothing enqueued the second time
    assert [n.pk for n in again] == [n.pk for n in created]
    assert Notification.objects.count() == 2
    assert SmsOutbox.objects.count() == 1
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["zhang.san@example.com"] and mail.subject == "容缺材料补交提醒"
    assert "YJS-2026-000001" in mail.body
    assert set(Notification.objects.values_list("state", flat=True)) == {Notification.State.SENT}


def test_nothing_is_enqueued_before_commit(full_user, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _notify(full_user)
    assert len(callbacks) == 2
    assert SmsOutbox.objects.count() == 0 and len(mailoutbox) == 0


def test_a_broker_that_is_down_loses_nothing(full_user, monkeypatch, django_capture_on_commit_callbacks, caplog):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(deliver_notification, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        created = _notify(full_user)
    assert len(created) == 2 and "reconciliation will pick it up" in caplog.text
    assert set(Notification.objects.values_list("state", flat=True)) == {Notification.State.PENDING}


def test_an_existing_row_wins_over_a_concurrent_insert(full_user, monkeypatch):
    """get_or_create's IntegrityError path: the row another transaction created is returned."""
    existing = Notification.objects.create(
        recipient=full_user, channel="sms", address="13916880001", subject="s", body="b", dedup_key=f"{KEY}:sms"
    )
    from django.db.models.query import QuerySet

    real_get = QuerySet.get
    misses = []

    def get_missing_once(queryset, *args, **kwargs):  # the other transaction had not committed at our first look
        if queryset.model is Notification and not misses:
            misses.append(1)
            raise Notification.DoesNotExist
        return real_get(queryset, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "get", get_missing_once)
    result = _notify(full_user, channels=["sms"])
    assert misses and [n.pk for n in result] == [existing.pk]
    assert Notification.objects.count() == 1


# -- deliver -----------------------------------------------------------------------------


def test_deliver_twice_sends_once(full_user, mailoutbox):
    sms, email = _notify(full_user)
    for _ in range(2):
        assert services.deliver(notification_id=sms.pk).state == Notification.State.SENT
        services.deliver(notification_id=email.pk)
    assert SmsOutbox.objects.count() == 1 and len(mailoutbox) == 1
    sms.refresh_from_db()
    assert sms.attempts == 1 and sms.sent_at is not None
    assert sms.delivered_by == "sms-outbox (不实际发送短信)"


def test_transient_error_leaves_it_pending_and_a_later_try_sends(mobile_user, flaky_sms):
    (sms,) = _notify(mobile_user)
    with pytest.raises(TransientDeliveryError):
        services.deliver(notification_id=sms.pk)
    sms.refresh_from_db()
    assert sms.state == Notification.State.PENDING and sms.attempts == 1 and sms.last_error == "网关超时"
    assert SmsOutbox.objects.count() == 0

    assert services.deliver(notification_id=sms.pk).state == Notification.State.SENT
    sms.refresh_from_db()
    assert sms.attempts == 2 and sms.last_error == "" and sms.delivered_by == "flaky (tests)"
    assert SmsOutbox.objects.count() == 1


def test_the_task_retries_a_transient_error(mobile_user, flaky_sms, eager_celery):
    (sms,) = _notify(mobile_user)
    deliver_notification.delay(sms.pk)
    sms.refresh_from_db()
    assert sms.state == Notification.State.SENT and sms.attempts == 2
    assert SmsOutbox.objects.count() == 1


def test_permanent_error_fails_and_is_not_retried(mobile_user, settings, eager_celery):
    settings.NOTIFICATION_SMS_CHANNEL = "tests.notifications.channels_for_tests.RefusingSmsChannel"
    channels_for_tests.RefusingSmsChannel.calls = 0
    (sms,) = _notify(mobile_user)
    deliver_notification.delay(sms.pk)
    deliver_notification.delay(sms.pk)  # a redelivered message changes nothing
    sms.refresh_from_db()
    assert sms.state == Notification.State.FAILED and sms.last_error == "号码不存在"
    assert sms.attempts == 1 and channels_for_tests.RefusingSmsChannel.calls == 1


def test_an_unexpected_error_is_retried_later(mobile_user, settings):
    settings.NOTIFICATION_SMS_CHANNEL = "tests.notifications.channels_for_tests.BrokenSmsChannel"
    (sms,) = _notify(mobile_user)
    with pytest.raises(RuntimeError):
        services.deliver(notification_id=sms.pk)
    sms.refresh_from_db()
    assert sms.state == Notification.State.PENDING and sms.last_error == "bug"


def test_gives_up_after_max_attempts(mobile_user, flaky_sms, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    flaky_sms.failures = 99
    (sms,) = _notify(mobile_user)
    with pytest.raises(TransientDeliveryError):
        services.deliver(notification_id=sms.pk)
    assert services.deliver(notification_id=sms.pk).state == Notification.State.FAILED
    sms.refresh_from_db()
    assert sms.attempts == 2 and "网关超时" in sms.last_error


def test_task_for_a_missing_row_does_nothing(eager_celery):
    deliver_notification.delay(999_999)  # no exception


# -- reconciliation ----------------------------------------------------------------------


def _age(notification, minutes, **fields):
    then = timezone.now() - timedelta(minutes=minutes)
    Notification.objects.filter(pk=notification.pk).update(created_at=then, **fields)


def test_redeliver_stuck_picks_up_an_old_pending_row(
    full_user, eager_celery, django_capture_on_commit_callbacks, mailoutbox
):
    sms, _email = _notify(full_user)  # enqueued on commit, which never comes: as if the message was lost
    _notify(full_user, dedup_key="fresh")  # too new to count as stuck
    _age(sms, 30)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.redeliver_stuck(older_than_minutes=10) == 1
    sms.refresh_from_db()
    assert sms.state == Notification.State.SENT
    assert SmsOutbox.objects.count() == 1 and len(mailoutbox) == 0

    with django_capture_on_commit_callbacks(execute=True):  # beat runs again: nothing left to do
        assert services.redeliver_stuck(older_than_minutes=10) == 0
    assert SmsOutbox.objects.count() == 1


def test_redeliver_stuck_resets_a_row_a_dead_worker_left_sending(mobile_user, django_capture_on_commit_callbacks):
    (sms,) = _notify(mobile_user)
    _age(sms, 60, state=Notification.State.SENDING, attempts=1, last_attempt_at=timezone.now() - timedelta(minutes=30))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.redeliver_stuck() == 1
    sms.refresh_from_db()
    assert sms.state == Notification.State.PENDING and len(callbacks) == 1


def test_redeliver_stuck_leaves_a_recent_attempt_and_gives_up_on_exhausted_rows(mobile_user, full_user, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    (recent,) = _notify(mobile_user)
    _age(recent, 60, attempts=1, last_attempt_at=timezone.now() - timedelta(minutes=1))  # awaiting its retry
    exhausted, email = _notify(full_user, dedup_key="exhausted")
    _age(exhausted, 60, attempts=3)
    _age(email, 60)
    assert services.redeliver_stuck() == 1  # the e-mail, never tried
    exhausted.refresh_from_db()
    assert exhausted.state == Notification.State.FAILED
    recent.refresh_from_db()
    assert recent.state == Notification.State.PENDING


def test_reconcile_task(mobile_user, eager_celery, django_capture_on_commit_callbacks):
    (sms,) = _notify(mobile_user)
    _age(sms, 30)
    with django_capture_on_commit_callbacks(execute=True):
        assert reconcile_notifications.delay().get() == 1
    sms.refresh_from_db()
    assert sms.state == Notification.State.SENT


# -- channels ----------------------------------------------------------------------------


def test_default_sms_channel_says_it_does_not_send():
    channel = registry.get("sms")
    assert isinstance(channel, OutboxSmsChannel)
    assert channel.name == "sms-outbox (不实际发送短信)" and "不实际发送" in channel.name
    assert channel.key == "sms" and channel.label == "短信"
    assert registry.names() == ["sms", "email"]


def test_sms_outbox_row_and_log(mobile_user, caplog):
    (sms,) = _notify(mobile_user)
    with caplog.at_level("INFO", logger="onething.notifications.channels"):
        services.deliver(notification_id=sms.pk)
    row = SmsOutbox.objects.get()
    assert row.notification_id == sms.pk and row.mobile == "13916880002" and row.body == sms.body
    assert "不实际发送短信" in caplog.text and "139****0002" in caplog.text


def test_sms_channel_from_settings(settings):
    settings.NOTIFICATION_SMS_CHANNEL = "tests.notifications.channels_for_tests.RefusingSmsChannel"
    assert type(registry.get("sms")) is channels_for_tests.RefusingSmsChannel
    settings.NOTIFICATION_SMS_CHANNEL = "tests.notifications.channels_for_tests.NotAChannel"
    with pytest.raises(ImproperlyConfigured):
        registry.get("sms")


def test_registry_refuses_a_name_twice():
    local = Registry()
    local.register("fax")(NotificationChannel)
    with pytest.raises(ValueError, match="already registered"):
        local.register("fax")(NotificationChannel)


@pytest.mark.parametrize(
    ("error", "state"),
    [
        ("refused", Notification.State.FAILED),
        ("down", Notification.State.PENDING),
        ("busy", Notification.State.PENDING),
    ],
)
def test_email_errors_are_classified(full_user, monkeypatch, error, state):
    import smtplib

    errors = {
        "refused": smtplib.SMTPRecipientsRefused({"zhang.san@example.com": (550, b"no such user")}),
        "down": ConnectionRefusedError("connection refused"),
        "busy": smtplib.SMTPDataError(451, b"try later"),
    }

    def failing_send_mail(*args, **kwargs):
        raise errors[error]

    monkeypatch.setattr("onething.notifications.channels.send_mail", failing_send_mail)
    (email,) = _notify(full_user, channels=["email"])
    try:
        services.deliver(notification_id=email.pk)
    except TransientDeliveryError:
        pass
    email.refresh_from_db()
    assert email.state == state and email.last_error
