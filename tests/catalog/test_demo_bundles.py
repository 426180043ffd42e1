"""The demo catalogue: five realistic bundles, all loaded through the definition format,
and a property over every answer combination of every one of them."""

import ast
import json
import re
from pathlib import Path

import pytest

from onething.catalog import situations
from onething.catalog.definition.exporter import export_version
from onething.catalog.definition.importer import import_definition
from onething.catalog.definition.validation import validate_document
from onething.notice.engine import build_notice, compile_definition

ROOT = Path(__file__).resolve().parents[2]
DEMO_FILES = sorted((ROOT / "demo" / "bundles").glob("*.json"))
EXPECTED = {"child-birth", "dog-registration", "utility-hookup", "residence-permit", "company-startup"}


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_five_demo_bundles_exist():
    assert {load(p)["bundle"]["code"] for p in DEMO_FILES} >= EXPECTED


@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda p: p.stem)
def test_demo_bundle_is_valid_and_realistic(path):
    document = load(path)
    assert validate_document(document) == []
    items = {i["code"]: i for i in document["items"]}
    assert len(document["bundle"]["version"]["items"]) >= 3
    assert len({i["department"] for i in items.values()}) >= 2
    assert document["bundle"]["version"]["questions"], "a bundle asks about the situation"
    assert document["bundle"]["version"].get("dependencies"), "items depend on each other"


@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda p: p.stem)
def test_every_situation_waits_only_on_applicable_items(path):
    """Property over all answer combinations: no applicable item waits on an inapplicable
    one (a dependency on an item that may not apply is declared only_when_applies), the
    bundle is never slower than doing the items one by one, and the bundle never asks for
    more materials than the items separately."""
    compiled = compile_definition(load(path))
    rules = {entry["item"]: entry.get("applies_when") for entry in compiled.bundle_items}
    dependencies = compiled.version.get("dependencies", [])
    count = 0
    for answers in situations.enumerate_situations(compiled.questions):
        count += 1
        applicable = {code for code, rule in rules.items() if situations.evaluate(rule, answers)}
        for dep in dependencies:
            if dep["downstream"] in applicable and dep["upstream"] not in applicable:
                assert dep.get("only_when_applies"), (dep, answers)
        notice = build_notice(compiled, answers)
        assert {i.code for i in notice.items} == applicable
        assert notice.bundle_days <= notice.sequential_days
        for key in ("materials", "steps", "trips"):
            assert notice.reductions[key]["bundle"] <= notice.reductions[key]["separate"], (key, answers)
    assert count == situations.count_situations(compiled.questions)


@pytest.mark.django_db
@pytest.mark.parametrize("path", DEMO_FILES, ids=lambda p: p.stem)
def test_demo_bundle_round_trips(path):
    first = export_version(version=import_definition(document=load(path), publish=True))
    second = export_version(version=import_definition(document=json.loads(json.dumps(first)), publish=True))
    assert first == second


def test_no_bundle_is_named_in_engine_code():
    """Bundles are data: no demo bundle's code or name appears in the engine's code."""
    names = set()
    for path in DEMO_FILES:
        bundle = load(path)["bundle"]
        names |= {bundle["code"], bundle["name"]}
        names |= {i["code"] for i in load(path)["items"]}
    sources = [p for p in (ROOT / "onething").rglob("*.py") if "migrations" not in p.parts]
    sources += list((ROOT / "templates").rglob("*.html"))
    offenders = []
    for source in sources:
        text = source.read_text(encoding="utf-8")
        for name in names:
            if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
                offenders.append(f"{source.relative_to(ROOT)}: {name}")
    assert offenders == []


# The account's own words and the data hub's (catalog/definition/parties.py): a demo party
# may be called the same, but the engine means the applicant, the hub's relation or record.
ENGINE_WORDS = {"applicant", "enterprise", "household"}


def test_no_party_is_named_in_engine_code():
    """Parties are data (bundle.version.parties): no demo bundle's party is a string the
    engine's code uses, neither as a word nor as a data element prefix ("mother.…")."""
    parties = {party["key"] for path in DEMO_FILES for party in load(path)["bundle"]["version"]["parties"]}
    assert {"mother", "father", "child", "landlord", "legal_rep"} <= parties
    parties -= ENGINE_WORDS
    offenders = []
    for source in (p for p in (ROOT / "onething").rglob("*.py") if "migrations" not in p.parts):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                head = node.value.split(".", 1)[0]
                if head in parties and (head == node.value or node.value.startswith(f"{head}.")):
                    offenders.append(f"{source.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert offenders == []
