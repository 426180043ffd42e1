"""Import a definition document: validate everything, then write everything or nothing.

Departments, data elements and items are upserted by code (they are shared by bundles);
the bundle gets a new draft version, or its existing draft is replaced. With
``publish=True`` the draft is published at once through the same publish service the
admin uses.
"""

from decimal import Decimal

from django.db import transaction

from onething.catalog import models
from onething.catalog.definition import normalise
from onething.catalog.definition.errors import DefinitionInvalid
from onething.catalog.definition.validation import validate_document


def import_definition(*, document: dict, publish: bool = False) -> models.BundleVersion:
    """Validate and import one bundle definition; raise DefinitionInvalid with every problem."""
    problems = validate_document(document)
    if problems:
        raise DefinitionInvalid(problems)
    with transaction.atomic():
        departments = {d["code"]: _upsert_department(d) for d in document["departments"]}
        for element in document["data_elements"]:
            _upsert_data_element(element)
        items = {i["code"]: _upsert_item(i, departments[i["department"]]) for i in document["items"]}
        bundle = _upsert_bundle(document["bundle"])
        version = _fresh_draft(bundle)
        _write_version(version, document["bundle"]["version"], items)
        if publish:
            from onething.catalog.services import version_publish

            version = version_publish(version=version)
    return version


def _upsert_department(raw: dict) -> models.Department:
    department, _ = models.Department.objects.update_or_create(
        code=raw["code"],
        defaults={"name": raw["name"], "name_en": raw.get("name_en", ""), "contact": raw.get("contact", "")},
    )
    return department


def _upsert_data_element(raw: dict) -> models.DataElement:
    element, _ = models.DataElement.objects.update_or_create(
        key=raw["key"],
        defaults={
            "label": raw["label"],
            "label_en": raw.get("label_en", ""),
            "type": raw["type"],
            "validator": raw.get("validator", ""),
            "choices": [normalise.option(c) for c in raw.get("choices", [])],
            "description": raw.get("description", ""),
            "max_length": normalise.max_length(raw),
        },
    )
    return element


def _upsert_item(raw: dict, department: models.Department) -> models.ServiceItem:
    fee = raw.get("fee", {})
    item, _ = models.ServiceItem.objects.update_or_create(
        code=raw["code"],
        defaults={
            "name": raw["name"],
            "name_en": raw.get("name_en", ""),
            "department": department,
            "legal_basis": raw.get("legal_basis", ""),
            "conditions": raw.get("conditions", []),
            "fields": [normalise.field(f) for f in raw.get("fields", [])],
            "committed_days": raw["committed_days"],
            "statutory_days": raw["statutory_days"],
            "fee_amount": Decimal(fee.get("amount", "0")),
            "fee_note": fee.get("note", ""),
            "output_certificate_type": normalise.output(raw.get("output"))["certificate_type"],
            "output_fields": normalise.output(raw.get("output"))["fields"],
            "in_person_visits": raw.get("in_person_visits", 1),
            "steps": raw.get("steps", 4),
            "channels": raw.get("channels", ["online", "window"]),
        },
    )
    item.materials.all().delete()
    models.MaterialRequirement.objects.bulk_create(
        [_material(item, order, m) for order, m in enumerate(raw.get("materials", []))]
    )
    return item


def _material(item: models.ServiceItem, order: int, raw: dict) -> models.MaterialRequirement:
    shared = raw.get("shared") or {}
    return models.MaterialRequirement(
        item=item,
        order=order,
        key=raw["key"],
        name=raw["name"],
        name_en=raw.get("name_en", ""),
        description=raw.get("description", ""),
        form=raw.get("form", "original"),
        copies=raw.get("copies", 1),
        required=raw.get("required", True),
        deferrable=raw.get("deferrable", False),
        pledgeable=raw.get("pledgeable", False),
        holder=raw.get("holder", "applicant"),
        shared_kind=shared.get("kind", ""),
        shared_type=shared.get("type", ""),
    )


def _upsert_bundle(raw: dict) -> models.Bundle:
    bundle, _ = models.Bundle.objects.update_or_create(
        code=raw["code"],
        defaults={
            "name": raw["name"],
            "name_en": raw.get("name_en", ""),
            "summary": raw.get("summary", ""),
            "summary_en": raw.get("summary_en", ""),
            "applicant_type": raw["applicant_type"],
            "keywords": raw.get("keywords", ""),
        },
    )
    return bundle


def _fresh_draft(bundle: models.Bundle) -> models.BundleVersion:
    """The bundle's draft, emptied; or a new draft numbered after the last version."""
    draft = bundle.versions.filter(state=models.BundleVersion.State.DRAFT).first()
    if draft:
        draft.dependencies.all().delete()
        draft.bundle_items.all().delete()
        draft.questions.all().delete()
        return draft
    last = bundle.versions.order_by("-number").values_list("number", flat=True).first() or 0
    return models.BundleVersion.objects.create(bundle=bundle, number=last + 1)


def _write_version(version: models.BundleVersion, raw: dict, items: dict[str, models.ServiceItem]) -> None:
    version.steps = raw.get("steps", 3)
    version.notes = raw.get("notes", "")
    version.service_locations = [normalise.location(loc) for loc in raw.get("service_locations", [])]
    version.sections = [normalise.section(section) for section in raw.get("sections", [])]
    version.parties = [normalise.party(party) for party in raw.get("parties", [])]
    version.save()
    for order, q in enumerate(raw["questions"]):
        models.SituationQuestion.objects.create(
            version=version,
            order=order,
            key=q["key"],
            text=q["text"],
            text_en=q.get("text_en", ""),
            kind=q["kind"],
            options=[normalise.option(o) for o in q.get("options", [])],
            help_text=q.get("help_text", ""),
        )
    bundle_items = {}
    for order, entry in enumerate(raw["items"]):
        bundle_items[entry["item"]] = models.BundleItem.objects.create(
            version=version,
            order=order,
            item=items[entry["item"]],
            applies_when=entry.get("applies_when"),
            reason=entry.get("reason", ""),
            reason_en=entry.get("reason_en", ""),
            material_conditions=entry.get("material_conditions", {}),
            field_conditions=entry.get("field_conditions", {}),
        )
    for dep in raw.get("dependencies", []):
        models.ItemDependency.objects.create(
            version=version,
            upstream=bundle_items[dep["upstream"]],
            downstream=bundle_items[dep["downstream"]],
            only_when_applies=dep.get("only_when_applies", False),
            mappings=[normalise.mapping(m) for m in dep.get("mappings", [])],
        )
