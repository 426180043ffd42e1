"""Rate limits of sign-up, per client address and per identity, for each of its two steps.

DRF's ``SimpleRateThrottle`` (a sliding window of request times kept in Django's cache:
Redis in production, see settings ``CACHES``), with the rates of ``SIGNUP_THROTTLE_RATES``
read on each call. ``signup_retry_after`` is the one limiter: the sign-up service calls it,
so the pages and the API count together.
"""

from __future__ import annotations

import hashlib
import math

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from services.datahub.ids import normalize


class SignUpRateThrottle(SimpleRateThrottle):
    """One limit: ``kind`` ``"address"`` or ``"identity"``, of ``step`` ``"start"`` or
    ``"verify"``, for ``value`` (the address, or the ID number / credit code, kept in the
    cache only as a hash)."""

    def __init__(self, *, step: str, kind: str, value: str) -> None:
        self.step, self.kind, self.value = step, kind, value
        self.scope = f"signup_{kind}"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_rate(self) -> str | None:
        return settings.SIGNUP_THROTTLE_RATES.get(self.kind)

    def get_cache_key(self, request, view) -> str:
        digest = hashlib.sha256(f"{self.kind}:{self.value}".encode()).hexdigest()[:32]
        return self.cache_format % {"scope": f"signup-{self.step}-{self.kind}", "ident": digest}


def signup_retry_after(*, step: str, address: str | None, identity: str | None) -> int | None:
    """Count one request of ``step``; None if within every limit, else the seconds to wait.
    Every limit counts the request, as DRF's own ``check_throttles`` does."""
    throttles = [SignUpRateThrottle(step=step, kind="address", value=address or "-")]
    if identity:
        throttles.append(SignUpRateThrottle(step=step, kind="identity", value=normalize(identity)))
    waits = [throttle.wait() or 1 for throttle in throttles if not throttle.allow_request(None, None)]
    return math.ceil(max(waits)) if waits else None
