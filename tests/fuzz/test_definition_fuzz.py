"""hypothesis fuzzing of bundle import (onething/catalog/definition/: validation + importer).

The five demo bundles are the seeds. A mutated document has one to four changes at random
places: a key or list entry deleted, a value replaced by random JSON or by another
identifier of the seeds, its type changed, a huge or exotic unicode string, deep nesting,
an entry duplicated, or a JSON Logic rule replaced by a random (often ill-formed) one.
Whatever comes in, ``validate_document`` returns ``DefinitionProblem``s and
``import_definition`` either imports or raises ``DefinitionInvalid``; any other exception
is a bug. An invalid document writes nothing.
"""

import copy
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from onething.catalog import models
from onething.catalog.definition.errors import DefinitionInvalid, DefinitionProblem
from onething.catalog.definition.importer import import_definition
from onething.catalog.definition.validation import validate_document
from tests.profiles import examples

ROOT = Path(__file__).resolve().parents[2]
SEEDS = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(ROOT.glob("demo/bundles/*.json"))}
FUZZ = settings(
    max_examples=examples(250),
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
CATALOGUE = [
    models.Department,
    models.DataElement,
    models.ServiceItem,
    models.MaterialRequirement,
    models.Bundle,
    models.BundleVersion,
    models.SituationQuestion,
    models.BundleItem,
    models.ItemDependency,
]
RULE_KEYS = {"applies_when"}
RULE_PARENTS = {"material_conditions", "field_conditions"}
OPERATORS = ["==", "!=", "===", "in", "and", "or", "!", "!!", "if", "<", "+", "cat", "some", "all", "merge", "no-op"]


def node_paths(value, prefix=()):
    """The path of every key and list entry in a JSON document."""
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield (*prefix, key)
        yield from node_paths(child, (*prefix, key))


PATHS = {name: list(node_paths(seed)) for name, seed in SEEDS.items()}
STRINGS = sorted({value for seed in SEEDS.values() for value in json.dumps(seed).split('"') if 0 < len(value) < 40})
RULE_PATHS = {
    name: [p for p in paths if p[-1] in RULE_KEYS or (len(p) > 1 and p[-2] in RULE_PARENTS)]
    for name, paths in PATHS.items()
}

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=15,
)
exotic_text = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40),
    st.sampled_from(["\x00", "a\x00b", "\u202e", "𠀀" * 300, "x" * 100_000, " ", "", "../../etc/passwd", "<b>"]),
)


def random_rules(question_keys: list[str]) -> st.SearchStrategy:
    variables = st.builds(
        lambda name: {"var": name}, st.sampled_from(question_keys) | st.text(max_size=5) | json_values
    )
    return st.recursive(
        json_scalars | variables,
        lambda children: st.dictionaries(
            st.sampled_from(OPERATORS), children | st.lists(children, max_size=3), min_size=1, max_size=1
        ),
        max_leaves=8,
    )


def nested(value, depth: int, as_list: bool):
    for _ in range(depth):
        value = [value] if as_list else {"a": value}
    return value


@st.composite
def mutated_documents(draw):
    name = draw(st.sampled_from(sorted(SEEDS)))
    document = copy.deepcopy(SEEDS[name])
    question_keys = [q["key"] for q in document["bundle"]["version"]["questions"]]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "replace", "retype", "text", "nest", "duplicate", "rule", "reference"]))
        path = draw(st.sampled_from(RULE_PATHS[name] if kind == "rule" and RULE_PATHS[name] else PATHS[name]))
        parent = document
        try:
            for key in path[:-1]:
                parent = parent[key]
            current = parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed the place
        key = path[-1]
        if kind == "delete":
            del parent[key]
        elif kind == "replace":
            parent[key] = draw(json_values)
        elif kind == "retype":
            parent[key] = draw(
                st.sampled_from([str(current), [current], {"value": current}, 1, True, None, 1.5, -(2**63)])
            )
        elif kind == "text":
            parent[key] = draw(exotic_text)
        elif kind == "nest":
            parent[key] = nested(current, draw(st.integers(5, 200)), draw(st.booleans()))
        elif kind == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(current))
        elif kind == "rule":
            parent[key] = draw(random_rules(question_keys))
        elif kind == "reference" and isinstance(current, str):
            parent[key] = draw(st.sampled_from(STRINGS))  # another code, key or value of the seeds
    return document


def catalogue_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in CATALOGUE}


def assert_problems(problems) -> None:
    assert isinstance(problems, list)
    for problem in problems:
        assert isinstance(problem, DefinitionProblem)
        assert problem.path.startswith("$") and problem.code and problem.message and problem.message_en
        json.dumps(problem.as_dict(), ensure_ascii=False)


def note(outcome: str) -> None:
    """Count outcomes for ``--hypothesis-show-statistics`` (how many mutants import)."""
    if currently_in_test_context():
        event(outcome)


def import_or_refuse(document) -> None:
    """Import; an invalid document must raise DefinitionInvalid and write nothing."""
    before = catalogue_counts()
    try:
        import_definition(document=copy.deepcopy(document), publish=True)
    except DefinitionInvalid as invalid:
        note(f"refused: {invalid.problems[0].code}")
        assert invalid.problems
        assert_problems(invalid.problems)
        assert catalogue_counts() == before
    else:
        note("imported")
        assert validate_document(document) == []


@pytest.mark.django_db
@FUZZ
@given(document=mutated_documents())
def test_mutated_bundles_import_or_give_problems(document):
    assert_problems(validate_document(document))
    import_or_refuse(document)


@pytest.mark.django_db
@settings(FUZZ, max_examples=examples(100))
@given(
    document=json_values | st.dictionaries(st.sampled_from(["format", "bundle", "items", "departments"]), json_values)
)
def test_random_json_is_refused_cleanly(document):
    problems = validate_document(document)
    assert problems
    assert_problems(problems)
    import_or_refuse(document)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seeds_import(name):
    """The oracle: every seed is valid, so mutations start from documents that import."""
    assert validate_document(SEEDS[name]) == []
    import_or_refuse(SEEDS[name])


@pytest.mark.parametrize("rule", [{"==": 1}, {"<": [{"var": "married"}, []]}, {"in": ["a"]}, {"!": []}])
def test_a_rule_that_cannot_be_evaluated_is_a_problem(rule):
    """Regression: a known operator with ill-formed operands passed the checks and made
    validation (and later the notice) raise TypeError inside JSON Logic."""
    document = copy.deepcopy(SEEDS["child-birth"])
    document["bundle"]["version"]["items"][0]["applies_when"] = rule
    problems = validate_document(document)
    assert [p.code for p in problems] == ["invalid_rule"]
    assert problems[0].path == "$.bundle.version.items[0].applies_when"


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["a\x00b", "\x00", "a\ud800b"])
def test_a_nul_character_is_a_problem_not_a_database_error(text):
    """Regression: PostgreSQL text cannot hold NUL and no database takes a lone surrogate;
    such a name must be refused by validation, not by the database in mid-import."""
    document = copy.deepcopy(SEEDS["dog-registration"])
    document["bundle"]["name"] = text
    document["items"][0]["materials"][0]["description"] = text
    import_or_refuse(document)
    assert {p.code for p in validate_document(document)} == {"invalid_character"}
