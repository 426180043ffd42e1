"""The case state machine. Every state change of a Case happens here, in a transaction
that also writes the audit event, so the trail and the state can never disagree::

    submitted ──accepted──► accepted ──processing──► processing ──concluded──► concluded
     │ ▲ │                                              └──partially_concluded──► partially_concluded
     │ │ └──returned──► returned
     │ └──resubmitted──────┘
     └──refused──► refused

Submitted at the window or online (``case_submit``), pre-reviewed by intake, split into
item cases at acceptance (``case_start_processing``), concluded by the fan-in of processing
when its last item case is final (``case_conclude``).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from onething.audit import services as audit
from onething.cases.models import Case, CaseMaterial
from onething.cases.numbering import next_case_number
from onething.common.statemachine import StateMachine, TransitionNotAllowed

S = Case.State
CASE = StateMachine(
    Case,
    initial={S.SUBMITTED},
    transitions={
        "accepted": ({S.SUBMITTED}, S.ACCEPTED),
        "returned": ({S.SUBMITTED}, S.RETURNED),
        "resubmitted": ({S.RETURNED}, S.SUBMITTED),
        "refused": ({S.SUBMITTED}, S.REFUSED),
        "processing": ({S.ACCEPTED}, S.PROCESSING),
        "concluded": ({S.PROCESSING}, S.CONCLUDED),
        "partially_concluded": ({S.PROCESSING}, S.PARTIALLY_CONCLUDED),
    },
)


@transaction.atomic(savepoint=False)  # a new row: nothing to undo short of the caller's transaction
def case_submit(
    *,
    applicant,
    version,
    answers: dict,
    data: dict,
    materials: list[CaseMaterial],
    channel: str,
    idempotency_key: str,
    field_count: int,
    prefilled_count: int,
    first_time_right: bool,
    field_sources: dict | None = None,
    actor=None,
    number: str = "",
) -> Case:
    """Create a case in state ``submitted`` with its materials; one audit event. ``number``:
    one the caller took beforehand (see ``apply.services.draft_submit``), else the next.
    ``field_sources``: every form field's key -> the source that prefilled it, or None."""
    case = Case.objects.create(
        number=number or next_case_number(bundle_code=version.bundle.code),
        version=version,
        applicant=applicant,
        channel=channel,
        **CASE.initial_state(S.SUBMITTED),
        answers=answers,
        data=data,
        field_count=field_count,
        prefilled_count=prefilled_count,
        first_time_right=first_time_right,
        field_sources=field_sources or {},
        idempotency_key=idempotency_key,
    )
    for material in materials:
        material.case = case
    CaseMaterial.objects.bulk_create(materials)
    audit.record(
        action="case.submitted",
        actor=actor or applicant,
        case_number=case.number,
        obj=case,
        before=None,
        after={"state": case.state, "channel": channel, "version": version.number},
    )
    return case


class TransitionRefused(TransitionNotAllowed):
    """The case is not in a state that allows this change (someone else got there first):
    409 ``state_conflict``, naming the state the case is in now."""

    def __init__(self, case: Case, action: str):
        self.case, self.action = case, action
        super().__init__(
            machine=CASE.label,
            transition=action,
            current=case.state,
            subject=case.number,
            message=f"办件当前状态为“{case.get_state_display()}”，不能进行此操作",
            message_en=f"the case is {case.state}; this action is not possible now",
        )

    @property
    def text(self) -> str:
        """On a page: the sentence names the case."""
        return gettext("办件 %(number)s 当前状态为“%(state)s”，不能进行此操作") % {
            "number": self.case.number,
            "state": self.case.get_state_display(),
        }


def _move(*, case: Case, action: str, actor, changes: dict, note: str = "") -> Case:
    """Conditional update from an allowed state, plus the audit event, in one transaction."""
    before = case.state
    if not CASE.move(action, pk=case.pk, **changes):
        case.refresh_from_db()
        raise TransitionRefused(case, action)
    _refresh_keeping_fixed_relations(case)
    audit.record(
        action=f"case.{action}",
        actor=actor,
        case_number=case.number,
        obj=case,
        before={"state": before},
        after={"state": CASE[action].target, **{k: _plain(v) for k, v in changes.items()}},
        note=note,
    )
    return case


FIXED_RELATIONS = ("version", "applicant")  # a case never changes its version or applicant


def _refresh_keeping_fixed_relations(case: Case) -> None:
    """Reload the row; the bundle version and applicant already loaded stay attached (a
    refresh would drop them, and the next step of the same request would read them again)."""
    kept = {name: getattr(case, name) for name in FIXED_RELATIONS if Case._meta.get_field(name).is_cached(case)}
    case.refresh_from_db()
    for name, related in kept.items():
        if getattr(case, f"{name}_id") == related.pk:
            setattr(case, name, related)


def _plain(value):
    return value.pk if hasattr(value, "pk") else (value.isoformat() if hasattr(value, "isoformat") else value)


@transaction.atomic(savepoint=False)  # one UPDATE and its audit event: no savepoint needed
def case_route(*, case: Case, centre, actor=None) -> Case:
    """Assign the responsible service centre (no state change; nothing else of the row is
    read back)."""
    Case.objects.filter(pk=case.pk).update(centre=centre)
    case.centre = centre
    audit.record(action="case.routed", actor=actor, case_number=case.number, obj=case, after={"centre": centre.code})
    return case


@transaction.atomic
def case_accept(*, case: Case, clerk, due_date, accepted_at, due_date_provisional: bool = False) -> Case:
    """受理: the accepting clerk becomes the case's first-contact owner (首问负责).
    ``due_date_provisional``: the due date reaches a year without a holiday schedule."""
    return _move(
        case=case,
        action="accepted",
        actor=clerk,
        changes={
            "owner": clerk,
            "accepted_at": accepted_at,
            "due_date": due_date,
            "due_date_provisional": due_date_provisional,
        },
    )


@transaction.atomic
def case_return(*, case: Case, clerk, note: str) -> Case:
    """退回补正: back to the applicant with every correction named at once. A returned
    case is no longer right first time, whatever happens next."""
    changes = {"first_time_right": False, **({} if case.owner_id else {"owner": clerk})}
    return _move(
        case=case,
        action="returned",
        actor=clerk,
        changes=changes,
        note=note,
    )


@transaction.atomic
def case_resubmit(*, case: Case, applicant, data: dict) -> Case:
    """The applicant corrected the case; it goes back to pre-review under the same number."""
    return _move(
        case=case,
        action="resubmitted",
        actor=applicant,
        changes={"data": data},
    )


@transaction.atomic
def case_refuse(*, case: Case, clerk, reason: str) -> Case:
    """不予受理, with the legal reason. A refused case was not accepted: not right first time."""
    changes = {"refusal_reason": reason, "first_time_right": False, **({} if case.owner_id else {"owner": clerk})}
    return _move(
        case=case,
        action="refused",
        actor=clerk,
        changes=changes,
        note=reason,
    )


def case_start_processing(*, case: Case, item_codes: list[str]) -> bool:
    """accepted → processing, once the case is split into its item cases (in the acceptance
    transaction). False if the case was not accepted. No savepoint: part of the caller's
    transaction, which rolls back as a whole on an error."""
    with transaction.atomic(savepoint=False):
        if not CASE.move("processing", pk=case.pk):
            return False
        audit.record(action="case.processing", case_number=case.number, obj=case, after={"item_cases": item_codes})
    case.state = S.PROCESSING
    return True


def case_conclude(*, case: Case, all_approved: bool, items: dict[str, str]) -> bool:
    """processing → concluded (every item approved) or partially_concluded, under the
    fan-in lock of the caller (processing.services). ``items``: item code → final state.
    False if the case is not processing (already concluded). No savepoint (hot path)."""
    action = "concluded" if all_approved else "partially_concluded"
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        if not CASE.move(action, pk=case.pk, concluded_at=now):
            return False
        target = CASE[action].target
        audit.record(
            action=f"case.{target}",
            case_number=case.number,
            obj=case,
            before={"state": S.PROCESSING},
            after={"state": target, "items": items},
        )
    case.state, case.concluded_at = target, now
    return True


@transaction.atomic
def case_reassign(*, case: Case, to_owner, by, reason: str) -> Case:
    """An explicit, audited handover of first-contact ownership (no state change)."""
    before = case.owner_id
    Case.objects.filter(pk=case.pk).update(owner=to_owner)
    case.refresh_from_db()
    audit.record(
        action="case.reassigned",
        actor=by,
        case_number=case.number,
        obj=case,
        before={"owner": before},
        after={"owner": to_owner.pk},
        note=reason,
    )
    return case


@transaction.atomic
def case_flag_deferral_overdue(*, case: Case) -> bool:
    """Mark that a deferred material is overdue; True only the first time."""
    flagged = Case.objects.filter(pk=case.pk, deferral_overdue=False).update(deferral_overdue=True) == 1
    if flagged:
        audit.record(action="case.deferral_overdue", case_number=case.number, obj=case)
    return flagged


@transaction.atomic
def case_clear_deferral_overdue(*, case: Case, actor=None, note: str = "") -> bool:
    """No deferred material of the case is overdue any more (supplied or decided); True
    only if the flag was set."""
    cleared = Case.objects.filter(pk=case.pk, deferral_overdue=True).update(deferral_overdue=False) == 1
    if cleared:
        audit.record(
            action="case.deferral_overdue_cleared",
            actor=actor,
            case_number=case.number,
            obj=case,
            before={"deferral_overdue": True},
            after={"deferral_overdue": False},
            note=note,
        )
    return cleared
