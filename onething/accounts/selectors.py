"""Read-side helpers of accounts: what the API says about a user. (How identities are shown
masked is onething/identity/masking.py's.)"""

from __future__ import annotations

from typing import Any

from onething.accounts.models import User


def user_profile(*, user: User) -> dict[str, Any]:
    """What the signed-in person may know about their own account."""
    return {
        "id": user.pk,
        "username": user.username,
        "role": user.role,
        "role_label": str(User.Role(user.role).label) if user.role in User.Role.values else user.role,
        "full_name": user.full_name,
        "id_number": user.id_number or "",
        "mobile": user.mobile,
        "real_name_verified": user.real_name_verified,
        "is_applicant": user.is_applicant,
        "is_staff": user.is_staff,
    }


#: Where each role lands after logging in (a URL name; the pages sit in higher stages, so
#: they are named, not imported). Citizens and enterprises: LOGIN_REDIRECT_URL (我的申请).
LANDING_BY_ROLE = {
    User.Role.CLERK: "intake:queue",  # 受理台
    User.Role.OFFICER: "workbench:queue",  # 部门工作台
    User.Role.ADMIN: "oversight:dashboard",  # 一体管理
}


def landing_url(*, user: User) -> str:
    """The page a user starts from after logging in, by role (superusers as administrators)."""
    from django.conf import settings
    from django.urls import reverse

    role = User.Role.ADMIN if user.is_superuser else getattr(user, "role", "")
    name = LANDING_BY_ROLE.get(role)
    return reverse(name) if name else settings.LOGIN_REDIRECT_URL
