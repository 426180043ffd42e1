from django.apps import AppConfig


class NoticeConfig(AppConfig):
    name = "onething.notice"
    verbose_name = "一次告知"
