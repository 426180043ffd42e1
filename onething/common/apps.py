from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "onething.common"
    verbose_name = "公共"
