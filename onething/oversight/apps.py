from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "onething.oversight"
    verbose_name = "一体管理"
