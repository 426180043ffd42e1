"""The citizen's case page and message centre in the browser, at phone (360×740) and desktop
(1366×900) sizes: a submitted case's stepper stands at pre-review; once accepted and an item
approved (the engine driven through its services) it stands at processing and the item's
timeline says so in Chinese; the header counts the unread messages and opening one lowers
the count. Every page fits the viewport and passes axe-core (checks.check_page)."""

import os
from pathlib import Path

import pytest

from onething.operations.management.commands.load_demo import DEMO_PASSWORD
from onething.processing import services as processing
from onething.processing.adapters.base import DepartmentStatus
from onething.processing.models import ItemCase
from services.datahub.demo_identities import MOTHER
from tests.browser.checks import DESKTOP, PHONE, check_page
from tests.browser.pages import log_in_with as log_in
from tests.processing.conftest import submitted_case
from tests.processing.test_flow import dispatch_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
ANSWERS = {"birth_place": "local_hospital", "married": True, "mother_insured": True}
S = ItemCase.State
STACKED = ("submitted", "prereview")  # on a phone, the second stage sits below the first
SHOTS = os.environ.get("CASE_PAGE_SCREENSHOTS", "")  # a folder: keep the screenshots for a look


def accept(case):
    """The clerk of the case's centre accepts it, every original sighted."""
    from django.contrib.auth import get_user_model

    from onething.apply import selectors as apply_selectors
    from onething.intake import services as intake_services
    from onething.intake.materials import Decision
    from onething.intake.models import MaterialCheck

    clerk = get_user_model().objects.filter(clerk__centre=case.centre).order_by("username").first()
    checklist = intake_services.checklist_from_case(case=case)
    for material in apply_selectors.notice_materials(case.version, case.answers):
        if material.required:
            checklist.setdefault(material.key, Decision(outcome=MaterialCheck.Outcome.ORIGINAL_SIGHTED))
    return intake_services.case_accept(case=case, clerk=clerk, checklist=checklist)


def stage(page) -> tuple[str, str]:
    current = page.locator('#case-stepper [aria-current="step"]')
    assert current.count() == 1
    return current.get_attribute("data-stage"), current.get_attribute("data-status")


def unread(page) -> int:
    badge = page.locator("#unread-count")
    return int(badge.inner_text()) if badge.count() else 0


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_case_page_stepper_timeline_and_messages(page, live_server, wired_demo, mother, size):
    base = live_server.url
    label = "phone" if size == PHONE else "desktop"
    page.set_viewport_size(size)
    case = submitted_case(mother)

    log_in(page, base, MOTHER.id_number, DEMO_PASSWORD)
    page.goto(f"{base}/my/cases/{case.number}/")
    assert stage(page) == ("prereview", "current")
    assert page.get_attribute('#case-stepper [data-stage="submitted"]', "data-status") == "done"
    assert "等待窗口工作人员预审" in page.inner_text("#case-stepper")
    if size == PHONE:  # the stepper runs down the page: each stage below the one before
        first, second = (page.locator(f'#case-stepper [data-stage="{key}"]').bounding_box() for key in STACKED)
        assert second["y"] > first["y"] and abs(second["x"] - first["x"]) < 2
    check_page(page, where=f"case page, submitted ({label})")
    shot(page, f"case-submitted-{label}")

    # accepted, sent to the departments, one item approved
    accept(case)
    dispatch_ready(case)
    approved = ItemCase.objects.filter(case=case, state__in=[S.RECEIVED, S.IN_PROGRESS]).order_by("pk").first()
    processing.apply_status(item_case_id=approved.pk, status=DepartmentStatus(state=S.APPROVED))

    page.goto(f"{base}/my/cases/{case.number}/")
    assert stage(page) == ("processing", "current")
    assert page.get_attribute('#case-stepper [data-stage="accepted"]', "data-status") == "done"
    card = page.locator("#item-cases .item-case").filter(has_text=approved.item_name)
    timeline = card.locator(".timeline").inner_text()
    assert "已交给办理部门，部门已接收" in timeline and "准予办理" in timeline
    assert "已办结" in card.locator(".plain-state").inner_text()
    assert "承诺办结日期" in card.inner_text()
    check_page(page, where=f"case page, processing ({label})")
    shot(page, f"case-processing-{label}")

    # the message centre: the acceptance is there, counted in the header; opening it lowers the count
    before = unread(page)
    assert before >= 1
    page.click("#nav-messages")
    page.wait_for_selector("#messages")
    assert "您的申请已受理" in page.inner_text("#messages")
    assert page.locator("#messages .message.unread").count() == before
    check_page(page, where=f"message centre ({label})")
    shot(page, f"messages-{label}")
    with page.expect_navigation():
        page.locator("#messages .message.unread .message-open").first.click()
    assert unread(page) == before - 1
    check_page(page, where=f"message ({label})")
    shot(page, f"message-{label}")
    with page.expect_navigation():
        page.click("#message-case-link")
    assert page.url.endswith(f"/my/cases/{case.number}/")

    # mark all read: the count leaves the header
    page.click("#nav-messages")
    if before > 1:
        with page.expect_navigation():
            page.click("#mark-all-read")
    assert unread(page) == 0 and page.locator("#messages .message.unread").count() == 0
