"""Django admin of 一网办理: how departments are reached, who their officers are, the item
cases (read-only: states change only through the services), dead letters to send again,
and the department callbacks as received."""

import json

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from onething.audit.admin import AuditedModelAdmin, ReadOnlyAdmin
from onething.common.admin_paginator import LargeTablePaginator
from onething.processing import services
from onething.processing.models import CallbackReceipt, DepartmentEndpoint, ItemCase, Officer

DEAD_LETTER_QUERY = f"state__exact={ItemCase.State.DEAD}"


def _pretty(value) -> str:
    if not value:
        return "—"
    return format_html(
        '<pre style="white-space: pre-wrap; margin: 0">{}</pre>', json.dumps(value, ensure_ascii=False, indent=2)
    )


def _formfield(field, **kwargs):
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")  # Django 6's default, without its warning
    return field.formfield(**kwargs)


class DepartmentEndpointForm(forms.ModelForm):
    """The secrets are never shown: a new one is typed in (and becomes the current secret,
    the old one staying accepted on callbacks until retired: ``department_secret_rotate``)."""

    new_secret = forms.CharField(
        label="新签名密钥 / new secret",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="留空则不变；填写后原密钥在轮换期间仍被接受（见“停用上一密钥”）。"
        " Leave empty to keep the secret; the old one stays accepted until retired.",
    )

    class Meta:
        model = DepartmentEndpoint
        fields = ("department", "adapter", "base_url")
        formfield_callback = _formfield

    def clean_new_secret(self) -> str:
        value = self.cleaned_data.get("new_secret", "")
        if value:
            from onething.common.secret_policy import is_demo_secret

            if len(value) < services.SECRET_MIN_LENGTH or is_demo_secret(value):
                raise forms.ValidationError(
                    f"至少 {services.SECRET_MIN_LENGTH} 个字符且不得为演示值 / "
                    f"at least {services.SECRET_MIN_LENGTH} characters, not a demo value"
                )
        return value


@admin.register(DepartmentEndpoint)
class DepartmentEndpointAdmin(AuditedModelAdmin):
    form = DepartmentEndpointForm
    list_display = ("department", "adapter", "base_url", "has_secret", "has_previous_secret", "secret_rotated_at")
    list_filter = ("adapter",)
    search_fields = ("department__code", "department__name", "base_url")
    list_select_related = ("department",)
    readonly_fields = ("has_secret", "has_previous_secret", "secret_rotated_at")
    actions = ["retire_previous_secrets"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField):
            kwargs.setdefault("assume_scheme", "https")
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="已设签名密钥", boolean=True)
    def has_secret(self, endpoint: DepartmentEndpoint) -> bool:
        return bool(endpoint.secret)

    @admin.display(description="轮换中（仍接受上一密钥）", boolean=True)
    def has_previous_secret(self, endpoint: DepartmentEndpoint) -> bool:
        return bool(endpoint.previous_secret)

    def save_model(self, request: HttpRequest, obj: DepartmentEndpoint, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        new_secret = form.cleaned_data.get("new_secret")
        if new_secret and new_secret != obj.secret:
            services.department_secret_rotate(endpoint=obj, new_secret=new_secret, actor=request.user)

    @admin.action(description="停用上一签名密钥（结束轮换） / retire the previous secret")
    def retire_previous_secrets(self, request: HttpRequest, queryset: QuerySet) -> None:
        retired = sum(
            services.department_secret_retire_previous(endpoint=endpoint, actor=request.user) for endpoint in queryset
        )
        self.message_user(request, f"已停用 {retired} 个上一签名密钥", messages.SUCCESS)


@admin.register(Officer)
class OfficerAdmin(AuditedModelAdmin):
    list_display = ("user", "username", "department")
    list_filter = ("department",)
    search_fields = ("user__username", "user__full_name", "department__name", "department__code")
    list_select_related = ("user", "department")
    raw_id_fields = ("user",)

    @admin.display(description="用户名", ordering="user__username")
    def username(self, officer: Officer) -> str:
        return officer.user.username


@admin.register(ItemCase)
class ItemCaseAdmin(AuditedModelAdmin):
    """Read-only: an item case's state changes only through the processing services. The
    one thing an administrator does here is to send dead letters again."""

    change_list_template = "processing/admin/itemcase_change_list.html"
    list_display = (
        "case_number",
        "item_name",
        "department",
        "state",
        "attempts",
        "time_status",
        "due_date",
        "short_error",
    )
    # a date filter (fixed choices) rather than a date hierarchy, which reads the DISTINCT
    # years of the whole table on every page
    list_filter = ("state", "department", "time_status", "state_changed_at")
    search_fields = ("case__number", "idempotency_key")
    list_select_related = ("case", "department")
    show_full_result_count = False
    paginator = LargeTablePaginator
    actions = ["redispatch_dead_letters"]
    fieldsets = (
        (
            "子件",
            {
                "fields": (
                    "case_number",
                    "item_code",
                    "item_name",
                    "department",
                    "state",
                    "state_changed_at",
                    "idempotency_key",
                    "reference",
                    "upstream",
                )
            },
        ),
        (
            "派发",
            {"fields": ("attempts", "last_error", "dispatched_at")},
        ),
        (
            "时限",
            {
                "fields": (
                    "committed_days",
                    "due_date",
                    "time_status",
                    "paused_since",
                    "paused_working_days",
                    "concluded_at",
                )
            },
        ),
        (
            "数据与结果",
            {
                "fields": (
                    "data_pretty",
                    "materials_pretty",
                    "result_pretty",
                    "certificate_pretty",
                    "reason",
                    "supplement_pretty",
                )
            },
        ),
    )
    readonly_fields = (
        "case_number",
        "item_code",
        "item_name",
        "department",
        "state",
        "state_changed_at",
        "idempotency_key",
        "reference",
        "upstream",
        "attempts",
        "last_error",
        "dispatched_at",
        "committed_days",
        "due_date",
        "time_status",
        "paused_since",
        "paused_working_days",
        "concluded_at",
        "data_pretty",
        "materials_pretty",
        "result_pretty",
        "certificate_pretty",
        "reason",
        "supplement_pretty",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # view only: states change through the services

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_redispatch_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("processing.change_itemcase")

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "dead_letter_count": ItemCase.objects.filter(state=ItemCase.State.DEAD).count(),
            "dead_letter_url": f"{reverse('admin:processing_itemcase_changelist')}?{DEAD_LETTER_QUERY}",
            "dead_letter_shown": request.GET.get("state__exact") == ItemCase.State.DEAD,
        }
        return super().changelist_view(request, extra_context=extra_context)

    @admin.display(description="办件编号", ordering="case__number")
    def case_number(self, item_case: ItemCase) -> str:
        return item_case.case.number

    @admin.display(description="最近错误")
    def short_error(self, item_case: ItemCase) -> str:
        return Truncator(item_case.last_error).chars(60) or "—"

    @admin.display(description="事项数据")
    def data_pretty(self, item_case: ItemCase) -> str:
        return _pretty(item_case.data)

    @admin.display(description="材料")
    def materials_pretty(self, item_case: ItemCase) -> str:
        return _pretty(item_case.materials)

    @admin.display(description="办理结果")
    def result_pretty(self, item_case: ItemCase) -> str:
        return _pretty(item_case.result)

    @admin.display(description="证照")
    def certificate_pretty(self, item_case: ItemCase) -> str:
        return _pretty(item_case.certificate)

    @admin.display(description="补正要求")
    def supplement_pretty(self, item_case: ItemCase) -> str:
        return _pretty(item_case.supplement)

    @admin.action(description="重新派发所选的派发失败子件", permissions=["redispatch"])
    def redispatch_dead_letters(self, request: HttpRequest, queryset: QuerySet[ItemCase]) -> None:
        for item_case in queryset.select_related("case", "department"):
            label = f"{item_case.case.number} · {item_case.item_name}"
            if item_case.state != ItemCase.State.DEAD:
                messages.warning(
                    request, f"{label}：当前状态为“{item_case.get_state_display()}”，不是派发失败，未重新派发"
                )
            elif services.redispatch(item_case=item_case, actor=request.user):
                messages.success(request, f"{label}：已重新派发（派发次数归零，稍后由后台任务送达部门）")
            else:
                messages.error(request, f"{label}：状态已被其他操作改变，未重新派发")


@admin.register(CallbackReceipt)
class CallbackReceiptAdmin(ReadOnlyAdmin):
    """Department callbacks as received: kept for audit and reprocessing, never edited."""

    list_display = ("event_id", "department", "item_case", "received_at", "applied_at")
    list_filter = ("department", ("applied_at", admin.EmptyFieldListFilter), "received_at")
    search_fields = ("event_id", "item_case__case__number", "item_case__idempotency_key")
    list_select_related = ("department", "item_case__case")
    show_full_result_count = False
    fields = ("event_id", "department", "item_case", "received_at", "applied_at", "payload_pretty")
    readonly_fields = fields

    @admin.display(description="回调内容")
    def payload_pretty(self, receipt: CallbackReceipt) -> str:
        return _pretty(receipt.payload)
