from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IssuanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "onething.issuance"
    verbose_name = _("统一发证")
