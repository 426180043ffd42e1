"""Signed callbacks from department systems (docs/department-protocol.md).

The view checks the signature, the timestamp window and the nonce, stores the callback
once per event id and applies it at once (should that fail, the ``callbacks`` queue applies
the stored callback later); a duplicate or a replay changes nothing. A forged callback is
refused with 401, logged and audited.

Each department's id and secrets are kept per process (``_endpoint``): a signature that
does not match them, or matches only the previous secret, is checked again against the
secrets read afresh, so a rotation or a retirement made by another process is seen at the
next callback; nothing is kept longer than ``ENDPOINT_CACHE_SECONDS``.
"""

import contextlib
import functools
import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from onething.audit import services as audit
from onething.catalog.models import Department
from onething.common import limits
from onething.common.queueing import task_named
from onething.processing import services
from onething.processing.models import CallbackNonce, CallbackReceipt, DepartmentEndpoint
from services.protocol import signing

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 2 * 1024 * 1024  # docs/department-protocol.md: JSON bodies of at most 2 MiB
ENDPOINT_CACHE_SECONDS = 60  # the longest a process trusts its copy of a department's secrets


def _error(status: int, code: str, message: str, message_en: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "message_en": message_en}}, status=status)


def _refused(request: HttpRequest, department: str, status: int, code: str, message: str, message_en: str):
    """A callback refused before its signature is known to be good: logged, not audited
    (it may be a department's honest mistake; forged signatures are audited below)."""
    log.warning("refused callback from %s: %s (%s)", department, code, request.META.get("REMOTE_ADDR"))
    return _error(status, code, message, message_en)


# --- department endpoints, kept per process ---------------------------------------------------


@dataclass(frozen=True)
class _Endpoint:
    department_id: int
    secrets: tuple[str, ...]  # the current secret, then the previous one during a rotation
    loaded_at: float


_endpoints: dict[str, _Endpoint] = {}
_endpoints_lock = threading.Lock()


def _endpoint(department: str, *, fresh: bool = False) -> _Endpoint | None:
    """The department's id and accepted secrets; None for an unknown department or one
    without a secret (the workbench). Read from the database at most once a minute per
    process, or when ``fresh``; unknown departments are not remembered."""
    cached = _endpoints.get(department)
    if cached is not None and not fresh and time.monotonic() - cached.loaded_at < ENDPOINT_CACHE_SECONDS:
        return cached
    row = (
        DepartmentEndpoint.objects.filter(department__code=department)
        .only("department_id", "secret", "previous_secret")
        .first()
    )
    if row is None or not row.secret:
        with _endpoints_lock:
            _endpoints.pop(department, None)
        return None
    endpoint = _Endpoint(row.department_id, tuple(row.accepted_secrets()), time.monotonic())
    with _endpoints_lock:
        _endpoints[department] = endpoint
    return endpoint


def _forget_endpoints(**kwargs) -> None:
    """A department or its endpoint changed in this process (a rotation, the admin)."""
    with _endpoints_lock:
        _endpoints.clear()


for _model in (Department, DepartmentEndpoint):
    post_save.connect(_forget_endpoints, sender=_model, dispatch_uid=f"callbacks-forget-{_model.__name__}")
    post_delete.connect(_forget_endpoints, sender=_model, dispatch_uid=f"callbacks-forget-{_model.__name__}-del")


# --- signature and nonce ----------------------------------------------------------------------


def seen_nonce(nonce: str, timestamp: int) -> bool:
    """Remember a nonce; True if it was already used within the replay window. (Old
    nonces are pruned by the reconciliation, off the hot path.)"""
    try:
        with _one_statement():
            CallbackNonce.objects.create(nonce=nonce)
    except IntegrityError:
        return True
    return False


def _one_statement():
    """Where a single INSERT may fail on a unique key: outside a transaction the statement
    is its own transaction (one round trip, where ``atomic`` adds BEGIN and COMMIT); inside
    one, a savepoint keeps the failure from breaking the enclosing transaction."""
    return contextlib.nullcontext() if transaction.get_autocommit() else transaction.atomic()


def _verify(
    request: HttpRequest, *, secrets: Sequence[str], department: str, seen_nonce: signing.SeenNonce
) -> tuple[str | None, int]:
    """``signature_problem`` and the index in ``secrets`` of the secret that decided it."""
    problem = "missing_signature"
    for index, secret in enumerate(secrets):
        problem = signing.verify(
            secret,
            request.headers,
            "POST",
            request.get_full_path(),
            request.body,
            seen_nonce,
            department=department,
            max_skew=settings.CALLBACK_REPLAY_WINDOW_SECONDS,
        )
        if problem != "bad_signature":  # genuine, or wrong whatever the secret
            return problem, index
    return problem, len(secrets)


def signature_problem(
    request: HttpRequest, *, secrets: Sequence[str], department: str, seen_nonce: signing.SeenNonce
) -> str | None:
    """The protocol's check of a signed callback (docs/department-protocol.md): None if it is
    genuine and fresh, else the error code. ``secrets``: the department's current secret and,
    during a rotation, its previous one; a signature under either is genuine. ``seen_nonce``
    remembers nonces (the engine: in its database); it is asked once, for a good signature."""
    return _verify(request, secrets=secrets, department=department, seen_nonce=seen_nonce)[0]


def _checked(request: HttpRequest, department: str, endpoint: _Endpoint) -> tuple[_Endpoint | None, str | None, str]:
    """Check the signature against the kept secrets, and again against the stored ones when
    it fails or matches only the previous secret (rotated or retired meanwhile, perhaps by
    another process). Returns the endpoint, the problem (None: genuine and fresh) and the
    nonce, which is not recorded here: the receipt's statement records it."""
    nonces: list[str] = []

    def hold(nonce: str, timestamp: int) -> bool:
        nonces.append(nonce)
        return False

    problem, index = _verify(request, secrets=endpoint.secrets, department=department, seen_nonce=hold)
    if problem == "bad_signature" or (problem is None and index > 0):
        endpoint, nonces = _endpoint(department, fresh=True), []
        if endpoint is None:
            return None, "unknown_department", ""
        problem, _index = _verify(request, secrets=endpoint.secrets, department=department, seen_nonce=hold)
    return endpoint, problem, nonces[-1] if nonces else ""


# --- the view ---------------------------------------------------------------------------------


def _unknown_department(request: HttpRequest, department: str) -> JsonResponse:
    return _refused(request, department, 404, "unknown_department", "未知部门", "unknown department")


def _signature_refused(department: str, problem: str, request: HttpRequest) -> JsonResponse:
    log.warning("refused callback from %s: %s (%s)", department, problem, request.META.get("REMOTE_ADDR"))
    audit.record(action="callback.refused", note=f"{department}: {problem}")
    return _error(401, problem, "签名校验失败，回调被拒绝", f"callback refused: {problem}")


@csrf_exempt
@require_POST
def department_callback(request: HttpRequest, department: str) -> JsonResponse:
    endpoint = _endpoint(department)
    if endpoint is None:
        return _unknown_department(request, department)
    if _declared_too_large(request):  # refused before the body is read
        return _refused(request, department, 413, "body_too_large", "回调内容过大", "callback body over 2 MiB")
    if request.content_type != "application/json":
        return _refused(
            request, department, 415, "unsupported_media_type", "回调须为 JSON", "callbacks are application/json"
        )
    endpoint, problem, nonce = _checked(request, department, endpoint)
    if endpoint is None:
        return _unknown_department(request, department)
    if problem:
        return _signature_refused(department, problem, request)
    try:
        payload = limits.loads(request.body)
        event_id, key = str(payload["event_id"]), str(payload["idempotency_key"])
        # storable: the event id fits its column; no NUL (jsonb) nor lone surrogate (UTF-8)
        if not 0 < len(event_id) <= 100 or "\\u0000" in json.dumps(payload):
            raise ValueError(event_id[:100])
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except (limits.TooDeep, ValueError, KeyError, TypeError) as wrong:
        # a genuine request: its nonce is used up all the same, and a replay of it is one
        if seen_nonce(nonce, 0):
            return _signature_refused(department, "replayed_nonce", request)
        if isinstance(wrong, limits.TooDeep):
            return _refused(
                request, department, 400, "too_deep", f"回调内容嵌套过深（最多 {wrong.limit} 层）", str(wrong)
            )
        return _refused(request, department, 400, "malformed", "回调格式错误", "malformed callback")
    outcome = store_and_apply(
        Callback(department_id=endpoint.department_id, nonce=nonce, event_id=event_id, key=key, payload=payload)
    )
    if outcome == "replayed":
        return _signature_refused(department, "replayed_nonce", request)
    if outcome == "unknown_item_case":
        return _refused(request, department, 404, "unknown_item_case", "没有对应的子件", "no such item case")
    if outcome == "duplicate":
        return JsonResponse({"status": "duplicate", "event_id": event_id})
    return JsonResponse({"status": "accepted", "event_id": event_id})


def _declared_too_large(request: HttpRequest) -> bool:
    """The body as declared (Content-Length) is over MAX_BODY_BYTES, or not a number."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES
    except ValueError:
        return True


# --- storing and applying ---------------------------------------------------------------------


@dataclass(frozen=True)
class Callback:
    """A genuine callback, its signature checked: what is stored of it."""

    department_id: int
    nonce: str
    event_id: str
    key: str  # the item case's idempotency key
    payload: dict


@dataclass(frozen=True)
class _Stored:
    fresh_nonce: bool
    item_case_id: int | None
    receipt_id: int | None  # None: not stored (replayed nonce, unknown item case, duplicate event)


def _store(callback: Callback, *, applied: bool) -> _Stored:
    """Record the nonce and insert the receipt of the callback's item case (found by its
    idempotency key within the department) unless the event id is stored already. On
    PostgreSQL in one statement (the nonce, the lookup and the receipt in one CTE); on
    SQLite, which cannot feed an INSERT from an INSERT, the nonce, then the receipt by an
    ``INSERT … SELECT … RETURNING`` (plus a lookup when nothing was inserted)."""
    using = router.db_for_write(CallbackReceipt)
    connection = connections[using]
    now = timezone.now()
    fields = {f.name: f for f in CallbackReceipt._meta.concrete_fields}

    def prep(name: str, value):
        return fields[name].get_db_prep_save(value, connection)

    payload, received, applied_at = prep("payload", callback.payload), prep("received_at", now), None
    if applied:
        applied_at = prep("applied_at", now)
    seen_at = CallbackNonce._meta.get_field("seen_at").get_db_prep_save(now, connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "WITH nonce AS ("
                " INSERT INTO processing_callbacknonce (nonce, seen_at) VALUES (%s, %s)"
                " ON CONFLICT (nonce) DO NOTHING RETURNING 1),"
                " item AS (SELECT id FROM processing_itemcase WHERE idempotency_key = %s AND department_id = %s),"
                " receipt AS ("
                " INSERT INTO processing_callbackreceipt"
                " (event_id, department_id, item_case_id, payload, received_at, applied_at)"
                " SELECT CAST(%s AS varchar), CAST(%s AS bigint), item.id, CAST(%s AS jsonb),"
                " CAST(%s AS timestamptz), CAST(%s AS timestamptz) FROM item, nonce"
                " ON CONFLICT (event_id) DO NOTHING RETURNING id)"
                " SELECT EXISTS (SELECT 1 FROM nonce), (SELECT id FROM item), (SELECT id FROM receipt)",
                [
                    *(callback.nonce, seen_at, callback.key, callback.department_id),
                    *(callback.event_id, callback.department_id, payload, received, applied_at),
                ],
            )
            return _Stored(*cursor.fetchone())
        with transaction.atomic(using=using, savepoint=False):
            cursor.execute(
                "INSERT INTO processing_callbacknonce (nonce, seen_at) VALUES (%s, %s) ON CONFLICT (nonce) DO NOTHING",
                [callback.nonce, seen_at],
            )
            if cursor.rowcount != 1:
                return _Stored(False, None, None)
            cursor.execute(
                "INSERT INTO processing_callbackreceipt"
                " (event_id, department_id, item_case_id, payload, received_at, applied_at)"
                " SELECT %s, %s, id, %s, %s, %s FROM processing_itemcase"
                " WHERE idempotency_key = %s AND department_id = %s"
                " ON CONFLICT (event_id) DO NOTHING RETURNING id, item_case_id",
                [
                    *(callback.event_id, callback.department_id, payload, received, applied_at),
                    *(callback.key, callback.department_id),
                ],
            )
            row = cursor.fetchone()
            if row is not None:
                return _Stored(True, row[1], row[0])
            cursor.execute(
                "SELECT id FROM processing_itemcase WHERE idempotency_key = %s AND department_id = %s",
                [callback.key, callback.department_id],
            )
            item = cursor.fetchone()
            return _Stored(True, item[0] if item else None, None)


class _NotStored(Exception):
    def __init__(self, outcome: str):
        self.outcome = outcome


def _outcome(stored: _Stored) -> str | None:
    if not stored.fresh_nonce:
        return "replayed"
    if stored.item_case_id is None:
        return "unknown_item_case"
    if stored.receipt_id is None:
        return "duplicate"  # the unique event id turned a second delivery away
    return None


def store_and_apply(callback: Callback) -> str:
    """Store a callback once per event id and apply it, in the request that brought it and
    in one transaction: the nonce, the receipt (written as applied) and what it changes, so
    a crash in between leaves none of them (the department, unanswered, delivers again).
    Should applying fail, the nonce and the receipt are stored unapplied in a statement of
    their own and the ``callbacks`` queue applies it later (the reconciliation too, should
    the broker be down as well): the department's answer is never lost. Returns "applied",
    "duplicate", "queued", "replayed" (the nonce was used) or "unknown_item_case"."""
    try:
        with transaction.atomic():
            stored = _store(callback, applied=True)
            if outcome := _outcome(stored):
                raise _NotStored(outcome)  # nothing else to do; the nonce stays recorded
            receipt = CallbackReceipt(
                pk=stored.receipt_id,
                event_id=callback.event_id,
                department_id=callback.department_id,
                item_case_id=stored.item_case_id,
                payload=callback.payload,
            )
            services.receipt_apply(receipt=receipt)
        return "applied"
    except _NotStored as not_stored:
        return not_stored.outcome
    except Exception:
        log.exception("callback %s not applied at once; queued", callback.event_id)
    return _keep_for_later(callback)


def _keep_for_later(callback: Callback) -> str:
    with contextlib.nullcontext() if transaction.get_autocommit() else transaction.atomic():
        stored = _store(callback, applied=False)
    if outcome := _outcome(stored):
        return outcome  # e.g. another delivery of the same event was stored meanwhile
    # robust: a broker that is down must not fail the answer (the reconciliation applies it)
    transaction.on_commit(
        functools.partial(task_named("processing.apply_callback").delay, stored.receipt_id), robust=True
    )
    return "queued"
