"""Writes of 一网办理: split an accepted case into item cases, dispatch them, apply what
departments answer, fan in through the database, reconcile what got lost.

Tasks (tasks.py) only carry ids and call these. Fan-in happens under a row lock on the
case: whoever concludes an item case locks its case row, then releases, cancels or
concludes siblings, so two results arriving at once cannot both miss the last step.
"""

import logging
import random
import secrets
import uuid
from contextlib import nullcontext
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from onething.audit import services as audit
from onething.cases import transitions as case_transitions
from onething.cases.models import Case
from onething.common import events
from onething.common.queueing import task_named
from onething.notice.engine import CompiledBundle, build_notice
from onething.notice.selectors import compiled_version
from onething.processing import transitions
from onething.processing.adapters.base import DepartmentStatus
from onething.processing.errors import (
    ItemCaseStateConflict,
    NotInWorkbench,
    PermanentDispatchError,
    TransientDispatchError,
)
from onething.processing.models import FINAL_STATES, CallbackNonce, CallbackReceipt, DepartmentEndpoint, ItemCase
from onething.processing.selectors import adapter_for, callback_url

log = logging.getLogger(__name__)
S = ItemCase.State


# --- split ---------------------------------------------------------------------------------


def case_split(*, case: Case) -> list[ItemCase]:
    """One item case per applicable item, with the merged data projected onto the item's
    own fields; items with nothing to wait for are dispatched once this commits."""
    compiled = compiled_version(version=case.version)
    notice = build_notice(compiled, case.answers)
    departments = _departments(compiled)
    case_materials = list(case.materials.all())
    item_cases = []
    for item in notice.items:
        definition = compiled.items[item.code]
        item_cases.append(
            ItemCase(
                case=case,
                item_code=item.code,
                item_name=item.name,
                department=departments[definition["department"]],
                **transitions.ITEM_CASE.initial_state(S.WAITING if item.waits_for else S.READY),
                upstream=item.waits_for,
                data=project(compiled=compiled, item_code=item.code, data=case.data),
                materials=_materials_for(case_materials, item.code),
                committed_days=item.committed_days,
                # readable, and unique even if a database is restored or reset while the
                # department remembers keys: a reused key would be a different application
                idempotency_key=f"{case.number}:{item.code}:{uuid.uuid4().hex[:12]}",
            )
        )
    ItemCase.objects.bulk_create(item_cases)
    case_transitions.case_start_processing(case=case, item_codes=[ic.item_code for ic in item_cases])
    created = list(ItemCase.objects.filter(case=case))
    for item_case in created:
        if item_case.state == S.READY:
            enqueue_dispatch(item_case.pk, case_number=case.number)
    return created


def _departments(compiled: CompiledBundle) -> dict:
    from onething.catalog.models import Department

    return {d.code: d for d in Department.objects.filter(code__in=compiled.departments)}


def project(*, compiled: CompiledBundle, item_code: str, data: dict) -> dict:
    """The item's own field names with the case's values for their data elements."""
    fields = compiled.items[item_code].get("fields", [])
    return {f["name"]: data[f["element"]] for f in fields if f["element"] in data}


def _materials_for(case_materials: list, item_code: str) -> list[dict]:
    return [
        {"key": m.key, "name": m.name, "source": m.source, "licence_number": m.licence_number, "upload": m.upload_id}
        for m in case_materials
        if item_code in m.needed_by
    ]


def enqueue_dispatch(item_case_id: int, countdown: float = 0, *, case_number: str = "") -> None:
    """Send the dispatch task once the current transaction commits (never before). If the
    broker is unreachable the item case stays ready and the reconciliation sends it.
    ``case_number`` goes in the message header for the worker's logs (else the worker
    looks it up: one query per task)."""
    from onething.common.logging import bind_case

    def send() -> None:
        # the publish hook copies the bound case number into the message header
        with bind_case(case_number) if case_number else nullcontext():
            task_named("processing.dispatch_item_case").apply_async((item_case_id,), countdown=countdown or None)

    transaction.on_commit(send, robust=True)


# --- dispatch ------------------------------------------------------------------------------


def retry_delay(attempts: int) -> float:
    """Exponential backoff with full jitter, capped below the broker's visibility timeout."""
    cap = min(settings.DISPATCH_BACKOFF_MAX_SECONDS, settings.CELERY_VISIBILITY_TIMEOUT / 2)
    return random.uniform(0, min(cap, settings.DISPATCH_BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0)))


def dispatch(*, item_case_id: int) -> str:
    """Claim a ready item case and hand it to its department. Returns what happened:
    "skipped" (someone else has it, or it is not ready), "dispatched", "retry", "dead"."""
    # one statement: the claim returns what the submission needs (case number, department,
    # endpoint); nothing else is read before the department is called
    item_case = transitions.claim_returning(item_case_id=item_case_id)
    if item_case is None:
        return "skipped"
    try:
        reference = adapter_for(item_case.department).submit(item_case=item_case, callback_url=callback_url(item_case))
    except PermanentDispatchError as error:
        _dead_letter(item_case, f"permanent: {error}")
        return "dead"
    except TransientDispatchError as error:
        if item_case.attempts >= settings.DISPATCH_MAX_ATTEMPTS:
            _dead_letter(item_case, f"gave up: {error}")
            return "dead"
        transitions.move(item_case=item_case, action="dispatch_failed", last_error=f"transient: {error}")
        enqueue_dispatch(item_case.pk, countdown=retry_delay(item_case.attempts), case_number=item_case.case.number)
        return "retry"
    _dispatched(item_case, reference)
    return "dispatched"


def _dead_letter(item_case: ItemCase, error: str) -> None:
    """Give up dispatching: the item case waits for a person, and the case's owning clerk
    and the administrators are told, once (the applicant reads "部门系统暂未接收，工作人员
    正在处理": processing.plain)."""
    with transaction.atomic():
        if transitions.move(item_case=item_case, action="dead_letter", last_error=error):
            _notify_dead_letter(item_case)


def _dispatched(item_case: ItemCase, reference: str) -> None:
    from onething.workdays.services import due_after

    # a year without a holiday schedule is counted with weekends only and marked provisional
    # (shown as 暂定); entering the year's schedule recomputes it (intake.services)
    due = due_after(start=timezone.localdate(), days=item_case.committed_days)
    details = {
        "reference": reference,
        "dispatched_at": timezone.now(),
        "due_date": due.day,
        "due_date_provisional": due.provisional,
    }
    if not transitions.move(item_case=item_case, action="dispatched", last_error="", **details):
        # the department's answer overtook us (callback before this commit): keep its state
        ItemCase.objects.filter(pk=item_case.pk, reference="").update(**details)


def redispatch(*, item_case: ItemCase, actor) -> bool:
    """An administrator sends a dead-lettered item case again (one action)."""
    if transitions.move(item_case=item_case, action="redispatch", actor=actor, attempts=0):
        enqueue_dispatch(item_case.pk, case_number=item_case.case.number)
        return True
    return False


# --- results and fan-in ------------------------------------------------------------------


CONCLUDING = {S.APPROVED, S.REJECTED}  # results that siblings and the case depend on


def apply_status(*, item_case_id: int, status: DepartmentStatus, actor=None, source: str = "callback") -> ItemCase:
    """Apply what the department says. A result (approved, rejected) then fans in under
    the case's row lock: release, cancel or conclude. Progress and supplement requests
    concern this item case alone: its conditional transition is all the guard they need
    (a result that got there first wins), so they take no lock and read no siblings.
    No savepoint of its own (callers that wrap it, like the callback's, roll back as a whole
    on an error: a savepoint would be two more round trips per callback)."""
    if status.state not in CONCLUDING:
        with transaction.atomic(savepoint=False):
            item_case = ItemCase.objects.select_related("case").get(pk=item_case_id)
            if item_case.state not in FINAL_STATES:
                _apply(item_case, status, actor, source)
        return item_case
    with transaction.atomic(savepoint=False):
        case, siblings = _locked_case_and_siblings(item_case_id)
        item_case = next(ic for ic in siblings if ic.pk == item_case_id)
        if item_case.state in FINAL_STATES:
            return item_case
        _apply(item_case, status, actor, source)
        _fan_in(case, siblings)
    return item_case


# the case of an item case, locked first (its own statement-level CTE, materialised: run
# before any item-case row is read), then every item case of it, locked as well; the
# outer FOR UPDATE re-reads each row at its latest committed version after any wait
_LOCK_CASE_OF_ITEM = (
    "(WITH locked AS MATERIALIZED (SELECT id FROM cases_case WHERE id ="
    " (SELECT case_id FROM processing_itemcase WHERE id = %s) FOR UPDATE) SELECT id FROM locked)"
)


def _locked_case_and_siblings(item_case_id: int) -> tuple[Case, list[ItemCase]]:
    """The fan-in lock (the case's row) and the case's item cases, read under it.

    On PostgreSQL in one statement: the case row is locked in a CTE evaluated before the item
    cases are read (so the lock order stays case first, as everywhere else), and the item
    cases and the case are selected ``FOR UPDATE`` too: after waiting for the lock, each row
    is read at its latest committed version, as a second statement would read them (a
    plain join would see them as of the statement's start). Elsewhere (SQLite, which
    serialises writers anyway) the lock, then the siblings."""
    if connection.vendor != "postgresql":
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("version", "applicant")
            .defer("version__snapshot")  # large; compiled once per process (compiled_version)
            .get(item_cases=item_case_id)
        )
        return case, _siblings(case)
    siblings = list(
        ItemCase.objects.filter(case_id=RawSQL(_LOCK_CASE_OF_ITEM, [item_case_id]))
        .select_related("department", "case__version", "case__applicant")
        .defer("case__version__snapshot")
        .select_for_update(of=("self", "case"))
        .order_by("pk")
    )
    if not siblings:
        raise ItemCase.DoesNotExist(f"item case {item_case_id}")
    case = siblings[0].case
    for sibling in siblings:
        sibling.case = case
    return case, siblings


def _siblings(case: Case) -> list[ItemCase]:
    siblings = list(ItemCase.objects.filter(case=case).select_related("department").order_by("pk"))
    for sibling in siblings:
        sibling.case = case
    return siblings


def _apply(item_case: ItemCase, status: DepartmentStatus, actor, source: str) -> None:
    note = f"via {source}"
    today = timezone.localdate()
    if status.state == S.IN_PROGRESS:
        transitions.move(item_case=item_case, action="in_progress", actor=actor, note=note, **_resume(item_case, today))
    elif status.state == S.SUPPLEMENT:
        if transitions.move(
            item_case=item_case,
            action="supplement_requested",
            actor=actor,
            note=note,
            supplement=status.supplement,
            paused_since=today,
        ):
            _notify_supplement(item_case)
    elif status.state == S.APPROVED:
        if transitions.move(
            item_case=item_case,
            action="approved",
            actor=actor,
            note=note,
            result=status.result,
            certificate=status.certificate,
            concluded_at=timezone.now(),
            **_resume(item_case, today),
        ):
            # 统一发证 puts its certificate on the case and collects it after commit
            events.publish(events.ItemCaseApproved, item_case_id=item_case.pk, item_case=item_case)
    elif status.state == S.REJECTED:
        transitions.move(
            item_case=item_case,
            action="rejected",
            actor=actor,
            note=note,
            reason=status.reason,
            concluded_at=timezone.now(),
            **_resume(item_case, today),
        )


def _resume(item_case: ItemCase, today: date) -> dict:
    """Stop the pause of the time limit that a supplement request started."""
    if item_case.paused_since is None:
        return {}
    from onething.workdays.services import count_working_days, due_after

    paused = count_working_days(start=item_case.paused_since, end=today)  # weekends only in an unknown year
    changes = {"paused_since": None, "paused_working_days": item_case.paused_working_days + paused.days}
    if item_case.due_date:
        due = due_after(start=item_case.due_date, days=paused.days)
        changes["due_date"] = due.day
        changes["due_date_provisional"] = item_case.due_date_provisional or due.provisional or paused.provisional
    return changes


def _fan_in(case: Case, item_cases: list[ItemCase]) -> None:
    siblings = {ic.item_code: ic for ic in item_cases}
    compiled = compiled_version(version=case.version)
    changed = True
    while changed:  # cancellations cascade down the dependency chain
        changed = False
        for item_case in siblings.values():
            if item_case.state != S.WAITING:
                continue
            upstream = [siblings[code] for code in item_case.upstream if code in siblings]
            failed = [u for u in upstream if u.state in {S.REJECTED, S.CANCELLED}]
            if failed:
                reason = "；".join(f"前置事项“{u.item_name}”{u.get_state_display()}" for u in failed)
                changed |= transitions.move(
                    item_case=item_case, action="cancelled", reason=reason, concluded_at=timezone.now()
                )
            elif all(u.state == S.APPROVED for u in upstream):
                data = {**item_case.data, **_mapped_outputs(compiled, item_case, siblings)}
                if transitions.move(item_case=item_case, action="release", data=data):
                    enqueue_dispatch(item_case.pk, case_number=case.number)
    _conclude_if_done(case, list(siblings.values()))


def _mapped_outputs(compiled: CompiledBundle, item_case: ItemCase, siblings: dict[str, ItemCase]) -> dict:
    """Upstream results the definition maps into this item's fields."""
    values = {}
    for dep in compiled.version.get("dependencies", []):
        upstream = siblings.get(dep["upstream"])
        if dep["downstream"] != item_case.item_code or upstream is None:
            continue
        for mapping in dep.get("mappings", []):
            if mapping["output"] in upstream.result:
                values[mapping["field"]] = upstream.result[mapping["output"]]
    return values


def _conclude_if_done(case: Case, item_cases: list[ItemCase]) -> None:
    """Conclude once every item case is final, unless a deferred material (容缺) is still
    outstanding: then the results are held; supplying it or the clerk's decision on it
    calls ``case_conclude_if_done`` again."""
    from onething.intake.selectors import has_outstanding_deferrals

    if not item_cases or any(ic.state not in FINAL_STATES for ic in item_cases):
        return
    if has_outstanding_deferrals(case):
        return
    all_approved = all(ic.state == S.APPROVED for ic in item_cases)
    items = {ic.item_code: ic.state for ic in item_cases}
    if case_transitions.case_conclude(case=case, all_approved=all_approved, items=items):
        # 统一发证 tells the applicant, with how the results are received
        events.publish(
            events.CaseConcluded, case_id=case.pk, case=case, item_cases=tuple(item_cases), all_approved=all_approved
        )


def case_conclude_if_done(*, case: Case) -> Case:
    """Conclude a case whose conclusion was held (a deferred material was outstanding when
    its last item case finished). Under the fan-in lock, like a result; nothing happens if
    items are unfinished or another deferral is still outstanding."""
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update(of=("self",))
            .select_related("version", "applicant")
            .defer("version__snapshot")
            .get(pk=case.pk)
        )
        _conclude_if_done(locked, _siblings(locked))
    case.refresh_from_db()
    return case


def items_refuse_for_deferral(*, case: Case, item_codes: set[str], reason: str, actor) -> list[ItemCase]:
    """The owning clerk refused the items needing an overdue deferred material: each is
    rejected with the reason (an approved one too: its result was held and is withdrawn),
    items waiting for them are cancelled, and the case concludes if nothing else is open.
    Call in the transaction that records the decision, after the material is marked."""
    refused = []
    with transaction.atomic(savepoint=False):
        locked = (
            Case.objects.select_for_update(of=("self",))
            .select_related("version", "applicant")
            .defer("version__snapshot")
            .get(pk=case.pk)
        )
        siblings = _siblings(locked)
        for item_case in siblings:
            if item_case.item_code not in item_codes:
                continue
            was_approved = item_case.state == S.APPROVED
            if transitions.move(
                item_case=item_case,
                action="deferral_refused",
                actor=actor,
                note=reason,
                reason=reason,
                concluded_at=timezone.now(),
                paused_since=None,
            ):
                refused.append(item_case)
                if was_approved:  # 统一发证 withdraws its licence
                    events.publish(
                        events.ItemCaseRevoked,
                        item_case_id=item_case.pk,
                        item_case=item_case,
                        reason=reason,
                        actor_id=getattr(actor, "pk", None),
                        actor=actor,
                    )
        _fan_in(locked, siblings)
    return refused


# --- supplements -------------------------------------------------------------------------


def supplement_supply(*, item_case: ItemCase, applicant, data: dict, materials: list[dict]) -> ItemCase:
    """The applicant answers a department's supplement request (补正); the department gets
    it and the item case resumes (the time limit restarts from where it paused)."""
    if item_case.case.applicant_id != applicant.pk:
        raise PermissionError("only the applicant")
    if item_case.state != S.SUPPLEMENT:
        return item_case
    adapter_for(item_case.department).supplement(item_case=item_case, data=data, materials=materials)
    supplied = [{**m, "source": "supplement"} for m in materials]
    ItemCase.objects.filter(pk=item_case.pk).update(
        data={**item_case.data, **data}, materials=[*item_case.materials, *supplied]
    )
    audit.record(
        action="item_case.supplemented",
        actor=applicant,
        case_number=item_case.case.number,
        obj=item_case,
        after={"fields": sorted(data), "materials": supplied},
    )
    return apply_status(
        item_case_id=item_case.pk, status=DepartmentStatus(state=S.IN_PROGRESS), actor=applicant, source="supplement"
    )


# --- reconciliation ------------------------------------------------------------------------


def reconcile(*, now=None) -> dict[str, int]:
    """Find work a lost broker message or a dead worker left behind and do it. Safe to run
    any time: dispatch claims with a conditional update and submissions carry the item
    case's idempotency key, so a department sees one application whatever happens."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.RECONCILE_STALE_SECONDS)
    counts = {"requeued": 0, "reset": 0, "polled": 0}
    for item_case in ItemCase.objects.filter(state=S.DISPATCHING, state_changed_at__lt=stale).select_related("case"):
        if transitions.move(item_case=item_case, action="reset_stuck", note="worker lost while dispatching"):
            enqueue_dispatch(item_case.pk, case_number=item_case.case.number)
            counts["reset"] += 1
    for pk in ItemCase.objects.filter(state=S.READY, state_changed_at__lt=stale).values_list("pk", flat=True):
        enqueue_dispatch(pk)
        counts["requeued"] += 1
    counts["callbacks"] = _reapply_callbacks(stale)
    prune_nonces()
    silent = now - timedelta(seconds=settings.POLL_AFTER_SECONDS)
    waiting = ItemCase.objects.filter(
        Q(state=S.RECEIVED) | Q(state=S.IN_PROGRESS), state_changed_at__lt=silent
    ).select_related("department__endpoint")
    for item_case in waiting:
        counts["polled"] += poll(item_case=item_case)
    return counts


def _reapply_callbacks(stale) -> int:
    """Callbacks stored but never applied (their task message was lost)."""
    pending = CallbackReceipt.objects.filter(applied_at__isnull=True, received_at__lt=stale)
    return sum(apply_receipt(receipt_id=pk) == "applied" for pk in pending.values_list("pk", flat=True))


# --- stored callbacks (the view: processing/callbacks.py) ----------------------------------

KNOWN_STATES = {s.value for s in ItemCase.State}


def status_from_payload(payload: dict) -> DepartmentStatus | None:
    state = payload.get("state")
    if state not in KNOWN_STATES:
        return None
    return DepartmentStatus(
        state=state,
        result=payload.get("result") or {},
        certificate=payload.get("certificate") or {},
        reason=payload.get("reason") or "",
        supplement=payload.get("supplement") or {},
    )


def receipt_apply(*, receipt: CallbackReceipt) -> bool:
    """Apply a stored callback's state; False when it names none the engine knows (kept, ignored)."""
    status = status_from_payload(receipt.payload)
    if status is None or receipt.item_case_id is None:
        return False
    apply_status(item_case_id=receipt.item_case_id, status=status, source="callback")
    return True


def apply_receipt(*, receipt_id: int) -> str:
    """Apply a stored callback that was not applied in its request (the ``callbacks`` queue,
    the reconciliation), once. Marking it applied and applying it share one transaction: a
    worker that dies in between leaves it unapplied for the reconciliation."""
    with transaction.atomic():
        claimed = CallbackReceipt.objects.filter(pk=receipt_id, applied_at__isnull=True).update(
            applied_at=timezone.now()
        )
        if claimed != 1:
            return "already applied"
        applied = receipt_apply(receipt=CallbackReceipt.objects.get(pk=receipt_id))
    return "applied" if applied else "ignored"


def prune_nonces() -> int:
    cutoff = timezone.now() - timedelta(seconds=2 * settings.CALLBACK_REPLAY_WINDOW_SECONDS)
    return CallbackNonce.objects.filter(seen_at__lt=cutoff).delete()[0]


def poll(*, item_case: ItemCase) -> int:
    """Ask the department (fallback when a callback got lost)."""
    try:
        status = adapter_for(item_case.department).poll(item_case=item_case)
    except (TransientDispatchError, PermanentDispatchError) as error:
        log.warning("poll of %s failed: %s", item_case.idempotency_key, error)
        return 0
    if status is None or status.state in {S.RECEIVED, item_case.state}:
        ItemCase.objects.filter(pk=item_case.pk, state=item_case.state).update(state_changed_at=timezone.now())
        return 0
    apply_status(item_case_id=item_case.pk, status=status, source="poll")
    return 1


# --- notifications -------------------------------------------------------------------------


def _notify_supplement(item_case: ItemCase) -> None:
    from onething.notifications.services import notify

    case = item_case.case
    message = item_case.supplement.get("message", "")
    for recipient in filter(None, [case.applicant, case.owner]):
        notify(
            recipient=recipient,
            subject="部门要求补正",
            body=f"办件 {case.number} 的“{item_case.item_name}”需要补正：{message}。请登录补充，办理时限暂停计算。",
            dedup_key=f"supplement:{item_case.pk}:{item_case.state_changed_at:%Y%m%d%H%M%S}:{recipient.pk}",
            case_number=case.number,
        )


def dead_letter_recipients(case: Case) -> list:
    """Who is told of a dead-lettered item case: the case's owning clerk (首问负责人) and
    every active administrator (role admin, or superuser)."""
    from django.contrib.auth import get_user_model

    users = get_user_model()
    admins = users.objects.filter(Q(role=users.Role.ADMIN) | Q(is_superuser=True), is_active=True).order_by("pk")
    recipients = [case.owner] if case.owner_id else []
    return recipients + [user for user in admins if user.pk != case.owner_id]


def _notify_dead_letter(item_case: ItemCase) -> None:
    from onething.notifications.services import notify

    case = item_case.case
    body = (
        f"办件 {case.number} 的“{item_case.item_name}”（{item_case.department.name}）派发失败，已停止重试："
        f"{item_case.last_error[:200]}。请在管理后台“派发失败”列表中重新派发或取消；申请人看到的是"
        "“部门系统暂未接收，工作人员正在处理”。"
    )
    for recipient in dead_letter_recipients(case):
        notify(
            recipient=recipient,
            subject="子件派发失败，待人工处理",
            body=body,
            dedup_key=f"dead-letter:{item_case.pk}:{item_case.state_changed_at:%Y%m%d%H%M%S%f}:{recipient.pk}",
            case_number=case.number,
        )


# --- Department secrets: rotation (docs/department-protocol.md, "Rotating a secret") --------

SECRET_MIN_LENGTH = 32


class SecretRefused(ValueError):
    """A new department secret that is too short or a demo value."""


def department_secret_rotate(*, endpoint: DepartmentEndpoint, new_secret: str | None = None, actor=None) -> str:
    """Make ``new_secret`` (or a freshly generated one) the department's current secret; the
    current one becomes the previous, still accepted on callbacks until retired. Requests to
    the department are signed with the new one from now on. Returns the new secret."""
    from onething.common.secret_policy import is_demo_secret

    new_secret = (new_secret or "").strip() or secrets.token_urlsafe(48)
    if len(new_secret) < SECRET_MIN_LENGTH or is_demo_secret(new_secret):
        raise SecretRefused(
            f"新签名密钥至少 {SECRET_MIN_LENGTH} 个字符且不得为演示值 / "
            f"the new secret must have at least {SECRET_MIN_LENGTH} characters and not be a demo value"
        )
    with transaction.atomic():
        locked = DepartmentEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if new_secret == locked.secret:
            raise SecretRefused("新签名密钥与当前密钥相同 / the new secret equals the current one")
        locked.previous_secret, locked.secret = locked.secret, new_secret
        locked.secret_rotated_at = timezone.now()
        locked.save(update_fields=["secret", "previous_secret", "secret_rotated_at"])
        audit.record(
            action="department.secret_rotated",
            actor=actor,
            obj=locked,
            after={"department": locked.department.code, "previous_accepted": bool(locked.previous_secret)},
        )
    endpoint.secret, endpoint.previous_secret = locked.secret, locked.previous_secret
    endpoint.secret_rotated_at = locked.secret_rotated_at
    return new_secret


def department_secret_retire_previous(*, endpoint: DepartmentEndpoint, actor=None) -> bool:
    """End a rotation: the previous secret is no longer accepted. False if there was none."""
    with transaction.atomic():
        locked = DepartmentEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if not locked.previous_secret:
            return False
        locked.previous_secret = ""
        locked.save(update_fields=["previous_secret"])
        audit.record(
            action="department.previous_secret_retired",
            actor=actor,
            obj=locked,
            after={"department": locked.department.code},
        )
    endpoint.previous_secret = ""
    return True


# --- the department workbench (部门工作台): an officer decides -----------------------------------
# The same path as a department system's callback (``apply_status``, source "workbench"),
# for item cases whose department works in the workbench. Called by processing/views.py.


def workbench_require(*, item_case: ItemCase, action: str) -> None:
    """The workbench may do ``action`` ("start", "approve", "reject", "supplement") to the
    item case: its department decides here (``NotInWorkbench``, 403, otherwise) and the item
    case is in a state that allows it (``ItemCaseStateConflict``, 409, otherwise)."""
    from onething.processing import selectors

    if not selectors.decides_in_workbench(department_id=item_case.department_id):
        raise NotInWorkbench()
    if item_case.state not in selectors.WORKBENCH_ACTIONS[action]:
        raise ItemCaseStateConflict(item_case, action)


def _workbench_apply(*, item_case: ItemCase, action: str, status: DepartmentStatus, actor) -> ItemCase:
    workbench_require(item_case=item_case, action=action)
    apply_status(item_case_id=item_case.pk, status=status, actor=actor, source="workbench")
    after = ItemCase.objects.select_related("case", "department").get(pk=item_case.pk)
    if after.state != status.state:  # someone (a callback, another officer) got there first
        raise ItemCaseStateConflict(after, action)
    return after


def workbench_start(*, item_case: ItemCase, actor) -> ItemCase:
    """开始办理: received → in progress (optional; deciding works from received too)."""
    status = DepartmentStatus(state=S.IN_PROGRESS)
    return _workbench_apply(item_case=item_case, action="start", status=status, actor=actor)


def workbench_approve(
    *, item_case: ItemCase, actor, result: dict, certificate_number: str = "", certificate_file=None
) -> ItemCase:
    """准予 with the result data, and optionally a certificate: its number and/or its PDF,
    stored as the officer's upload (``UploadRejected`` for anything but a PDF). The next
    items of the case are released by the fan-in."""
    from onething.processing import selectors

    workbench_require(item_case=item_case, action="approve")
    upload = _certificate_upload(owner=actor, file=certificate_file) if certificate_file is not None else None
    certificate: dict = {}
    if certificate_number or upload is not None:
        certificate = {
            "type": selectors.certificate_type(item_case=item_case),
            "number": certificate_number,
            "data": result,
            "upload": upload.pk if upload is not None else None,
            "issuer": item_case.department.name,
            "issue_date": timezone.localdate().isoformat(),
        }
    status = DepartmentStatus(state=S.APPROVED, result=result, certificate=certificate)
    return _workbench_apply(item_case=item_case, action="approve", status=status, actor=actor)


def _certificate_upload(*, owner, file):
    from django.utils.translation import gettext

    from onething.apply.uploads import UploadRejected, sniff_content_type, upload_create

    head = file.read(8)
    file.seek(0)
    if sniff_content_type(data=head) != "application/pdf":
        raise UploadRejected(
            code="unsupported_type", message=gettext("证照文件只接受 PDF"), message_en="only PDF is accepted"
        )
    return upload_create(owner=owner, file=file)


def workbench_reject(*, item_case: ItemCase, actor, reason: str) -> ItemCase:
    """不予批准, with the reason the applicant will read; dependants are cancelled."""
    status = DepartmentStatus(state=S.REJECTED, reason=reason)
    return _workbench_apply(item_case=item_case, action="reject", status=status, actor=actor)


def workbench_ask_supplement(
    *, item_case: ItemCase, actor, message: str, fields: list[str], materials: list[str]
) -> ItemCase:
    """要求补正: what to supply, said once; the time limit pauses until it comes."""
    asked = {"message": message, "fields": fields, "materials": materials}
    status = DepartmentStatus(state=S.SUPPLEMENT, supplement=asked)
    return _workbench_apply(item_case=item_case, action="supplement", status=status, actor=actor)
