"""Parties and form sections of a bundle version (``bundle.version.parties`` / ``.sections``).

A *party* is a person, enterprise or household the form asks about: the subject (first
part) of data element keys (``mother`` for ``mother.id_number``). Which parties a bundle
has, how its form groups them into sections, and how government data finds each one are
the bundle's business, declared in its definition (docs/definition-format.md, "Parties");
the engine knows no party by name.

What the engine does know is the data hub's vocabulary (docs/datahub.md): the relations
through which a party is found from the applicant's own record, the rules that pick one
when a relation gives several people, and the fields of the hub's records. They are
listed here once; validation checks definitions against them and the prefill plugins
(onething/apply/prefill/plugins.py) implement them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The engine's own form sections, after the definition's sections, in this order: data
# several items ask for (办理事由), data one item asks for (个别事项所需信息), and the
# delivery of results (the ``delivery.*`` elements the engine reads, catalog/elements.py).
ENGINE_SECTIONS = ("event", "items", "delivery")

# Records of the hub, by kind: the fields a party's attributes may be filled from.
PERSON = "person"
ENTERPRISE = "enterprise"
HOUSEHOLD = "household"
HUB_FIELDS: dict[str, tuple[str, ...]] = {
    PERSON: (
        "name",
        "id_number",
        "gender",
        "birth_date",
        "ethnicity",
        "mobile",
        "address",
        "household_number",
        "marital_status",
    ),
    ENTERPRISE: (
        "name",
        "credit_code",
        "enterprise_type",
        "registered_address",
        "registered_capital",
        "registered_capital_wan_yuan",
        "established_date",
        "business_term",
        "business_scope",
        "registration_authority",
        "status",
        "legal_representative_name",
        "legal_representative_id_number",
    ),
    HOUSEHOLD: ("number", "address"),
}


@dataclass(frozen=True)
class Relation:
    """How a party is reached from the applicant's own hub record.

    ``database``: whose record it starts from: ``person`` (自然人库, a citizen applicant)
    or ``enterprise`` (法人库, an enterprise applicant); ``record``: the kind of record it
    gives (see ``HUB_FIELDS``); ``several``: whether it can give more than one."""

    database: str
    record: str
    several: bool
    label: str
    label_en: str


RELATIONS: dict[str, Relation] = {
    "self": Relation(PERSON, PERSON, False, "申请人本人", "the applicant themself"),
    "spouse": Relation(PERSON, PERSON, False, "申请人的配偶", "the applicant's spouse"),
    "children": Relation(PERSON, PERSON, True, "申请人的子女", "the applicant's children"),
    "parents": Relation(PERSON, PERSON, True, "申请人的父母", "the applicant's parents"),
    "household": Relation(PERSON, HOUSEHOLD, False, "申请人的户籍（户号、地址）", "the applicant's household"),
    "enterprise": Relation(ENTERPRISE, ENTERPRISE, False, "申请企业本身", "the applicant enterprise itself"),
    "legal_representative": Relation(
        ENTERPRISE, PERSON, False, "申请企业的法定代表人", "the applicant enterprise's legal representative"
    ),
}

# Which one, when the relations give several people (in the order the relations are listed).
SELECTIONS: dict[str, tuple[str, str]] = {
    "only": ("仅有一人时取该人，多人或无人时不预填", "the only one; nobody when there are several or none"),
    "youngest": ("出生日期最晚者", "the youngest (latest birth date)"),
    "eldest": ("出生日期最早者", "the eldest (earliest birth date)"),
    "female": ("唯一的女性", "the only woman"),
    "male": ("唯一的男性", "the only man"),
}
DEFAULT_SELECTION = "only"


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    label_en: str


@dataclass(frozen=True)
class Party:
    """One declared party, read from a definition (canonical or hand-written)."""

    key: str
    label: str
    label_en: str
    section: str | None  # a key of the version's sections; None: the engine's sections
    relations: tuple[str, ...]  # () when government data does not find this party
    select: str = DEFAULT_SELECTION
    attributes: tuple[tuple[str, str], ...] = ()  # (attribute, hub field) besides same-named fields

    @property
    def found_in_hub(self) -> bool:
        return bool(self.relations) and all(name in RELATIONS for name in self.relations)

    @property
    def database(self) -> str:
        """``person`` or ``enterprise``: the database its relations start from ("" if none)."""
        return RELATIONS[self.relations[0]].database if self.found_in_hub else ""

    @property
    def record(self) -> str:
        """The kind of hub record the party is (``person``, ``enterprise``, ``household``)."""
        return RELATIONS[self.relations[0]].record if self.found_in_hub else ""

    def hub_field(self, attribute: str) -> str | None:
        """The field of the party's hub record that fills ``<party>.<attribute>``: the one the
        definition maps it to, else the field of the same name; None if the record has none."""
        field = dict(self.attributes).get(attribute, attribute)
        return field if field in HUB_FIELDS.get(self.record, ()) else None


def relations_of(hub: dict | None) -> list[str]:
    """A party's ``hub.relation`` as a list (a single relation may be written as a string)."""
    if not hub:
        return []
    relation = hub["relation"]
    return [relation] if isinstance(relation, str) else list(relation)


def sections_of(version: dict[str, Any]) -> tuple[Section, ...]:
    return tuple(
        Section(key=raw["key"], label=raw["label"], label_en=raw.get("label_en", ""))
        for raw in version.get("sections", [])
    )


def parties_of(version: dict[str, Any]) -> tuple[Party, ...]:
    """The version's parties (none for versions published before the section existed)."""
    parties = []
    for raw in version.get("parties", []):
        hub = raw.get("hub") or {}
        parties.append(
            Party(
                key=raw["key"],
                label=raw["label"],
                label_en=raw.get("label_en", ""),
                section=raw.get("section"),
                relations=tuple(relations_of(hub)),
                select=hub.get("select", DEFAULT_SELECTION),
                attributes=tuple(sorted(hub.get("attributes", {}).items())),
            )
        )
    return tuple(parties)


def subject(key: str) -> str:
    """The party (or topic) a data element key is about: its first part."""
    return key.split(".", 1)[0]
