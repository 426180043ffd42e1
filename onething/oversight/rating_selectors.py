"""Reads of 好差评 and 整改: what the applicant may rate, the rectifications each member
of staff may see, and the history of one rectification."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from onething.audit.models import AuditEvent
from onething.cases.models import Case
from onething.oversight.models import Rating, Rectification
from onething.oversight.ratings import (
    RATEABLE_CASE_STATES,
    RUNNING,
    RatingTarget,
    can_handle,
    edit_days,
    is_administrator,
    rating_targets,
)

FILTERS = {
    "running": Q(state__in=RUNNING),
    "overdue": Q(overdue=True),
    "contact_late": Q(contact_late=True),
}


@dataclass
class PanelRow:
    """One rating form of the citizen's panel."""

    target: RatingTarget
    rating: Rating | None
    editable: bool


def rateable(*, case: Case) -> bool:
    return case.state in RATEABLE_CASE_STATES


def rating_panel(*, case: Case, user, now=None) -> dict:
    """What the citizen's rating panel shows; ``visible`` is False for anyone but the
    applicant and for a case that has not concluded (nothing is rendered then)."""
    if not getattr(user, "is_authenticated", False) or case.applicant_id != user.pk or not rateable(case=case):
        return {"visible": False}
    now = now or timezone.now()
    existing = {
        (rating.target, rating.department_id): rating
        for rating in Rating.objects.filter(case=case).select_related("department", "centre")
    }
    rows = []
    for target in rating_targets(case=case):
        rating = existing.get((target.kind, target.department.pk if target.department else None))
        rows.append(PanelRow(target=target, rating=rating, editable=rating is None or now <= rating.edit_until))
    rectifications = (
        Rectification.objects.filter(case=case)
        .select_related("department", "centre", "rating")
        .order_by("opened_at", "id")
    )
    return {
        "visible": True,
        "case": case,
        "rows": rows,
        "levels": Rating.Level.choices,
        "edit_days": edit_days(),
        "rectifications": list(rectifications),
    }


def is_rectification_staff(user) -> bool:
    """Officers, clerks and administrators: the people who may open the rectification pages."""
    if not getattr(user, "is_authenticated", False):
        return False
    return is_administrator(user) or hasattr(user, "officer") or hasattr(user, "clerk")


def rectifications_for(*, user) -> QuerySet[Rectification]:
    """The rectifications a member of staff may see: administrators all; an officer their
    department's; a clerk their centre's (window ratings); anyone else none."""
    rows = Rectification.objects.select_related("case", "department", "centre", "rating")
    if is_administrator(user):
        return rows
    scope = Q(pk__in=[])
    officer = getattr(user, "officer", None) if getattr(user, "is_authenticated", False) else None
    clerk = getattr(user, "clerk", None) if getattr(user, "is_authenticated", False) else None
    if officer is not None:
        scope |= Q(party=Rectification.Party.DEPARTMENT, department_id=officer.department_id)
    if clerk is not None:
        scope |= Q(party=Rectification.Party.CENTRE, centre_id=clerk.centre_id)
    return rows.filter(scope)


def rectification_for(*, user, pk: int) -> Rectification:
    """One rectification the user may see; ``Rectification.DoesNotExist`` otherwise."""
    return rectifications_for(user=user).get(pk=pk)


def rectification_of_applicant(*, user, pk: int) -> Rectification:
    """One rectification of one of the user's own cases; ``DoesNotExist`` otherwise."""
    return Rectification.objects.select_related("case").get(pk=pk, case__applicant_id=user.pk)


def counts(*, rows: QuerySet[Rectification]) -> dict[str, int]:
    result = {"all": rows.count()}
    for name, condition in FILTERS.items():
        result[name] = rows.filter(condition).count()
    return result


def filtered(*, rows: QuerySet[Rectification], show: str) -> QuerySet[Rectification]:
    return rows.filter(FILTERS[show]) if show in FILTERS else rows


def history(*, rectification: Rectification) -> list[AuditEvent]:
    """The audit events of the rectification, oldest first."""
    return list(
        AuditEvent.objects.filter(object_type="Rectification", object_id=str(rectification.pk))
        .select_related("actor")
        .order_by("at", "id")
    )


def may_handle(*, user, rectification: Rectification) -> bool:
    return can_handle(user=user, rectification=rectification)
