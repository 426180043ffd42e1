"""Going through 一表申请 as steps in the browser (templates/apply/step.html): fill what
is empty on each step with the form's example values, upload a file for every material
control, continue until 核对信息. Shared by the browser journeys."""

from onething.apply import selectors
from onething.apply.models import Draft

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def on_a_step(page) -> bool:
    return page.locator("form.step-form").count() == 1


def empty_keys(page) -> list[str]:
    """The field keys of the step shown whose control is empty (and can be changed)."""
    keys = []
    for key in page.locator("form.step-form [data-key]").evaluate_all("els => els.map(e => e.dataset.key)"):
        control = page.locator(f'[id="f-{key}"]')
        if control.is_disabled() or control.get_attribute("readonly") is not None:
            continue
        if control.input_value() == "":
            keys.append(key)
    return keys


def fill_step(page, draft: Draft, tmp_path, values: dict | None = None) -> None:
    """Fill the step shown: ``values`` by key first, else each empty field's example;
    a file for every material upload control."""
    form = selectors.form_for(version=draft.version, answers=draft.answers)
    values = values or {}
    for key in empty_keys(page):
        field = form.by_key[key]
        value = str(values.get(key, field.example()))
        if field.type in {"enum", "boolean"}:
            page.select_option(f'[id="f-{key}"]', value)
        else:
            page.fill(f'[id="f-{key}"]', value)
    files = page.locator("form.step-form input[type=file]")
    if files.count():
        proof = tmp_path / "proof.pdf"
        proof.write_bytes(PDF)
        for index in range(files.count()):
            files.nth(index).set_input_files(str(proof))


def continue_step(page) -> None:
    with page.expect_navigation():
        page.click("#step-next")


def through_the_steps(page, draft: Draft, tmp_path, values: dict | None = None, each=None) -> None:
    """From the step shown to 核对信息; ``each(page)`` is called on every page reached."""
    while on_a_step(page):
        fill_step(page, draft, tmp_path, values)
        continue_step(page)
        if each:
            each(page)
    assert page.locator("#check-answers").count() == 1, page.inner_text("main")[:2000]
