"""Channels that fail on purpose, selected through settings.NOTIFICATION_SMS_CHANNEL."""

from onething.notifications.channels import OutboxSmsChannel, PermanentDeliveryError, TransientDeliveryError


class FlakySmsChannel(OutboxSmsChannel):
    """Fails transiently the first ``failures`` times, then writes to the outbox."""

    name = "flaky (tests)"
    failures = 1
    calls = 0

    def deliver(self, *, notification):
        type(self).calls += 1
        if type(self).calls <= type(self).failures:
            raise TransientDeliveryError("网关超时")
        super().deliver(notification=notification)


class RefusingSmsChannel(OutboxSmsChannel):
    name = "refusing (tests)"
    calls = 0

    def deliver(self, *, notification):
        type(self).calls += 1
        raise PermanentDeliveryError("号码不存在")


class BrokenSmsChannel(OutboxSmsChannel):
    name = "broken (tests)"

    def deliver(self, *, notification):
        raise RuntimeError("bug")


class NotAChannel:
    pass
