"""Phone first (#20): the main pages fit a 360 px phone and a desktop, pass axe-core, have
tap targets of at least 44 px, in the standard layout and in elders' mode (适老化); the skip
link, the elders' mode switch and the error summary work as a person would use them."""

import pytest

from tests.browser.checks import DESKTOP, PHONE, check_page
from tests.browser.pages import CITIZEN_SIDE, NOTICE_QUERY, PAGES, log_in, start_draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

MIN_TAP = 44

# every control a finger must hit: buttons, links styled as buttons, form controls, the
# labels of radios and check boxes, the header's and footer's links (inline links inside a
# sentence are exempt, as in WCAG 2.5.8)
TAP_TARGETS = """(min) => {
  const selector = "button, .button, select, textarea,"
    + " input:not([type=hidden]):not([type=radio]):not([type=checkbox]),"
    + " label.choice, fieldset.question label, .site-header a, .site-footer a, .crumbs a, td a,"
    + " .bundle-card h2 a, .error-summary a";
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    const style = getComputedStyle(el);
    if (el.getAttribute("aria-hidden") === "true" || el.closest(".sr-only")) continue;
    if (style.visibility === "hidden" || style.display === "none") continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.height < min - 0.5 || box.width < min - 0.5) {
      const name = `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${el.className}`;
      const text = (el.innerText || el.value || "").trim().slice(0, 20);
      small.push(`${name} "${text}" ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
  }
  return small;
}"""


def small_targets(page) -> list[str]:
    return page.evaluate(TAP_TARGETS, MIN_TAP)


def visit_all(page, base: str, *, elders: bool) -> list[str]:
    """Every page of PAGES at the page's viewport; the problems found, one line each."""
    problems = []
    logged_in = False
    if elders:
        page.goto(base + "/")
        page.click("#elders-toggle")
        page.wait_for_selector("html.elders")
    draft = ""
    for name, path, role in PAGES:
        if role not in CITIZEN_SIDE or path.startswith("/kiosk/"):
            continue  # staff pages and the kiosk (its own look, no elders' switch): their own browser tests
        if role and not logged_in:
            log_in(page, base, role)
            draft = start_draft(page, base)
            logged_in = True
        page.goto(base + path.replace("{draft}", draft))
        assert page.evaluate("document.documentElement.classList.contains('elders')") is elders, name
        try:
            check_page(page, where=f"{name} ({'elders' if elders else 'standard'})")
        except AssertionError as failure:
            problems.append(str(failure))
        problems += [f"{name}: tap target too small: {line}" for line in small_targets(page)]
    return problems


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize("elders", [False, True], ids=["standard", "elders"])
def test_main_pages_fit_pass_axe_and_have_large_tap_targets(browser, live_server, demo_catalogue, size, elders):
    context = browser.new_context(locale="zh-CN", viewport=size)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        problems = visit_all(page, live_server.url, elders=elders)
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_body_text_is_readable_on_a_phone(browser, live_server, demo_catalogue):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + "/bundles/child-birth/")
    size, line = page.evaluate(
        "() => { const s = getComputedStyle(document.querySelector('main .lead') || document.body);"
        " return [parseFloat(s.fontSize), parseFloat(s.lineHeight)]; }"
    )
    assert size >= 16 and line / size >= 1.5
    body = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert body >= 16
    context.close()


def test_elders_mode_is_one_tap_away_and_remembered_without_javascript(browser, live_server, demo_catalogue):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    base = live_server.url
    page.goto(base + "/bundles/child-birth/")
    standard = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main p.lead')).fontSize)")
    assert page.inner_text("#elders-toggle") == "长辈模式"
    page.click("#elders-toggle")
    # back on the same page, larger
    assert page.url.endswith("/bundles/child-birth/")
    assert page.evaluate("document.documentElement.className") == "elders"
    larger = page.evaluate("parseFloat(getComputedStyle(document.querySelector('main p.lead')).fontSize)")
    assert larger >= standard * 1.2
    assert page.get_attribute("#elders-toggle", "aria-pressed") == "true"
    # remembered on the next pages
    page.goto(base + f"/bundles/child-birth/notice/?{NOTICE_QUERY}")
    assert page.evaluate("document.documentElement.className") == "elders"
    page.goto(base + "/accessibility/")
    assert page.evaluate("document.documentElement.className") == "elders"
    # and off again with one tap
    page.click("#elders-toggle")
    assert page.url.endswith("/accessibility/")
    assert page.evaluate("document.documentElement.className") == ""
    assert page.inner_text("#elders-toggle") == "长辈模式"
    context.close()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_skip_link_is_first_and_moves_focus_to_main(browser, live_server, demo_catalogue, size):
    context = browser.new_context(locale="zh-CN", viewport=size)
    page = context.new_page()
    page.goto(live_server.url + f"/bundles/child-birth/notice/?{NOTICE_QUERY}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.evaluate("document.activeElement.innerText") == "跳到主要内容"
    # visible while focused
    assert page.evaluate("document.activeElement.getBoundingClientRect().top") >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    assert page.evaluate("document.activeElement.tagName") == "MAIN"
    context.close()


def test_footer_links_the_accessibility_statement(page, live_server, demo_catalogue):
    page.goto(live_server.url + "/")
    page.click("#footer-accessibility")
    assert page.inner_text("h1").startswith("无障碍声明")
    for part in ("#tested", "#gaps", "#report"):
        assert page.locator(part).count() == 1
    tested = page.inner_text("#tested")
    assert "360×740" in tested and "1366×900" in tested and "axe-core" in tested and "长辈模式" in tested


def test_error_summary_counts_problems_and_links_to_each_field(browser, live_server, demo_catalogue):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    assert page.get_attribute("main form", "novalidate") is not None
    page.locator("main form button[type=submit]").last.click()  # nothing filled in
    page.wait_for_selector("#form-errors")
    assert "共有 2 处需要修改" in page.inner_text("#form-errors h2")
    links = page.locator("#form-errors a")
    assert links.count() == 2
    for i in range(2):
        target = links.nth(i).get_attribute("href")
        assert target.startswith("#") and page.locator(target).count() == 1
    links.first.click()
    assert page.evaluate("document.activeElement.name") == "identity"
    context.close()


def test_questionnaire_errors_are_counted_and_linked(page, live_server, demo_catalogue):
    page.goto(live_server.url + "/bundles/child-birth/")
    page.click("form.questionnaire button[type=submit]")  # no answer: the server says what is missing
    page.wait_for_selector("#answer-errors")
    heading = page.inner_text("#answer-errors h2")
    count = page.locator("#answer-errors li").count()
    assert count >= 1 and f"共有 {count} 处需要修改" in heading
    for href in page.locator("#answer-errors a").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        assert page.locator(href).count() == 1


def test_notice_puts_what_to_do_first_and_stacks_tables_on_a_phone(browser, live_server, demo_catalogue):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + f"/bundles/child-birth/notice/?{NOTICE_QUERY}")
    order = page.evaluate(
        "() => ['#to-do', '.notice-items', '#held'].map(s => document.querySelector(s).getBoundingClientRect().top)"
    )
    assert order == sorted(order)
    assert page.locator("#materials-to-bring tbody tr[data-material]").count() >= 1
    assert page.locator("#materials-held tbody tr.shared").count() >= 1
    # a row is a card: its cells one under another, each with its column's name
    row = page.locator(".notice-items tbody tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    label = row.locator("td[data-label]").first.evaluate("td => getComputedStyle(td, '::before').content")
    assert label.strip('"') == "部门"
    assert page.locator(".notice-items thead").evaluate("t => t.getBoundingClientRect().height") <= 1
    context.close()


def test_file_inputs_have_a_chinese_button_and_show_the_chosen_name(browser, live_server, demo_catalogue, tmp_path):
    """site.js turns every file input into a large "选择文件" button with the file's name beside it."""
    context = browser.new_context(locale="en-US", viewport=PHONE)  # an English browser: still Chinese
    page = context.new_page()
    base = live_server.url
    log_in(page, base, "citizen")
    start_draft(page, base)  # lands on the form's first step; the files are on the materials step
    page.goto(page.url.split("/steps/")[0] + "/steps/materials/")
    picker = page.locator(".file-pick").first
    assert picker.locator("button.file-button").inner_text() == "选择文件"
    assert picker.locator(".file-name").inner_text() == "未选择文件"
    box = picker.locator("button.file-button").bounding_box()
    assert box["height"] >= MIN_TAP and box["width"] >= MIN_TAP
    proof = tmp_path / "出生证明.pdf"
    proof.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with page.expect_file_chooser() as chooser:
        picker.locator("button.file-button").click()
    chooser.value.set_files(str(proof))
    assert picker.locator(".file-name").inner_text() == "已选择：出生证明.pdf"
    context.close()
