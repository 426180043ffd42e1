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

from django.db import transaction

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
