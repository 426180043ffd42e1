"""A citizen finds child birth in the catalogue, answers the questions and reads the notice."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_catalogue_questions_notice(page, live_server, demo_catalogue, tmp_path):
    page.goto(live_server.url + "/")
    cards = page.locator(".bundle-card")
    assert cards.count() >= 5
    page.fill("#q", "出生")
    page.click(".search button")
    page.locator(".bundle-card[data-code=child-birth] h2 a").click()
    page.wait_for_selector("form.questionnaire")
    # answer every question with its first choice ("yes" for yes/no)
    for fieldset in page.locator("fieldset.question").all():
        first = fieldset.locator("input").first
        if first.get_attribute("type") == "radio":
            first.check()
    page.click("form.questionnaire button[type=submit]")
    page.wait_for_selector(".notice-items")
    assert "一次告知单" in page.title()
    assert page.locator(".notice-items tbody tr").count() >= 3
    assert page.locator(".notice-materials tbody tr").count() >= 3
    assert int(page.inner_text("#bundle-days")) > 0
    assert page.locator("#reductions tbody tr").count() == 4
    page.screenshot(path=str(tmp_path / "notice.png"), full_page=True)
    with page.expect_response(lambda r: "notice.pdf" in r.url) as pdf:
        page.evaluate("url => fetch(url)", page.get_attribute("#pdf-link", "href"))
    assert pdf.value.status == 200 and pdf.value.headers["content-type"] == "application/pdf"
