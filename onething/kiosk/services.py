"""Business rules of the self-service terminals: identification by ID card, the terminal
session and its end (by the 退出 button, by inactivity, by leaving the kiosk's pages).

A terminal session is a real login of the citizen whose card was read (so the citizen's own
pages and documents, the receipt and the result notice, work as they do at home), marked in
the session (``SESSION_KEY``) with when it was last used. Identification attempts are
limited per terminal (its address): ``KIOSK_IDENTIFY_RATE``.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.db import transaction
from django.http import HttpRequest
from rest_framework.throttling import SimpleRateThrottle

from onething.accounts.models import User
from onething.accounts.throttle import client_address
from onething.audit import services as audit
from onething.identity.masking import mask_id_number
from onething.kiosk.readers import CardReader, CardReadError, configured_reader

SESSION_KEY = "kiosk"
MARKER_COOKIE = "kiosk_terminal"  # set at identification: the middleware watches this browser's requests
ENDINGS = {"exit": "自助终端：点击退出", "idle": "自助终端：无操作自动退出", "left": "自助终端：离开终端页面"}
BACKEND = "django.contrib.auth.backends.ModelBackend"


class IdentificationRefused(Exception):
    """The card was not accepted: ``code`` (``no_reader``, ``too_many_attempts`` or the
    reader's code) and the bilingual message; ``retry_after_seconds`` when throttled."""

    def __init__(self, code: str, message: str, message_en: str, retry_after_seconds: int | None = None) -> None:
        super().__init__(message_en)
        self.code, self.message, self.message_en = code, message, message_en
        self.retry_after_seconds = retry_after_seconds


@dataclass(frozen=True)
class KioskSession:
    """The terminal session as its pages see it: the masked card number, the account (None
    when no applicant account belongs to the card: the pages then show no drafts and no
    cases, exactly as for an account with none) and whether the card read was simulated."""

    card: str
    user: User | None
    simulated: bool


class TerminalThrottle(SimpleRateThrottle):
    """Identification attempts of one terminal (its address, kept in the cache as a hash)."""

    scope = "kiosk_identify"

    def __init__(self, *, terminal: str) -> None:
        self.terminal = terminal
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_rate(self) -> str:
        return settings.KIOSK_IDENTIFY_RATE

    def get_cache_key(self, request, view) -> str:
        digest = hashlib.sha256(self.terminal.encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": digest}


def mark(response) -> None:
    """Mark the terminal's browser (a session cookie holding no data) once a session starts."""
    response.set_cookie(MARKER_COOKIE, "1", httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)


def unmark(response) -> None:
    response.delete_cookie(MARKER_COOKIE)


def terminal_of(request: HttpRequest) -> str:
    """The terminal a request comes from: its address (a hall gives each terminal its own)."""
    return client_address(request) or "-"


def identify(*, request: HttpRequest) -> KioskSession:
    """Read the card presented with ``request`` and start the terminal session: log the
    card's citizen in (any earlier session of this browser ends first). A valid card without
    an applicant account gets a session too, with nothing in it, so the terminal never tells
    whether a number has an account. IdentificationRefused when no reader is configured,
    the terminal made too many attempts, or the card does not check out."""
    reader = configured_reader()
    if reader is None:
        raise IdentificationRefused(
            "no_reader", "本终端未接入身份证阅读器，请到人工窗口办理", "this terminal has no ID card reader"
        )
    throttle = TerminalThrottle(terminal=terminal_of(request))
    if not throttle.allow_request(None, None):
        wait = math.ceil(throttle.wait() or 1)
        raise IdentificationRefused(
            "too_many_attempts",
            f"本终端识别次数过多，请约 {-(-wait // 60)} 分钟后再试，或到人工窗口办理",
            f"too many identification attempts at this terminal; try again in about {-(-wait // 60)} min",
            retry_after_seconds=wait,
        )
    try:
        card = reader.read(request=request)
    except CardReadError as unread:
        raise IdentificationRefused(unread.code, unread.message, unread.message_en) from unread
    return _start(request=request, reader=reader, id_number=card.id_number)


def _start(*, request: HttpRequest, reader: CardReader, id_number: str) -> KioskSession:
    user = (
        User.objects.filter(id_number=id_number, role=User.Role.CITIZEN, is_active=True).first() if id_number else None
    )
    auth_logout(request)  # whoever used this browser before is gone, session and all
    with transaction.atomic():
        if user is not None:
            auth_login(request, user, backend=BACKEND)
            audit.record(
                action="kiosk.identified",
                actor=user,
                obj=user,
                after={"terminal": terminal_of(request), "reader": reader.name},
                note="自助终端刷身份证登录" + ("（模拟读卡）" if reader.simulated else ""),
            )
    request.session[SESSION_KEY] = {
        "card": mask_id_number(id_number),
        "simulated": reader.simulated,
        "last": time.time(),
        "idle": settings.KIOSK_IDLE_SECONDS,
    }
    return KioskSession(card=mask_id_number(id_number), user=user, simulated=reader.simulated)


def current(*, request: HttpRequest) -> KioskSession | None:
    """The terminal session of ``request``; None when nobody is identified."""
    state = request.session.get(SESSION_KEY)
    if not state:
        return None
    user = request.user if request.user.is_authenticated and request.user.role == User.Role.CITIZEN else None
    return KioskSession(card=state.get("card", ""), user=user, simulated=bool(state.get("simulated")))


def touch(*, request: HttpRequest, idle_seconds: int) -> None:
    """Count this request as activity; the session ends after ``idle_seconds`` without another."""
    state = request.session.get(SESSION_KEY)
    if state:
        request.session[SESSION_KEY] = {**state, "last": time.time(), "idle": idle_seconds}


def idle_expired(*, request: HttpRequest) -> bool:
    state = request.session.get(SESSION_KEY)
    if not state:
        return False
    return time.time() - float(state.get("last", 0)) >= float(state.get("idle", settings.KIOSK_IDLE_SECONDS))


def end(*, request: HttpRequest, reason: str) -> None:
    """End the terminal session (``reason``: ``exit``, ``idle``, ``left``): log out, forget
    the session. Nothing of the citizen stays in this browser."""
    if request.session.get(SESSION_KEY) is None and not request.user.is_authenticated:
        return
    user = request.user if request.user.is_authenticated else None
    if user is not None and request.session.get(SESSION_KEY) is not None:
        audit.record(
            action="kiosk.ended",
            actor=user,
            obj=user,
            after={"terminal": terminal_of(request), "reason": reason},
            note=ENDINGS.get(reason, reason),
        )
    auth_logout(request)
