"""Request signatures of the department protocol, shared by departments, the engine and their clients.

Both directions are signed the same way (engine → department requests, department → engine callbacks),
with the secret of the department concerned. A signed request carries four headers::

    X-OneThing-Department: {department code}
    X-OneThing-Timestamp:  {unix seconds}
    X-OneThing-Nonce:      {16..64 random hex characters}
    X-OneThing-Signature:  hex(HMAC-SHA256(secret, string_to_sign))

    string_to_sign = "{timestamp}\\n{nonce}\\n{METHOD}\\n{path with query}\\n{sha256 hex of body}"

The receiver refuses a missing or wrong signature, a timestamp more than 300 s away from its clock and
a nonce it has already seen within that window (a replay). Everything here is stdlib-only and free of
I/O: remembering nonces is the caller's job, through the ``seen_nonce`` callable (``NonceCache`` is an
in-memory one for processes that need nothing durable).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping

HEADER_DEPARTMENT = "X-OneThing-Department"
HEADER_TIMESTAMP = "X-OneThing-Timestamp"
HEADER_NONCE = "X-OneThing-Nonce"
HEADER_SIGNATURE = "X-OneThing-Signature"
MAX_SKEW_SECONDS = 300
NONCE_MIN_LENGTH, NONCE_MAX_LENGTH = 16, 64
_HEX = frozenset("0123456789abcdefABCDEF")

SeenNonce = Callable[[str, int], bool]
"""``seen_nonce(nonce, timestamp)``: atomically record the nonce and return True if it was already recorded."""

ERRORS: dict[str, tuple[str, str]] = {
    "missing_signature": (
        "缺少签名信息（X-OneThing-Department、X-OneThing-Timestamp、X-OneThing-Nonce、X-OneThing-Signature）",
        "Missing signature headers",
    ),
    "department_mismatch": ("X-OneThing-Department 与请求的部门不一致", "X-OneThing-Department does not match"),
    "bad_timestamp": ("X-OneThing-Timestamp 必须是以秒为单位的 Unix 时间戳", "Timestamp must be unix seconds"),
    "stale_timestamp": ("请求时间戳与服务器时间相差超过 300 秒", "Timestamp is more than 300 s off"),
    "bad_nonce": ("X-OneThing-Nonce 必须是 16 至 64 位十六进制字符", "Nonce must be 16 to 64 hex characters"),
    "bad_signature": ("请求签名校验失败", "Signature does not match"),
    "replayed_nonce": ("该请求已处理过（随机数重复，疑似重放）", "Nonce already used (replayed request)"),
}
"""Every code ``verify`` can return, with the Chinese and English messages a receiver answers with."""


def body_hash(body: bytes) -> str:
    """Lowercase hex SHA-256 of the raw body (of ``b""`` for a request without one)."""
    return hashlib.sha256(body or b"").hexdigest()


def string_to_sign(timestamp: str, nonce: str, method: str, path: str, body: bytes) -> str:
    """The canonical text: timestamp, nonce, upper-case method, request target, body hash, joined by ``\\n``."""
    return f"{timestamp}\n{nonce}\n{method.upper()}\n{path}\n{body_hash(body)}"


def signature(secret: str, timestamp: str, nonce: str, method: str, path: str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of the canonical text under the department's secret."""
    message = string_to_sign(timestamp, nonce, method, path, body).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def new_nonce() -> str:
    """32 random hex characters."""
    return secrets.token_hex(16)


def sign_headers(
    secret: str,
    department: str,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    now: float | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four signature headers of one request.

    ``path`` is the request target exactly as it goes on the request line: the path (with any prefix such
    as ``/departments/{code}``) and, if there is one, ``?`` and the query, percent-encoding untouched.
    """
    timestamp = str(int(time.time() if now is None else now))
    nonce = nonce or new_nonce()
    return {
        HEADER_DEPARTMENT: department,
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: signature(secret, timestamp, nonce, method, path, body),
    }


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header value by case-insensitive name, from any mapping (``http.client`` headers, Django, a dict)."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if isinstance(k, str) and k.lower() == lowered), None)
    return value


def verify(
    secret: str,
    headers: Mapping[str, str],
    method: str,
    path: str,
    body: bytes,
    seen_nonce: SeenNonce,
    *,
    department: str | None = None,
    now: float | None = None,
    max_skew: int = MAX_SKEW_SECONDS,
) -> str | None:
    """Check a signed request; return None if it is genuine and fresh, else an error code of ``ERRORS``.

    ``department``, if given, must equal the X-OneThing-Department header. ``seen_nonce`` is only
    called for a correctly signed request (so forged requests cannot fill the nonce store), and must
    remember each nonce at least ``2 * max_skew`` seconds.
    """
    sent_department = header(headers, HEADER_DEPARTMENT)
    timestamp, nonce, sent = (header(headers, name) for name in (HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE))
    if not sent_department or not timestamp or not nonce or not sent:
        return "missing_signature"
    if department is not None and sent_department.strip() != department:
        return "department_mismatch"
    timestamp = timestamp.strip()
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return "bad_timestamp"
    if abs((time.time() if now is None else now) - int(timestamp)) > max_skew:
        return "stale_timestamp"
    nonce = nonce.strip()
    if not NONCE_MIN_LENGTH <= len(nonce) <= NONCE_MAX_LENGTH or not set(nonce) <= _HEX:
        return "bad_nonce"
    expected = signature(secret, timestamp, nonce, method, path, body)
    if not hmac.compare_digest(expected.encode(), sent.strip().lower().encode("utf-8", "replace")):
        return "bad_signature"
    if seen_nonce(nonce.lower(), int(timestamp)):
        return "replayed_nonce"
    return None


class NonceCache:
    """A thread-safe in-memory ``seen_nonce`` for one process; entries expire after ``ttl`` seconds."""

    def __init__(self, ttl: float = 2 * MAX_SKEW_SECONDS) -> None:
        self.ttl = ttl
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._next_prune = 0.0

    def __call__(self, nonce: str, timestamp: int) -> bool:
        now = time.monotonic()
        with self._lock:
            if now >= self._next_prune:
                self._seen = {key: expiry for key, expiry in self._seen.items() if expiry > now}
                self._next_prune = now + self.ttl / 10
            if self._seen.get(nonce, 0) > now:
                return True
            self._seen[nonce] = now + self.ttl
            return False
