"""Domain errors: what a service refuses, in words a person can read in both languages.

A service raises one of these; it never knows about HTTP. Each error has a machine
``code``, a Chinese ``message`` and an English ``message_en``, optional ``details`` (a
list of :class:`Problem` dicts, every problem at once) and a ``kind`` that says what went
wrong and, through :data:`STATUS`, the HTTP status it gets:

========================  ======  =====================================================
kind                      status  meaning
========================  ======  =====================================================
``invalid``               400     the request cannot be done as asked (input, rules)
``not_allowed``           403     this user may not do this to this object
``not_found``             404     no such object (for this user)
``conflict``              409     the object is not in a state that allows it now
``too_large``             413     the request body is over its limit
``throttled``             429     too many attempts, try later
``unavailable``           503     a system we depend on cannot answer now
========================  ======  =====================================================

They are turned into answers in exactly two places: the DRF exception handler
(:func:`onething.common.api.exception_handler`, the documented JSON error body) and, for
HTML pages, :func:`onething.common.error_views.domain_errors` (Django's 403/404 page,
or the message on the page the user came from).
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from onething.common.i18n import pick


class Kind(StrEnum):
    INVALID = "invalid"
    NOT_ALLOWED = "not_allowed"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    TOO_LARGE = "too_large"
    THROTTLED = "throttled"
    UNAVAILABLE = "unavailable"


#: The HTTP status of each kind of error.
STATUS: dict[Kind, int] = {
    Kind.INVALID: 400,
    Kind.NOT_ALLOWED: 403,
    Kind.NOT_FOUND: 404,
    Kind.CONFLICT: 409,
    Kind.TOO_LARGE: 413,
    Kind.THROTTLED: 429,
    Kind.UNAVAILABLE: 503,
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong: a machine code, a bilingual message, and what it is about (``key``:
    a form field, a material, a question, a path in a document; "" when it is about the
    whole). Subclasses only rename ``key`` in the JSON body (``about``)."""

    code: str
    message: str
    message_en: str
    key: str = ""

    #: the name of ``key`` in :meth:`as_dict`
    about: ClassVar[str] = "key"

    def as_dict(self) -> dict[str, str]:
        """The problem as the API shows it; ``key`` only when there is one."""
        about = {self.about: self.key} if self.key else {}
        return about | {"code": self.code, "message": self.message, "message_en": self.message_en}

    @property
    def text(self) -> str:
        """The message in the page's language."""
        return pick(self.message, self.message_en)


class DomainError(Exception):
    """Base class. Subclasses set ``kind`` (and may set a default ``code``, ``message`` and
    ``message_en``); an instance may give its own, and ``status_code`` overrides the kind's
    status where an answer needs another one."""

    kind: ClassVar[Kind] = Kind.INVALID
    code: str = "invalid"
    message: str = "请求无法完成"
    message_en: str = "the request cannot be done"

    def __init__(
        self,
        message: str | None = None,
        message_en: str | None = None,
        *,
        code: str | None = None,
        details: Any = None,
        status_code: int | None = None,
    ):
        if code is not None:
            self.code = code
        if message is not None:
            self.message = message
        if message_en is not None:
            self.message_en = message_en
        self.details = details
        self.status_code = status_code or STATUS[self.kind]
        super().__init__(f"{self.code}: {self.message_en or self.message}")

    @property
    def text(self) -> str:
        """The message in the page's language (what an HTML page shows)."""
        return pick(self.message, self.message_en)

    def body(self) -> dict[str, Any]:
        """The documented JSON error body."""
        error = {"code": self.code, "message": self.message, "message_en": self.message_en}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


class Invalid(DomainError):
    kind = Kind.INVALID


class NotAllowed(DomainError):
    kind = Kind.NOT_ALLOWED
    code = "not_allowed"
    message = "没有权限进行此操作"
    message_en = "you may not do this"


class NotFound(DomainError):
    kind = Kind.NOT_FOUND
    code = "not_found"
    message = "没有找到"
    message_en = "not found"


class Conflict(DomainError):
    kind = Kind.CONFLICT
    code = "conflict"
    message = "当前状态不能进行此操作"
    message_en = "this is not possible in the current state"
