"""ID card readers of the self-service terminals (自助终端): one interface, several readers.

A reader turns what the terminal sent with the identification request into a
:class:`CardIdentity`. The reader in use is named by the setting ``KIOSK_CARD_READER``:
a name registered here (``@registry.register("name")``, as Open Forms registers its prefill
plugins) or the dotted path of a class. Empty: the terminals identify nobody (browsing and
notices still work).

- ``simulated`` (the default with DEBUG on, never with DEBUG off): the number typed on the
  terminal's keypad stands for a card laid on the reader. It proves nothing: anyone who
  knows a number opens that citizen's drafts and cases. Pages say so ("模拟读卡"), and the
  deploy check ``onething.W020`` warns when it is configured with DEBUG off.
- A real reader (a 居民身份证阅读器 with its security module) reads the card's chip; the
  terminal's reader agent posts the chip data (signed by the agent, the field
  ``card_data``) and the reader class checks that signature and returns the identity with
  ``chip_verified=True``. The card in the reader is then the second factor: the typed
  number is never trusted on its own. See docs/kiosk.md and docs/security.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string

from onething.identity import validators

MAX_INPUT = 64  # what a reader reads from one posted field, at most


@dataclass(frozen=True)
class CardIdentity:
    """What a card read yields: the resident ID number (normalised), the name on the card
    when the reader has it, and whether the chip itself was read and verified."""

    id_number: str
    name: str = ""
    chip_verified: bool = False


class CardReadError(Exception):
    """The card could not be read or does not check out; ``code`` and the bilingual message
    say why (a wrong check character, no card)."""

    def __init__(self, code: str, message: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code, self.message, self.message_en = code, message, message_en


@runtime_checkable
class CardReader(Protocol):
    """An ID card reader. ``simulated`` readers are marked as such on every page that uses them."""

    name: str
    simulated: bool

    def read(self, *, request: HttpRequest) -> CardIdentity:
        """The identity of the card presented with ``request``; CardReadError if none."""
        ...


class Registry:
    def __init__(self) -> None:
        self._readers: dict[str, type] = {}

    def register(self, name: str) -> Callable[[type], type]:
        def decorator(cls: type) -> type:
            cls.name = name
            self._readers[name] = cls
            return cls

        return decorator

    def names(self) -> list[str]:
        return sorted(self._readers)

    def get(self, name: str) -> CardReader | None:
        """The reader named ``name`` (a registered name or a dotted class path); None for ''."""
        if not name:
            return None
        cls = self._readers.get(name) or import_string(name)
        reader = cls()
        if not isinstance(reader, CardReader):
            raise TypeError(f"{name} is not a CardReader")
        return reader


registry = Registry()


def configured_reader() -> CardReader | None:
    """The reader of this installation (``KIOSK_CARD_READER``), None when terminals identify nobody."""
    return registry.get(getattr(settings, "KIOSK_CARD_READER", ""))


@registry.register("simulated")
class SimulatedReader:
    """模拟读卡器: the typed ID number (field ``id_number``) stands for the card. For the demo
    and the tests only: it is no proof that the card is present."""

    name = "simulated"
    simulated = True

    def read(self, *, request: HttpRequest) -> CardIdentity:
        typed = validators.identifier(request.POST.get("id_number", "")[:MAX_INPUT])
        if not typed:
            raise CardReadError("no_card", "请输入 18 位身份证号码", "enter the 18-character ID number")
        problem = validators.resident_id(typed)
        if problem is not None:
            raise CardReadError(problem.code, problem.message, problem.message_en)
        return CardIdentity(id_number=typed, chip_verified=False)
