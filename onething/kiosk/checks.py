"""Deploy check: the simulated card reader with DEBUG off lets anyone who types an ID
number at a terminal in as that citizen."""

from django.conf import settings
from django.core import checks


def simulated_reader_in_production(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if not settings.DEBUG and getattr(settings, "KIOSK_CARD_READER", "") == "simulated":
        return [
            checks.Warning(
                "KIOSK_CARD_READER is 'simulated' with DEBUG off: a typed ID number opens that citizen's cases",
                hint="Configure a real ID card reader (docs/kiosk.md) or leave KIOSK_CARD_READER empty.",
                id="onething.W020",
            )
        ]
    return []


def register() -> None:
    checks.register(simulated_reader_in_production, checks.Tags.security, deploy=True)
