from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "onething.common"
    verbose_name = "公共"

    def ready(self) -> None:
        from onething.common import checks

        checks.register()  # onething.E001/E002: demo or undecryptable department secrets
