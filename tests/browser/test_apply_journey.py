"""A citizen logs in, answers the child-birth questions, finds the merged form prefilled
from the data hub with an e-licence attached, uploads one material, submits and sees the
case number; a second citizen cannot open that case."""

import pytest

from onething.apply.models import Draft
from onething.operations.management.commands.load_demo import DEMO_PASSWORD
from services.datahub.demo_identities import CITIZEN, FAMILY_ADDRESS, MOTHER
from tests.browser.steps import through_the_steps

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def log_in(page, base: str, identity: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=identity]", identity)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_selector("#who")


def test_citizen_applies_for_child_birth(page, live_server, demo_catalogue, datahub_settings, tmp_path):
    base = live_server.url
    log_in(page, base, MOTHER.id_number)
    page.goto(base + "/bundles/child-birth/")
    page.check("input[name=birth_place][value=local_hospital]")
    page.check("input[name=married][value=true]")
    page.check("input[name=mother_insured][value=true]")
    page.click("form.questionnaire button[type=submit]")
    page.click("#apply-link")
    page.wait_for_selector("form.step-form")

    # prefilled from the data hub: name, ID and address, marked as government data
    # (一表申请 as steps: the applicant first, the family next)
    assert page.input_value('[id="f-applicant.name"]') == MOTHER.name
    assert page.input_value('[id="f-applicant.id_number"]') == MOTHER.id_number
    assert page.locator('[data-key="applicant.name"] .flag.prefilled').count() == 1
    draft = Draft.objects.get(applicant__username=MOTHER.id_number)
    page.goto(f"{base}/my/drafts/{draft.pk}/steps/family/")
    assert page.input_value('[id="f-household.address"]') == FAMILY_ADDRESS
    assert page.get_attribute('[id="f-mother.id_number"]', "readonly") is not None
    # an e-licence attached automatically (免提交)
    page.goto(f"{base}/my/drafts/{draft.pk}/steps/materials/")
    assert "已自动调取电子证照" in page.inner_text('[data-material="mother-id-card"]')

    # fill what the government does not know, upload the materials, check, submit
    page.goto(f"{base}/my/drafts/{draft.pk}/steps/applicant/")
    through_the_steps(page, draft, tmp_path)
    page.screenshot(path=str(tmp_path / "check.png"), full_page=True)
    page.click("#submit-application")
    page.wait_for_selector("#case-number")
    number = page.inner_text("#case-number").strip()
    assert number.startswith("CHILD-BIRTH-")
    page.goto(base + "/my/")
    assert number in page.inner_text("#my-cases")

    # a second citizen cannot open it
    page.context.clear_cookies()
    log_in(page, base, CITIZEN.id_number)
    response = page.goto(f"{base}/my/cases/{number}/")
    assert response.status == 404
    page.goto(base + "/my/")
    assert number not in page.content()
