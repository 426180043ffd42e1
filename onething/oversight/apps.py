from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "onething.oversight"
    verbose_name = "一体管理"

    def ready(self) -> None:
        from onething.oversight import signals

        signals.install()  # administrative changes in the Django admin are audited
