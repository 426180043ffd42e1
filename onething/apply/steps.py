"""The merged form (一表申请) as steps, one topic per page: derived from the form's sections
(the definition's own, then the engine's 办理事由 / 个别事项所需信息), the materials, and
the delivery of results, in that order. A bundle without some topic has fewer steps; no
bundle, party or section is known here by name.

Reads only: the pages of onething/apply/views.py compose them; validation stays the one
``validate`` of onething/apply/form.py, each step showing its own fields' problems.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from onething.apply.form import MergedField, MergedForm, validate
from onething.apply.materials import MaterialDecision, draft_decisions
from onething.apply.models import Draft
from onething.apply.selectors import form_for

MATERIALS = (
    "materials"  # the key of the materials step (a definition's section may not take it: see ``_materials_key``)
)
DELIVERY = "delivery"  # the engine's own last section: the materials step comes before it
CHECK = "check"  # 核对信息: not a step of the form, the page after the last one


@dataclass(frozen=True)
class Step:
    """One page of the merged form: a section's fields, or the materials."""

    key: str
    label: Any  # text, or a lazy bilingual label (form.MergedForm.sections)
    fields: tuple[MergedField, ...] = ()
    is_materials: bool = False
    number: int = 0  # 1-based position

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(f.key for f in self.fields)


@dataclass(frozen=True)
class DraftSteps:
    """A draft's steps, its form, its material decisions and what its data lacks."""

    draft: Draft
    form: MergedForm
    steps: tuple[Step, ...]
    decisions: tuple[MaterialDecision, ...]
    errors: dict  # field key -> FieldError of the draft's saved data (the whole form)

    def get(self, key: str) -> Step | None:
        return next((step for step in self.steps if step.key == key), None)

    def previous(self, step: Step) -> Step | None:
        return self.steps[step.number - 2] if step.number > 1 else None

    def next(self, step: Step) -> Step | None:
        return self.steps[step.number] if step.number < len(self.steps) else None

    def errors_of(self, step: Step, errors: dict | None = None) -> dict:
        """The problems of one step's fields, in the form's order (``errors``: of the input
        just posted; by default those of the saved data)."""
        found = self.errors if errors is None else errors
        return {key: error for key, error in found.items() if key in step.keys}

    @property
    def missing_materials(self) -> list[MaterialDecision]:
        return [d for d in self.decisions if d.missing]

    def has_problem(self, step: Step) -> bool:
        if step.is_materials:
            return bool(self.missing_materials)
        return bool(self.errors_of(step))

    @property
    def resume_at(self) -> Step | None:
        """Where a citizen coming back carries on: the first step with a problem (a field to
        fill or fix, a required material still missing); None when nothing is left (the
        check-your-answers page)."""
        return next((step for step in self.steps if self.has_problem(step)), None)

    @property
    def complete(self) -> bool:
        """Whether the data validates: submission is refused otherwise (materials still
        missing do not stop it: pre-review names them, as it always did)."""
        return not self.errors


def _materials_key(section_keys: set[str]) -> str:
    # a section key is ^[a-z][a-z0-9_]*$: a hyphen never clashes with one
    return MATERIALS if MATERIALS not in section_keys else f"{MATERIALS}-step"


def steps_for(*, form: MergedForm, has_materials: bool) -> tuple[Step, ...]:
    """The form's sections with fields, in order, then the materials step (if the situation
    needs any material) before the delivery of results, numbered from 1."""
    pages: list[Step] = [Step(key=key, label=label, fields=tuple(fields)) for key, label, fields in form.steps]
    if has_materials:
        materials = Step(key=_materials_key({p.key for p in pages}), label=_("申请材料"), is_materials=True)
        at = next((index for index, page in enumerate(pages) if page.key == DELIVERY), len(pages))
        pages.insert(at, materials)
    return tuple(
        Step(key=p.key, label=p.label, fields=p.fields, is_materials=p.is_materials, number=index)
        for index, p in enumerate(pages, start=1)
    )


def draft_steps(*, draft: Draft) -> DraftSteps:
    """The steps of a draft, with what its saved data and materials still lack."""
    form = form_for(version=draft.version, answers=draft.answers)
    decisions = tuple(draft_decisions(draft))
    _clean, errors = validate(form, draft.data)
    return DraftSteps(
        draft=draft,
        form=form,
        steps=steps_for(form=form, has_materials=bool(decisions)),
        decisions=decisions,
        errors=errors,
    )
