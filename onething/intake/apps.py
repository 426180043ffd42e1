from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "onething.intake"
    verbose_name = "一口受理"
