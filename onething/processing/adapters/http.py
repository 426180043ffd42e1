"""The HTTP adapter: a department's own system, by the protocol in
docs/department-protocol.md (signed requests, idempotency key, callbacks, polling)."""

import threading

from django.conf import settings

from onething.processing.adapters.base import DepartmentAdapter, DepartmentStatus, registry
from onething.processing.errors import PermanentDispatchError, TransientDispatchError
from services.protocol.client import DepartmentClient, DepartmentPermanentError, DepartmentTransientError

_local = threading.local()


@registry.register
class HttpAdapter(DepartmentAdapter):
    name = "http"

    def client(self) -> DepartmentClient:
        """One client (and connection pool) per thread and endpoint: workers reuse
        connections instead of opening one per dispatch."""
        key = (self.endpoint.base_url, self.endpoint.department.code, self.endpoint.secret)
        clients = _local.__dict__.setdefault("clients", {})
        if key not in clients:
            clients[key] = DepartmentClient(
                *key, timeout=settings.DEPARTMENT_TIMEOUT, max_body_bytes=settings.DEPARTMENT_MAX_BODY_BYTES
            )
        return clients[key]

    def submit(self, *, item_case, callback_url: str) -> str:
        with _translated_errors():
            answer = self.client().submit(
                idempotency_key=item_case.idempotency_key,
                case_number=item_case.case.number,
                item_code=item_case.item_code,
                item_case_id=item_case.pk,
                data=item_case.data,
                materials=item_case.materials,
                callback_url=callback_url,
            )
        return answer["reference"]

    def poll(self, *, item_case) -> DepartmentStatus | None:
        if not item_case.reference:
            return None
        with _translated_errors():
            answer = self.client().get(item_case.reference)
        return DepartmentStatus(
            state=answer.get("state", ""),
            result=answer.get("result") or {},
            certificate=answer.get("certificate") or {},
            reason=answer.get("reason") or "",
            supplement=answer.get("supplement") or {},
        )

    def supplement(self, *, item_case, data: dict, materials: list[dict]) -> None:
        with _translated_errors():
            self.client().supplement(item_case.reference, data, materials)

    def certificate_document(self, *, item_case) -> bytes | None:
        number = (item_case.certificate or {}).get("number")
        if not number:
            return None
        with _translated_errors():
            return self.client().certificate_pdf(number)


class _translated_errors:
    """The department client's errors as the engine's dispatch errors."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, DepartmentTransientError):
            raise TransientDispatchError(str(error)) from error
        if isinstance(error, DepartmentPermanentError):
            raise PermanentDispatchError(str(error)) from error
        return False
