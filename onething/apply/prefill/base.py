"""The prefill plugin interface: a context in, a result out, and a registry of plugins.

Modelled on open-forms' prefill registry: each source of government data is one small
class behind ``PrefillPlugin.prefill(ctx) -> PrefillResult``, registered by name. The
runner (``services.run_prefill``) calls them in registration order; a later plugin sees
what earlier ones found (``ctx.values`` and ``ctx.identities``), so the e-licence plugin
can look up the licences of a party an earlier plugin identified.

Plugins know the data hub's vocabulary (its databases, relations, record fields and
e-licence types) and read everything about a bundle from its definition: which parties
the form asks about and how the hub finds each (``ctx.form.parties``). Nothing here names
a bundle, an item or a party.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from onething.catalog.definition.parties import Party, subject
from onething.identity.datahub import datahub_client
from services.datahub.ids import is_valid_credit_code, is_valid_id_number, normalize

if TYPE_CHECKING:
    from onething.accounts.models import User
    from onething.apply.form import MergedField, MergedForm
    from onething.notice.engine import NoticeMaterial
    from services.datahub.client import DatahubClient

# Source labels shown next to a prefilled field (数据来源).
SOURCE_PERSON = "自然人基础信息库"
SOURCE_ENTERPRISE = "法人库"
SOURCE_ELICENCE = "电子证照库"


@dataclass
class PrefillResult:
    """What one plugin found.

    ``values``: data-element key -> value (only keys that are fields of the form);
    ``sources``: data-element key -> source label (Chinese);
    ``materials``: material key -> the e-licence attached in its place
    (``{"source": "elicence", "licence_number", "type", "holder", "name", ...}``);
    ``identities``: party (a key of the definition's ``parties``) -> the ID number or
    credit code the plugin established for it, whether or not the form asks for it (later
    plugins use it to find e-licences).
    """

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    materials: dict[str, dict[str, Any]] = field(default_factory=dict)
    identities: dict[str, str] = field(default_factory=dict)

    def put(self, key: str, value: Any, source: str) -> None:
        """Record a value unless it is empty or already recorded (first finding wins)."""
        if value is None or value == "" or key in self.values:
            return
        self.values[key] = value
        self.sources[key] = source

    def merge(self, other: PrefillResult) -> None:
        """Add another result; what is already here wins."""
        for key, value in other.values.items():
            if key not in self.values:
                self.values[key] = value
                self.sources[key] = other.sources.get(key, "")
        for key, value in other.materials.items():
            self.materials.setdefault(key, value)
        for key, value in other.identities.items():
            self.identities.setdefault(key, value)


@dataclass
class PrefillContext:
    """Everything a plugin may use for one prefill run.

    ``cache`` is shared by all plugins of the run, so a record (the applicant's person
    record, a holder's e-licences) is fetched from the hub once; use the ``person``,
    ``enterprise`` and ``elicences`` helpers, which go through it. ``found`` accumulates
    the results of the plugins that already ran.

    ``parallel``: a plugin about to read several records one by one may ``prefetch`` them,
    fetched then at the same time (each thread with its own hub client). What it read is
    what it would have read without: a record enters ``cache`` (and a hub error is raised)
    only when the plugin asks for it.
    """

    applicant: User | None
    form: MergedForm
    materials: list[NoticeMaterial]
    client: DatahubClient
    cache: dict[Any, Any] = field(default_factory=dict)
    found: PrefillResult = field(default_factory=PrefillResult)
    parallel: bool = False
    prefetched: dict[tuple, tuple[Any, BaseException | None]] = field(default_factory=dict)

    # -- what earlier plugins found ------------------------------------------------------

    @property
    def values(self) -> dict[str, Any]:
        return self.found.values

    @property
    def identities(self) -> dict[str, str]:
        return self.found.identities

    # -- the form ------------------------------------------------------------------------

    @cached_property
    def fields(self) -> dict[str, MergedField]:
        return self.form.by_key

    @cached_property
    def prefixes(self) -> set[str]:
        """The parties and topics the form asks about: the first part of its fields' keys."""
        return {subject(key) for key in self.fields}

    @cached_property
    def holders(self) -> set[str]:
        """The parties whose documents the materials are (a holder's data element's first part)."""
        return {subject(m.holder) for m in self.materials if "." in (m.holder or "")}

    def parties_in(self, database: str) -> list[Party]:
        """The definition's parties that the hub finds from the applicant's record in
        ``database`` (``person`` or ``enterprise``) and that the form asks about or whose
        documents are among the materials, in the definition's order."""
        return [
            party
            for party in self.form.parties
            if party.database == database and (party.key in self.prefixes or party.key in self.holders)
        ]

    def wants(self, key: str) -> bool:
        """The form has this field and no earlier plugin filled it."""
        return key in self.fields and key not in self.values

    def asks_about(self, prefix: str) -> bool:
        return prefix in self.prefixes

    # -- the applicant -------------------------------------------------------------------

    @property
    def applicant_role(self) -> str:
        return str(getattr(self.applicant, "role", "") or "")

    @property
    def applicant_id(self) -> str:
        """The applicant's resident ID number or credit code, normalised ("" if none)."""
        return normalize(getattr(self.applicant, "id_number", None)) or ""

    # -- hub lookups, cached for the run -------------------------------------------------

    def person(self, id_number: str | None) -> dict | None:
        """The natural-person record, or None (unknown, or not a valid ID number)."""
        key = lookup_key("person", id_number)
        return None if key is None else self._cached(key, lambda: self.client.get_person(key[1]))

    def enterprise(self, credit_code: str | None) -> dict | None:
        """The legal-entity record, or None (unknown, or not a valid credit code)."""
        key = lookup_key("enterprise", credit_code)
        return None if key is None else self._cached(key, lambda: self.client.get_enterprise(key[1]))

    def elicences(self, holder: str | None) -> list[dict]:
        """All e-licences of a holder (any type, valid or not); one hub call per holder and run."""
        key = lookup_key("elicences", holder)
        return [] if key is None else self._cached(key, lambda: self.client.list_elicences(key[1]))

    def prefetch(self, lookups: Iterable[tuple[str, str | None]]) -> None:
        """Fetch at the same time the records ``lookups`` name (``("person", id_number)``,
        ``("enterprise", credit_code)``, ``("elicences", holder)``) that the caller reads
        next, one by one, through the helpers above. Only with ``parallel`` and two or more
        to fetch; a hub error is kept and raised when the record is read."""
        wanted = []
        for kind, identifier in lookups:
            key = lookup_key(kind, identifier)
            if key is not None and key not in self.cache and key not in self.prefetched and key not in wanted:
                wanted.append(key)
        if not self.parallel or len(wanted) < 2:
            return
        futures = [(key, _pool().submit(_fetch, key)) for key in wanted]
        for key, future in futures:
            try:
                self.prefetched[key] = (future.result(), None)
            except Exception as exc:  # raised again where the plugin reads it
                self.prefetched[key] = (None, exc)

    def _cached(self, key: tuple, fetch: Callable[[], Any]) -> Any:
        if key not in self.cache:
            if key in self.prefetched:
                value, error = self.prefetched.pop(key)
                if error is not None:
                    raise error  # caches nothing, as below
                self.cache[key] = value
            else:
                self.cache[key] = fetch()  # a hub error propagates and caches nothing
        return self.cache[key]


def lookup_key(kind: str, identifier: str | None) -> tuple[str, str] | None:
    """``(kind, normalised identifier)``, or None when the identifier is not one the hub
    could know for that kind (a person: an ID number; an enterprise: a credit code;
    e-licences: either)."""
    identifier = normalize(identifier)
    if not identifier:
        return None
    person, enterprise = kind in {"person", "elicences"}, kind in {"enterprise", "elicences"}
    if (person and is_valid_id_number(identifier)) or (enterprise and is_valid_credit_code(identifier)):
        return kind, identifier
    return None


PREFETCH_THREADS = 4
_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=PREFETCH_THREADS, thread_name_prefix="prefill")
    return _executor


def _fetch(key: tuple[str, str]) -> Any:
    """One hub read in a pool thread, with that thread's client (identity.datahub)."""
    kind, identifier = key
    client = datahub_client()
    if kind == "person":
        return client.get_person(identifier)
    if kind == "enterprise":
        return client.get_enterprise(identifier)
    return client.list_elicences(identifier)


def _forget_pool_after_fork() -> None:
    global _executor
    _executor = None  # the parent's threads do not exist in a forked worker


os.register_at_fork(after_in_child=_forget_pool_after_fork)


class PrefillPlugin:
    """One source of prefill data. Subclasses set ``label`` and implement ``prefill``.

    ``name`` is set by ``Registry.register``. ``prefill`` must only return values for
    fields of ``ctx.form`` and may raise the data hub client's errors
    (``DatahubUnavailable``, ``DatahubRequestError``): the runner handles them.
    """

    name: str = ""
    label: str = ""

    def prefill(self, ctx: PrefillContext) -> PrefillResult:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


P = TypeVar("P", bound=type[PrefillPlugin])


class Registry:
    """Plugins by name, iterated in registration order."""

    def __init__(self) -> None:
        self._plugins: dict[str, PrefillPlugin] = {}

    def register(self, name: str) -> Callable[[P], P]:
        """Class decorator: ``@registry.register("natural_person")``."""

        def decorator(plugin_class: P) -> P:
            if name in self._plugins:
                raise ValueError(f"prefill plugin {name!r} is already registered")
            plugin = plugin_class()
            plugin.name = name
            self._plugins[name] = plugin
            return plugin_class

        return decorator

    def __iter__(self) -> Iterator[PrefillPlugin]:
        return iter(list(self._plugins.values()))

    def __getitem__(self, name: str) -> PrefillPlugin:
        return self._plugins[name]

    def __contains__(self, name: object) -> bool:
        return name in self._plugins

    def __len__(self) -> int:
        return len(self._plugins)

    def names(self) -> list[str]:
        return list(self._plugins)


registry = Registry()
"""The engine's prefill plugins (filled by ``plugins.py``)."""
