"""Intake in the browser: a clerk's walk-in child-birth intake, keyboard only, with one
material deferred and one pledged, ending in a receipt PDF; and an online case returned
for correction, corrected by the citizen and accepted."""

from io import BytesIO

import pytest
from pypdf import PdfReader

from onething.apply import selectors as apply_selectors
from onething.catalog.selectors import published_version
from onething.intake import selectors as intake_selectors
from onething.operations.management.commands.load_demo import CLERK_PASSWORD, DEMO_PASSWORD
from services.datahub.demo_identities import MOTHER
from tests.browser.checks import check_page
from tests.browser.pages import log_in_with as log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ANSWERS = {"birth_place": "local_hospital", "married": True, "mother_insured": True}


def press_enter_on(page, selector: str) -> None:
    """Submit with the keyboard: focus the button, press Enter, wait for the next page."""
    page.focus(selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_walk_in_intake_with_deferral_and_pledge(page, live_server, demo_catalogue, datahub_settings):
    base = live_server.url
    log_in(page, base, "clerk-huangpu", CLERK_PASSWORD)
    assert page.url == base + "/console/"  # clerks land on their queue
    page.goto(base + "/console/window/")
    check_page(page, where="window: who is applying")
    page.fill("input[name=id_number]", MOTHER.id_number)
    with page.expect_navigation():
        page.press("input[name=id_number]", "Enter")
    page.wait_for_selector("#bundle")
    page.select_option("#bundle", "child-birth")
    page.press("#bundle", "Tab")  # to the 选择 button
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("input[name=birth_place]")
    page.check("input[name=birth_place][value=local_hospital]")
    page.check("input[name=married][value=true]")
    page.check("input[name=mother_insured][value=true]")
    check_page(page, where="window: bundle and situation")
    press_enter_on(page, "#next")
    page.wait_for_selector("#accept-button")
    check_page(page, where="window: the merged form")
    # the merged form, prefilled from the data hub; the clerk completes the rest
    assert page.input_value('[id="f-applicant.name"]') == MOTHER.name
    version = published_version(bundle_code="child-birth")
    form = apply_selectors.form_for(version=version, answers=ANSWERS)
    for field in form.fields:
        selector = f'[id="f-{field.key}"]'
        if page.locator(selector).count() == 0 or page.get_attribute(selector, "disabled") is not None:
            continue
        if field.type == "enum":
            if not page.input_value(selector):
                page.select_option(selector, str(field.example()))
        elif not page.input_value(selector):
            page.fill(selector, str(field.example()))
    # checklist: one deferred, one pledged, the rest sighted in the original
    lines = [m for m in apply_selectors.notice_materials(version, ANSWERS) if m.required and m.bring]
    deferred = next(m for m in lines if m.deferrable)
    pledged = next(m for m in lines if m.pledgeable)
    for line in lines:
        outcome = "deferred" if line is deferred else "pledged" if line is pledged else "original_sighted"
        page.select_option(f'select[name="check-{line.key}-outcome"]', outcome)
    page.check(f'input[name="check-{pledged.key}-pledge"]')
    press_enter_on(page, "#accept-button")
    page.wait_for_selector("#receipt")
    check_page(page, where="window: accepted")
    number = page.url.split("#")[0].rstrip("/").rsplit("/", 1)[-1]
    assert number.startswith("CHILD-BIRTH-")

    receipt = page.request.get(f"{base}/documents/cases/{number}/receipt.pdf")
    assert receipt.status == 200 and receipt.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(receipt.body())).pages)
    assert number in text and "受理回执" in text and "告知承诺" in text and deferred.name[:4] in text

    # the citizen sees the case online
    log_in(page, base, MOTHER.id_number, DEMO_PASSWORD)
    page.goto(base + "/my/")
    assert number in page.inner_text("#my-cases")
    page.goto(f"{base}/my/cases/{number}/")
    assert page.locator(f'tr[data-check="{deferred.key}"]').count() == 1


def test_online_case_returned_corrected_and_accepted(page, live_server, demo_catalogue, datahub_settings):
    from django.contrib.auth import get_user_model

    from tests.intake.test_acceptance import online_case

    base = live_server.url
    mother = get_user_model().objects.get(username=MOTHER.id_number)
    case = online_case(mother)
    assert case.number in [
        c.number
        for c in intake_selectors.prereview_queue(
            clerk=intake_selectors.clerk_of(get_user_model().objects.get(username="clerk-huangpu"))
        )
    ]

    log_in(page, base, "clerk-huangpu", CLERK_PASSWORD)
    page.goto(f"{base}/console/cases/{case.number}/")
    check_page(page, where="case awaiting pre-review")
    page.select_option("#corr-0-key", "field:applicant.mobile")
    page.fill("#corr-0-message", "预留手机号码无法接通，请核对后重新填写")
    press_enter_on(page, "#return-button")

    log_in(page, base, MOTHER.id_number, DEMO_PASSWORD)
    page.goto(f"{base}/my/cases/{case.number}/")
    page.wait_for_selector("#resubmit-form")
    assert "预留手机号码无法接通" in page.inner_text("#correction")
    page.fill('[id="c-applicant.mobile"]', "13916880009")
    press_enter_on(page, "#resubmit")
    assert "已重新提交" in page.content()

    log_in(page, base, "clerk-huangpu", CLERK_PASSWORD)
    page.goto(f"{base}/console/cases/{case.number}/")
    press_enter_on(page, "#accept-button")
    page.wait_for_selector("#receipt")
    case.refresh_from_db()
    assert case.accepted_at is not None and case.data["applicant.mobile"] == "13916880009"
