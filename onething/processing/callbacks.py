"""Signed callbacks from department systems (docs/department-protocol.md).

The view checks the signature, the timestamp window and the nonce, stores the callback
once per event id and applies it at once (should that fail, the ``callbacks`` queue applies
the stored callback later); a duplicate or a replay changes nothing. A forged callback is
refused with 401, logged and audited.
"""

import contextlib
import functools
import json
import logging
from collections.abc import Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from onething.audit import services as audit
from onething.catalog.models import Department
from onething.common import limits
from onething.common.queueing import task_named
from onething.processing import services
from onething.processing.models import CallbackNonce, CallbackReceipt, ItemCase
from services.protocol import signing

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 2 * 1024 * 1024  # docs/department-protocol.md: JSON bodies of at most 2 MiB


def _error(status: int, code: str, message: str, message_en: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "message_en": message_en}}, status=status)


def _refused(request: HttpRequest, department: str, status: int, code: str, message: str, message_en: str):
    """A callback refused before its signature is known to be good: logged, not audited
    (it may be a department's honest mistake; forged signatures are audited below)."""
    log.warning("refused callback from %s: %s (%s)", department, code, request.META.get("REMOTE_ADDR"))
    return _error(status, code, message, message_en)


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


def signature_problem(
    request: HttpRequest, *, secrets: Sequence[str], department: str, seen_nonce: signing.SeenNonce
) -> str | None:
    """The protocol's check of a signed callback (docs/department-protocol.md): None if it is
    genuine and fresh, else the error code. ``secrets``: the department's current secret and,
    during a rotation, its previous one; a signature under either is genuine. ``seen_nonce``
    remembers nonces (the engine: in its database); it is asked once, for a good signature."""
    problem = "missing_signature"
    for secret in secrets:
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
            return problem
    return problem


@csrf_exempt
@require_POST
def department_callback(request: HttpRequest, department: str) -> JsonResponse:
    endpoint = getattr(Department.objects.filter(code=department).select_related("endpoint").first(), "endpoint", None)
    if endpoint is None or not endpoint.secret:
        return _refused(request, department, 404, "unknown_department", "未知部门", "unknown department")
    if _declared_too_large(request):  # refused before the body is read
        return _refused(request, department, 413, "body_too_large", "回调内容过大", "callback body over 2 MiB")
    if request.content_type != "application/json":
        return _refused(
            request, department, 415, "unsupported_media_type", "回调须为 JSON", "callbacks are application/json"
        )
    problem = signature_problem(
        request, secrets=endpoint.accepted_secrets(), department=department, seen_nonce=seen_nonce
    )
    if problem:
        log.warning("refused callback from %s: %s (%s)", department, problem, request.META.get("REMOTE_ADDR"))
        audit.record(action="callback.refused", note=f"{department}: {problem}")
        return _error(401, problem, "签名校验失败，回调被拒绝", f"callback refused: {problem}")
    try:
        payload = limits.loads(request.body)
        event_id, key = str(payload["event_id"]), str(payload["idempotency_key"])
        # storable: the event id fits its column; no NUL (jsonb) nor lone surrogate (UTF-8)
        if not 0 < len(event_id) <= 100 or "\\u0000" in json.dumps(payload):
            raise ValueError(event_id[:100])
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except limits.TooDeep as deep:
        return _refused(request, department, 400, "too_deep", f"回调内容嵌套过深（最多 {deep.limit} 层）", str(deep))
    except (ValueError, KeyError, TypeError):
        return _refused(request, department, 400, "malformed", "回调格式错误", "malformed callback")
    item_case_id = (
        ItemCase.objects.filter(idempotency_key=key, department_id=endpoint.department_id)
        .values_list("pk", flat=True)
        .first()
    )
    if item_case_id is None:
        return _refused(request, department, 404, "unknown_item_case", "没有对应的子件", "no such item case")
    receipt = CallbackReceipt(
        event_id=event_id, department_id=endpoint.department_id, item_case_id=item_case_id, payload=payload
    )
    if store_and_apply(receipt) == "duplicate":
        return JsonResponse({"status": "duplicate", "event_id": event_id})
    return JsonResponse({"status": "accepted", "event_id": event_id})


def _declared_too_large(request: HttpRequest) -> bool:
    """The body as declared (Content-Length) is over MAX_BODY_BYTES, or not a number."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES
    except ValueError:
        return True


class _Duplicate(Exception):
    """The event id is stored already: a second delivery of the same callback."""


def store_and_apply(receipt: CallbackReceipt) -> str:
    """Store a callback once per event id and apply it, in the request that brought it and
    in one transaction: the receipt is written as applied together with what it changes, so
    a crash in between leaves neither (the department, unanswered, delivers again). Should
    applying fail, the receipt is stored unapplied in its own statement and the ``callbacks``
    queue applies it later (the reconciliation too, should the broker be down as well): the
    department's answer is never lost. Returns "applied", "duplicate" or "queued"."""
    try:
        with transaction.atomic():
            try:  # the unique event id turns a second delivery away
                receipt.applied_at = timezone.now()
                receipt.save(force_insert=True)
            except IntegrityError:
                raise _Duplicate from None
            services.receipt_apply(receipt=receipt)
        return "applied"
    except _Duplicate:
        return "duplicate"
    except Exception:
        log.exception("callback %s not applied at once; queued", receipt.event_id)
    return _keep_for_later(receipt)


def _keep_for_later(receipt: CallbackReceipt) -> str:
    receipt.pk, receipt.applied_at = None, None
    try:
        with _one_statement():
            receipt.save(force_insert=True)
    except IntegrityError:
        return "duplicate"  # another delivery of the same event was stored meanwhile
    # robust: a broker that is down must not fail the answer (the reconciliation applies it)
    transaction.on_commit(functools.partial(task_named("processing.apply_callback").delay, receipt.pk), robust=True)
    return "queued"
