"""Administrators see every issued licence, its collection and registration state and the
last error, and can send a stuck one again (one action)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from onething.audit.admin import AuditedModelAdmin
from onething.issuance import transitions
from onething.issuance.models import Delivery, IssuedLicence


@admin.register(IssuedLicence)
class IssuedLicenceAdmin(AuditedModelAdmin):
    list_display = ["number", "title", "case", "state", "registration", "attempts", "updated_at"]
    list_filter = ["state", "registration", "licence_type"]
    search_fields = ["number", "case__number"]
    list_select_related = ["case"]  # one query for the page, not one per row
    show_full_result_count = False  # no second COUNT(*) over the whole table when filtered
    readonly_fields = [f.name for f in IssuedLicence._meta.fields if f.name != "document"]
    exclude = ["document"]
    actions = ["collect_again"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("重新归集并登记至电子证照库"))
    def collect_again(self, request, queryset) -> None:
        from onething.issuance.tasks import collect_licence

        pending = queryset.exclude(
            state=IssuedLicence.State.COLLECTED, registration=IssuedLicence.Registration.REGISTERED
        )
        count = 0
        for licence in pending:
            transitions.licence_retry(licence=licence)
            collect_licence.delay_on_commit(licence.pk)
            count += 1
        self.message_user(request, _("已重新发送 %(n)s 个证照") % {"n": count}, messages.SUCCESS)


@admin.register(Delivery)
class DeliveryAdmin(AuditedModelAdmin):
    list_display = ["case", "method", "centre", "picked_up_at", "mailed_at", "tracking_number"]
    list_filter = ["method", "centre"]
    search_fields = ["case__number", "tracking_number"]
    list_select_related = ["case", "centre"]
    show_full_result_count = False
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
