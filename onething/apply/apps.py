from django.apps import AppConfig


class ApplyConfig(AppConfig):
    name = "onething.apply"
    verbose_name = "一表申请"
