"""Read-side helpers of accounts: how identities are shown, and what the API says about a user."""

from __future__ import annotations

from typing import Any

from onething.accounts.models import User


def mask_id_number(value: str | None) -> str:
    """Hide the middle of an ID number or credit code: ``310104199203150469`` → ``3101**********0469``.

    The first four and last four characters stay (enough to tell records apart at a glance); a
    value of eight characters or fewer keeps only its last two.
    """
    text = (value or "").strip()
    if not text:
        return ""
    if len(text) <= 8:
        return "*" * max(len(text) - 2, 0) + text[-2:]
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def mask_mobile(value: str | None) -> str:
    """``13916880001`` → ``139****0001``."""
    text = (value or "").strip()
    if len(text) != 11:
        return mask_id_number(text)
    return text[:3] + "****" + text[-4:]


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
