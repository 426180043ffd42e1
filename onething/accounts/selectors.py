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
