from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "onething.cases"
    verbose_name = "办件"
