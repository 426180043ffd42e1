from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "onething.tracking"
    verbose_name = "办件查询"
