from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "onething.notifications"
    verbose_name = "消息通知"
