from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "onething.operations"
    verbose_name = "运维"

    def ready(self) -> None:
        from onething.operations import checks

        checks.register()  # onething.E001/E002: demo or undecryptable department secrets
