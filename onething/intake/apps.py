from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "onething.intake"
    verbose_name = "一口受理"

    def ready(self) -> None:
        from onething.intake import signals  # noqa: F401  (recomputes provisional dates)
