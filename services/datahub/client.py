"""Client of the data hub for the engine (prefill plugins, real-name check, e-licence issuance).

Failures are sorted the way a caller must react to them:

* ``None``                 -- the record does not exist (404): prefill nothing, ask the citizen;
* ``DatahubUnavailable``   -- connection error, timeout or 5xx: retry later or degrade gracefully;
* ``DatahubRequestError``  -- any other 4xx: the caller sent something wrong; retrying will not help.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests

from .auth import DEFAULT_KEY, signed_headers

JSON = dict[str, Any]


class DatahubError(Exception):
    """Base class of the client's errors."""


class DatahubUnavailable(DatahubError):
    """The hub could not answer: connection refused, timeout, or a 5xx."""


class DatahubRequestError(DatahubError):
    """The hub refused the request (4xx other than 404); ``code`` is the hub's error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class DatahubClient:
    """Signs every request with the shared key; one instance per thread (it keeps a requests.Session)."""

    def __init__(
        self, base_url: str, key: str = DEFAULT_KEY, timeout: float = 5.0, client_id: str = "onething"
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._prefix = urlsplit(self.base_url).path  # signatures cover the path as the server sees it
        self.key, self.timeout, self.client_id = key, timeout, client_id
        self.session = requests.Session()

    def close(self) -> None:
        """Release pooled connections."""
        self.session.close()

    def __enter__(self) -> DatahubClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- public calls ----------------------------------------------------------------------------

    def health(self) -> JSON:
        """``{"status": "ok"}`` when the hub is up."""
        return self._request("GET", "/health")

    def meta(self) -> JSON:
        """Seed, as-of date and counts of the loaded dataset."""
        return self._request("GET", "/v1/meta")

    def get_person(self, id_number: str) -> JSON | None:
        """Natural-person record, or None if unknown."""
        return self._request("GET", f"/v1/persons/{_segment(id_number)}", allow_404=True)

    def get_enterprise(self, credit_code: str) -> JSON | None:
        """Legal-entity record, or None if unknown."""
        return self._request("GET", f"/v1/enterprises/{_segment(credit_code)}", allow_404=True)

    def list_elicences(self, holder: str, licence_type: str | None = None) -> list[JSON]:
        """E-licences of a holder (ID number or credit code), optionally of one type."""
        params = {"holder": holder, **({"type": licence_type} if licence_type else {})}
        return self._request("GET", "/v1/elicences", params=params)["elicences"]

    def get_elicence(self, licence_number: str) -> JSON | None:
        """One e-licence, or None if unknown."""
        return self._request("GET", f"/v1/elicences/{_segment(licence_number)}", allow_404=True)

    def verify_elicence(self, licence_number: str, holder: str) -> JSON:
        """``{"valid": bool, "reason": "ok"|"not_found"|"holder_mismatch"|"revoked"|"expired", ...}``."""
        return self._request("POST", "/v1/elicences/verify", {"licence_number": licence_number, "holder": holder})

    def register_elicence(
        self, licence_type: str, number: str, holder: str, issuer: str, data: JSON | None = None, **extra: Any
    ) -> JSON:
        """Register an issued e-licence; safe to repeat (the number is the idempotency key).

        ``extra`` may carry ``holder_name``, ``issue_date`` and ``valid_until``.
        """
        body = {"type": licence_type, "number": number, "holder": holder, "issuer": issuer, "data": data or {}}
        return self._request("POST", "/v1/elicences", {**body, **extra})

    def verify_person(self, id_number: str, name: str, mobile: str | None = None) -> JSON:
        """Real-name check: ``{"match": bool}``."""
        body = {"id_number": id_number, "name": name, **({"mobile": mobile} if mobile else {})}
        return self._request("POST", "/v1/persons/verify", body)

    # -- transport -------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        body: JSON | None = None,
        params: dict[str, str] | None = None,
        allow_404: bool = False,
    ) -> Any:
        target = self._prefix + path + (f"?{urlencode(params)}" if params else "")
        data = b"" if body is None else _encode(body)
        headers = signed_headers(self.key, self.client_id, method, target, data)
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        url = self.base_url[: len(self.base_url) - len(self._prefix)] + target
        try:
            response = self.session.request(method, url, data=data or None, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            # not str(exc): requests puts the URL in it, and the URL may name a person
            # (/v1/persons/<ID number>); this message is logged and stored (last_error)
            raise DatahubUnavailable(f"data hub unreachable at {self.base_url}: {type(exc).__name__}") from exc
        return _result(response, allow_404)


def _segment(value: str) -> str:
    """Percent-encode a path segment, so a stray '/' or '?' in an identifier cannot change the route."""
    return quote(str(value), safe="")


def _encode(body: JSON) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _result(response: requests.Response, allow_404: bool) -> Any:
    """Map a response to a value or to the exception the caller must handle."""
    if response.status_code >= 500:
        raise DatahubUnavailable(f"data hub answered {response.status_code}")
    if response.status_code == 404 and allow_404:
        return None
    try:
        payload = response.json()
    except ValueError as exc:
        raise DatahubUnavailable(f"data hub sent a non-JSON {response.status_code} answer") from exc
    if response.status_code >= 400:
        error = payload.get("error", {}) if isinstance(payload, dict) else {}
        raise DatahubRequestError(response.status_code, error.get("code", "unknown"), error.get("message", ""))
    return payload
