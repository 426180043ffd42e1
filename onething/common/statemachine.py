"""One state-machine helper for every stateful model.

A machine names a model's state field, the states a row may be created in, and its
transitions: ``name -> (states it may come from, state it leads to)``. A transition is
one conditional UPDATE, ``UPDATE … SET state = target WHERE pk = … AND state IN
(sources)``: of two concurrent transitions from the same state only one finds the row
there, the other changes nothing (no lock, no read before the write).

Each stateful model declares its machine in its app's ``transitions.py``, the only module
that writes the state field (``tests/test_state_writes.py`` fails on a write anywhere
else). That module wraps each move with its audit event in one transaction: this helper
sits in the bottom layer and knows nothing of audit or of any app::

    ORDER = StateMachine(
        Order,
        initial={Order.State.NEW},
        transitions={
            "pay": ({Order.State.NEW}, Order.State.PAID),
            "cancel": ({Order.State.NEW, Order.State.PAID}, Order.State.CANCELLED),
        },
    )

    @transaction.atomic
    def order_pay(*, order, actor) -> None:
        if not ORDER.move("pay", pk=order.pk, paid_at=timezone.now()):
            raise ORDER.refused("pay", current=..., subject=order.number)
        audit.record(...)  # in the same transaction

Why not django-fsm or viewflow.fsm: both change an instance in memory and then save it
(django-fsm's ConcurrentTransitionMixin guards that save with the state read, and raises on a
lost race). The engine wants one UPDATE of the columns the step changes, expressions such as
``F("attempts") + 1``, bulk moves of a queryset, a plain "did it move" answer for idempotent
workers, and no dependency.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import models, router
from django.db.models.sql import UpdateQuery

from onething.common.errors import Conflict

M = TypeVar("M", bound=models.Model)


class TransitionNotAllowed(Conflict):
    """The row is not in a state this transition may start from (another change got there
    first, or the caller asked for a step that makes no sense now): a domain conflict, 409
    ``state_conflict`` where it reaches an answer (onething/common/errors.py)."""

    code = "state_conflict"

    def __init__(
        self,
        *,
        machine: str,
        transition: str,
        current: str | None,
        subject: str = "",
        message: str | None = None,
        message_en: str | None = None,
    ):
        self.machine, self.transition, self.current, self.subject = machine, transition, current, subject
        super().__init__(
            message or f"当前状态“{current}”不能进行此操作（{transition}）",
            message_en or f"{subject or machine}: cannot {transition} from {current}",
        )

    def __str__(self) -> str:
        """For logs: which row, which transition, from which state."""
        return f"{self.subject or self.machine}: cannot {self.transition} from {self.current}"


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str


class StateMachine(Generic[M]):
    """The states and transitions of ``model.<field>``; see the module's docstring."""

    def __init__(
        self,
        model: type[M],
        *,
        field: str = "state",
        initial: Iterable[str],
        transitions: Mapping[str, tuple[Iterable[str], str]],
    ):
        self.model = model
        self.field = field
        choices = model._meta.get_field(field).choices
        if not choices:
            raise ValueError(f"{model.__name__}.{field} has no choices: not a state field")
        self.states: tuple[str, ...] = tuple(str(value) for value, _label in choices)
        self.initial = frozenset(str(state) for state in initial)
        self.transitions: dict[str, Transition] = {
            name: Transition(name, frozenset(str(s) for s in sources), str(target))
            for name, (sources, target) in transitions.items()
        }
        named = set(self.initial).union(*(t.sources | {t.target} for t in self.transitions.values()))
        unknown = sorted(named - set(self.states))
        if unknown:
            raise ValueError(f"{self.label}: {unknown} are not choices of the field")
        # the module that declares the machine: the only one allowed to write the field
        self.module: str = sys._getframe(1).f_globals.get("__name__", "")

    def __repr__(self) -> str:
        return f"<StateMachine {self.label}>"

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field}"

    def __getitem__(self, name: str) -> Transition:
        try:
            return self.transitions[name]
        except KeyError:
            raise KeyError(f"{self.label} has no transition {name!r}") from None

    def allows(self, transition: str, state: str) -> bool:
        """Whether ``transition`` may start from ``state`` (a check for display; only
        :meth:`move` decides)."""
        return str(state) in self[transition].sources

    def initial_state(self, state: str) -> dict[str, str]:
        """``{field: state}`` for a new row, refusing a state rows are not created in:
        ``Model.objects.create(**MACHINE.initial_state(S.NEW), …)``."""
        if str(state) not in self.initial:
            raise ValueError(f"{self.label}: rows are not created in state {state!r}")
        return {self.field: state}

    def move(self, transition: str, *, pk: Any, where: Mapping[str, Any] | None = None, **changes: Any) -> bool:
        """Apply ``transition`` to the row ``pk`` if it is in one of the transition's source
        states (and matches ``where``), setting ``changes`` in the same UPDATE. True if it
        moved. Audit it in the caller's transaction."""
        return self.move_all(transition, self.model._default_manager.filter(pk=pk), where=where, **changes) == 1

    def move_all(
        self, transition: str, queryset: models.QuerySet[M], *, where: Mapping[str, Any] | None = None, **changes: Any
    ) -> int:
        """:meth:`move` for every row of ``queryset`` in a source state; how many moved."""
        step = self[transition]
        if self.field in changes:
            raise ValueError(f"{self.label}: the transition sets the state, not the caller")
        rows = queryset.filter(**{f"{self.field}__in": step.sources}, **(where or {}))
        return rows.update(**{self.field: step.target}, **changes)

    def update_sql(
        self, transition: str, *, pk: Any, where: Mapping[str, Any] | None = None, **changes: Any
    ) -> tuple[str, tuple]:
        """The UPDATE :meth:`move` would run, as SQL and parameters, not run: for a
        transitions module that runs it together with the audit event in one statement
        (``audit.record_with_update``). It changes one row at most (``pk``)."""
        step = self[transition]
        if self.field in changes:
            raise ValueError(f"{self.label}: the transition sets the state, not the caller")
        using = router.db_for_write(self.model)
        rows = self.model._default_manager.db_manager(using).filter(
            pk=pk, **{f"{self.field}__in": step.sources}, **(where or {})
        )
        query = rows.query.chain(UpdateQuery)
        query.add_update_values({self.field: step.target, **changes})
        query.clear_ordering(force=True)
        query.clear_select_clause()
        return query.get_compiler(using).as_sql()

    def refused(self, transition: str, *, current: str | None, subject: str = "") -> TransitionNotAllowed:
        """The error to raise when ``transition`` did not move a row found in ``current``."""
        return TransitionNotAllowed(machine=self.label, transition=transition, current=current, subject=subject)

    def describe(self) -> str:
        """One line per transition, for documentation: ``name: a, b → c``."""
        lines = [f"{self.label}: created {', '.join(sorted(self.initial)) or '—'}"]
        for step in self.transitions.values():
            lines.append(f"  {step.name}: {', '.join(sorted(step.sources))} → {step.target}")
        return "\n".join(lines)
