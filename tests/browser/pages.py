"""The main pages, one list for the phone-first checks (test_phone_first.py) and the
screenshots (bin/screenshots → docs/screenshots/). To add a page: one line here.

Each entry is (name, path, role); role None is a visitor who has not logged in, otherwise one
of ROLES (the demo accounts of load_demo). A path may begin with "{draft}": the citizen's draft
started on the way (start_draft). Staff pages are checked by their own browser tests
(test_staff_pages.py); here they are in the screenshots."""

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
    ("kiosk-home", "/kiosk/", None),
    ("my-applications", "/my/", "citizen"),
    ("form-step-applicant", "{draft}/steps/applicant/", "citizen"),
    ("form-step-materials", "{draft}/steps/materials/", "citizen"),
    ("check-answers", "{draft}/check/", "citizen"),
    ("messages", "/messages/", "citizen"),
    ("clerk-queue", "/console/", "clerk"),
    ("officer-workbench", "/workbench/", "officer"),
    ("audit-log", "/oversight/audit/", "admin"),
]
CITIZEN_SIDE = {None, "citizen"}

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


def log_in_with(page, base: str, identity: str, password: str) -> None:
    """Log in as anyone (the keyboard's Enter, as a clerk would), after dropping any session."""
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    page.fill("input[name=identity]", identity)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    page.wait_for_selector("#who")


def start_draft(page, base: str) -> str:
    """The logged-in citizen starts a child-birth application, so "my applications" lists a
    draft; the draft's own path (/my/drafts/<id>), for the pages that begin with "{draft}"."""
    page.goto(f"{base}/bundles/child-birth/notice/?{NOTICE_QUERY}")
    page.click("#apply-link")
    page.wait_for_load_state()
    return page.url.removeprefix(base).split("/steps/")[0]
