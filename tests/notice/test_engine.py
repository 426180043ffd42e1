"""The notice engine: rules per situation, deduplicated materials, critical path and the
four reductions, on the sample definition (see tests/definitions.py for its shape)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onething.catalog import situations
from onething.notice.engine import build_notice, compile_definition
from tests.definitions import sample_definition

FULL = {"insured": True, "married": "married", "extras": ["insurance", "card"]}
MINIMAL = {"insured": False, "married": "single", "extras": []}


@pytest.fixture(scope="module")
def compiled():
    return compile_definition(sample_definition())


def codes(notice):
    return [item.code for item in notice.items]


def test_rules_decide_items_per_situation(compiled):
    assert codes(build_notice(compiled, FULL)) == ["t-birth", "t-household", "t-insurance", "t-allowance"]
    assert codes(build_notice(compiled, MINIMAL)) == ["t-birth", "t-household"]
    only_insured = {**MINIMAL, "insured": True}
    assert codes(build_notice(compiled, only_insured)) == ["t-birth", "t-household", "t-allowance"]


def test_reason_is_shown_for_each_item(compiled):
    notice = build_notice(compiled, FULL)
    assert {i.code: i.reason for i in notice.items}["t-allowance"] == "母亲参加职工医保"


def test_material_conditions_follow_the_situation(compiled):
    married = {m.key for m in build_notice(compiled, FULL).materials}
    single = {m.key for m in build_notice(compiled, MINIMAL).materials}
    assert "marriage-cert" in married and "marriage-cert" not in single


def test_materials_are_deduplicated_and_marked(compiled):
    notice = build_notice(compiled, FULL)
    by_key = {m.key: m for m in notice.materials}
    assert list(by_key) == ["mother-id-card", "birth-record", "household-book", "marriage-cert"]
    id_card = by_key["mother-id-card"]
    assert id_card.needed_by == ["t-birth", "t-household", "t-allowance"]
    assert not id_card.bring and id_card.shared == {"kind": "elicence", "type": "id_card"}
    assert by_key["birth-record"].deferrable
    # pledgeable only where every item that needs it allows a pledge: household allows, insurance does not
    assert not by_key["household-book"].pledgeable
    # strongest form wins: original_and_copy (household) over copy (insurance)
    assert by_key["household-book"].form == "original_and_copy"
    pledge_only_household = build_notice(compiled, {**FULL, "extras": []})
    assert {m.key: m for m in pledge_only_household.materials}["household-book"].pledgeable


def test_critical_path_and_sequential_sum(compiled):
    notice = build_notice(compiled, FULL)
    # birth 5 -> household 5 -> insurance 3 -> allowance 10 (allowance waits on insurance here)
    assert notice.bundle_days == 23 and notice.sequential_days == 23
    assert notice.critical_path == ["t-birth", "t-household", "t-insurance", "t-allowance"]
    # without insurance the optional dependency drops and allowance runs in parallel from day 0
    parallel = build_notice(compiled, {**FULL, "extras": []})
    days = {i.code: (i.start_day, i.finish_day) for i in parallel.items}
    assert days == {"t-birth": (0, 5), "t-household": (5, 10), "t-allowance": (0, 10)}
    assert parallel.bundle_days == 10 and parallel.sequential_days == 20


def test_four_reductions_arithmetic(compiled):
    r = build_notice(compiled, FULL).reductions
    assert r["steps"] == {"separate": 4 + 4 + 3 + 4, "bundle": 3}
    assert r["time"] == {"separate": 23, "bundle": 23}
    # separately: birth 2 + household 3 + insurance 1 + allowance 1 = 7; bundle: distinct to bring =
    # birth-record, household-book, marriage-cert (the ID card is shared)
    assert r["materials"] == {"separate": 7, "bundle": 3}
    # household-book is an original to show -> one trip
    assert r["trips"] == {"separate": 1 + 2 + 1 + 1, "bundle": 1}


def test_fees_are_summed(compiled):
    assert str(build_notice(compiled, FULL).total_fee) == "12.50"
    assert str(build_notice(compiled, MINIMAL).total_fee) == "0.00"


def test_overview_ranges_cover_every_situation(compiled):
    overview = compiled.reductions_overview
    assert overview["time"]["bundle"] == {"min": 10, "max": 23}
    assert overview["steps"]["separate"] == {"min": 8, "max": 15}


def test_check_answers_names_each_bad_question(compiled):
    _, errors = situations.check_answers(
        compiled.questions, {"insured": "maybe", "married": "divorced", "extras": ["pets"], "colour": "red"}
    )
    assert {e.question: e.code for e in errors} == {
        "insured": "not_yes_no",
        "married": "not_an_option",
        "extras": "not_an_option",
        "colour": "unknown_question",
    }
    _, missing = situations.check_answers(compiled.questions, {})
    assert {e.question for e in missing} == {"insured", "married"}  # a multiple choice may be left empty


@given(
    insured=st.sampled_from([True, False, "true", "false", "是", "否"]),
    married=st.sampled_from(["married", "single"]),
    extras=st.lists(st.sampled_from(["insurance", "card"]), unique=True),
)
def test_any_valid_answers_give_a_consistent_notice(insured, married, extras):
    compiled = compile_definition(sample_definition())
    answers, errors = situations.check_answers(
        compiled.questions, {"insured": insured, "married": married, "extras": extras}
    )
    assert errors == []
    notice = build_notice(compiled, answers)
    applicable = set(codes(notice))
    for item in notice.items:
        assert set(item.waits_for) <= applicable
        assert item.finish_day <= notice.bundle_days
    assert notice.bundle_days <= notice.sequential_days
    assert notice.reductions["materials"]["bundle"] <= notice.reductions["materials"]["separate"]
