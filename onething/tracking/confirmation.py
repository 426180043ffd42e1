"""Reads of the confirmation page (申请已提交): what happens next to a case just submitted.

The committed completion date (承诺办结日期) and the deadline of a deferred material (容缺)
are set when a clerk accepts the case (onething/intake). Before that, the page says what
they will be if the case is accepted today, counted by the same rules intake uses (working
days along the bundle's critical path; a deferral's default window), marked as estimates;
once accepted, it gives the case's own dates. How the citizen is told is read from the
notification channels they can be reached on.
"""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from onething.cases.models import Case
from onething.common.i18n import pick
from onething.identity.masking import mask_mobile
from onething.intake import selectors as intake_selectors
from onething.intake.materials import committed_limit_days, deferral_window
from onething.notifications.channels import registry
from onething.notifications.services import DEFAULT_CHANNELS
from onething.workdays.services import due_after


@dataclass(frozen=True)
class DeferredMaterial:
    """A material the citizen asked to supply later (容缺), with its deadline."""

    name: str
    due_date: date | None
    provisional: bool  # counted across a year without a holiday schedule (暂定)


@dataclass(frozen=True)
class ReachedBy:
    """A channel the citizen will be told through, with the (masked) address."""

    key: str
    label: str
    address: str


@dataclass(frozen=True)
class Confirmation:
    case: Case
    accepted: bool  # the dates below are the case's own; else what acceptance today would give
    working_days: int  # the committed time limit of the bundle, in working days from acceptance
    due_date: date | None
    due_provisional: bool
    deferred: list[DeferredMaterial]
    pledged: list[str]  # materials replaced by a signed pledge (告知承诺): checked afterwards
    channels: list[ReachedBy]


def _masked(key: str, address: str) -> str:
    if key == "sms":
        return mask_mobile(address)
    if "@" in address:
        local, _at, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return address


def reached_by(*, user) -> list[ReachedBy]:
    """The channels a case's notifications go through for this user, in order: those the
    user has an address for (notifications.services.notify skips the others)."""
    found = []
    for key in DEFAULT_CHANNELS:
        if key not in registry:
            continue
        channel = registry.get(key)
        address = channel.address_for(user)
        if address:
            found.append(ReachedBy(key=key, label=channel.label or key, address=_masked(key, address)))
    return found


def confirmation(*, case: Case, today: date | None = None) -> Confirmation:
    """What the confirmation page says about one of the citizen's cases (the caller has
    checked it is theirs: tracking.selectors.case_of)."""
    today = today or timezone.localdate()
    working_days = intake_selectors.bundle_days(case)
    accepted = case.accepted_at is not None and case.due_date is not None
    if accepted:
        due_date, due_provisional = case.due_date, case.due_date_provisional
    else:
        estimate = due_after(start=today, days=working_days)
        due_date, due_provisional = estimate.day, estimate.provisional
    materials = list(case.materials.all())
    if case.accepted_at:
        deferred = [
            DeferredMaterial(name=d.name, due_date=d.due_date, provisional=d.check.due_date_provisional)
            for d in intake_selectors.outstanding_deferrals(case, today=today)
        ]
    else:
        lines = {line.key: line for line in intake_selectors.requirements(case)}
        committed = intake_selectors.committed_days(case)
        deferred = []
        for material in materials:
            if material.source != "deferred":
                continue
            line = lines.get(material.key)
            limit = committed_limit_days(line=line, committed_days=committed) if line else 0
            window = deferral_window(today=today, committed_days=limit)[0] if line else None
            deferred.append(
                DeferredMaterial(
                    name=pick(line.name, line.name_en) if line else material.name,
                    due_date=window.day if window else None,
                    provisional=bool(window and window.provisional),
                )
            )
    return Confirmation(
        case=case,
        accepted=accepted,
        working_days=working_days,
        due_date=due_date,
        due_provisional=due_provisional,
        deferred=deferred,
        pledged=[m.name for m in materials if m.source == "pledged"],
        channels=reached_by(user=case.applicant),
    )
