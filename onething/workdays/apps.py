from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "onething.workdays"
    verbose_name = "工作日历"

    def ready(self) -> None:
        from onething.workdays import signals  # noqa: F401  (connects cache invalidation)
