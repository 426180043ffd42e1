"""Export a bundle version as a definition document (the import format).

A published version exports its frozen snapshot; a draft is read from its rows.
"""

import copy

from onething.catalog import models
from onething.catalog.definition import FORMAT, normalise


def export_version(*, version: models.BundleVersion) -> dict:
    if version.snapshot is not None:
        return copy.deepcopy(version.snapshot)
    return build_document(version)


def build_document(version: models.BundleVersion) -> dict:
    """The canonical document for a version's current rows."""
    bundle_items = list(version.bundle_items.select_related("item__department").order_by("order", "id"))
    items = [bi.item for bi in bundle_items]
    materials = _materials_by_item(items)
    department_codes = sorted({item.department.code for item in items})
    element_keys = sorted({f["element"] for item in items for f in item.fields})
    bundle = version.bundle
    return {
        "format": FORMAT,
        "departments": [
            _department(d) for d in models.Department.objects.filter(code__in=department_codes).order_by("code")
        ],
        "data_elements": [_element(e) for e in models.DataElement.objects.filter(key__in=element_keys).order_by("key")],
        "items": [_item(item, materials.get(item.pk, [])) for item in items],
        "bundle": {
            "code": bundle.code,
            "name": bundle.name,
            "name_en": bundle.name_en,
            "summary": bundle.summary,
            "summary_en": bundle.summary_en,
            "applicant_type": bundle.applicant_type,
            "keywords": bundle.keywords,
            "version": {
                "steps": version.steps,
                "notes": version.notes,
                "service_locations": [normalise.location(loc) for loc in version.service_locations],
                "questions": [_question(q) for q in version.questions.order_by("order", "id")],
                "items": [_bundle_item(bi) for bi in bundle_items],
                "dependencies": [
                    _dependency(d)
                    for d in version.dependencies.select_related("upstream__item", "downstream__item").order_by("id")
                ],
                "sections": [normalise.section(section) for section in version.sections],
                "parties": [normalise.party(party) for party in version.parties],
            },
        },
    }


def _materials_by_item(items: list[models.ServiceItem]) -> dict[int, list[models.MaterialRequirement]]:
    grouped: dict[int, list[models.MaterialRequirement]] = {}
    for material in models.MaterialRequirement.objects.filter(item__in=items).order_by("order", "id"):
        grouped.setdefault(material.item_id, []).append(material)
    return grouped


def _department(d: models.Department) -> dict:
    return {"code": d.code, "name": d.name, "name_en": d.name_en, "contact": d.contact}


def _element(e: models.DataElement) -> dict:
    element = {
        "key": e.key,
        "label": e.label,
        "label_en": e.label_en,
        "type": e.type,
        "validator": e.validator,
        "choices": [normalise.option(c) for c in e.choices],
        "description": e.description,
    }
    if e.type == models.DataElement.Type.STRING:  # free text always states its limit
        element["max_length"] = e.max_length or normalise.max_length({"type": e.type})
    return element


def _item(item: models.ServiceItem, materials: list[models.MaterialRequirement]) -> dict:
    return {
        "code": item.code,
        "name": item.name,
        "name_en": item.name_en,
        "department": item.department.code,
        "legal_basis": item.legal_basis,
        "conditions": list(item.conditions),
        "fields": [normalise.field(f) for f in item.fields],
        "materials": [_material(m) for m in materials],
        "committed_days": item.committed_days,
        "statutory_days": item.statutory_days,
        "fee": {"amount": f"{item.fee_amount:.2f}", "note": item.fee_note},
        "output": normalise.output({"certificate_type": item.output_certificate_type, "fields": item.output_fields}),
        "in_person_visits": item.in_person_visits,
        "steps": item.steps,
        "channels": list(item.channels),
    }


def _material(m: models.MaterialRequirement) -> dict:
    return {
        "key": m.key,
        "name": m.name,
        "name_en": m.name_en,
        "description": m.description,
        "form": m.form,
        "copies": m.copies,
        "required": m.required,
        "deferrable": m.deferrable,
        "pledgeable": m.pledgeable,
        "holder": m.holder,
        "shared": {"kind": m.shared_kind, "type": m.shared_type} if m.shared_kind else None,
    }


def _question(q: models.SituationQuestion) -> dict:
    return {
        "key": q.key,
        "text": q.text,
        "text_en": q.text_en,
        "kind": q.kind,
        "options": [normalise.option(o) for o in q.options],
        "help_text": q.help_text,
    }


def _bundle_item(bi: models.BundleItem) -> dict:
    return {
        "item": bi.item.code,
        "applies_when": bi.applies_when,
        "reason": bi.reason,
        "reason_en": bi.reason_en,
        "material_conditions": bi.material_conditions,
        "field_conditions": bi.field_conditions,
    }


def _dependency(d: models.ItemDependency) -> dict:
    return {
        "upstream": d.upstream.item.code,
        "downstream": d.downstream.item.code,
        "only_when_applies": d.only_when_applies,
        "mappings": [normalise.mapping(m) for m in d.mappings],
    }
