"""The two state machines of an issued licence: the only place IssuedLicence's ``state``
(collection of its document) or ``registration`` (in the data hub's e-licence library)
changes, each a conditional update with its audit event in the same transaction.

Collection (``state``)::

    pending ──collected──► collected
       ▲  └───failed─────► failed ──retry──► pending      (administrator: "重新归集")

Registration (``registration``)::

    pending ──registered──────────► registered
       ▲  ├──registration_failed──► failed ──retry──► pending   (administrator)
       │  └──not_registered───────► no_holder
    every state but registered ──withdrawn──► withdrawn   (its item refused after approval)
"""

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from onething.audit import services as audit
from onething.common.statemachine import StateMachine
from onething.issuance.models import IssuedLicence

L = IssuedLicence
C, R = L.State, L.Registration
COLLECTION = StateMachine(
    IssuedLicence,
    initial={C.PENDING},
    transitions={
        "collected": ({C.PENDING}, C.COLLECTED),
        "failed": ({C.PENDING}, C.FAILED),
        "retry": ({C.FAILED}, C.PENDING),
    },
)
REGISTRATION = StateMachine(
    IssuedLicence,
    field="registration",
    initial={R.PENDING},
    transitions={
        "registered": ({R.PENDING}, R.REGISTERED),
        "registration_failed": ({R.PENDING}, R.FAILED),
        "not_registered": ({R.PENDING}, R.NO_HOLDER),
        "withdrawn": (set(R) - {R.REGISTERED}, R.WITHDRAWN),
        "retry": ({R.FAILED}, R.PENDING),
    },
)
COLLECTION_ACTIONS = {C.COLLECTED: "collected", C.FAILED: "failed"}
REGISTRATION_ACTIONS = {R.REGISTERED: "registered", R.FAILED: "registration_failed", R.NO_HOLDER: "not_registered"}


def licence_document_finish(*, licence: IssuedLicence, state: str, document: bytes, sha256: str, error: str) -> bool:
    """pending → collected (the department's document, or one drawn by the engine) or failed
    (the drawn one is kept, the failure stays visible). Audited ``licence.<state>``. The
    instance shows ``state`` and ``error`` afterwards, whoever got there first."""
    with transaction.atomic():
        moved = COLLECTION.move(
            COLLECTION_ACTIONS[state], pk=licence.pk, document=document, document_sha256=sha256, last_error=error
        )
        if moved:
            audit.record(
                action=f"licence.{state}",
                case_number=licence.case.number,
                obj=licence,
                before={"state": C.PENDING},
                after={"state": state, "bytes": len(document)},
                note=error,
            )
    licence.state, licence.last_error = state, error
    return moved


@dataclass
class CollectionOutcome:
    """What one collection run of a licence found: its document (``state`` collected or
    failed), its registration, and a transient error that stopped it (retried)."""

    document_state: str = ""
    document_bytes: bytes = b""
    document_error: str = ""
    registration_result: str = ""
    registration_error: str = ""
    error: str = ""

    def document(self, state: str, data: bytes, *, error: str = "") -> None:
        self.document_state, self.document_bytes, self.document_error = state, data, error

    def registered(self, registration: str, *, error: str = "") -> None:
        self.registration_result, self.registration_error = registration, error

    def __bool__(self) -> bool:
        return bool(self.document_state or self.registration_result or self.error)

    @property
    def last_error(self) -> str:
        return "；".join(filter(None, (self.document_error, self.registration_error, self.error)))[:2000]


def licence_collection_finish(*, licence: IssuedLicence, outcome: CollectionOutcome) -> None:
    """Record a collection run in one transaction: one conditional UPDATE (the document
    pending → collected / failed, the registration pending → registered / failed /
    no_holder, the error, the attempt counted) and one audit event. When both moved, the
    event is the registration's (``licence.registered`` …) and its ``after`` also says how
    the document was collected (``state``, ``bytes``); otherwise the one that moved
    (``licence.collected`` …). If another run got to either first, each is recorded on its
    own, conditionally, as :func:`licence_document_finish` and
    :func:`licence_registration_finish` do."""
    changes: dict = {"attempts": F("attempts") + 1, "last_error": outcome.last_error}
    before: dict = {}
    after: dict = {}
    action = transition = ""
    rows = IssuedLicence.objects.filter(pk=licence.pk)
    machine = None
    if outcome.document_state:
        machine = COLLECTION
        action = transition = COLLECTION_ACTIONS[outcome.document_state]
        changes.update(document=outcome.document_bytes, document_sha256=_sha256(outcome.document_bytes))
        before["state"] = C.PENDING
        after.update(state=outcome.document_state, bytes=len(outcome.document_bytes))
    if outcome.registration_result:
        registration = REGISTRATION[REGISTRATION_ACTIONS[outcome.registration_result]]
        if machine is None:
            machine, transition = REGISTRATION, registration.name
        else:  # both in the one UPDATE: the registration from its own sources only
            rows = rows.filter(registration__in=registration.sources)
            changes["registration"] = registration.target
        action = registration.name
        after.update(number=licence.number, holder_type=licence.licence_type, registration=outcome.registration_result)
    with transaction.atomic():
        if machine is None:  # nothing moved (a transient failure): the error and the attempt
            rows.update(**changes)
            return
        if machine.move_all(transition, rows, **changes) == 1:
            audit.record(
                action=f"licence.{action}",
                case_number=licence.case.number,
                obj=licence,
                before=before or None,
                after=after,
                note=outcome.last_error,
            )
            moved = True
        else:
            moved = False
    if moved:
        if outcome.document_state:
            licence.state = outcome.document_state
        if outcome.registration_result:
            licence.registration = outcome.registration_result
        licence.last_error = outcome.last_error
        return
    # another run got to one of them first: each on its own, conditionally
    if outcome.document_state:
        licence_document_finish(
            licence=licence,
            state=outcome.document_state,
            document=outcome.document_bytes,
            sha256=_sha256(outcome.document_bytes),
            error=outcome.document_error,
        )
    if outcome.registration_result:
        licence_registration_finish(
            licence=licence, registration=outcome.registration_result, error=outcome.registration_error
        )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def licence_registration_finish(*, licence: IssuedLicence, registration: str, error: str) -> bool:
    """pending → registered, failed (the hub refused it) or no_holder. Audited
    (``licence.registered``, ``licence.registration_failed``, ``licence.not_registered``)."""
    action = REGISTRATION_ACTIONS[registration]
    with transaction.atomic():
        moved = REGISTRATION.move(action, pk=licence.pk, last_error=error)
        if moved:
            audit.record(
                action=f"licence.{action}",
                case_number=licence.case.number,
                obj=licence,
                after={"number": licence.number, "holder_type": licence.licence_type},
                note=error,
            )
    licence.registration = registration
    return moved


def licence_withdraw(*, licence: IssuedLicence, case_number: str, actor, note: str) -> bool:
    """Any registration but registered → withdrawn; audited ``licence.withdrawn`` either
    way (a registered licence stays so: the note says it needs withdrawing in the hub)."""
    with transaction.atomic():
        changed = REGISTRATION.move("withdrawn", pk=licence.pk)
        audit.record(
            action="licence.withdrawn",
            actor=actor,
            case_number=case_number,
            obj=licence,
            before={"registration": licence.registration},
            after={"registration": R.WITHDRAWN if changed else licence.registration},
            note=note,
        )
    return changed


def licence_retry(*, licence: IssuedLicence) -> None:
    """An administrator sends a stuck licence again: a failed collection or registration
    goes back to pending (the admin action itself is audited as ``admin.action``)."""
    COLLECTION.move("retry", pk=licence.pk)
    REGISTRATION.move("retry", pk=licence.pk)
