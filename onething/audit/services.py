"""Write audit events. Call inside the transaction of the change being recorded, so the
event exists exactly when the change does. Every part imports this module
(``from onething.audit import services as audit`` … ``audit.record(...)``)."""

from typing import Any

from onething.audit.models import AuditEvent


def record(
    *,
    action: str,
    actor=None,
    case_number: str = "",
    obj: Any = None,
    before: Any = None,
    after: Any = None,
    note: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        case_number=case_number,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "pk", "") or ""),
        before=before,
        after=after,
        note=note,
    )
