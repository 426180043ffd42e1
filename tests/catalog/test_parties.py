"""Parties and form sections in the definition format (bundle.version.parties / .sections):
validated with every problem at once, stored and exported canonically, copied to a new
draft; the engine implements exactly the hub vocabulary the format allows."""

import json
from pathlib import Path

import pytest

from onething.apply.form import build_merged_form
from onething.apply.prefill.plugins import ENTERPRISE_RELATIONS, PERSON_RELATIONS, Found, select
from onething.catalog.definition import parties as vocabulary
from onething.catalog.definition.errors import DefinitionInvalid
from onething.catalog.definition.exporter import export_version
from onething.catalog.definition.importer import import_definition
from onething.catalog.definition.validation import validate_document
from onething.catalog.models import Bundle, BundleVersion, DataElement
from onething.catalog.services import version_new_draft
from onething.notice.engine import compile_definition
from tests.definitions import sample_definition

ROOT = Path(__file__).resolve().parents[2]
FULL = {"insured": True, "married": "married", "extras": ["insurance", "card"]}


@pytest.mark.django_db
def test_every_party_problem_at_once_in_chinese_and_english_and_nothing_written():
    document = sample_definition()
    version = document["bundle"]["version"]
    version["sections"].append({"key": "items", "label": "事项"})
    mother, household, child = version["parties"][1], version["parties"][2], version["parties"][3]
    mother["hub"] = {"relation": ["self", "cousin"], "select": "middle"}
    household["section"] = "relatives"
    child["hub"]["attributes"] = {"name": "nickname"}
    version["parties"].append({"key": "landlord", "label": "出租人"})
    with pytest.raises(DefinitionInvalid) as raised:
        import_definition(document=document)
    found = {(p.code, p.path) for p in raised.value.problems}
    assert found >= {
        ("reserved_section", "$.bundle.version.sections[2].key"),
        ("unknown_relation", "$.bundle.version.parties[1].hub.relation"),
        ("unknown_selection", "$.bundle.version.parties[1].hub.select"),
        ("unknown_section", "$.bundle.version.parties[2].section"),
        ("unknown_hub_field", "$.bundle.version.parties[3].hub.attributes.name"),
        ("unused_party", "$.bundle.version.parties[4].key"),
    }
    relation = next(p for p in raised.value.problems if p.code == "unknown_relation")
    assert "cousin" in relation.message and "spouse" in relation.message and "母亲" in relation.message
    assert "the data hub knows no relation 'cousin'" in relation.message_en
    assert Bundle.objects.count() == DataElement.objects.count() == 0


@pytest.mark.django_db
def test_parties_are_stored_and_exported_canonically_and_round_trip():
    first = export_version(version=import_definition(document=sample_definition(), publish=True))
    exported = first["bundle"]["version"]
    assert exported["sections"][0] == {"key": "applicant", "label": "申请人", "label_en": "Applicant"}
    # the hand-written shorthand ("relation": "self", no select, no section) in full
    assert exported["parties"][0] == {
        "key": "applicant",
        "label": "申请人",
        "label_en": "",
        "section": "applicant",
        "hub": {"relation": ["self"], "select": "only", "attributes": {}},
    }
    assert exported["parties"][3]["section"] is None
    second = export_version(version=import_definition(document=json.loads(json.dumps(first)), publish=True))
    assert second == first
    assert validate_document(first) == []


@pytest.mark.django_db
def test_a_new_draft_keeps_the_published_versions_parties():
    published = import_definition(document=sample_definition(), publish=True)
    draft = version_new_draft(version=published)
    assert draft.state == BundleVersion.State.DRAFT
    assert (draft.sections, draft.parties) == (published.sections, published.parties)
    assert (
        export_version(version=draft)["bundle"]["version"]["parties"]
        == published.snapshot["bundle"]["version"]["parties"]
    )


def test_a_definition_without_parties_gets_the_engines_sections_only():
    """Parties are never assumed: without the section nothing is grouped by party (and no
    party is looked up in the hub); an identity element then names an undeclared party."""
    document = sample_definition()
    del document["bundle"]["version"]["parties"], document["bundle"]["version"]["sections"]
    assert {p.code for p in validate_document(document)} == {"undeclared_party"}  # mother.id_number
    form = build_merged_form(compiled=compile_definition(document), answers=FULL)
    assert form.parties == () and form.sections == ()
    assert {key for key, _label, _fields in form.steps} <= set(vocabulary.ENGINE_SECTIONS)


def test_party_sections_order_the_form_and_a_party_without_one_joins_the_engines():
    form = build_merged_form(compiled=compile_definition(sample_definition()), answers=FULL)
    steps = {key: [f.key for f in fields] for key, _label, fields in form.steps}
    assert list(steps) == ["applicant", "family", "items"]
    assert steps["family"] == ["mother.name", "mother.id_number"]
    assert steps["items"] == ["child.name"]  # the newborn is declared without a section
    assert [p.key for p in form.parties] == ["applicant", "mother", "household", "child"]


def test_the_prefill_plugins_implement_exactly_the_relations_the_format_allows():
    assert set(PERSON_RELATIONS) | set(ENTERPRISE_RELATIONS) == set(vocabulary.RELATIONS)
    for name, relation in vocabulary.RELATIONS.items():
        assert name in (PERSON_RELATIONS if relation.database == vocabulary.PERSON else ENTERPRISE_RELATIONS)


def person(id_number: str, birth_date: str, gender: str) -> Found:
    return Found(id_number, {"id_number": id_number, "birth_date": birth_date, "gender": gender}, "test")


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("youngest", "b"), ("eldest", "a"), ("female", "a"), ("male", None), ("only", None), ("unknown", None)],
)
def test_selection_rules(rule, expected):
    candidates = [person("a", "1990-01-01", "female"), person("b", "2020-05-05", "male"), person("c", "", "male")]
    chosen = select(candidates, rule)
    assert (chosen.identity if chosen else None) == expected
    assert rule == "unknown" or rule in vocabulary.SELECTIONS


def test_only_means_exactly_one():
    alone = person("a", "1990-01-01", "female")
    assert select([alone], "only") is alone
    assert select([alone, alone], "only") is alone  # the same person through two relations
    assert select([], "only") is None


def test_the_documented_complete_example_is_valid_and_declares_its_party():
    text = (ROOT / "docs" / "definition-format.md").read_text(encoding="utf-8")
    example = json.loads(text.split("## Complete example", 1)[1].split("```json", 1)[1].split("```", 1)[0])
    assert validate_document(example) == []
    form = build_merged_form(compiled=compile_definition(example), answers={"vaccinated": False, "neutered": True})
    steps = {key: [f.key for f in fields] for key, _label, fields in form.steps}
    assert next(iter(steps)) == "owner" and "owner.id_number" in steps["owner"]
