"""The merged form: one question per data element, conditional fields, required and
locked flags, validation messages, and the validators (with hypothesis for checksums)."""

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from onething.apply import validators
from onething.apply.form import build_merged_form, validate
from onething.notice.engine import compile_definition
from tests.definitions import sample_definition

ROOT = Path(__file__).resolve().parents[2]
FULL = {"insured": True, "married": "married", "extras": ["insurance", "card"]}


@pytest.fixture(scope="module")
def compiled():
    return compile_definition(sample_definition())


def test_an_element_three_items_share_is_asked_once(compiled):
    form = build_merged_form(compiled=compiled, answers=FULL)
    keys = [f.key for f in form.fields]
    assert keys.count("mother.id_number") == 1
    mother_id = form.by_key["mother.id_number"]
    assert mother_id.needed_by == ["t-birth", "t-household", "t-allowance"]
    assert mother_id.required and mother_id.authoritative  # authoritative in one item locks it
    assert form.json_schema()["required"].count("mother.id_number") == 1


def test_fields_fed_by_an_upstream_result_are_not_asked(compiled):
    form = build_merged_form(compiled=compiled, answers=FULL)
    # the birth certificate number comes from the birth item's result, the household number
    # from household registration: the applicant is not asked for either
    assert "child.birth_cert_no" not in form.by_key
    assert "household.number" not in form.by_key


def test_conditional_fields_follow_the_situation():
    document = sample_definition()
    household = document["bundle"]["version"]["items"][1]
    household["field_conditions"] = {"mobile": {"==": [{"var": "married"}, "married"]}}
    compiled = compile_definition(document)
    assert "applicant.mobile" in build_merged_form(compiled=compiled, answers=FULL).by_key
    single = {**FULL, "married": "single"}
    assert "applicant.mobile" not in build_merged_form(compiled=compiled, answers=single).by_key


def test_fields_of_inapplicable_items_are_absent(compiled):
    minimal = build_merged_form(compiled=compiled, answers={"insured": False, "married": "single", "extras": []})
    assert minimal.item_count == 2
    assert all(set(f.needed_by) <= {"t-birth", "t-household"} for f in minimal.fields)


def test_steps_group_fields_for_people():
    compiled = compile_definition(json.loads((ROOT / "demo/bundles/child-birth.json").read_text(encoding="utf-8")))
    form = build_merged_form(
        compiled=compiled, answers={"birth_place": "local_hospital", "married": True, "mother_insured": True}
    )
    steps = {key: [f.key for f in fields] for key, _, fields in form.steps}
    assert steps["applicant"][0].startswith("applicant.")
    assert "mother.id_number" in steps["family"]
    assert "child.name" in steps["event"]
    assert "delivery.method" in steps["delivery"]
    assert next(iter(steps)) == "applicant" and list(steps)[-1] == "delivery"


def test_validation_messages_per_field(compiled):
    form = build_merged_form(compiled=compiled, answers=FULL)
    _, errors = validate(
        form, {"mother.id_number": "110101199003071235", "applicant.mobile": "12345", "nonsense.key": "x"}
    )
    assert errors["mother.id_number"].code == "resident_id"
    assert errors["applicant.mobile"].code == "mobile"
    assert errors["mother.name"].code == "required"
    assert errors["nonsense.key"].code == "unknown_field"
    assert all(e.message and e.message_en for e in errors.values())


def test_valid_data_passes_and_is_typed():
    compiled = compile_definition(json.loads((ROOT / "demo/bundles/company-startup.json").read_text(encoding="utf-8")))
    question_answers = {q["key"]: (q["options"][0]["value"] if q.get("options") else True) for q in compiled.questions}
    form = build_merged_form(compiled=compiled, answers=question_answers)
    assert "enterprise.employee_count" in form.by_key
    _, errors = validate(form, {"enterprise.employee_count": "12"})
    assert "enterprise.employee_count" not in errors
    _, errors = validate(form, {"enterprise.employee_count": "twelve"})
    assert errors["enterprise.employee_count"].code == "type"


# --- validators -----------------------------------------------------------------------

REAL_IDS = ["110101199003077774", "31010419920315046X"[:17] + ric.calc_check_digit("31010419920315046X")]
REAL_CODES = ["91310115MA1H7Q2KXA", "91110000600037341L"[:17] + uscc.calc_check_digit("91110000600037341")]


@pytest.mark.parametrize("value", REAL_IDS)
def test_real_resident_ids_pass(value):
    assert validators.resident_id(value) is None


@pytest.mark.parametrize("value", ["110101199003077775", "11010119900307777", "abc", "110101209913077774"])
def test_broken_resident_ids_fail(value):
    assert validators.resident_id(value) is not None


@pytest.mark.parametrize("value", REAL_CODES)
def test_real_credit_codes_pass(value):
    assert validators.credit_code(value) is None


@st.composite
def resident_ids(draw):
    area = draw(st.sampled_from(["110101", "310104", "310106"]))  # codes valid over the whole range
    born = draw(st.dates(min_value=date(1950, 1, 1), max_value=date(2020, 12, 31)))
    sequence = draw(st.integers(min_value=0, max_value=999))
    body = f"{area}{born:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


@given(resident_ids())
def test_any_checksummed_id_passes_and_any_other_check_digit_fails(number):
    assert validators.resident_id(number) is None
    for digit in "0123456789X":
        if digit != number[-1]:
            assert validators.resident_id(number[:-1] + digit) is not None


@st.composite
def credit_codes(draw):
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    head = draw(st.sampled_from(["91", "92", "93", "11", "12", "51", "52"]))
    area = draw(st.sampled_from(["310000", "310115", "110000"]))
    body = head + area + "".join(draw(st.lists(st.sampled_from(alphabet), min_size=9, max_size=9)))
    return body + uscc.calc_check_digit(body)


@given(credit_codes())
def test_any_checksummed_credit_code_passes_and_a_wrong_check_fails(code):
    assert validators.credit_code(code) is None
    wrong = "0" if code[-1] != "0" else "1"
    assert validators.credit_code(code[:-1] + wrong) is not None


def test_other_validators():
    assert validators.mobile("13916880001") is None and validators.mobile("23916880001")
    assert validators.past_date(date.today().isoformat()) is None
    assert validators.past_date((date.today() + timedelta(days=1)).isoformat()).code == "future_date"
    assert validators.iso_date("2026-02-30").code == "date"
    assert validators.address("上海市黄浦区南京东路100号") is None and validators.address("abc")
    assert validators.postal_code("200001") is None and validators.postal_code("2000")
    assert validators.email("a@b.cn") is None and validators.email("a@")
    assert validators.person_name("林晓雯") is None and validators.person_name("1")


def test_birth_date_must_agree_with_the_id_number():
    document = sample_definition()
    document["data_elements"].append({"key": "mother.birth_date", "label": "母亲出生日期", "type": "date"})
    document["items"][0]["fields"].append({"name": "mother_birth", "element": "mother.birth_date"})
    form = build_merged_form(compiled=compile_definition(document), answers=FULL)
    _, errors = validate(form, {"mother.id_number": "310104199203150469", "mother.birth_date": "1992-03-16"})
    assert errors["mother.birth_date"].code == "birth_date_mismatch"
    _, errors = validate(form, {"mother.id_number": "310104199203150469", "mother.birth_date": "1992-03-15"})
    assert "mother.birth_date" not in errors
