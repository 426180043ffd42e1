"""Writes to the catalogue: publish, retire and copy bundle versions.

Publishing runs the same validation as import on the version's full document and
freezes that document in ``snapshot``; cases and notices read the snapshot, so later
edits to shared items never change a published version.
"""

from django.db import transaction

from onething.audit import services as audit
from onething.catalog import transitions
from onething.catalog.definition.errors import DefinitionInvalid
from onething.catalog.definition.exporter import build_document
from onething.catalog.definition.validation import validate_document
from onething.catalog.models import BundleVersion


@transaction.atomic
def version_publish(*, version: BundleVersion, actor=None) -> BundleVersion:
    """Validate and publish a draft; the bundle's previously published version retires.
    Audited (``catalog.version_published``) with whoever published it."""
    version = BundleVersion.objects.select_for_update().get(pk=version.pk)
    if version.state != BundleVersion.State.DRAFT:
        raise DefinitionInvalid([_not_draft_problem(version)])
    document = build_document(version)
    problems = validate_document(document)
    if problems:
        raise DefinitionInvalid(problems)
    transitions.version_publish(version=version, snapshot=document, actor=actor)
    return version


@transaction.atomic
def version_retire(*, version: BundleVersion, actor=None) -> BundleVersion:
    """Withdraw a published version: no new cases start on it; running cases keep it."""
    if not transitions.version_retire(version=version, actor=actor):
        raise DefinitionInvalid([_not_draft_problem(version, expected="published")])
    return version


@transaction.atomic
def version_new_draft(*, version: BundleVersion, actor=None) -> BundleVersion:
    """Editing a published version means editing a copy: a new draft with the same
    questions, items, dependencies, sections and parties (the bundle's existing draft if it has one).

    The copy refers to the catalogue's current items, so improvements made to a shared
    item since publication are picked up by the next version.
    """
    existing = version.bundle.versions.filter(state=BundleVersion.State.DRAFT).first()
    if existing:
        return existing
    last = version.bundle.versions.order_by("-number").values_list("number", flat=True).first() or 0
    draft = BundleVersion.objects.create(
        bundle=version.bundle,
        number=last + 1,
        steps=version.steps,
        service_locations=version.service_locations,
        notes=version.notes,
        sections=version.sections,
        parties=version.parties,
    )
    for question in version.questions.all():
        question.pk, question.version = None, draft
        question.save()
    copies = {}
    for bundle_item in version.bundle_items.all():
        original_pk = bundle_item.pk
        bundle_item.pk, bundle_item.version = None, draft
        bundle_item.save()
        copies[original_pk] = bundle_item
    for dependency in version.dependencies.all():
        dependency.pk, dependency.version = None, draft
        dependency.upstream, dependency.downstream = copies[dependency.upstream_id], copies[dependency.downstream_id]
        dependency.save()
    audit.record(
        action="catalog.draft_created",
        actor=actor,
        obj=draft,
        after={"bundle": version.bundle.code, "number": draft.number, "copied_from": version.number},
    )
    return draft


def _not_draft_problem(version: BundleVersion, expected: str = "draft"):
    from onething.catalog.definition.errors import DefinitionProblem

    return DefinitionProblem(
        "$",
        "wrong_state",
        f"版本 v{version.number} 当前为“{version.get_state_display()}”，无法执行此操作",
        f"version {version.number} is {version.state}, expected {expected}",
    )
