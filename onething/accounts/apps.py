from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "onething.accounts"
    verbose_name = "用户与权限"
