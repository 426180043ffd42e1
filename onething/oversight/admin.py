"""The audit trail in the Django admin: readable by administrators, never added to,
changed or deleted there (the model, its querysets and, on PostgreSQL, a trigger refuse
it anyway). The application's own search page is /oversight/audit/ (masked listings)."""

from django.contrib import admin

from onething.audit.admin import ReadOnlyAdmin
from onething.audit.models import AuditEvent
from onething.oversight.audit_selectors import actor_label


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "action", "case_number", "actor_name", "object_type", "object_id")
    list_filter = ("at",)  # fixed choices: no DISTINCT over the whole table
    search_fields = ("=case_number", "=action")
    show_full_result_count = False  # no COUNT(*) over millions of rows on every page
    list_select_related = ("actor",)
    readonly_fields = ("at", "actor", "action", "case_number", "object_type", "object_id", "before", "after", "note")
    actions = None

    @admin.display(description="操作人")
    def actor_name(self, event: AuditEvent) -> str:
        return actor_label(event.actor)
