"""hypothesis fuzzing of merged-form validation (onething/apply/form.py + validators.py).

For every demo bundle and a sample of its situations, every field of the merged form gets
random values: the field's valid example, JSON values of every type, strings as an HTML
form posts them (numbers in words, "Infinity", "sNaN", dates out of range), huge and
exotic unicode strings; plus fields the form does not have. ``validate`` must answer
with clean data and ``FieldError``s, never raise.
"""

import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onething.apply.form import build_merged_form, coerce, validate
from onething.apply.validators import FieldError
from onething.catalog import situations
from onething.notice.engine import compile_definition
from tests.profiles import examples

ROOT = Path(__file__).resolve().parents[2]
BUNDLES = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(ROOT.glob("demo/bundles/*.json"))}
SITUATIONS_PER_BUNDLE = 8
FUZZ = settings(
    max_examples=examples(150), derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# what people type into a field, and what a script posts
TRICKY_TEXT = [
    "",
    " ",
    "0",
    "-1",
    "1e309",
    "Infinity",
    "-Infinity",
    "NaN",
    "sNaN",
    "1_000",
    "9" * 5000,
    "2026-02-30",
    "0000-01-01",
    "9999-12-31",
    "+12026-01-01",
    "true",
    "是",
    "31010419920315046X",
    "11010119900307123",
    "91310115MA1H7Q2KXA",
    "\x00",
    "\ud800",
    "𠀀" * 40,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
]
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=False, allow_infinity=False)  # JSON carries no NaN (DRF's parser refuses it)
    | st.text(max_size=50)
    | st.sampled_from(TRICKY_TEXT)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
)


def situations_of(document: dict) -> list[dict]:
    """The first situations of a bundle, spread over its questions."""
    questions = document["bundle"]["version"]["questions"]
    every = list(situations.enumerate_situations(questions))
    step = max(1, len(every) // SITUATIONS_PER_BUNDLE)
    return every[::step][:SITUATIONS_PER_BUNDLE]


COMPILED = {code: compile_definition(document) for code, document in BUNDLES.items()}
FORMS = [
    (code, answers, build_merged_form(compiled=COMPILED[code], answers=answers))
    for code, document in BUNDLES.items()
    for answers in situations_of(document)
]


def value_for(merged_field) -> st.SearchStrategy:
    return st.one_of(
        st.just(merged_field.example()),
        json_values,
        st.sampled_from(TRICKY_TEXT),
        st.text(min_size=1, max_size=200),
        st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=30),
        st.just("字" * 100_000),
    )


@st.composite
def form_and_data(draw):
    _, _, form = draw(st.sampled_from(FORMS))
    chosen = draw(st.lists(st.sampled_from(form.fields), unique_by=lambda f: f.key, max_size=len(form.fields)))
    raw = {f.key: draw(value_for(f)) for f in chosen}
    raw |= draw(st.dictionaries(st.text(max_size=30), json_values, max_size=2))
    return form, raw


def assert_clean(form, raw: dict) -> None:
    data, errors = validate(form, raw)
    assert set(data) <= set(form.by_key)
    assert all(isinstance(error, FieldError) for error in errors.values())
    assert all(isinstance(key, str) for key in errors)
    assert set(raw) - set(form.by_key) <= set(errors)  # unknown fields are named
    json.dumps({key: error.as_dict() for key, error in errors.items()}, ensure_ascii=False)
    json.dumps(data, allow_nan=False)  # a draft stores the data even with errors (JSON, and jsonb on PostgreSQL)


@FUZZ
@given(form_and_data())
def test_random_values_give_field_errors_never_an_exception(case):
    form, raw = case
    assert_clean(form, raw)


@FUZZ
@given(st.sampled_from(FORMS), st.data())
def test_html_form_strings_are_coerced_or_refused(picked, data):
    """The HTML page posts strings only: coerce must turn each into a JSON value or leave
    the text for validation to refuse."""
    _, _, form = picked
    raw = {
        f.key: data.draw(st.sampled_from(TRICKY_TEXT) | st.text(max_size=40) | st.just(str(f.example())))
        for f in form.fields
    }
    for key, text in raw.items():
        value = coerce(form.by_key[key], text)
        assert value is None or isinstance(value, (str, int, float, bool))
        if isinstance(value, float):
            assert math.isfinite(value), (key, text)
    assert_clean(form, raw)


@pytest.mark.parametrize("code", sorted(BUNDLES))
def test_examples_are_valid(code):
    """The oracle: each field's own example passes (otherwise the fuzzing above would only
    ever see refusals)."""
    for form_code, _, form in FORMS:
        if form_code == code:
            data, errors = validate(form, {f.key: f.example() for f in form.fields})
            assert errors == {}
            assert set(data) == set(form.by_key)


def test_non_finite_numbers_are_refused():
    """Regression: "Infinity" typed into a number field raised OverflowError; "NaN" became a
    float NaN that PostgreSQL's jsonb cannot store."""
    code, _, form = next((c, a, f) for c, a, f in FORMS if any(x.type == "number" for x in f.fields))
    number = next(f for f in form.fields if f.type == "number")
    for text in ["Infinity", "-Infinity", "NaN", "sNaN", "1e400"]:
        _, errors = validate(form, {number.key: text})
        assert number.key in errors, (code, text)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "stored"), [("a\x00b", "ab"), ("a\ud800b", "a\ufffdb"), ({"k\x00": ["\x00"]}, {"k": [""]})]
)
def test_a_draft_saves_text_no_database_refuses(typed, stored, demo_bundles, datahub_settings, mother):
    """Regression: a NUL character (refused by PostgreSQL's jsonb) or a lone surrogate (not
    UTF-8) typed into a field made saving the draft fail with a database error."""
    from onething.apply import services
    from onething.catalog.selectors import published_version
    from tests.processing.conftest import ANSWERS

    version = published_version(bundle_code="child-birth")
    draft = services.draft_start(applicant=mother, version=version, raw_answers=ANSWERS)
    services.draft_save(draft=draft, raw_data={"child.name": typed})
    draft.refresh_from_db()
    assert draft.data["child.name"] == stored
