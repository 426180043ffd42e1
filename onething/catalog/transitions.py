"""The bundle-version state machine: the only place a BundleVersion changes state, each
change a conditional update with its audit event in the caller's transaction::

    draft ──publish──► published ──retire──► retired

A version is created a draft (``services.version_new_draft``, the definition import);
publishing one retires the bundle's published version in the same transaction.
"""

from django.db import transaction
from django.utils import timezone

from onething.audit import services as audit
from onething.catalog.models import BundleVersion
from onething.common.statemachine import StateMachine

S = BundleVersion.State
VERSION = StateMachine(
    BundleVersion,
    initial={S.DRAFT},
    transitions={
        "publish": ({S.DRAFT}, S.PUBLISHED),
        "retire": ({S.PUBLISHED}, S.RETIRED),
    },
)


@transaction.atomic
def version_publish(*, version: BundleVersion, snapshot: dict, actor=None) -> None:
    """draft → published with its frozen ``snapshot``; the bundle's published version
    retires. Audited ``catalog.version_published``. Raises TransitionNotAllowed if
    ``version`` is no draft (the caller checks it first, under a row lock)."""
    now = timezone.now()
    previous = BundleVersion.objects.filter(bundle=version.bundle, state=S.PUBLISHED).exclude(pk=version.pk)
    retired = list(previous.values_list("number", flat=True))
    VERSION.move_all("retire", previous, retired_at=now)
    if not VERSION.move("publish", pk=version.pk, snapshot=snapshot, published_at=now):
        # rolls the retirement back with it
        raise VERSION.refused("publish", current=version.state, subject=f"{version.bundle.code} v{version.number}")
    version.snapshot, version.state, version.published_at = snapshot, S.PUBLISHED, now
    audit.record(
        action="catalog.version_published",
        actor=actor,
        obj=version,
        before={"state": S.DRAFT},
        after={"state": version.state, "bundle": version.bundle.code, "number": version.number, "retired": retired},
    )


@transaction.atomic
def version_retire(*, version: BundleVersion, actor=None) -> bool:
    """published → retired: no new cases start on it; running cases keep it. Audited
    ``catalog.version_retired``. False if it was not published."""
    moved = VERSION.move("retire", pk=version.pk, retired_at=timezone.now())
    version.refresh_from_db()
    if not moved:
        return False
    audit.record(
        action="catalog.version_retired",
        actor=actor,
        obj=version,
        before={"state": S.PUBLISHED},
        after={"state": version.state, "bundle": version.bundle.code, "number": version.number},
    )
    return True
