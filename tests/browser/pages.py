"""The main pages, one list for the phone-first checks (test_phone_first.py) and the
screenshots (bin/screenshots → docs/screenshots/). To add a page: one line here.

Each entry is (name, path, role); role None is a visitor who has not logged in, otherwise one
of ROLES (the demo accounts of load_demo). A path may name "{draft}", the visitor's draft
made on the way (see open_page)."""

from onething.operations.management.commands.load_demo import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    CLERK_PASSWORD,
    DEMO_PASSWORD,
    OFFICER_PASSWORD,
)
from services.datahub.demo_identities import MOTHER

NOTICE_QUERY = "birth_place=local_hospital&married=true&mother_insured=true"

PAGES: list[tuple[str, str, str | None]] = [
    ("catalogue", "/", None),
    ("bundle-questions", "/bundles/child-birth/", None),
    ("notice", f"/bundles/child-birth/notice/?{NOTICE_QUERY}", None),
    ("login", "/accounts/login/", None),
    ("signup", "/accounts/signup/", None),
    ("accessibility-statement", "/accessibility/", None),
    ("my-applications", "/my/", "citizen"),
]

ROLES = {
    "citizen": (MOTHER.id_number, DEMO_PASSWORD),
    "clerk": ("clerk-huangpu", CLERK_PASSWORD),
    "officer": ("officer-agriculture", OFFICER_PASSWORD),
    "admin": (ADMIN_USERNAME, ADMIN_PASSWORD),
}


def log_in(page, base: str, role: str) -> None:
    identity, password = ROLES[role]
    page.goto(base + "/accounts/login/")
    page.fill("input[name=identity]", identity)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_selector("#who")


def start_draft(page, base: str) -> None:
    """The logged-in citizen starts a child-birth application, so "my applications" lists a draft."""
    page.goto(f"{base}/bundles/child-birth/notice/?{NOTICE_QUERY}")
    page.click("#apply-link")
    page.wait_for_load_state()
