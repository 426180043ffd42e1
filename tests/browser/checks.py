"""What every page of every role must pass in the browser (#20): it fits the viewport
with no horizontal scrolling, and axe-core finds no violation of serious or critical
impact (axe-playwright-python carries axe-core; nothing is downloaded).

    from tests.browser.checks import PHONE, DESKTOP, check_page
    check_page(page)            # after page.goto(...)
"""

from axe_playwright_python.sync_playwright import Axe

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 900}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
BLOCKING = {"serious", "critical"}

_axe = Axe()


def overflow(page) -> int:
    """How many CSS pixels the page is wider than its viewport (0 when it fits)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )


def blocking_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page, one readable line each."""
    results = _axe.run(page)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") in BLOCKING:
            targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
            found.append(f"{violation['impact']} {violation['id']}: {violation['help']} — {targets}")
    return found


def check_page(page, *, where: str = "") -> None:
    """Assert the page fits its viewport and has no serious or critical axe violation."""
    label = where or page.url
    extra = overflow(page)
    assert extra <= 0, f"{label}: {extra} px of horizontal overflow at {page.viewport_size}"
    problems = blocking_violations(page)
    assert not problems, f"{label}: axe found\n" + "\n".join(problems)
