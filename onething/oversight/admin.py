"""The audit trail in the Django admin: readable by administrators, never added to,
changed or deleted there (the model, its querysets and, on PostgreSQL, a trigger refuse
it anyway). The application's own search page is /oversight/audit/ (masked listings)."""

from django.contrib import admin
from django.utils.html import format_html_join

from onething.audit import labels
from onething.audit.admin import ReadOnlyAdmin
from onething.audit.models import AuditEvent
from onething.common.admin_paginator import LargeTablePaginator
from onething.oversight.audit_selectors import actor_label, mask_json


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "action_name", "case_number", "actor_name", "change", "object_type", "object_id")
    list_filter = ("at",)  # fixed choices: no DISTINCT over the whole table
    search_fields = ("=case_number", "=action")
    show_full_result_count = False  # no COUNT(*) over millions of rows on every page
    paginator = LargeTablePaginator  # nor when unfiltered (PostgreSQL's estimate)
    list_select_related = ("actor",)
    readonly_fields = (
        "at",
        "actor",
        "action_name",
        "action",
        "case_number",
        "object_type",
        "object_id",
        "change",
        "before",
        "after",
        "note",
    )
    actions = None

    @admin.display(description="操作人")
    def actor_name(self, event: AuditEvent) -> str:
        return actor_label(event.actor)

    @admin.display(description="动作", ordering="action")
    def action_name(self, event: AuditEvent) -> str:
        """The action in Chinese, its code after it (an unknown code once, as it is)."""
        name = labels.action_name(event.action)
        return name if name == event.action else f"{name}（{event.action}）"

    @admin.display(description="变更（前 → 后）")
    def change(self, event: AuditEvent):
        # masked like every listing (the event's own page shows it raw to administrators)
        lines, more = labels.change_lines(mask_json(event.before), mask_json(event.after))
        rows = [(line.text,) for line in lines] + ([(f"另有 {more} 项",)] if more else [])
        return format_html_join("", "<div>{}</div>", rows) or "—"
