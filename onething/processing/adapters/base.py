"""The adapter interface and its registry."""

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass
class DepartmentStatus:
    """What a department says about an item case (polled or pushed)."""

    state: str
    result: dict = field(default_factory=dict)
    certificate: dict = field(default_factory=dict)
    reason: str = ""
    supplement: dict = field(default_factory=dict)


class DepartmentAdapter:
    """Reach one department. Raise TransientDispatchError or PermanentDispatchError."""

    name: ClassVar[str]

    def __init__(self, endpoint: Any):
        self.endpoint = endpoint

    def submit(self, *, item_case: Any, callback_url: str) -> str:
        """Hand over the item case; return the department's reference. Idempotent by the
        item case's idempotency key: submitting twice creates one application there."""
        raise NotImplementedError

    def poll(self, *, item_case: Any) -> DepartmentStatus | None:
        """The department's current view of the item case (None: nothing to learn)."""
        raise NotImplementedError

    def supplement(self, *, item_case: Any, data: dict, materials: list[dict]) -> None:
        """Send what the applicant supplied after a supplement request."""
        raise NotImplementedError

    def certificate_document(self, *, item_case: Any) -> bytes | None:
        """The PDF of the certificate an approved item case issued (统一发证 collects it);
        None when the department issues no document of its own."""
        raise NotImplementedError


class Registry:
    def __init__(self) -> None:
        self._adapters: dict[str, type[DepartmentAdapter]] = {}

    def register(self, cls: type[DepartmentAdapter]) -> type[DepartmentAdapter]:
        if cls.name in self._adapters:
            raise ValueError(f"adapter {cls.name} registered twice")
        self._adapters[cls.name] = cls
        return cls

    def get(self, name: str) -> type[DepartmentAdapter]:
        return self._adapters[name]

    def names(self) -> list[str]:
        return list(self._adapters)


registry = Registry()
