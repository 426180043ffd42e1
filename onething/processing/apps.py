from django.apps import AppConfig


class ProcessingConfig(AppConfig):
    name = "onething.processing"
    verbose_name = "一网办理"
