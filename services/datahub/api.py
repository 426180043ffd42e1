"""The data hub's HTTP API, independent of the socket plumbing in ``server.py``.

``Api.handle`` takes a method, the raw path, headers and body and returns a status and a JSON-able
payload, so routing, validation and error mapping can be read (and reasoned about) in one place.
Every expected failure is an ``ApiError`` with a stable code and Chinese and English messages;
bad input must never surface as a 500.
"""

from __future__ import annotations

import json
import math
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .auth import AuthError, verify
from .clock import SHANGHAI, shanghai_today
from .ids import is_valid_credit_code, is_valid_holder, is_valid_id_number, normalize
from .store import LicenceConflictError, Store
from .vocab import REGISTRABLE_LICENCE_TYPES

Payload = Any
Headers = dict[str, str]

ERRORS: dict[str, tuple[int, str, str]] = {
    "missing_credentials": (
        401,
        "缺少认证信息（X-Client-Id、X-Timestamp、X-Signature）",
        "Missing authentication headers",
    ),
    "bad_timestamp": (401, "X-Timestamp 必须是以秒为单位的 Unix 时间戳", "X-Timestamp must be unix seconds"),
    "stale_timestamp": (401, "请求时间戳与服务器时间相差超过 300 秒", "Timestamp is more than 300 s from server time"),
    "bad_signature": (401, "请求签名校验失败", "Signature does not match"),
    "not_found": (404, "请求的接口不存在", "No such endpoint"),
    "person_not_found": (404, "未找到该自然人信息", "No such person"),
    "enterprise_not_found": (404, "未找到该法人信息", "No such enterprise"),
    "licence_not_found": (404, "未找到该电子证照", "No such e-licence"),
    "method_not_allowed": (405, "该接口不支持此请求方法", "Method not allowed on this endpoint"),
    "licence_conflict": (409, "证照编号已登记且内容不同", "Licence number already registered with other content"),
    "length_required": (411, "请求必须携带 Content-Length", "Content-Length required"),
    "payload_too_large": (413, "请求体过大", "Request body too large"),
    "bad_request": (400, "请求格式错误", "Malformed request"),
    "invalid_json": (400, "请求体不是合法的 UTF-8 JSON", "Body is not valid UTF-8 JSON"),
    "invalid_body": (400, "请求体必须是 JSON 对象", "Body must be a JSON object"),
    "missing_field": (400, "缺少必填字段", "Missing required field"),
    "invalid_field": (400, "字段格式错误", "Invalid field"),
    "invalid_id_number": (400, "公民身份号码格式或校验位错误", "Invalid resident ID number"),
    "invalid_credit_code": (400, "统一社会信用代码格式或校验位错误", "Invalid unified social credit code"),
    "invalid_holder": (400, "持证主体应为公民身份号码或统一社会信用代码", "Holder must be an ID number or credit code"),
    "unknown_licence_type": (400, "不支持的电子证照类型", "Unknown e-licence type"),
    "simulated_failure": (503, "数据共享平台暂时不可用（模拟故障）", "Data hub unavailable (simulated failure)"),
    "internal_error": (500, "数据共享平台内部错误", "Internal error"),
}

VERIFY_REASONS = {
    "ok": "证照有效",
    "not_found": "证照不存在",
    "holder_mismatch": "证照持有人不符",
    "revoked": "证照已注销",
    "expired": "证照已过有效期",
}

_LICENCE_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{3,63}$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


class ApiError(Exception):
    """An expected failure, rendered as ``{"error": {"code", "message", "message_en"[, "field"]}}``."""

    def __init__(self, code: str, field: str | None = None) -> None:
        super().__init__(code)
        self.code, self.field = code, field
        self.status = ERRORS[code][0]

    def payload(self) -> Payload:
        """The JSON error body; the offending field, if any, is named in both languages."""
        _, message, message_en = ERRORS[self.code]
        error = {"code": self.code, "message": message, "message_en": message_en}
        if self.field:
            error.update(field=self.field, message=f"{message}：{self.field}", message_en=f"{message_en}: {self.field}")
        return {"error": error}


def _reject_constant(name: str) -> None:
    """NaN and Infinity are not JSON; accepting them would make us emit invalid JSON later."""
    raise ValueError(name)


def _finite(text: str) -> float:
    """1e999 parses to infinity, which json.dumps would write back as the non-JSON token Infinity."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


@dataclass
class Request:
    """One parsed, authenticated request."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    client_id: str
    params: tuple[str, ...] = field(default_factory=tuple)

    def json(self) -> dict[str, Any]:
        """The body as a JSON object, or a 400."""
        try:
            value = json.loads(self.body.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ApiError("invalid_json") from None
        if not isinstance(value, dict):
            raise ApiError("invalid_body")
        return value

    def query_value(self, name: str) -> str | None:
        """The last value of a query parameter (one value per name is all this API uses)."""
        values = self.query.get(name)
        return values[-1] if values else None


@dataclass(frozen=True)
class Simulation:
    """Artificial conditions for tests of the engine: added latency and a share of 503 answers."""

    latency_ms: int = 0
    error_rate: float = 0.0


def _text(body: Mapping[str, Any], name: str, required: bool = True, max_length: int = 200) -> str | None:
    """A non-empty string field (or None when optional and absent)."""
    value = body.get(name)
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        if required:
            raise ApiError("missing_field", name)
        return None
    if not isinstance(value, str) or len(value) > max_length:
        raise ApiError("invalid_field", name)
    return value


def _iso_date(body: Mapping[str, Any], name: str) -> str | None:
    value = _text(body, name, required=False, max_length=10)
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ApiError("invalid_field", name) from None


def _id_number(value: object, name: str = "id_number") -> str:
    if value is None or value == "":
        raise ApiError("missing_field", name)
    id_number = normalize(value)
    if not is_valid_id_number(id_number):
        raise ApiError("invalid_id_number", name)
    return id_number


def _holder(value: object) -> str:
    if value is None or value == "":
        raise ApiError("missing_field", "holder")
    holder = normalize(value)
    if not is_valid_holder(holder):
        raise ApiError("invalid_holder", "holder")
    return holder


def _mobile(value: str) -> str:
    """Strip what people type around a mobile number: spaces, dashes, +86."""
    digits = re.sub(r"[\s-]", "", value)
    return digits.removeprefix("+86").removeprefix("0086")


class Api:
    """Routes and handlers; one instance serves all threads (it holds no per-request state)."""

    def __init__(self, store: Store, key: str, simulation: Simulation | None = None) -> None:
        self.store, self.key = store, key
        self.simulation = simulation or Simulation()
        self._random = random.Random()
        self.routes: list[tuple[str, re.Pattern[str], Callable[[Request], tuple[int, Payload]]]] = [
            ("GET", re.compile(r"^/v1/meta$"), self.get_meta),
            ("POST", re.compile(r"^/v1/persons/verify$"), self.verify_person),
            ("GET", re.compile(r"^/v1/persons/([^/]+)$"), self.get_person),
            ("GET", re.compile(r"^/v1/enterprises/([^/]+)$"), self.get_enterprise),
            ("POST", re.compile(r"^/v1/elicences/verify$"), self.verify_licence),
            ("GET", re.compile(r"^/v1/elicences$"), self.list_licences),
            ("POST", re.compile(r"^/v1/elicences$"), self.register_licence),
            ("GET", re.compile(r"^/v1/elicences/([^/]+)$"), self.get_licence),
        ]

    def handle(self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes) -> tuple[int, Payload]:
        """Authenticate, simulate, route; raises ApiError for every expected failure."""
        split = urlsplit(raw_path)
        if split.path == "/health":
            if method not in ("GET", "HEAD"):
                raise ApiError("method_not_allowed")
            return 200, {"status": "ok"}
        if not split.path.startswith("/v1/"):
            raise ApiError("not_found")
        self._delay()
        try:
            client_id = verify(self.key, headers, method, raw_path, body)
        except AuthError as err:
            raise ApiError(err.code) from None
        if self.simulation.error_rate and self._random.random() < self.simulation.error_rate:
            raise ApiError("simulated_failure")
        handler, params = self._route(method, split.path)
        query = parse_qs(split.query, keep_blank_values=True)
        return handler(Request(method, split.path, query, body, client_id, params))

    def _delay(self) -> None:
        if self.simulation.latency_ms > 0:
            time.sleep(self.simulation.latency_ms / 1000)

    def _route(self, method: str, path: str) -> tuple[Callable[[Request], tuple[int, Payload]], tuple[str, ...]]:
        allowed = False
        for route_method, pattern, handler in self.routes:
            match = pattern.match(path)
            if match and route_method == method:
                return handler, tuple(unquote(group) for group in match.groups())
            allowed = allowed or bool(match)
        raise ApiError("method_not_allowed" if allowed else "not_found")

    # -- handlers ------------------------------------------------------------------------------

    def get_meta(self, request: Request) -> tuple[int, Payload]:
        """Which dataset is loaded: seed, as-of date (newborns are born before it), counts."""
        return 200, self.store.meta()

    def get_person(self, request: Request) -> tuple[int, Payload]:
        """Natural-person record by resident ID number."""
        person = self.store.person(_id_number(request.params[0]))
        if person is None:
            raise ApiError("person_not_found")
        return 200, person

    def get_enterprise(self, request: Request) -> tuple[int, Payload]:
        """Legal-entity record by unified social credit code."""
        code = normalize(request.params[0])
        if not is_valid_credit_code(code):
            raise ApiError("invalid_credit_code", "credit_code")
        enterprise = self.store.enterprise(code)  # type: ignore[arg-type]
        if enterprise is None:
            raise ApiError("enterprise_not_found")
        return 200, enterprise

    def list_licences(self, request: Request) -> tuple[int, Payload]:
        """All e-licences of one holder, optionally filtered by ``type`` and ``status``."""
        holder = _holder(request.query_value("holder"))
        licences = self.store.licences_of(holder)
        for name in ("type", "status"):
            wanted = request.query_value(name)
            if wanted:
                licences = [licence for licence in licences if licence[name] == wanted]
        return 200, {"holder": holder, "count": len(licences), "elicences": licences}

    def get_licence(self, request: Request) -> tuple[int, Payload]:
        """One e-licence by its number."""
        licence = self.store.licence(request.params[0])
        if licence is None:
            raise ApiError("licence_not_found")
        return 200, licence

    def verify_licence(self, request: Request) -> tuple[int, Payload]:
        """Is this licence number genuine, held by this holder, not revoked and not expired?"""
        body = request.json()
        number = _text(body, "licence_number", max_length=64)
        holder = _holder(body.get("holder"))
        licence = self.store.licence(number)  # type: ignore[arg-type]
        reason = self._verdict(licence, holder)
        result: dict[str, Any] = {
            "valid": reason == "ok",
            "reason": reason,
            "reason_message": VERIFY_REASONS[reason],
            "licence_number": number,
        }
        if licence and reason != "holder_mismatch":
            result.update(type=licence["type"], status=licence["status"], valid_until=licence["valid_until"])
        return 200, result

    @staticmethod
    def _verdict(licence: dict[str, Any] | None, holder: str) -> str:
        if licence is None:
            return "not_found"
        if licence["holder"] != holder:
            return "holder_mismatch"
        if licence["status"] != "valid":
            return "revoked"
        if licence["valid_until"] and licence["valid_until"] < shanghai_today().isoformat():
            return "expired"
        return "ok"

    def register_licence(self, request: Request) -> tuple[int, Payload]:
        """Store an e-licence issued by a department; the licence number is the idempotency key."""
        sent = self._licence_request(request.json())
        record = self._licence_record(sent, request.client_id)
        try:
            stored, _created = self.store.register_licence(record, sent)
        except LicenceConflictError:
            raise ApiError("licence_conflict") from None
        return 201, stored

    @staticmethod
    def _licence_request(body: dict[str, Any]) -> dict[str, Any]:
        """Validate and normalise the fields of a registration; this is also what a replay is compared on."""
        licence_type = _text(body, "type", max_length=64)
        if licence_type not in REGISTRABLE_LICENCE_TYPES:
            raise ApiError("unknown_licence_type", "type")
        number = _text(body, "number", required=False, max_length=64)
        number = number or _text(body, "licence_number", required=False, max_length=64)  # accepted alias
        if number is None:
            raise ApiError("missing_field", "number")
        if not _LICENCE_NUMBER_RE.match(number):
            raise ApiError("invalid_field", "number")
        data = body.get("data", {})
        if not isinstance(data, dict):
            raise ApiError("invalid_field", "data")
        return {
            "type": licence_type,
            "licence_number": number,
            "holder": _holder(body.get("holder")),
            "issuer": _text(body, "issuer"),
            "data": data,
            "holder_name": _text(body, "holder_name", required=False),
            "issue_date": _iso_date(body, "issue_date"),
            "valid_until": _iso_date(body, "valid_until"),
        }

    def _licence_record(self, sent: dict[str, Any], client_id: str) -> dict[str, Any]:
        holder_name = sent["holder_name"]
        if holder_name is None:
            owner = self.store.person(sent["holder"]) or self.store.enterprise(sent["holder"])
            holder_name = owner["name"] if owner else None
        return {
            "licence_number": sent["licence_number"],
            "type": sent["type"],
            "type_label": REGISTRABLE_LICENCE_TYPES[sent["type"]][0],
            "holder": sent["holder"],
            "holder_name": holder_name,
            "issuer": sent["issuer"],
            "issue_date": sent["issue_date"] or shanghai_today().isoformat(),
            "valid_until": sent["valid_until"],
            "status": "valid",
            "data": sent["data"],
            "registered_by": client_id,
            "registered_at": datetime.now(SHANGHAI).isoformat(timespec="seconds"),
        }

    def verify_person(self, request: Request) -> tuple[int, Payload]:
        """Real-name check (实名核验): do ID number, name and, if given, mobile belong together?"""
        body = request.json()
        id_number = _id_number(body.get("id_number"))
        name = _text(body, "name", max_length=64)
        mobile = _text(body, "mobile", required=False, max_length=32)
        if mobile is not None and not _MOBILE_RE.match(_mobile(mobile)):
            raise ApiError("invalid_field", "mobile")
        person = self.store.person(id_number)
        match = bool(person) and person["name"] == name  # type: ignore[index]
        if match and mobile is not None:
            match = person["mobile"] == _mobile(mobile)  # type: ignore[index]
        return 200, {"match": match}
