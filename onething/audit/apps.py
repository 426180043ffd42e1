from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "onething.audit"
    verbose_name = "审计日志"

    def ready(self) -> None:
        from onething.audit import append_only

        append_only.install()  # SQLite: the SQL function the audit table's triggers ask
