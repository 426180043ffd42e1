from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "onething.catalog"
    verbose_name = "事项目录"
