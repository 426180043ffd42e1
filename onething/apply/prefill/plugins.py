"""The engine's prefill plugins: natural person, legal entity, e-licences.

Each fills only fields the merged form has, for the parties the bundle's definition
declares (``bundle.version.parties``, read by ``onething.catalog.definition.parties``): a
party is found through its relations to the applicant in the plugin's database, one is
picked by its selection rule, and its attributes (``<party>.<attribute>``) are filled from
the fields of that hub record. What is known here is the data hub's vocabulary
(relations, selection rules, record fields); none names a bundle or a party.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
from onething.catalog.definition.parties import ENTERPRISE, PERSON, Party


@dataclass
class Found:
    """One person, enterprise or household the hub gave for a party.

    ``record``: its hub fields (as ``HUB_FIELDS`` names them), from ``source``; ``more``
    fetches the full record for fields ``record`` lacks (a legal representative: name and
    ID number from the legal-entity database, the rest from the natural-person one)."""

    identity: str  # the ID number or credit code ("" for a household)
    record: dict[str, Any]
    source: str
    more: Callable[[], dict | None] | None = None
    more_source: str = ""


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


def fill_party(ctx: PrefillContext, result: PrefillResult, party: Party, found: Found) -> None:
    """Fill the form's ``<party>.<attribute>`` fields from what the hub found, and remember
    who the party is. A hub field ``x`` with a ``x_label`` twin (``gender``/``gender_label``)
    matches an enum field's choices by either."""
    if found.identity:
        result.identities.setdefault(party.key, found.identity)
    prefix = f"{party.key}."
    for key in ctx.fields:
        if not key.startswith(prefix) or not ctx.wants(key):
            continue
        hub_field = party.hub_field(key.removeprefix(prefix))
        if hub_field is None:
            continue
        record, source = found.record, found.source
        if record.get(hub_field) in (None, "") and found.more is not None:
            record, source = found.more() or {}, found.more_source
        result.put(key, choice_value(ctx, key, record.get(hub_field), record.get(f"{hub_field}_label")), source)


def select(candidates: list[Found], rule: str) -> Found | None:
    """The one candidate the party's selection rule picks (catalog.definition.parties.SELECTIONS)."""
    unique = list({found.identity or id(found): found for found in candidates}.values())
    born = [found for found in unique if found.record.get("birth_date")]
    if rule == "youngest":
        return max(born, key=lambda found: found.record["birth_date"], default=None)
    if rule == "eldest":
        return min(born, key=lambda found: found.record["birth_date"], default=None)
    if rule in {"female", "male"}:
        unique = [found for found in unique if found.record.get("gender") == rule]
    elif rule != "only":
        return None
    return unique[0] if len(unique) == 1 else None


def _people(ctx: PrefillContext, id_numbers: list[str | None]) -> list[Found]:
    return [Found(p["id_number"], p, SOURCE_PERSON) for p in map(ctx.person, id_numbers) if p is not None]


def _household(record: dict) -> list[Found]:
    number = record.get("household_number")
    return [Found("", {"number": number, "address": record.get("address")}, SOURCE_PERSON)] if number else []


# relation -> the ID numbers of the people it names in a citizen's person record
RELATED_PEOPLE: dict[str, Callable[[dict], list[str | None]]] = {
    "spouse": lambda record: [record.get("spouse_id_number")],
    "children": lambda record: list(record.get("children") or []),
    "parents": lambda record: list(record.get("parents") or []),
}

# relation -> the people (or household) it gives, from a citizen applicant's person record
PERSON_RELATIONS: dict[str, Callable[[PrefillContext, dict], list[Found]]] = {
    "self": lambda ctx, record: [Found(record["id_number"], record, SOURCE_PERSON)],
    "spouse": lambda ctx, record: _people(ctx, RELATED_PEOPLE["spouse"](record)),
    "children": lambda ctx, record: _people(ctx, RELATED_PEOPLE["children"](record)),
    "parents": lambda ctx, record: _people(ctx, RELATED_PEOPLE["parents"](record)),
    "household": lambda ctx, record: _household(record),
}


def _legal_representative(ctx: PrefillContext, record: dict) -> list[Found]:
    rep_id = record.get("legal_representative_id_number")
    if not rep_id:
        return []
    known = {"name": record.get("legal_representative_name"), "id_number": rep_id}
    return [Found(rep_id, known, SOURCE_ENTERPRISE, more=lambda: ctx.person(rep_id), more_source=SOURCE_PERSON)]


# relation -> what it gives, from an enterprise applicant's legal-entity record
ENTERPRISE_RELATIONS: dict[str, Callable[[PrefillContext, dict], list[Found]]] = {
    "enterprise": lambda ctx, record: [Found(record["credit_code"], record, SOURCE_ENTERPRISE)],
    "legal_representative": _legal_representative,
}


def fill_parties(
    ctx: PrefillContext,
    result: PrefillResult,
    parties: list[Party],
    record: dict,
    relations: dict[str, Callable[[PrefillContext, dict], list[Found]]],
) -> None:
    for party in parties:
        candidates = [found for name in party.relations for found in relations[name](ctx, record)]
        chosen = select(candidates, party.select)
        if chosen is not None:
            fill_party(ctx, result, party, chosen)


@registry.register("natural_person")
class NaturalPersonPrefill(PrefillPlugin):
    """自然人基础信息库: for a citizen applicant, the parties the definition finds through the
    applicant's own person record: themself, their spouse, children, parents, household."""

    label = "自然人基础信息库"

    def prefill(self, ctx: PrefillContext) -> PrefillResult:
        result = PrefillResult()
        if ctx.applicant_role != "citizen":
            return result
        parties = ctx.parties_in(PERSON)
        if not parties:
            return result
        record = ctx.person(ctx.applicant_id)
        if record is not None:
            # the relatives fill_parties reads one by one, fetched at once
            ctx.prefetch(
                ("person", id_number)
                for party in parties
                for name in party.relations
                if name in RELATED_PEOPLE
                for id_number in RELATED_PEOPLE[name](record)
            )
            fill_parties(ctx, result, parties, record, PERSON_RELATIONS)
        return result


@registry.register("legal_entity")
class LegalEntityPrefill(PrefillPlugin):
    """法人库: for an enterprise applicant (its account's ID is its credit code), the parties
    the definition finds through the enterprise's record: the enterprise itself and its legal
    representative, whose mobile and other personal data come from the natural-person
    database. Citizens who represent an enterprise are not handled here."""

    label = "法人库"

    def prefill(self, ctx: PrefillContext) -> PrefillResult:
        result = PrefillResult()
        if ctx.applicant_role != "enterprise":
            return result
        parties = ctx.parties_in(ENTERPRISE)
        if not parties:
            return result
        record = ctx.enterprise(ctx.applicant_id)
        if record is not None:
            fill_parties(ctx, result, parties, record, ENTERPRISE_RELATIONS)
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
        holders, first = {}, set()
        for material in ctx.materials:
            if material.elicence_type and material.key not in first:
                first.add(material.key)  # the loop below reads a later line only if this one found nothing
                holders[id(material)] = resolve_holder(
                    holder=material.holder, applicant_id=ctx.applicant_id, values=ctx.values, identities=ctx.identities
                )
        ctx.prefetch(("elicences", holder) for holder in holders.values() if holder)
        for material in ctx.materials:
            if not material.elicence_type or material.key in result.materials:
                continue
            holder = holders.get(id(material)) or resolve_holder(
                holder=material.holder, applicant_id=ctx.applicant_id, values=ctx.values, identities=ctx.identities
            )
            if not holder:
                continue
            licence = valid_licence(ctx.elicences(holder), material.elicence_type, holder=holder)
            if licence is not None:
                result.materials[material.key] = attachment(licence, name=material.name, source_label=SOURCE_ELICENCE)
        return result
