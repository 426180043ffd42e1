"""Admin of users (ID and mobile numbers masked in lists) and of django-axes' login records: failed
logins (read-only; deleting the rows of an identity or address lifts its lock-out) and successful ones."""

from __future__ import annotations

from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessBase, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from onething.accounts.forms import AccountChangeForm, AccountCreationForm
from onething.accounts.models import User
from onething.audit.admin import AuditedModelAdmin
from onething.common.admin_paginator import LargeTablePaginator
from onething.identity.masking import mask_id_number, mask_mobile
from onething.identity.validators import IDENTIFIER_SHAPE

IDENTITY_FIELDS = ("role", "full_name", "id_number", "mobile", "real_name_verified")


def _masked_if_identifier(value: str) -> str:
    """Usernames of citizens and enterprises are their ID numbers: mask those, not staff names."""
    return mask_id_number(value) if IDENTIFIER_SHAPE.match((value or "").upper()) else value


@admin.register(User)
class AccountAdmin(AuditedModelAdmin, UserAdmin):
    form = AccountChangeForm
    add_form = AccountCreationForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("实名信息"), {"fields": IDENTITY_FIELDS}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        (_("实名信息"), {"classes": ("wide",), "fields": IDENTITY_FIELDS}),
    )
    list_display = (
        "masked_username",
        "full_name",
        "role",
        "masked_id_number",
        "masked_mobile",
        "real_name_verified",
        "is_staff",
        "is_active",
    )
    list_display_links = ("masked_username",)
    list_filter = ("role", "real_name_verified", "is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("username", "id_number", "full_name", "mobile", "email")
    ordering = ("username",)

    @admin.display(description=_("用户名"), ordering="username")
    def masked_username(self, user: User) -> str:
        return _masked_if_identifier(user.username)

    @admin.display(description=_("证件号码"), ordering="id_number")
    def masked_id_number(self, user: User) -> str:
        return mask_id_number(user.id_number)

    @admin.display(description=_("手机号码"), ordering="mobile")
    def masked_mobile(self, user: User) -> str:
        return mask_mobile(user.mobile)


class MaskedAttemptAdmin:
    """django-axes' records with the identity masked in the list and on the page (it is often an
    ID number). Searching by the full identity or address finds its rows; deleting the rows of a
    locked-out identity or address lifts the lock-out."""

    @admin.display(description=_("证件号码/用户名"), ordering="username")
    def masked_identity(self, attempt: AccessBase) -> str:
        return _masked_if_identifier(attempt.username or "")

    actions: list[str] = []  # axes' "clean up expired attempts" needs a request axes has seen; delete works

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AccessBase | None = None) -> bool:
        return False


@admin.register(AccessAttempt)
class LoginFailureAdmin(MaskedAttemptAdmin, AuditedModelAdmin, axes_admin.AccessAttemptAdmin):
    list_display = ["masked_identity", "ip_address", "failures_since_start", "attempt_time", "path_info"]
    # date filters have fixed choices; a filter on path_info or a date hierarchy would read
    # DISTINCT values of the whole table on every page
    list_filter = ["attempt_time"]
    date_hierarchy = None
    show_full_result_count = False
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]
    fieldsets = ((None, {"fields": ("masked_identity", "ip_address", "failures_since_start", "attempt_time")}),)
    readonly_fields = ["masked_identity", "ip_address", "failures_since_start", "attempt_time"]


@admin.register(AccessLog)
class LoginLogAdmin(MaskedAttemptAdmin, AuditedModelAdmin, axes_admin.AccessLogAdmin):
    list_display = ["masked_identity", "ip_address", "attempt_time", "logout_time", "path_info"]
    list_filter = ["attempt_time", "logout_time"]  # one row per login: nothing DISTINCT over it
    date_hierarchy = None
    show_full_result_count = False
    paginator = LargeTablePaginator
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]
    fieldsets = ((None, {"fields": ("masked_identity", "ip_address", "attempt_time", "logout_time", "path_info")}),)
    readonly_fields = ["masked_identity", "ip_address", "attempt_time", "logout_time", "path_info"]


# Django's own group admin, on the audited base class like every admin of the project.
admin.site.unregister(Group)


@admin.register(Group)
class AuditedGroupAdmin(AuditedModelAdmin, GroupAdmin):
    pass
