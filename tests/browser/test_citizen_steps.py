"""The citizen's merged form as steps, in the browser at a phone's and a desktop's size:
the notice, start, each step (one refused, its error summary linking to the field, then
fixed), back, save and resume from 我的申请, 核对信息 with a 修改 link that comes back,
submission, the confirmation (case number, completion date, what happens next) and the
case page. Every page fits the viewport and has no serious or critical axe violation.
The same journey works with JavaScript switched off."""

import re

import pytest

from onething.apply.models import Draft
from onething.cases.models import Case
from onething.intake import selectors as intake_selectors
from services.datahub.demo_identities import MOTHER
from tests.browser.checks import DESKTOP, PHONE, check_page
from tests.browser.steps import continue_step, empty_keys, fill_step, on_a_step, through_the_steps
from tests.browser.test_apply_journey import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
NEW_MOBILE = "13900001111"


def answer_the_questions(page, base: str) -> None:
    page.goto(base + "/bundles/child-birth/")
    page.check("input[name=birth_place][value=local_hospital]")
    page.check("input[name=married][value=true]")
    page.check("input[name=mother_insured][value=true]")
    with page.expect_navigation():
        page.click("form.questionnaire button[type=submit]")


def step_count(page) -> str:
    return page.inner_text("#step-count").strip()


def step_number(page) -> int:
    return int(re.match(r"步骤 (\d+)/", step_count(page)).group(1))


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_citizen_goes_through_the_steps_to_the_confirmation(
    browser, live_server, demo_catalogue, datahub_settings, tmp_path, size
):
    context = browser.new_context(locale="zh-CN", viewport=size)
    page = context.new_page()
    page.set_default_timeout(15000)
    base = live_server.url
    shots = tmp_path / "shots"
    shots.mkdir()
    name = "phone" if size == PHONE else "desktop"

    def look(label: str) -> None:
        check_page(page, where=label)
        page.screenshot(path=str(shots / f"{name}-{label}.png"), full_page=True)

    log_in(page, base, MOTHER.id_number)
    answer_the_questions(page, base)
    look("notice")
    with page.expect_navigation():
        page.click("#apply-link")
    draft = Draft.objects.get(applicant__username=MOTHER.id_number)
    total = re.match(r"步骤 1/(\d+) · ", step_count(page))
    assert total, step_count(page)
    assert page.locator('.step-progress li[aria-current="step"]').count() == 1
    look("step-1")

    refused = back_tried = saved = False
    while on_a_step(page):
        number = step_number(page)
        if not back_tried and number == 2:
            # back: to step 1, nothing lost, then on again
            with page.expect_navigation():
                page.click("#step-back")
            assert step_count(page).startswith("步骤 1/")
            continue_step(page)
            back_tried = True
            continue
        if not refused and empty_keys(page):
            # continue with a required field empty: the summary names it and links to it
            key = empty_keys(page)[0]
            continue_step(page)
            summary = page.locator("#form-errors")
            assert summary.is_visible() and int(summary.get_attribute("data-count")) >= 1
            assert step_count(page).startswith(f"步骤 {number}/")  # still on the same step
            look(f"step-{number}-error")
            page.click(f'#form-errors a[href="#f-{key}"]')
            assert page.evaluate("document.activeElement.id") == f"f-{key}"
            refused = True
        if not saved and number >= 3:
            # save, leave, resume from 我的申请: back where the work is, nothing lost
            fill_step(page, draft, tmp_path)
            with page.expect_navigation():
                page.click("#step-save")
            assert "草稿已保存" in page.inner_text(".messages")
            page.goto(base + "/my/")
            look("my-applications")
            with page.expect_navigation():
                page.click(f'a[href="/my/drafts/{draft.pk}/"]')
            assert on_a_step(page) or page.locator("#check-answers").count() == 1
            saved = True
            continue
        fill_step(page, draft, tmp_path)
        continue_step(page)
        if on_a_step(page):
            look(f"step-{step_number(page)}")
    assert refused and back_tried and saved

    # 核对信息: every answer, a 修改 link back to its step, and back here after saving
    assert page.locator("#check-answers").count() == 1
    assert page.locator('.step-progress li[aria-current="step"]').inner_text().strip().endswith("核对信息")
    assert MOTHER.name in page.inner_text("main")
    look("check-answers")
    with page.expect_navigation():
        page.click('a[data-change="applicant"]')
    page.fill('[id="f-applicant.mobile"]', NEW_MOBILE)
    with page.expect_navigation():
        page.click("#step-next")
    assert page.locator("#check-answers").count() == 1
    assert NEW_MOBILE in page.inner_text('[data-key="applicant.mobile"]')

    # submit: the confirmation says what happens next
    with page.expect_navigation():
        page.click("#submit-application")
    case = Case.objects.get(applicant__username=MOTHER.id_number)
    assert page.inner_text("#case-number").strip() == case.number
    assert "接下来会发生什么" in page.inner_text("#next-steps")
    days = intake_selectors.bundle_days(case)
    assert f"受理后 {days} 个工作日" in page.inner_text("#next-due")
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", page.inner_text("#next-due"))
    assert "短信" in page.inner_text("#how-told")
    look("confirmation")
    with page.expect_navigation():
        page.click("#case-link")
    assert page.inner_text("#case-number").strip() == case.number
    look("case-page")
    context.close()


def test_the_steps_work_without_javascript(browser, live_server, demo_catalogue, datahub_settings, tmp_path):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15000)
    base = live_server.url
    log_in(page, base, MOTHER.id_number)
    answer_the_questions(page, base)
    with page.expect_navigation():
        page.click("#apply-link")
    draft = Draft.objects.get(applicant__username=MOTHER.id_number)
    assert step_count(page).startswith("步骤 1/")
    # a refused step without scripts: the server's summary, the field's own message
    while on_a_step(page) and not empty_keys(page):
        continue_step(page)
    key = empty_keys(page)[0]
    continue_step(page)
    assert page.locator("#form-errors").is_visible()
    assert page.locator(f'#form-errors a[href="#f-{key}"]').count() == 1
    assert page.locator(f'[id="e-{key}"]').count() == 1
    through_the_steps(page, draft, tmp_path)
    with page.expect_navigation():
        page.click("#submit-application")
    case = Case.objects.get(applicant__username=MOTHER.id_number)
    assert page.inner_text("#case-number").strip() == case.number
    with page.expect_navigation():
        page.click("#case-link")
    assert page.inner_text("#case-number").strip() == case.number
    context.close()
