"""Staff pages in the browser, at 360×740 and 1366×900, each page checked (fits the
viewport, no serious or critical axe-core violation): the clerk logs in and lands on the
queue, searches and filters it, opens a case and accepts it; refusing asks for
confirmation on its own page; the officer lands on the workbench and approves an item with
a date input; the administrator reads the audit log in words."""

import pytest
from django.contrib.auth import get_user_model

from onething.cases.models import Case
from onething.operations.management.commands.load_demo import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    CLERK_PASSWORD,
    OFFICER_PASSWORD,
)
from services.datahub.demo_identities import MOTHER
from tests.browser.checks import DESKTOP, PHONE, check_page
from tests.browser.pages import log_in_with as log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SIZES = pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])


def mothers_case() -> Case:
    from tests.intake.test_acceptance import online_case

    return online_case(get_user_model().objects.get(username=MOTHER.id_number))


@SIZES
def test_clerk_searches_filters_opens_and_accepts(page, live_server, demo_catalogue, datahub_settings, size):
    page.set_viewport_size(size)
    base = live_server.url
    first, second = mothers_case(), mothers_case()
    log_in(page, base, "clerk-huangpu", CLERK_PASSWORD)
    assert page.url == base + "/console/"  # the clerk's landing page, not the citizen's
    assert page.locator("#prereview-queue tr[data-case]").count() == 2
    assert page.inner_text('#console-nav [aria-current="page"]').startswith("我的待办")
    verdict = page.inner_text(f'tr[data-case="{first.number}"] .verdict')
    assert verdict in {"通过", "需核对", "不通过"}
    if size is PHONE:  # the queue becomes cards
        assert page.evaluate("() => getComputedStyle(document.querySelector('#queue-table tr')).display") == "block"
    check_page(page, where="queue")

    page.fill("#queue-q", second.number)
    with page.expect_navigation():
        page.click("#queue-search-button")
    assert [r.get_attribute("data-case") for r in page.locator("#prereview-queue tr[data-case]").all()] == [
        second.number
    ]
    check_page(page, where="queue searched")
    page.fill("#queue-q", "")
    page.select_option("#queue-bundle", "child-birth")
    page.select_option("#queue-state", "submitted")
    with page.expect_navigation():
        page.click("#queue-search-button")
    assert page.locator("#prereview-queue tr[data-case]").count() == 2
    page.check("#queue-overdue")  # both were submitted just now: none is overdue
    with page.expect_navigation():
        page.click("#queue-search-button")
    assert page.locator("#queue-empty").count() == 1
    check_page(page, where="queue filtered")

    page.goto(f"{base}/console/")
    with page.expect_navigation():
        page.click(f'tr[data-case="{first.number}"] a.case-number')
    page.wait_for_selector("#case-actions")
    check_page(page, where="case page")
    with page.expect_navigation():
        page.click("#accept-button")
    page.wait_for_selector("#receipt")
    check_page(page, where="accepted case")
    first.refresh_from_db()
    assert first.accepted_at is not None
    page.click("#nav-mine")
    page.wait_for_selector("#my-cases")
    assert page.locator(f'#my-cases tr[data-case="{first.number}"]').count() == 1
    check_page(page, where="my cases")


@SIZES
def test_refusal_asks_for_confirmation_first(page, live_server, demo_catalogue, datahub_settings, size):
    page.set_viewport_size(size)
    base = live_server.url
    case = mothers_case()
    log_in(page, base, "clerk-huangpu", CLERK_PASSWORD)
    page.goto(f"{base}/console/cases/{case.number}/")
    page.fill("#id_refuse-reason", "依据《户口登记条例》第七条，不符合申报条件")
    with page.expect_navigation():
        page.click("#refuse-button")
    page.wait_for_selector("#refuse-confirm")
    assert "户口登记条例" in page.inner_text("#refuse-reason-shown")
    check_page(page, where="refusal confirmation")
    case.refresh_from_db()
    assert case.state == Case.State.SUBMITTED  # nothing decided yet
    with page.expect_navigation():
        page.click("#refuse-confirm-button")
    page.wait_for_selector("#refusal")
    case.refresh_from_db()
    assert case.state == Case.State.REFUSED
    check_page(page, where="refused case")


@SIZES
def test_officer_lands_on_the_workbench_and_approves_with_a_date_input(
    page, live_server, demo_catalogue, wired_demo, mother, size
):
    from onething.processing import services
    from onething.processing.models import DepartmentEndpoint, ItemCase
    from tests.processing.conftest import accepted_case

    DepartmentEndpoint.objects.filter(department__code="health-commission").update(adapter="workbench")
    case = accepted_case(mother)
    item_case = ItemCase.objects.get(case=case, item_code="birth-certificate-issue")
    assert services.dispatch(item_case_id=item_case.pk) == "dispatched"

    page.set_viewport_size(size)
    base = live_server.url
    log_in(page, base, "officer-health-commission", OFFICER_PASSWORD)
    assert page.url == base + "/workbench/"
    assert "部门经办人" in page.inner_text("#staff-who")
    check_page(page, where="workbench")
    page.goto(f"{base}/workbench/{item_case.pk}/")
    date_input = page.locator("#result-issue_date")
    assert date_input.get_attribute("type") == "date"
    check_page(page, where="item case")
    page.fill("#result-certificate_number", "Q310104202600001")
    page.fill("#result-issue_date", "2026-12-01")
    with page.expect_navigation():
        page.click("#approve-button")
    item_case.refresh_from_db()
    assert item_case.state == ItemCase.State.APPROVED
    assert item_case.result.get("issue_date") == "2026-12-01"
    check_page(page, where="approved item case")


@SIZES
def test_admin_reads_the_audit_log_in_words(page, live_server, demo_catalogue, datahub_settings, size):
    from onething.intake import services

    case = mothers_case()
    services.case_accept(case=case, clerk=get_user_model().objects.get(username="clerk-huangpu"))
    page.set_viewport_size(size)
    base = live_server.url
    log_in(page, base, ADMIN_USERNAME, ADMIN_PASSWORD)
    assert page.url == base + "/oversight/"
    page.goto(f"{base}/oversight/audit/?case={case.number}")
    row = page.locator('tr[data-action="case.accepted"]')
    assert row.locator(".action-name").inner_text() == "受理"
    assert "状态：submitted → accepted" in row.locator("ul.diff").inner_text()
    check_page(page, where="audit log")
    with page.expect_navigation():
        row.locator("a").first.click()
    assert page.inner_text("#detail-action").startswith("受理")
    assert page.locator("#detail-changes").count() == 1
    check_page(page, where="audit event")
