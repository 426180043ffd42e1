"""Screenshots of the main pages at phone and desktop size into docs/screenshots/ (#20).

Skipped unless SCREENSHOTS=1; ``bin/screenshots`` runs it. The pages are the one list in
tests/browser/pages.py (add a line there to add a page). JPEG, full page, so the folder
stays small; the same run rewrites every file."""

import os
from pathlib import Path

import pytest

from tests.browser.checks import SIZES
from tests.browser.pages import PAGES, log_in, start_draft

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(os.environ.get("SCREENSHOTS") != "1", reason="SCREENSHOTS=1 makes the screenshots"),
]

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# a few pages also in elders' mode on a phone, to show what it changes
ELDERS = {"catalogue", "notice"}


def shoot(browser, base: str, size_name: str, *, elders: bool) -> list[Path]:
    context = browser.new_context(locale="zh-CN", viewport=SIZES[size_name], device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(20000)
    written = []
    role_now = None
    draft = ""
    try:
        if elders:
            page.goto(base + "/")
            page.click("#elders-toggle")
            page.wait_for_selector("html.elders")
        for name, path, role in PAGES:
            if elders and (name not in ELDERS or size_name != "phone"):
                continue
            if role != role_now:
                context.clear_cookies()
                if elders:
                    context.add_cookies([{"name": "elders", "value": "1", "url": base}])
                if role:
                    log_in(page, base, role)
                    if role == "citizen":
                        draft = start_draft(page, base)
                role_now = role
            page.goto(base + path.replace("{draft}", draft))
            page.wait_for_load_state("networkidle")
            target = OUT / f"{name}{'-elders' if elders else ''}-{size_name}.jpg"
            page.screenshot(path=str(target), full_page=True, type="jpeg", quality=60)
            written.append(target)
    finally:
        context.close()
    return written


def test_screenshots(browser, live_server, demo_catalogue, datahub_settings):
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    for size_name in SIZES:
        written += shoot(browser, live_server.url, size_name, elders=False)
        written += shoot(browser, live_server.url, size_name, elders=True)
    assert written and all(path.stat().st_size > 0 for path in written)
    index = ["# Screenshots", "", "Made by `bin/screenshots` (tests/browser/test_screenshots.py) on the demo data.", ""]
    index += ["| page | phone 360×740 | desktop 1366×900 |", "| --- | --- | --- |"]
    names = []
    for path in written:
        stem = path.stem.rsplit("-", 1)[0]
        if stem not in names:
            names.append(stem)
    for stem in names:
        cells = [f"[{size}]({stem}-{size}.jpg)" if (OUT / f"{stem}-{size}.jpg").exists() else "—" for size in SIZES]
        index.append(f"| {stem} | {' | '.join(cells)} |")
    (OUT / "README.md").write_text("\n".join(index) + "\n", encoding="utf-8")
