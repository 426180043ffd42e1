from django.apps import AppConfig


class KioskConfig(AppConfig):
    name = "onething.kiosk"
    verbose_name = "自助终端"

    def ready(self) -> None:
        from onething.kiosk import checks

        checks.register()
