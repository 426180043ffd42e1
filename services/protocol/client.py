"""Client of one department's system, as the engine's HTTP adapter uses it.

Failures are sorted the way a caller must react to them:

* ``DepartmentTransientError`` -- connection error, timeout, 5xx or an unreadable answer: retry later
  (with the same idempotency key: a submission that did arrive is not created twice);
* ``DepartmentPermanentError`` -- a 4xx: the request itself is wrong (unknown item, bad signature, wrong
  state, ...); retrying the same request will not help. ``code`` is the department's error code. A body
  over the protocol's limit is refused here, unsent, as ``413 payload_too_large``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from services.http_session import pinned_session
from services.protocol.signing import sign_headers

JSON = dict[str, Any]
MAX_BODY_BYTES = 2 * 1024 * 1024  # the protocol's limit on a body (docs/department-protocol.md §1)


class DepartmentError(Exception):
    """Base class of the client's errors."""


class DepartmentTransientError(DepartmentError):
    """The department could not answer now: connection refused, timeout, 5xx. ``status`` is None without one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class DepartmentPermanentError(DepartmentError):
    """The department refused the request (4xx); ``code`` is its error code (e.g. ``unknown_item``)."""

    def __init__(self, status: int, code: str, message: str, message_en: str = "", field: str | None = None) -> None:
        super().__init__(f"{status} {code}: {message_en or message}")
        self.status, self.code, self.message, self.message_en, self.field = status, code, message, message_en, field


class DepartmentClient:
    """Signs every request with the department's secret; keeps a ``requests.Session`` (one per thread)."""

    def __init__(
        self, base_url: str, department: str, secret: str, timeout: float = 5.0, max_body_bytes: int = MAX_BODY_BYTES
    ) -> None:
        """``base_url`` is the department's base, e.g. ``http://127.0.0.1:8702/departments/public-security``."""
        self.max_body_bytes = max_body_bytes
        self.base_url = base_url.rstrip("/")
        split = urlsplit(self.base_url)
        self._origin = f"{split.scheme}://{split.netloc}"
        self._prefix = split.path  # signatures cover the path as the server sees it
        self.department, self.secret, self.timeout = department, secret, timeout
        self.session = pinned_session(self.base_url)

    def close(self) -> None:
        """Release pooled connections."""
        self.session.close()

    def __enter__(self) -> DepartmentClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- calls ---------------------------------------------------------------------------------------

    def submit(
        self,
        *,
        idempotency_key: str,
        case_number: str,
        item_code: str,
        item_case_id: str | int,
        data: JSON,
        materials: list[JSON] | None = None,
        callback_url: str | None = None,
    ) -> JSON:
        """Dispatch an item case. Returns the item case (``reference``, ``state``, ...) plus ``created``:
        True for a new one (201), False when the idempotency key was already known (200)."""
        body = {
            "idempotency_key": idempotency_key,
            "case_number": case_number,
            "item_code": item_code,
            "item_case_id": item_case_id,
            "data": data,
            "materials": materials or [],
            "callback_url": callback_url,
        }
        response = self._request("POST", "/v1/item-cases", body)
        payload = _json(response)
        payload["created"] = response.status_code == 201
        return payload

    def get(self, reference: str) -> JSON:
        """Poll an item case: ``state``, ``result``, ``certificate``, ``reason``, ``supplement``, ..."""
        return _json(self._request("GET", f"/v1/item-cases/{_segment(reference)}"))

    def supplement(self, reference: str, data: JSON | None = None, materials: list[JSON] | None = None) -> JSON:
        """Answer a supplement request; the item case goes back to ``in_progress``."""
        body = {"data": data or {}, "materials": materials or []}
        return _json(self._request("POST", f"/v1/item-cases/{_segment(reference)}/supplement", body))

    def certificate_pdf(self, number: str) -> bytes:
        """The certificate document (PDF bytes)."""
        response = self._request("GET", f"/v1/certificates/{_segment(number)}.pdf")
        if not response.content.startswith(b"%PDF"):
            raise DepartmentTransientError("department sent something that is not a PDF", response.status_code)
        return response.content

    def download(self, url: str) -> bytes:
        """Fetch an absolute URL of this department (e.g. a certificate's ``pdf_url``), signed."""
        split = urlsplit(url)
        if f"{split.scheme}://{split.netloc}" != self._origin or not split.path.startswith(self._prefix + "/"):
            raise ValueError(f"{url} is not a URL of {self.base_url}")
        target = split.path[len(self._prefix) :] + (f"?{split.query}" if split.query else "")
        return self._request("GET", target).content

    def health(self) -> JSON:
        """``{"status": "ok"}`` when the service is up (unsigned)."""
        try:
            response = self.session.get(f"{self._origin}/health", timeout=self.timeout)
        except requests.RequestException as exc:
            raise DepartmentTransientError(f"department unreachable: {exc}") from exc
        return _json(_checked(response))

    # -- transport -----------------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: JSON | None = None) -> requests.Response:
        target = self._prefix + path
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        if len(data) > self.max_body_bytes:  # the department would refuse it: say so without sending it
            raise DepartmentPermanentError(
                413,
                "payload_too_large",
                f"请求体 {len(data)} 字节，超过协议上限 {self.max_body_bytes} 字节，未发送",
                f"request body of {len(data)} bytes is over the protocol's limit of {self.max_body_bytes} bytes; "
                "not sent",
            )
        headers = sign_headers(self.secret, self.department, method, target, data)
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        try:
            response = self.session.request(
                method, self._origin + target, data=data or None, headers=headers, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise DepartmentTransientError(f"department {self.department} unreachable: {exc}") from exc
        return _checked(response)


def _segment(value: str) -> str:
    """Percent-encode a path segment, so a stray '/' or '?' in an identifier cannot change the route."""
    return quote(str(value), safe="")


def _checked(response: requests.Response) -> requests.Response:
    """Raise the error a non-2xx answer means."""
    if response.status_code >= 500 or response.status_code in (408, 429):
        raise DepartmentTransientError(f"department answered {response.status_code}", response.status_code)
    if response.status_code >= 400:
        try:
            error = response.json().get("error", {})
        except (ValueError, AttributeError):
            error = {}
        error = error if isinstance(error, dict) else {}
        raise DepartmentPermanentError(
            response.status_code,
            str(error.get("code", f"http_{response.status_code}")),
            str(error.get("message", "")),
            str(error.get("message_en", "")),
            error.get("field"),
        )
    return response


def _json(response: requests.Response) -> JSON:
    try:
        payload = response.json()
    except ValueError as exc:
        raise DepartmentTransientError(f"department sent a non-JSON {response.status_code} answer") from exc
    if not isinstance(payload, dict):
        raise DepartmentTransientError("department sent a JSON answer that is not an object")
    return payload
