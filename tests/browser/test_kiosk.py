"""The self-service terminal (自助终端) in the browser, at a terminal's portrait screen and
at a phone's: browse a bundle and read its notice (the PDF to print), identify with the
on-screen keypad (clicks only), see a case's status, print its receipt (the PDF), and the
session ending by itself after inactivity ("即将退出", 继续, then back to the attract screen).
Every page fits its viewport with no serious or critical axe-core violation."""

import os
from pathlib import Path

import pytest

from onething.apply.services import draft_start
from onething.catalog.selectors import published_version
from services.datahub.demo_identities import MOTHER
from tests.browser.checks import PHONE, check_page
from tests.processing.conftest import ANSWERS, accepted_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

KIOSK = {"width": 1080, "height": 1920}  # a portrait terminal
SHOTS = os.environ.get("KIOSK_SCREENSHOTS", "")  # a folder: save a screenshot of each page there


def look(page, name: str, size: str) -> None:
    check_page(page, where=f"{name} at {size}")
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"kiosk-{name}-{size}.png"), full_page=True)


@pytest.mark.parametrize("size", ["kiosk", "phone"])
def test_kiosk_journey(browser, live_server, settings, demo_catalogue, wired_demo, mother, size):
    settings.KIOSK_IDLE_SECONDS, settings.KIOSK_WARNING_SECONDS = 120, 30
    case = accepted_case(mother)
    draft = draft_start(applicant=mother, version=published_version(bundle_code="child-birth"), raw_answers=ANSWERS)
    base = live_server.url
    context = browser.new_context(locale="zh-CN", viewport=KIOSK if size == "kiosk" else PHONE, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        # the attract screen: the bundles as tiles; no site navigation
        page.goto(f"{base}/kiosk/")
        assert page.locator("#bundle-tiles .tile").count() >= 5
        assert page.locator(".site-header").count() == 0
        look(page, "home", size)

        # browse a bundle, answer its questions, read the notice and open its PDF
        with page.expect_navigation():
            page.click('[data-bundle="child-birth"]')
        look(page, "bundle", size)
        page.click("input[name=birth_place][value=local_hospital]")
        page.click("input[name=married][value=true]")
        page.click("input[name=mother_insured][value=true]")
        with page.expect_navigation():
            page.click("#see-notice")
        assert page.locator("#to-bring .card").count() >= 1 and int(page.inner_text("#item-count")) >= 3
        assert page.is_visible("#print-page")  # window.print(), shown by the script
        look(page, "notice", size)
        pdf = page.request.get(base + page.get_attribute("#notice-pdf", "href"))
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
        with page.expect_navigation():
            page.click("#kiosk-back")
        assert "/kiosk/bundles/child-birth/" in page.url

        # identify: the keypad only (a slip corrected with 删除)
        page.goto(f"{base}/kiosk/")
        with page.expect_navigation():
            page.click("#tile-identify")
        assert page.is_visible("#simulation")
        look(page, "identify", size)
        page.click('.key[data-key="7"]')
        page.click('.key[data-key="back"]')
        for character in MOTHER.id_number:
            page.click(f'.key[data-key="{character}"]')
        assert page.input_value("#id_number") == MOTHER.id_number
        with page.expect_navigation():
            page.click("#identify-submit")
        assert "/kiosk/my/" in page.url and "模拟读卡" in page.inner_text("#kiosk-who")
        look(page, "my", size)

        # a draft: 继续填写 hands over to the application form, still in the terminal session
        with page.expect_navigation():
            page.click(f'[data-draft="{draft.pk}"] .button')
        assert f"/my/drafts/{draft.pk}/" in page.url and page.locator("form").count() >= 1
        page.goto(f"{base}/kiosk/my/")
        assert "/kiosk/my/" in page.url  # not sent to identify again

        # the case's status, and its receipt printed (the PDF)
        with page.expect_navigation():
            page.click(f'[data-case="{case.number}"]')
        assert page.inner_text("#case-state") == case.get_state_display()
        assert page.locator('.stepper [aria-current="step"]').count() == 1
        look(page, "case", size)
        receipt = page.request.get(base + page.get_attribute("#print-receipt", "href"))
        assert receipt.status == 200 and receipt.headers["content-type"] == "application/pdf"
        assert receipt.body().startswith(b"%PDF")

        # inactivity: the warning, 继续, the warning again, then back to the attract screen
        settings.KIOSK_IDLE_SECONDS, settings.KIOSK_WARNING_SECONDS = 4, 2
        page.reload()
        page.wait_for_selector("#idle-warning", state="visible", timeout=6000)
        assert "即将退出" in page.inner_text("#idle-warning")
        page.click("#idle-continue")
        assert page.is_hidden("#idle-warning") and "/kiosk/my/cases/" in page.url
        page.wait_for_selector("#idle-warning", state="visible", timeout=6000)
        page.wait_for_url("**/kiosk/?ended=idle", timeout=8000)
        assert page.is_visible("#ended") and page.locator("#kiosk-who").count() == 0
        look(page, "ended", size)
        page.goto(f"{base}/kiosk/my/")
        assert "/kiosk/identify/" in page.url  # the session is gone on the server too
    finally:
        context.close()
