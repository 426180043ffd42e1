"""The department protocol's HTTP API, independent of the socket plumbing in ``server.py``.

``Api.handle`` takes a method, the raw request target, headers and body and returns a ``Response``.
Every expected failure is an ``ApiError`` with a stable code and Chinese and English messages; bad input
never surfaces as a 500. See docs/department-protocol.md for the protocol itself.
"""

from __future__ import annotations

import json
import math
import random
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from services.protocol import signing

from .certificates import render_certificate
from .config import Config, DepartmentConfig
from .processing import Processor
from .store import DuplicateIdempotencyKey, Row, Store

ERRORS: dict[str, tuple[int, str, str]] = {
    **{code: (401, message, message_en) for code, (message, message_en) in signing.ERRORS.items()},
    "not_found": (404, "请求的接口不存在", "No such endpoint"),
    "unknown_department": (404, "未配置该部门", "No such department"),
    "item_case_not_found": (404, "未找到该办件", "No such item case"),
    "certificate_not_found": (404, "未找到该证照", "No such certificate"),
    "method_not_allowed": (405, "该接口不支持此请求方法", "Method not allowed on this endpoint"),
    "idempotency_conflict": (
        409,
        "该幂等键已用于其他事项或其他子件",
        "Idempotency key already used for another item or item case",
    ),
    "state_conflict": (409, "办件当前状态不允许该操作", "Not allowed in the item case's current state"),
    "length_required": (411, "请求必须携带 Content-Length", "Content-Length required"),
    "payload_too_large": (413, "请求体过大", "Request body too large"),
    "unknown_item": (422, "本部门不办理该事项", "This department does not handle that item"),
    "bad_request": (400, "请求格式错误", "Malformed request"),
    "invalid_json": (400, "请求体不是合法的 UTF-8 JSON", "Body is not valid UTF-8 JSON"),
    "invalid_body": (400, "请求体必须是 JSON 对象", "Body must be a JSON object"),
    "missing_field": (400, "缺少必填字段", "Missing required field"),
    "invalid_field": (400, "字段格式错误", "Invalid field"),
    "simulated_failure": (503, "部门系统暂时不可用（模拟故障）", "Department system unavailable (simulated failure)"),
    "internal_error": (500, "部门系统内部错误", "Internal error"),
}

_DEPARTMENT_PATH = re.compile(r"^/departments/([^/]+)(/.*)?$")
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,128}$")
MAX_MATERIALS = 200


class ApiError(Exception):
    """An expected failure, rendered as ``{"error": {"code", "message", "message_en"[, "field"]}}``."""

    def __init__(self, code: str, field: str | None = None) -> None:
        super().__init__(code)
        self.code, self.field = code, field
        self.status = ERRORS[code][0]

    def payload(self) -> dict[str, Any]:
        """The JSON error body; the offending field, if any, is named in both languages."""
        _, message, message_en = ERRORS[self.code]
        error = {"code": self.code, "message": message, "message_en": message_en}
        if self.field:
            error.update(field=self.field, message=f"{message}：{self.field}", message_en=f"{message_en}: {self.field}")
        return {"error": error}


@dataclass
class Response:
    """What to send back: JSON ``payload`` or raw ``body``; ``late`` seconds of simulated slowness first."""

    status: int
    payload: Any = None
    body: bytes | None = None
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    late: float = 0.0


@dataclass
class Request:
    """One authenticated request to one department."""

    department: DepartmentConfig
    method: str
    path: str
    body: bytes
    params: tuple[str, ...] = ()

    def json(self) -> dict[str, Any]:
        """The body as a JSON object, or a 400."""
        try:
            value = json.loads(self.body.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise ApiError("invalid_json") from None
        if not isinstance(value, dict):
            raise ApiError("invalid_body")
        return value


def _reject_constant(name: str) -> None:
    raise ValueError(name)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _text(body: Mapping[str, Any], name: str, max_length: int = 200) -> str:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ApiError("missing_field", name)
    if not isinstance(value, str) or len(value) > max_length:
        raise ApiError("invalid_field", name)
    return value.strip()


def _materials(value: Any) -> list[Row]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_MATERIALS:
        raise ApiError("invalid_field", "materials")
    materials = []
    for index, material in enumerate(value):
        where = f"materials[{index}]"
        if not isinstance(material, dict):
            raise ApiError("invalid_field", where)
        _text(material, "key", 100)
        for name in ("name", "source", "licence_number", "url"):
            if material.get(name) is not None and not isinstance(material[name], str):
                raise ApiError("invalid_field", f"{where}.{name}")
        materials.append(material)
    return materials


def _data(value: Any, required: bool) -> Row:
    if value is None and not required:
        return {}
    if value is None:
        raise ApiError("missing_field", "data")
    if not isinstance(value, dict):
        raise ApiError("invalid_field", "data")
    return value


def _callback_url(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 2000:
        raise ApiError("invalid_field", "callback_url")
    split = urlsplit(value)
    if split.scheme not in ("http", "https") or not split.netloc:
        raise ApiError("invalid_field", "callback_url")
    return value


def view(item_case: Row) -> Row:
    """The public representation of an item case (polling, submit and supplement answers)."""
    state = item_case["state"]
    return {
        "reference": item_case["reference"],
        "idempotency_key": item_case["idempotency_key"],
        "department": item_case["department"],
        "item_code": item_case["item_code"],
        "item_case_id": item_case["item_case_id"],
        "case_number": item_case["case_number"],
        "state": state,
        "result": item_case["result"] if state == "approved" else None,
        "certificate": item_case["certificate"] if state == "approved" else None,
        "reason": item_case["reason"] if state == "rejected" else None,
        "supplement": item_case["supplement"] if state == "supplement_requested" else None,
        "supplements": item_case["supplements"],
        "created_at": item_case["created_at"],
        "updated_at": item_case["updated_at"],
    }


Handler = Callable[[Request], Response]


class Api:
    """Routes and handlers; one instance serves all threads."""

    def __init__(self, config: Config, store: Store, processor: Processor, seed: int) -> None:
        self.config, self.store, self.processor = config, store, processor
        self._random = random.Random(f"{seed}:failures")
        self._random_lock = threading.Lock()
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = [
            ("POST", re.compile(r"^/v1/item-cases$"), self.submit),
            ("GET", re.compile(r"^/v1/item-cases/([^/]+)$"), self.get_item_case),
            ("POST", re.compile(r"^/v1/item-cases/([^/]+)/supplement$"), self.supplement),
            ("GET", re.compile(r"^/v1/certificates/([^/]+)\.pdf$"), self.certificate_pdf),
        ]

    def _draw(self) -> float:
        with self._random_lock:
            return self._random.random()

    def handle(self, method: str, raw_path: str, headers: Mapping[str, str], body: bytes) -> Response:
        """Simulate failures, authenticate, route; raises ApiError for every expected failure."""
        path = urlsplit(raw_path).path
        if path == "/health":
            if method not in ("GET", "HEAD"):
                raise ApiError("method_not_allowed")
            return Response(200, {"status": "ok"})
        match = _DEPARTMENT_PATH.match(path)
        if not match:
            raise ApiError("not_found")
        department = self.config.departments.get(unquote(match.group(1)))
        if department is None:
            raise ApiError("unknown_department")
        failures = department.failures
        if failures.http_5xx and self._draw() < failures.http_5xx:
            raise ApiError("simulated_failure")
        late = department.timeout_seconds if failures.timeout and self._draw() < failures.timeout else 0.0
        try:
            response = self._authenticated(department, method, raw_path, match.group(2) or "", headers, body)
        except ApiError as err:
            if not late:
                raise
            response = Response(err.status, err.payload())
        response.late = late
        return response

    def _authenticated(
        self,
        department: DepartmentConfig,
        method: str,
        raw_path: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> Response:
        error = signing.verify(
            department.secret,
            headers,
            method,
            raw_path,
            body,
            lambda nonce, _timestamp: self.store.remember_nonce(department.code, nonce),
            department=department.code,
        )
        if error:
            raise ApiError(error)
        allowed = False
        for route_method, pattern, handler in self.routes:
            found = pattern.match(path)
            if found and route_method == method:
                params = tuple(unquote(group) for group in found.groups())
                return handler(Request(department, method, path, body, params))
            allowed = allowed or bool(found)
        raise ApiError("method_not_allowed" if allowed else "not_found")

    # -- handlers ------------------------------------------------------------------------------------

    def submit(self, request: Request) -> Response:
        """Receive an item case; the idempotency key makes a retry return the same one (200 instead of 201)."""
        body = request.json()
        key = _text(body, "idempotency_key", 128)
        if not _KEY_RE.match(key):
            raise ApiError("invalid_field", "idempotency_key")
        item_case_id = body.get("item_case_id")
        if item_case_id is None or item_case_id == "":
            raise ApiError("missing_field", "item_case_id")
        if isinstance(item_case_id, bool) or not isinstance(item_case_id, str | int) or len(str(item_case_id)) > 64:
            raise ApiError("invalid_field", "item_case_id")
        fields = {
            "idempotency_key": key,
            "case_number": _text(body, "case_number", 64),
            "item_code": _text(body, "item_code", 100),
            "item_case_id": item_case_id,
            "data": _data(body.get("data"), required=True),
            "materials": _materials(body.get("materials")),
            "callback_url": _callback_url(body.get("callback_url")),
        }
        department = request.department
        if fields["item_code"] not in department.items:
            raise ApiError("unknown_item", "item_code")
        try:
            item_case, created = self.store.create_item_case(department.code, department.reference_prefix, fields)
        except DuplicateIdempotencyKey:
            raise ApiError("idempotency_conflict", "idempotency_key") from None
        if created:
            self.processor.received(department.code, item_case)
        return Response(201 if created else 200, view(item_case))

    def get_item_case(self, request: Request) -> Response:
        """Polling: the item case's current state and, when decided, its result."""
        item_case = self.store.item_case(request.department.code, request.params[0])
        if item_case is None:
            raise ApiError("item_case_not_found")
        return Response(200, view(item_case))

    def supplement(self, request: Request) -> Response:
        """Answer a supplement request; the item case goes back to in_progress."""
        body = request.json()
        data = _data(body.get("data"), required=False)
        materials = _materials(body.get("materials"))
        code, reference = request.department.code, request.params[0]
        item_case = self.store.add_supplement(code, reference, data, materials)
        if item_case is None:
            if self.store.item_case(code, reference) is None:
                raise ApiError("item_case_not_found")
            raise ApiError("state_conflict")
        self.processor.supplemented(code, item_case)
        return Response(200, view(item_case))

    def certificate_pdf(self, request: Request) -> Response:
        """The certificate document of an approved item case."""
        department = request.department
        certificate = self.store.certificate(department.code, request.params[0])
        if certificate is None:
            raise ApiError("certificate_not_found")
        item = department.items.get(certificate["item_code"])
        pdf = render_certificate(certificate, department.name, item.name if item else certificate["item_code"])
        filename = re.sub(r"[^A-Za-z0-9_.-]", "_", certificate["number"]) + ".pdf"
        return Response(
            200,
            body=pdf,
            content_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{filename}"'},
        )
