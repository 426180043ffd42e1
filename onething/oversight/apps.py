from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "onething.oversight"
    verbose_name = "一体管理"

    def ready(self) -> None:
        from onething.oversight import append_only, signals

        signals.install()  # administrative changes in the Django admin are audited
        append_only.install()  # SQLite: the SQL function the audit table's triggers ask
