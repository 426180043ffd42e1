"""Prefill (申请表格预填) against the real data hub: natural person, legal entity and
e-licence plugins, on merged forms built from the demo bundles."""

import json
import time
from datetime import date
from pathlib import Path

import pytest

from onething.accounts.models import User
from onething.apply.form import MergedField, MergedForm, build_merged_form
from onething.apply.prefill.base import (
    SOURCE_ELICENCE,
    SOURCE_ENTERPRISE,
    SOURCE_PERSON,
    PrefillPlugin,
    PrefillResult,
    Registry,
    registry,
)
from onething.apply.prefill.services import UNAVAILABLE_NOTICE, run_prefill
from onething.catalog.definition.parties import Party, parties_of
from onething.identity.datahub import DatahubRequestError, DatahubUnavailable
from onething.notice.engine import build_notice, compile_definition
from services.datahub import demo_identities as demo
from services.datahub.ids import make_credit_code, make_id_number

ROOT = Path(__file__).resolve().parents[2]
BIRTH_ANSWERS = {"birth_place": "local_hospital", "married": True, "mother_insured": True}
STARTUP_ANSWERS = {"company_type": "limited", "need_seal": True, "hire_staff": True, "need_invoice": True}


def load(name):
    return compile_definition(json.loads((ROOT / "demo" / "bundles" / f"{name}.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def child_birth():
    return load("child-birth")


@pytest.fixture(scope="module")
def company_startup():
    return load("company-startup")


@pytest.fixture
def hub(live_datahub):
    with live_datahub.client() as client:
        yield client


def citizen(id_number):
    return User(username=id_number, role=User.Role.CITIZEN, id_number=id_number)


def enterprise(credit_code):
    return User(username=credit_code, role=User.Role.ENTERPRISE, id_number=credit_code)


def prefill(compiled, answers, applicant, client=None):
    form = build_merged_form(compiled=compiled, answers=answers)
    materials = build_notice(compiled, answers).materials
    return form, run_prefill(applicant=applicant, form=form, materials=materials, client=client)


def assert_verifies(client, attached):
    verdict = client.verify_elicence(attached["licence_number"], attached["holder"])
    assert verdict["valid"], verdict


# --- the registry -------------------------------------------------------------------


def test_plugins_are_registered_by_name_in_order():
    assert registry.names() == ["natural_person", "legal_entity", "elicences"]
    assert [plugin.name for plugin in registry] == registry.names()
    assert "elicences" in registry and registry["natural_person"].label == SOURCE_PERSON
    assert all(isinstance(plugin, PrefillPlugin) for plugin in registry)


def test_registry_refuses_a_second_plugin_of_the_same_name():
    local = Registry()

    @local.register("one")
    class One(PrefillPlugin):
        pass

    with pytest.raises(ValueError):

        @local.register("one")
        class Again(PrefillPlugin):
            pass

    assert local.names() == ["one"] and local["one"].name == "one" and len(local) == 1


# --- natural person -----------------------------------------------------------------


def test_mother_applying_gets_herself_her_husband_and_the_newborn(child_birth, hub):
    form, outcome = prefill(child_birth, BIRTH_ANSWERS, citizen(demo.MOTHER_ID_NUMBER), hub)
    values = outcome.values
    assert values["applicant.name"] == demo.MOTHER_NAME
    assert values["applicant.id_number"] == demo.MOTHER_ID_NUMBER
    assert values["applicant.mobile"] == demo.MOTHER_MOBILE
    assert (values["mother.name"], values["mother.id_number"]) == (demo.MOTHER_NAME, demo.MOTHER_ID_NUMBER)
    assert (values["father.name"], values["father.id_number"]) == (demo.FATHER_NAME, demo.FATHER_ID_NUMBER)
    assert values["child.name"] == demo.NEWBORN_NAME
    assert values["child.gender"] == "female"  # an enum choice value of the form
    assert values["child.birth_date"] == demo.NEWBORN_BIRTH_DATE.isoformat()
    assert values["household.address"] == demo.FAMILY_ADDRESS
    assert set(values) <= set(form.by_key), "only fields of the form are filled"
    assert "household.number" not in values  # fed by the household registration, not asked
    assert outcome.sources["applicant.name"] == SOURCE_PERSON
    assert set(outcome.sources) == set(values)
    assert outcome.count == len(values) >= 11
    assert not outcome.unavailable and outcome.notice == ""


def test_father_applying_is_the_father_and_his_wife_the_mother(child_birth, hub):
    _, outcome = prefill(child_birth, BIRTH_ANSWERS, citizen(demo.FATHER_ID_NUMBER), hub)
    assert outcome.values["father.id_number"] == demo.FATHER_ID_NUMBER
    assert outcome.values["mother.id_number"] == demo.MOTHER_ID_NUMBER
    assert outcome.values["applicant.name"] == demo.FATHER_NAME
    assert outcome.values["child.name"] == demo.NEWBORN_NAME


def test_prefilled_values_pass_the_forms_validation(child_birth, hub):
    from onething.apply.form import validate

    form, outcome = prefill(child_birth, BIRTH_ANSWERS, citizen(demo.MOTHER_ID_NUMBER), hub)
    clean, errors = validate(form, outcome.values)
    assert {key: error for key, error in errors.items() if key in outcome.values} == {}
    assert set(clean) == set(outcome.values)


def field_of(compiled, key, **overrides):
    element = compiled.elements.get(key, {"key": key, "label": key, "type": "string"})
    data = {
        "key": key,
        "label": element["label"],
        "label_en": element.get("label_en", ""),
        "type": element["type"],
        "validator": element.get("validator", ""),
        "choices": element.get("choices", []),
    }
    return MergedField(**{**data, **overrides})


def test_household_number_child_id_and_chinese_gender_choices_when_the_form_asks(child_birth, hub):
    chinese = [{"value": "男", "label": "男"}, {"value": "女", "label": "女"}]
    form = MergedForm(
        fields=[
            field_of(child_birth, "applicant.name"),
            field_of(child_birth, "applicant.gender", type="enum", choices=chinese),
            field_of(child_birth, "applicant.birth_date", type="date"),
            field_of(child_birth, "household.number"),
            field_of(child_birth, "child.id_number"),
            field_of(
                child_birth, "child.gender", choices=[{"value": "F", "label": "女"}, {"value": "M", "label": "男"}]
            ),
            field_of(child_birth, "spouse.name"),
        ],
        item_count=1,
        # a form built by hand names its parties too: the child-birth bundle's, and a spouse
        parties=(*parties_of(child_birth.version), Party("spouse", "配偶", "Spouse", None, ("spouse",))),
    )
    outcome = run_prefill(applicant=citizen(demo.MOTHER_ID_NUMBER), form=form, materials=[], client=hub)
    assert outcome.values == {
        "applicant.name": demo.MOTHER_NAME,
        "applicant.gender": "女",
        "applicant.birth_date": "1992-03-15",
        "household.number": demo.FAMILY_HOUSEHOLD_NUMBER,
        "child.id_number": demo.NEWBORN_ID_NUMBER,
        "child.gender": "F",
        "spouse.name": demo.FATHER_NAME,
    }


# --- e-licences ---------------------------------------------------------------------


def test_shared_materials_are_attached_from_the_elicence_database(child_birth, hub):
    _, outcome = prefill(child_birth, BIRTH_ANSWERS, citizen(demo.MOTHER_ID_NUMBER), hub)
    attached = outcome.materials
    assert attached["mother-id-card"]["licence_number"] == demo.MOTHER_ID_CARD_LICENCE
    assert attached["mother-id-card"]["holder"] == demo.MOTHER_ID_NUMBER
    assert attached["father-id-card"]["licence_number"] == demo.FATHER_ID_CARD_LICENCE
    assert attached["marriage-certificate"]["licence_number"] == demo.MOTHER_MARRIAGE_LICENCE
    assert attached["birth-medical-certificate"]["licence_number"] == demo.NEWBORN_BIRTH_CERTIFICATE_LICENCE
    expected = {"source": "elicence", "type": "id_card", "name": "母亲居民身份证", "source_label": SOURCE_ELICENCE}
    assert attached["mother-id-card"].items() >= expected.items()
    for line in attached.values():
        assert_verifies(hub, line)
    assert "household-register" not in attached  # a database record, not an e-licence
    assert "child-photo" not in attached


def test_father_applying_gets_his_own_marriage_certificate(child_birth, hub):
    _, outcome = prefill(child_birth, BIRTH_ANSWERS, citizen(demo.FATHER_ID_NUMBER), hub)
    assert outcome.materials["marriage-certificate"]["licence_number"] == demo.FATHER_MARRIAGE_LICENCE
    assert outcome.materials["mother-id-card"]["licence_number"] == demo.MOTHER_ID_CARD_LICENCE


# --- legal entity -------------------------------------------------------------------


def test_enterprise_applicant_gets_its_particulars_and_business_licence(company_startup, hub):
    form, outcome = prefill(company_startup, STARTUP_ANSWERS, enterprise(demo.ENTERPRISE_CREDIT_CODE), hub)
    values = outcome.values
    assert values["enterprise.name"] == demo.ENTERPRISE_NAME
    assert values["enterprise.address"] == demo.ENTERPRISE_ADDRESS
    assert values["legal_rep.name"] == demo.LEGAL_REP_NAME
    assert values["legal_rep.id_number"] == demo.LEGAL_REP_ID_NUMBER
    assert values["legal_rep.mobile"] == demo.LEGAL_REP_MOBILE
    assert outcome.sources["enterprise.name"] == SOURCE_ENTERPRISE
    assert outcome.sources["legal_rep.mobile"] == SOURCE_PERSON
    assert set(values) <= set(form.by_key)
    assert not any(key.startswith("applicant.") for key in values)  # the agent is not known

    licence = outcome.materials["business-licence"]
    assert licence["licence_number"] == demo.ENTERPRISE_BUSINESS_LICENCE
    assert licence["holder"] == demo.ENTERPRISE_CREDIT_CODE
    assert outcome.materials["legal-rep-id-card"]["licence_number"] == demo.LEGAL_REP_ID_CARD_LICENCE
    for line in outcome.materials.values():
        assert_verifies(hub, line)
    # the agent's and the finance manager's ID cards belong to people the hub cannot name
    assert "agent-id-card" not in outcome.materials
    assert "finance-manager-id-card" not in outcome.materials


def test_enterprise_credit_code_is_filled_where_the_form_asks_for_it(hub):
    compiled = load("utility-hookup")
    answers = {"services": ["water"], "road_works": False, "greening": False}
    _, outcome = prefill(compiled, answers, enterprise(demo.ENTERPRISE_CREDIT_CODE), hub)
    assert outcome.values["enterprise.credit_code"] == demo.ENTERPRISE_CREDIT_CODE
    assert outcome.materials["business-licence"]["licence_number"] == demo.ENTERPRISE_BUSINESS_LICENCE


def test_citizen_starting_a_company_is_the_agent_not_the_legal_rep(company_startup, hub):
    _, outcome = prefill(company_startup, STARTUP_ANSWERS, citizen(demo.CITIZEN_ID_NUMBER), hub)
    assert outcome.values["applicant.name"] == demo.CITIZEN_NAME
    assert not any(key.startswith(("enterprise.", "legal_rep.")) for key in outcome.values)
    assert outcome.materials["agent-id-card"]["licence_number"] == demo.CITIZEN_ID_CARD_LICENCE
    assert "legal-rep-id-card" not in outcome.materials
    assert "business-licence" not in outcome.materials


# --- failures -----------------------------------------------------------------------


def test_hub_down_gives_an_empty_prefill_and_a_notice_quickly(child_birth, datahub_down):
    started = time.monotonic()
    _, outcome = prefill(child_birth, BIRTH_ANSWERS, citizen(demo.MOTHER_ID_NUMBER))
    assert time.monotonic() - started < 3
    assert outcome.unavailable
    assert outcome.values == {} and outcome.materials == {} and outcome.count == 0
    assert outcome.notice == UNAVAILABLE_NOTICE and "手工填写" in outcome.notice
    assert outcome.failed == ["natural_person"]  # the rest are not tried once the hub is down


def test_unknown_applicants_get_nothing_without_error(child_birth, company_startup, hub):
    unknown_person = make_id_number("310101", date(1931, 1, 1), 998)
    unknown_company = make_credit_code("310101", "MA00000Y")
    assert hub.get_person(unknown_person) is None and hub.get_enterprise(unknown_company) is None
    for applicant, compiled, answers in [
        (citizen(unknown_person), child_birth, BIRTH_ANSWERS),
        (citizen("310104199203150460"), child_birth, BIRTH_ANSWERS),  # wrong check digit
        (User(role=User.Role.CITIZEN), child_birth, BIRTH_ANSWERS),  # no ID number
        (enterprise(unknown_company), company_startup, STARTUP_ANSWERS),
        (None, child_birth, BIRTH_ANSWERS),
    ]:
        _, outcome = prefill(compiled, answers, applicant, hub)
        assert outcome.values == {} and outcome.materials == {}
        assert not outcome.unavailable and outcome.notice == ""


def test_hub_errors_in_one_plugin_are_contained(child_birth, hub):
    class Broken(PrefillPlugin):
        name = "broken"

        def __init__(self, error):
            self.error = error

        def prefill(self, ctx):
            raise self.error

    class Marker(PrefillPlugin):
        name = "marker"

        def prefill(self, ctx):
            result = PrefillResult()
            result.put("applicant.mobile", "13900000000", "test")
            return result

    form = build_merged_form(compiled=child_birth, answers=BIRTH_ANSWERS)
    applicant = citizen(demo.MOTHER_ID_NUMBER)
    refused = run_prefill(
        applicant=applicant,
        form=form,
        materials=[],
        client=hub,
        plugins=[Broken(DatahubRequestError(401, "bad_signature", "")), registry["natural_person"], Marker()],
    )
    assert refused.unavailable and refused.failed == ["broken"]
    assert refused.values["applicant.name"] == demo.MOTHER_NAME  # later plugins still ran
    assert refused.values["applicant.mobile"] == demo.MOTHER_MOBILE  # an earlier plugin's value wins

    down = run_prefill(
        applicant=applicant, form=form, materials=[], client=hub, plugins=[Broken(DatahubUnavailable("x")), Marker()]
    )
    assert down.unavailable and down.values == {} and down.notice == UNAVAILABLE_NOTICE


# --- with settings and a saved account ----------------------------------------------


@pytest.mark.django_db
def test_saved_account_with_the_client_from_settings(child_birth, datahub_settings):
    applicant = User.objects.create_user(
        username=demo.MOTHER_ID_NUMBER, role=User.Role.CITIZEN, id_number=demo.MOTHER_ID_NUMBER
    )
    _, outcome = prefill(child_birth, BIRTH_ANSWERS, applicant)
    assert outcome.values["applicant.name"] == demo.MOTHER_NAME
    assert outcome.values["father.name"] == demo.FATHER_NAME
    assert outcome.materials["mother-id-card"]["licence_number"] == demo.MOTHER_ID_CARD_LICENCE
    assert not outcome.unavailable
