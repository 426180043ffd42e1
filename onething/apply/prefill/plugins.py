"""The engine's prefill plugins: natural person, legal entity, e-licences.

Each fills only fields the merged form has, by data-element key; none names a bundle.
"""

from __future__ import annotations

from typing import Any

from onething.apply.materials import attachment, resolve_holder, valid_licence
from onething.apply.prefill.base import (
    SOURCE_ELICENCE,
    SOURCE_ENTERPRISE,
    SOURCE_PERSON,
    PrefillContext,
    PrefillPlugin,
    PrefillResult,
    registry,
)

# element attribute of a person -> field of the hub's person record
PERSON_ATTRIBUTES = {
    "name": "name",
    "id_number": "id_number",
    "mobile": "mobile",
    "gender": "gender",
    "birth_date": "birth_date",
    "ethnicity": "ethnicity",
    "address": "address",
}
# element attribute of an enterprise -> field of the hub's enterprise record
ENTERPRISE_ATTRIBUTES = {
    "name": "name",
    "credit_code": "credit_code",
    "address": "registered_address",
    "type": "enterprise_type",
    "business_scope": "business_scope",
    "registered_capital": "registered_capital_wan_yuan",  # the vocabulary counts it in 万元
    "established_date": "established_date",
}
# a person's gender -> which parent of their child they are
PARENT_ROLE = {"female": "mother", "male": "father"}
OTHER_PARENT = {"mother": "father", "father": "mother"}


def choice_value(ctx: PrefillContext, key: str, *candidates: Any) -> Any:
    """The value to put into field ``key`` for a hub value that may be written several ways
    (e.g. ``"female"`` / ``"女"``): for an enum field, the choice whose value or label
    matches one of the candidates (None if none does); otherwise the first candidate."""
    merged_field = ctx.fields[key]
    present = [c for c in candidates if c not in (None, "")]
    if merged_field.type != "enum":
        return present[0] if present else None
    wanted = {str(c).strip().lower() for c in present}
    for choice in merged_field.choices:
        spellings = {str(choice.get(name, "")).strip().lower() for name in ("value", "label", "label_en")}
        if spellings & wanted:
            return choice["value"]
    return None


def fill_person(ctx: PrefillContext, result: PrefillResult, prefix: str, record: dict) -> None:
    """Fill ``{prefix}.name``, ``.id_number``, ``.mobile``, ... from a person record, for the
    fields the form has, and remember who ``prefix`` is."""
    result.identities.setdefault(prefix, record["id_number"])
    for attribute, hub_field in PERSON_ATTRIBUTES.items():
        key = f"{prefix}.{attribute}"
        if not ctx.wants(key):
            continue
        value = record.get(hub_field)
        if attribute == "gender":
            value = choice_value(ctx, key, record.get("gender"), record.get("gender_label"))
        result.put(key, value, SOURCE_PERSON)


@registry.register("natural_person")
class NaturalPersonPrefill(PrefillPlugin):
    """自然人基础信息库: a citizen applicant, their household, spouse, parents and youngest child.

    If the form asks about a child, ``mother.*``/``father.*`` are that child's parents: the
    applicant and their spouse by the applicant's gender. Otherwise they are the applicant's
    own parents (from the record's ``parents``).
    """

    label = "自然人基础信息库"

    def prefill(self, ctx: PrefillContext) -> PrefillResult:
        result = PrefillResult()
        if ctx.applicant_role != "citizen":
            return result
        record = ctx.person(ctx.applicant_id)
        if record is None:
            return result
        fill_person(ctx, result, "applicant", record)
        if ctx.wants("household.number"):
            result.put("household.number", record.get("household_number"), SOURCE_PERSON)
        if ctx.wants("household.address") and record.get("household_number"):
            result.put("household.address", record.get("address"), SOURCE_PERSON)

        spouse = ctx.person(record.get("spouse_id_number"))
        if spouse is not None:
            fill_person(ctx, result, "spouse", spouse)

        if ctx.asks_about("child"):
            own_role = PARENT_ROLE.get(record.get("gender"))
            if own_role:
                fill_person(ctx, result, own_role, record)
                if spouse is not None:
                    fill_person(ctx, result, OTHER_PARENT[own_role], spouse)
        elif ctx.asks_about("mother") or ctx.asks_about("father"):
            for parent in filter(None, (ctx.person(i) for i in record.get("parents") or [])):
                role = PARENT_ROLE.get(parent.get("gender"))
                if role:
                    fill_person(ctx, result, role, parent)

        # the youngest child: for the form's child.* fields, and as a holder of e-licences
        has_elicences = any((m.shared or {}).get("kind") == "elicence" for m in ctx.materials)
        if record.get("children") and (ctx.asks_about("child") or has_elicences):
            children = [c for c in (ctx.person(i) for i in record["children"]) if c is not None]
            if children:
                fill_person(ctx, result, "child", max(children, key=lambda child: child.get("birth_date") or ""))
        return result


@registry.register("legal_entity")
class LegalEntityPrefill(PrefillPlugin):
    """法人库: an enterprise applicant (its account's ID is its credit code) and its legal
    representative; the representative's mobile and other personal data come from the
    natural-person database. Citizens who represent an enterprise are not handled here."""

    label = "法人库"

    def prefill(self, ctx: PrefillContext) -> PrefillResult:
        result = PrefillResult()
        if ctx.applicant_role != "enterprise":
            return result
        record = ctx.enterprise(ctx.applicant_id)
        if record is None:
            return result
        result.identities["enterprise"] = record["credit_code"]
        for attribute, hub_field in ENTERPRISE_ATTRIBUTES.items():
            key = f"enterprise.{attribute}"
            if ctx.wants(key):
                result.put(key, record.get(hub_field), SOURCE_ENTERPRISE)

        rep_id = record.get("legal_representative_id_number")
        if not rep_id:
            return result
        result.identities["legal_rep"] = rep_id
        if ctx.wants("legal_rep.name"):
            result.put("legal_rep.name", record.get("legal_representative_name"), SOURCE_ENTERPRISE)
        if ctx.wants("legal_rep.id_number"):
            result.put("legal_rep.id_number", rep_id, SOURCE_ENTERPRISE)
        if any(ctx.wants(key) and key not in result.values for key in ctx.fields if key.startswith("legal_rep.")):
            person = ctx.person(rep_id)
            if person is not None:
                fill_person(ctx, result, "legal_rep", person)
        return result


@registry.register("elicences")
class ElicencePrefill(PrefillPlugin):
    """电子证照库: for each material the government holds as an e-licence, attach a valid
    licence of that type held by the material's holder, so the applicant need not bring it
    (免提交).

    The holder is named by the definition (``holder``: the applicant, or a data element such
    as ``mother.id_number``) and resolved from what earlier plugins found
    (``materials.resolve_holder``). A holder that is not known yet gets nothing; a licence of
    anybody else is never attached. When the applicant later enters or changes the holder's
    ID number, the draft looks the licences up again (``services.draft_save``).
    """

    label = "电子证照库"

    def prefill(self, ctx: PrefillContext) -> PrefillResult:
        result = PrefillResult()
        for material in ctx.materials:
            if not material.elicence_type or material.key in result.materials:
                continue
            holder = resolve_holder(
                holder=material.holder, applicant_id=ctx.applicant_id, values=ctx.values, identities=ctx.identities
            )
            if not holder:
                continue
            licence = valid_licence(ctx.elicences(holder), material.elicence_type, holder=holder)
            if licence is not None:
                result.materials[material.key] = attachment(licence, name=material.name, source_label=SOURCE_ELICENCE)
        return result
