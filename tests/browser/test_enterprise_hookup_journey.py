"""The enterprise utility hook-up journey (水电气网联合报装) in the browser, filled exactly as
the form asks: the enterprise answers the situation, the form offers an upload for every
material the government does not hold for its holder (the agent's ID card included: the
hub holds none for the agent), the clerk accepts without overriding anything, the
departments decide, and the results go by mail to the address given in the form, which
the citizen never has to give again."""

import io

import pytest
from pypdf import PdfReader

from onething.apply.materials import draft_decisions
from onething.apply.models import Draft
from onething.cases.models import Case
from onething.intake.services import prereview
from onething.issuance import services as issuance
from onething.issuance.models import Delivery, IssuedLicence
from onething.operations.management.commands.load_demo import CLERK_PASSWORD, DEMO_PASSWORD
from services.datahub.demo_identities import ENTERPRISE_CREDIT_CODE
from tests.browser.pages import log_in_with as log_in
from tests.browser.steps import continue_step, fill_step, on_a_step
from tests.issuance.test_issuance import conclude

WIDER_THAN_A_PHONE = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > 391).slice(0, 8)
    .map(e => `${e.tagName}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ADDRESS = "上海市浦东新区世纪大道1500号12层1201室"
AGENT_ID = "11010519491231002X"  # a person the data hub holds no e-licence for


def test_utility_hookup_from_the_form_to_results_by_mail(page, live_server, demo_catalogue, wired_demo, tmp_path):
    base = live_server.url
    log_in(page, base, ENTERPRISE_CREDIT_CODE, DEMO_PASSWORD)
    page.goto(base + "/bundles/utility-hookup/")
    page.check("input[name=services][value=water]")
    page.check("input[name=road_works][value=true]")
    page.check("input[name=greening][value=false]")
    page.click("form.questionnaire button[type=submit]")
    # the notice says an e-licence line is needed only when the hub holds none
    assert "没有则需提供" in page.inner_text('tr[data-material="agent-id-card"]')
    page.click("#apply-link")
    page.wait_for_selector("form.step-form")

    draft = Draft.objects.get(applicant__username=ENTERPRISE_CREDIT_CODE)
    values = {"delivery.method": "mail", "delivery.address": ADDRESS, "applicant.id_number": AGENT_ID}
    materials_seen = False
    while on_a_step(page):
        if page.locator("form.step-form[data-step=materials]").count():
            # every material the form asks for has an upload control: the held ones have none
            business_licence = page.inner_text('[data-material="business-licence"]')
            assert "已自动调取电子证照" in business_licence
            agent_row = page.locator('[data-material="agent-id-card"]')
            assert agent_row.locator("input[type=file]").count() == 1  # the hub holds none for the agent
            materials_seen = True
        fill_step(page, draft, tmp_path, values)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(tmp_path / "hookup-form-phone.png"), full_page=True)
        wide = page.evaluate(WIDER_THAN_A_PHONE)  # what sticks out, should anything
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, wide  # nothing wider than a phone
        page.set_viewport_size({"width": 1280, "height": 900})
        continue_step(page)
    assert materials_seen and page.locator("#check-answers").count() == 1, page.inner_text("main")[:2000]
    page.click("#submit-application")
    page.wait_for_selector("#case-number")
    number = page.inner_text("#case-number").strip()
    case = Case.objects.get(number=number)
    draft = Draft.objects.get(case=case)
    assert [d.key for d in draft_decisions(draft) if d.missing] == []
    assert case.first_time_right

    # the automatic pre-review finds nothing missing; the clerk accepts as it stands
    assert [f.code for f in prereview(case=case) if f.level == "error"] == []
    log_in(page, base, "clerk-huangpu", CLERK_PASSWORD)
    page.goto(f"{base}/console/cases/{number}/")
    with page.expect_navigation():
        page.click("#accept-button")
    case.refresh_from_db()
    assert case.state == Case.State.PROCESSING, page.inner_text("main")

    # the departments decide; the results are collected
    conclude(case)
    for licence in IssuedLicence.objects.filter(case=case):
        issuance.licence_collect(licence_id=licence.pk)
    case.refresh_from_db()
    assert case.state in {Case.State.CONCLUDED, Case.State.PARTIALLY_CONCLUDED}

    # delivery: by mail, to the address given in the form, never asked again
    delivery = Delivery.objects.get(case=case)
    assert delivery.method == "mail" and delivery.address == ADDRESS
    log_in(page, base, ENTERPRISE_CREDIT_CODE, DEMO_PASSWORD)
    page.goto(f"{base}/my/cases/{number}/")
    assert ADDRESS in page.inner_text("main")
    assert page.locator("select[name=method]:visible").count() == 0  # not asked again
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(tmp_path / "hookup-case-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    notice = page.request.get(f"{base}/results/{number}/notice.pdf")
    assert notice.ok, notice.status
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(notice.body())).pages)
    assert "邮寄" in text

    log_in(page, base, "clerk-huangpu", CLERK_PASSWORD)
    page.goto(f"{base}/console/results/{number}/")
    assert ADDRESS in page.inner_text("#handover-delivery")
    page.fill("#tracking", "EMS1234567890")
    with page.expect_navigation():
        page.click("#mail-submit")
    assert "EMS1234567890" in page.inner_text("#handover-done")
    delivery.refresh_from_db()
    assert delivery.mailed_at is not None and delivery.address == ADDRESS
