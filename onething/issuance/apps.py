from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IssuanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "onething.issuance"
    verbose_name = _("统一发证")

    def ready(self) -> None:
        from onething.common import events
        from onething.issuance import handlers

        events.subscribe(events.CaseSubmitted, handlers.record_delivery)
        events.subscribe(events.ItemCaseApproved, handlers.issue_licence)
        events.subscribe(events.ItemCaseRevoked, handlers.withdraw_licence)
        events.subscribe(events.DeferralsSettled, handlers.release_held_licences)
        events.subscribe(events.CaseConcluded, handlers.tell_concluded)
