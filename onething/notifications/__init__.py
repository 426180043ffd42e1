"""消息通知 notifications: short messages and e-mails to applicants, recorded once each.

A caller (a deferral reminder, a correction or supplement request, acceptance or refusal, a
result ready for pickup) calls ``services.notify`` with a recipient, a Chinese subject and
body, and a dedup key naming the event. One ``Notification`` row per channel is written in
the caller's transaction and delivered by a Celery task after commit; the dedup key and a
conditional claim make sure each is recorded and sent at most once, however often a beat task
or a worker runs. Channels are plugins behind one interface (``channels.NotificationChannel``):
the default SMS channel writes to an outbox table and the log and sends nothing; a real SMS
gateway is another class selected by ``settings.NOTIFICATION_SMS_CHANNEL``.
"""
