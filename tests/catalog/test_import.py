"""Import validation: every problem kind, all at once, with JSON paths; nothing written."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from onething.catalog.definition.errors import DefinitionInvalid
from onething.catalog.definition.exporter import export_version
from onething.catalog.definition.importer import import_definition
from onething.catalog.definition.validation import validate_document
from onething.catalog.models import Bundle, BundleItem, BundleVersion, DataElement, Department, ServiceItem
from tests.definitions import sample_definition


def codes(document: dict) -> dict[str, str]:
    """problem code -> path, for the problems found in a document."""
    return {p.code: p.path for p in validate_document(document)}


def test_sample_is_valid():
    assert validate_document(sample_definition()) == []


def unknown_department(d):
    d["items"][1]["department"] = "tax"


def unknown_data_element(d):
    d["items"][0]["fields"][0]["element"] = "mother.nickname"


def dependency_cycle(d):
    d["bundle"]["version"]["dependencies"].append({"upstream": "t-insurance", "downstream": "t-birth"})


def unknown_question(d):
    d["bundle"]["version"]["items"][2]["applies_when"] = {"==": [{"var": "has_twins"}, True]}


def mapping_to_missing_field(d):
    d["bundle"]["version"]["dependencies"][0]["mappings"][0]["field"] = "birth_certificate"


def mapping_from_missing_output(d):
    d["bundle"]["version"]["dependencies"][0]["mappings"][0]["output"] = "serial"


def contradictory_flags(d):
    d["items"][0]["materials"][1]["pledgeable"] = True  # already deferrable


def shared_and_deferrable(d):
    d["items"][0]["materials"][0]["deferrable"] = True  # shared e-licence


def inconsistent_material(d):
    d["items"][2]["materials"][0]["name"] = "户口本"


def unknown_item(d):
    d["bundle"]["version"]["items"].append({"item": "t-ghost"})


def unused_item(d):
    d["bundle"]["version"]["items"].pop()
    d["bundle"]["version"]["dependencies"].pop()


def unknown_material_condition(d):
    d["bundle"]["version"]["items"][1]["material_conditions"]["dog-photo"] = True


def unknown_field_condition(d):
    d["bundle"]["version"]["items"][1]["field_conditions"] = {"nickname": True}


def unknown_operator(d):
    d["bundle"]["version"]["items"][3]["applies_when"] = {"between": [{"var": "insured"}, 1, 2]}


def self_dependency(d):
    d["bundle"]["version"]["dependencies"].append({"upstream": "t-birth", "downstream": "t-birth"})


def inapplicable_upstream(d):
    d["bundle"]["version"]["dependencies"][2]["only_when_applies"] = False


def committed_exceeds(d):
    d["items"][0]["committed_days"] = 30


def duplicate_item_code(d):
    d["items"].append(dict(d["items"][0]))


def duplicate_dependency(d):
    d["bundle"]["version"]["dependencies"].append({"upstream": "t-birth", "downstream": "t-household"})


def too_few_options(d):
    d["bundle"]["version"]["questions"][1]["options"].pop()


def options_on_yes_no(d):
    d["bundle"]["version"]["questions"][0]["options"] = [{"value": "x", "label": "x"}, {"value": "y", "label": "y"}]


def enum_without_choices(d):
    d["data_elements"][0]["type"] = "enum"


def unknown_holder(d):
    d["items"][0]["materials"][0]["holder"] = "spouse.id_number"


def holder_not_identity(d):
    d["items"][0]["materials"][0]["holder"] = d["data_elements"][-1]["key"]
    d["data_elements"][-1]["validator"] = ""


def holder_not_asked(d):
    d["data_elements"].append(
        {"key": "father.id_number", "label": "父亲身份证号", "type": "string", "validator": "resident_id"}
    )
    d["items"][0]["materials"][0]["holder"] = "father.id_number"


def inconsistent_holder(d):
    d["items"][3]["materials"][0]["holder"] = "mother.id_number"


def schema_violation(d):
    d["items"][0]["committed_days"] = "five"


def parties(d):
    return d["bundle"]["version"]["parties"]


def unknown_relation(d):
    parties(d)[1]["hub"]["relation"] = ["self", "cousin"]


def unknown_selection(d):
    parties(d)[3]["hub"]["select"] = "middle"


def mixed_relations(d):
    parties(d)[0]["hub"]["relation"] = ["self", "enterprise"]


def unknown_hub_field(d):
    parties(d)[2]["hub"]["attributes"] = {"number": "hukou_number"}


def duplicate_party(d):
    parties(d).append(dict(parties(d)[0]))


def unknown_section(d):
    parties(d)[1]["section"] = "relatives"


def reserved_section(d):
    d["bundle"]["version"]["sections"].append({"key": "event", "label": "事由"})


def unused_section(d):
    d["bundle"]["version"]["sections"].append({"key": "others", "label": "其他"})


def unused_party(d):
    parties(d).append({"key": "landlord", "label": "出租人"})


def undeclared_party(d):
    parties(d).pop(1)  # the mother: mother.id_number names nobody declared


CASES = [
    (unknown_department, "unknown_department", "$.items[1].department"),
    (unknown_data_element, "unknown_data_element", "$.items[0].fields[0].element"),
    (dependency_cycle, "dependency_cycle", "$.bundle.version.dependencies"),
    (unknown_question, "unknown_question", "$.bundle.version.items[2].applies_when"),
    (mapping_to_missing_field, "unknown_field", "$.bundle.version.dependencies[0].mappings[0].field"),
    (mapping_from_missing_output, "unknown_output", "$.bundle.version.dependencies[0].mappings[0].output"),
    (contradictory_flags, "contradictory_material_flags", "$.items[0].materials[1]"),
    (shared_and_deferrable, "contradictory_material_flags", "$.items[0].materials[0]"),
    (inconsistent_material, "inconsistent_material", "$.items[2].materials[0].name"),
    (unknown_item, "unknown_item", "$.bundle.version.items[4].item"),
    (unused_item, "unused_item", "$.items[3]"),
    (unknown_material_condition, "unknown_material", "$.bundle.version.items[1].material_conditions.dog-photo"),
    (unknown_field_condition, "unknown_field", "$.bundle.version.items[1].field_conditions.nickname"),
    (unknown_operator, "unknown_operator", "$.bundle.version.items[3].applies_when"),
    (self_dependency, "self_dependency", "$.bundle.version.dependencies[3]"),
    (inapplicable_upstream, "inapplicable_upstream", "$.bundle.version.dependencies[2]"),
    (committed_exceeds, "committed_exceeds_statutory", "$.items[0].committed_days"),
    (duplicate_item_code, "duplicate", "$.items[4].code"),
    (duplicate_dependency, "duplicate", "$.bundle.version.dependencies[3]"),
    (too_few_options, "too_few_options", "$.bundle.version.questions[1].options"),
    (options_on_yes_no, "options_on_yes_no", "$.bundle.version.questions[0].options"),
    (enum_without_choices, "enum_without_choices", "$.data_elements[0].choices"),
    (schema_violation, "schema", "$.items[0].committed_days"),
    (unknown_holder, "unknown_holder", "$.items[0].materials[0].holder"),
    (holder_not_identity, "holder_not_identity", "$.items[0].materials[0].holder"),
    (holder_not_asked, "holder_not_asked", "$.items[0].materials[0].holder"),
    (inconsistent_holder, "inconsistent_material", "$.items[3].materials[0].holder"),
    (unknown_relation, "unknown_relation", "$.bundle.version.parties[1].hub.relation"),
    (unknown_selection, "unknown_selection", "$.bundle.version.parties[3].hub.select"),
    (mixed_relations, "mixed_relations", "$.bundle.version.parties[0].hub.relation"),
    (unknown_hub_field, "unknown_hub_field", "$.bundle.version.parties[2].hub.attributes.number"),
    (duplicate_party, "duplicate", "$.bundle.version.parties[4].key"),
    (unknown_section, "unknown_section", "$.bundle.version.parties[1].section"),
    (reserved_section, "reserved_section", "$.bundle.version.sections[2].key"),
    (unused_section, "unused_section", "$.bundle.version.sections[2]"),
    (unused_party, "unused_party", "$.bundle.version.parties[4].key"),
    (undeclared_party, "undeclared_party", "$.data_elements[1].key"),
]


@pytest.mark.parametrize(("breaker", "code", "path"), CASES, ids=[c[1] + ":" + c[0].__name__ for c in CASES])
def test_each_problem_kind_is_reported_with_its_path(breaker, code, path):
    document = sample_definition()
    breaker(document)
    found = codes(document)
    assert code in found, found
    assert found[code] == path
    problem = next(p for p in validate_document(document) if p.code == code)
    assert problem.message and problem.message_en


@pytest.mark.django_db
def test_all_problems_at_once_and_nothing_written():
    document = sample_definition()
    for breaker in (
        unknown_department,
        unknown_data_element,
        dependency_cycle,
        unknown_question,
        mapping_to_missing_field,
        contradictory_flags,
    ):
        breaker(document)
    with pytest.raises(DefinitionInvalid) as raised:
        import_definition(document=document)
    found = {p.code for p in raised.value.problems}
    assert {
        "unknown_department",
        "unknown_data_element",
        "dependency_cycle",
        "unknown_question",
        "unknown_field",
        "contradictory_material_flags",
    } <= found
    assert Department.objects.count() == DataElement.objects.count() == ServiceItem.objects.count() == 0
    assert Bundle.objects.count() == 0


@pytest.mark.django_db
def test_import_creates_draft_then_publish_freezes_it():
    version = import_definition(document=sample_definition())
    assert version.state == BundleVersion.State.DRAFT and version.number == 1
    assert version.bundle_items.count() == 4 and version.dependencies.count() == 3
    published = import_definition(document=sample_definition(), publish=True)
    assert published.pk == version.pk  # the draft is replaced, then published
    assert published.state == BundleVersion.State.PUBLISHED and published.snapshot is not None


@pytest.mark.django_db
def test_round_trip_export_import_export_is_identical():
    first = export_version(version=import_definition(document=sample_definition(), publish=True))
    # wipe and re-import the export into an empty catalogue
    Bundle.objects.all().delete()
    ServiceItem.objects.all().delete()
    Department.objects.all().delete()
    DataElement.objects.all().delete()
    second = export_version(version=import_definition(document=json.loads(json.dumps(first)), publish=True))
    assert second == first
    # and the draft export (read from rows) equals the published snapshot
    from onething.catalog.definition.exporter import build_document

    assert build_document(BundleVersion.objects.get()) == first


@pytest.mark.django_db
def test_published_version_is_immutable_and_edits_make_a_new_draft():
    from onething.catalog.models import VersionImmutableError
    from onething.catalog.services import version_new_draft, version_publish

    v1 = import_definition(document=sample_definition(), publish=True)
    bundle_item = BundleItem.objects.filter(version=v1).first()
    bundle_item.reason = "changed"
    with pytest.raises(VersionImmutableError):
        bundle_item.save()
    with pytest.raises(VersionImmutableError):
        bundle_item.delete()
    draft = version_new_draft(version=v1)
    assert draft.number == 2 and draft.state == BundleVersion.State.DRAFT
    assert draft.bundle_items.count() == 4 and draft.dependencies.count() == 3
    # a shared item edited after publication does not change v1's snapshot
    ServiceItem.objects.filter(code="t-birth").update(committed_days=9)
    assert export_version(version=v1)["items"][0]["committed_days"] == 5
    v2 = version_publish(version=draft)
    v1.refresh_from_db()
    assert v1.state == BundleVersion.State.RETIRED and v2.state == BundleVersion.State.PUBLISHED
    assert export_version(version=v2)["items"][0]["committed_days"] == 9


@pytest.mark.django_db
def test_publish_runs_the_same_validation():
    from onething.catalog.services import version_publish

    draft = import_definition(document=sample_definition())
    # break the draft through the rows (as an admin editing could): a cycle
    items = {bi.item.code: bi for bi in draft.bundle_items.select_related("item")}
    draft.dependencies.create(upstream=items["t-insurance"], downstream=items["t-birth"])
    with pytest.raises(DefinitionInvalid) as raised:
        version_publish(version=draft)
    assert "dependency_cycle" in {p.code for p in raised.value.problems}
    draft.refresh_from_db()
    assert draft.state == BundleVersion.State.DRAFT


@pytest.mark.django_db
def test_import_command_check_reports_every_problem(tmp_path, capsys):
    document = sample_definition()
    unknown_department(document)
    unknown_data_element(document)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    malformed = tmp_path / "malformed.json"
    malformed.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_bundle", str(bad), str(malformed))
    err = capsys.readouterr().err
    assert "$.items[1].department" in err and "$.items[0].fields[0].element" in err
    assert "malformed.json: cannot read JSON" in err
    assert Bundle.objects.count() == 0


@pytest.mark.django_db
def test_import_and_export_commands(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(sample_definition(), ensure_ascii=False), encoding="utf-8")
    call_command("import_bundle", str(good), "--publish")
    out = tmp_path / "out.json"
    call_command("export_bundle", "t-birth-bundle", "-o", str(out))
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported == export_version(version=BundleVersion.objects.get())


def test_rule_comparing_with_a_missing_option_is_reported():
    document = sample_definition()
    document["bundle"]["version"]["items"][1]["material_conditions"]["marriage-cert"] = {
        "==": [{"var": "married"}, "yes"]
    }
    document["bundle"]["version"]["items"][2]["applies_when"] = {"in": ["dental", {"var": "extras"}]}
    document["bundle"]["version"]["items"][3]["applies_when"] = {"==": [{"var": "insured"}, "yes"]}
    problems = [p for p in validate_document(document) if p.code == "unknown_option"]
    assert [p.path for p in problems] == [
        "$.bundle.version.items[1].material_conditions.marriage-cert",
        "$.bundle.version.items[2].applies_when",
        "$.bundle.version.items[3].applies_when",
    ]


@pytest.mark.django_db
def test_free_text_elements_get_a_maximum_length_the_export_writes():
    from onething.catalog.definition import DEFAULT_MAX_LENGTH

    document = sample_definition()
    document["data_elements"][0]["max_length"] = 40  # mother.name
    document["data_elements"].append({"key": "child.weight", "label": "体重", "type": "number"})
    document["items"][0]["fields"].append({"name": "weight", "element": "child.weight"})
    first = export_version(version=import_definition(document=document, publish=True))
    elements = {e["key"]: e for e in first["data_elements"]}
    assert elements["mother.name"]["max_length"] == 40  # the override
    assert elements["child.name"]["max_length"] == DEFAULT_MAX_LENGTH == 500  # the default, written out
    assert "max_length" not in elements["child.weight"]  # not free text
    assert DataElement.objects.get(key="child.name").max_length == 500
    # and it survives export -> import -> export
    second = export_version(version=import_definition(document=json.loads(json.dumps(first)), publish=True))
    assert second == first


def test_max_length_only_on_free_text_and_within_bounds():
    document = sample_definition()
    document["data_elements"].append({"key": "child.weight", "label": "体重", "type": "number", "max_length": 9})
    problems = codes(document)
    assert problems["max_length_not_string"] == f"$.data_elements[{len(document['data_elements']) - 1}].max_length"
    document = sample_definition()
    document["data_elements"][0]["max_length"] = 0
    assert [p.path for p in validate_document(document)] == ["$.data_elements[0].max_length"]
