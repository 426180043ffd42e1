"""Personal data (issue 7): resident ID numbers and mobile numbers are masked in every
list, CSV export and log line, except on the pages where the role needs them (listed in
docs/security.md and checked below, so the list stays true); uploaded files are never
served without a permission check. (Login throttling is tested in tests/accounts:
test_services.py, test_pages.py and test_api.py.)

The world is tests/security/world.py (citizen A's cases at centre X and department P).
"""

from __future__ import annotations

import logging
import re

import pytest
from django.contrib import admin
from django.urls import reverse

from onething.oversight import csv_export
from services.datahub import demo_identities as hub
from tests.security.world import client_for

pytestmark = pytest.mark.django_db

PEOPLE = [hub.MOTHER, hub.FATHER, hub.CITIZEN, hub.NEWBORN]
ID_NUMBERS = [p.id_number for p in PEOPLE]
MOBILES = [p.mobile for p in PEOPLE if getattr(p, "mobile", None)]
# any resident ID (17 digits and a check character) or mainland mobile number, standing alone
RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


def leaks(text: str) -> list[str]:
    """Full ID numbers and mobile numbers in ``text`` (the demo people's, and any other)."""
    found = {value for value in ID_NUMBERS + MOBILES if value in text}
    found |= set(RESIDENT_ID.findall(text)) | set(MOBILE.findall(text))
    return sorted(found)


def body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8-sig", errors="replace")


def get(world, role: str, url: str):
    response = client_for(role, world).get(url)
    assert response.status_code == 200, f"{url} as {role}: {response.status_code}"
    return body(response)


def test_the_demo_people_have_what_we_look_for(world):
    """The check is worth something only if the data it looks for exists."""
    assert len(ID_NUMBERS) == 4 and len(MOBILES) >= 2
    assert world.users["citizen_a"].id_number == hub.MOTHER.id_number and world.users["citizen_a"].mobile


# --- lists and exports of staff ---------------------------------------------------------------

STAFF_LISTS = [
    ("clerk_x", "intake:queue", {}),
    ("clerk_x", "api-intake-queue", {}),
    ("clerk_x", "issuance:handover_find", {}),
    ("officer_p", "workbench:queue", {}),
    ("officer_p", "oversight:rectifications", {}),
    ("admin", "oversight:rectifications", {}),
    ("clerk_x", "oversight:rectifications", {}),
]
for role in ("admin", "clerk_x", "officer_p"):
    STAFF_LISTS += [
        (role, "oversight:audit", {}),
        (role, "oversight:audit-export", {}),
        (role, "oversight:dashboard-items", {}),
        (role, "oversight:dashboard-attention", {}),
        (role, "oversight:dashboard-ratings", {}),
    ]
    if role != "officer_p":  # officers are sent on to the item panels
        STAFF_LISTS.append((role, "oversight:dashboard", {}))


@pytest.mark.parametrize(("role", "name", "kwargs"), STAFF_LISTS, ids=[f"{n}-{r}" for r, n, _k in STAFF_LISTS])
def test_lists_show_no_full_id_or_mobile(world, role, name, kwargs):
    text = get(world, role, reverse(name, kwargs=kwargs))
    assert not leaks(text), f"{name} as {role} shows {leaks(text)}"


def test_the_lists_do_show_citizen_a_masked(world):
    """Not vacuous: the queue and the audit log do list citizen A, masked."""
    from onething.identity.masking import mask_id_number

    assert mask_id_number(hub.MOTHER.id_number) in get(world, "clerk_x", reverse("intake:queue"))
    assert world.submitted.number in get(world, "clerk_x", reverse("intake:queue"))
    assert world.concluded.number in get(world, "admin", reverse("oversight:audit-export"))


EXPORTS = [
    (role, table)
    for role in ("admin", "clerk_x", "officer_p")
    for table, spec in csv_export.TABLES.items()
    if not (spec.case_level and role == "officer_p")
]


@pytest.mark.parametrize(("role", "table"), EXPORTS, ids=[f"{t}-{r}" for r, t in EXPORTS])
def test_dashboard_exports_show_no_full_id_or_mobile(world, role, table):
    text = get(world, role, reverse("oversight:dashboard-export", kwargs={"table": table}))
    assert not leaks(text), f"export {table} as {role} shows {leaks(text)}"


def test_audit_events_are_masked_for_clerks_and_officers(world):
    from onething.audit.models import AuditEvent

    events = AuditEvent.objects.filter(case_number__in=[world.concluded.number, world.live.number])
    assert events.count() > 5
    for role in ("clerk_x", "officer_p"):
        for event in events.filter(case_number=world.concluded.number):
            text = get(world, role, reverse("oversight:audit-event", kwargs={"pk": event.pk}))
            assert not leaks(text), f"audit event {event.pk} ({event.action}) as {role} shows {leaks(text)}"


# --- the Django admin ---------------------------------------------------------------------------


def _changelists():
    return sorted(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist" for m in admin.site._registry)


@pytest.mark.parametrize("name", _changelists())
def test_admin_changelists_show_no_full_id_or_mobile(world, name):
    text = get(world, "admin", reverse(name))
    assert not leaks(text), f"{name} shows {leaks(text)}"


def test_admin_changelists_cover_people_and_cases():
    names = _changelists()
    for expected in (
        "accounts_user",
        "axes_accessattempt",
        "axes_accesslog",
        "notifications_notification",
        "audit_auditevent",
    ):
        assert f"admin:{expected}_changelist" in names


# --- where the role needs the full number (docs/security.md, "Where numbers are shown") --------


def test_the_clerk_sees_the_full_id_on_the_case_page_for_the_identity_check(world):
    text = get(world, "clerk_x", reverse("intake:case", kwargs={"number": world.submitted.number}))
    assert hub.MOTHER.id_number in text


def test_the_handler_of_a_rectification_sees_the_mobile_to_call_and_others_do_not(world):
    url = reverse("oversight:rectification", kwargs={"pk": world.rectification.pk})
    assert hub.MOTHER.mobile in get(world, "officer_p", url)
    assert not leaks(get(world, "admin", url))


def test_the_officer_sees_the_application_data_the_department_decides_on(world):
    text = get(world, "officer_p", reverse("workbench:detail", kwargs={"pk": world.item_case.pk}))
    assert leaks(text)  # the form data of the item (e.g. the applicant's mobile)
    assert not leaks(get(world, "officer_p", reverse("workbench:queue")))


def test_the_administrator_reads_audit_events_raw_others_masked(world):
    from onething.audit.models import AuditEvent

    # citizen A's own action: her account (named by her ID number) is the actor
    event = AuditEvent.objects.filter(case_number=world.concluded.number, actor=world.users["citizen_a"]).first()
    url = reverse("oversight:audit-event", kwargs={"pk": event.pk})
    assert hub.MOTHER.id_number in get(world, "admin", url)
    assert not leaks(get(world, "clerk_x", url))


def test_the_applicant_sees_her_own_numbers(world):
    text = get(world, "citizen_a", reverse("apply:case", kwargs={"number": world.concluded.number}))
    assert hub.MOTHER.id_number in text


# --- logs --------------------------------------------------------------------------------------


def _written(records: list[logging.LogRecord]) -> str:
    """What the configured console handler (settings.LOGGING: its filters, then its
    formatter) writes for these records; the raw messages too, for the source checks."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    return "\n".join(handler.format(record) for record in records if handler.filter(record))


def test_a_case_from_notice_to_conclusion_logs_no_id_number(world, caplog, client):
    """Submit, accept, dispatch, work at the department, conclude, register the licences,
    with every logger at DEBUG (HTTP libraries included): no full ID or mobile anywhere."""
    from onething.issuance import services as issuance
    from onething.issuance.models import IssuedLicence
    from tests.issuance.test_issuance import conclude
    from tests.processing.conftest import accepted_case

    caplog.set_level(logging.DEBUG)
    client.force_login(world.users["citizen_a"])
    client.get(reverse("apply:start", kwargs={"code": "child-birth"}) + "?" + "birth_place=local_hospital")
    case = accepted_case(world.users["citizen_a"])
    conclude(case)
    for licence in IssuedLicence.objects.filter(case=case):
        issuance.licence_collect(licence_id=licence.pk)
    assert len(caplog.records) > 10  # the logs were captured at all
    text = _written(caplog.records)
    assert not leaks(text), f"logged: {leaks(text)}"


def test_a_data_hub_outage_logs_no_id_number(world, caplog, settings):
    """The prefill's warning when the hub is down must not carry the URL it asked for
    (/v1/persons/<ID number>)."""
    import socket

    from onething.apply import services as apply_services
    from onething.catalog.selectors import published_version
    from tests.processing.conftest import ANSWERS

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.DATAHUB_URL = f"http://127.0.0.1:{probe.getsockname()[1]}"
    settings.DATAHUB_TIMEOUT = 0.5
    caplog.set_level(logging.DEBUG)
    apply_services.draft_start(
        applicant=world.users["citizen_a"], version=published_version(bundle_code="child-birth"), raw_answers=ANSWERS
    )
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings, "the outage was not logged"
    # at the source: the data hub client's error names the hub, not the URL it asked for
    assert not leaks("\n".join(r.getMessage() for r in warnings)), [r.getMessage() for r in warnings]
    text = _written(caplog.records)
    assert not leaks(text), f"logged: {leaks(text)}"


def test_the_log_filter_masks_messages_extras_and_tracebacks():
    """Whoever logs a number, the console handler writes it masked (text and JSON)."""
    from onething.common.redaction import PersonalDataFilter
    from onething.operations.logging import JsonFormatter

    def record(**extra) -> logging.LogRecord:
        try:
            raise ValueError(f"no person {hub.MOTHER.id_number}")
        except ValueError:
            import sys

            made = logging.LogRecord("x", logging.ERROR, __file__, 1, "asked %s, mobile %s", None, sys.exc_info())
        made.args = (hub.MOTHER.id_number, hub.MOTHER.mobile)
        made.__dict__.update(extra)
        return made

    for formatter in (logging.Formatter("%(message)s"), JsonFormatter()):
        shown = record(path=f"/v1/persons/{hub.CITIZEN.id_number}")
        assert PersonalDataFilter().filter(shown)
        text = formatter.format(shown)
        assert not leaks(text), text
        assert "3101**********" in text and "ValueError" in text
        assert shown.path == "/v1/persons/3101**********" + hub.CITIZEN.id_number[-4:]


# --- uploads -------------------------------------------------------------------------------------


def test_uploads_are_served_only_after_the_permission_check(world):
    """Every role on the download URL of citizen A's upload (also in the matrix), and the
    file never sits under the web root or the static files."""
    from django.conf import settings

    url = reverse("apply:upload-download", kwargs={"pk": world.upload.pk})
    readers = {"citizen_a", "clerk_x", "officer_p", "admin"}
    for role in world.users:
        response = client_for(role, world).get(url)
        if role in readers:
            assert response.status_code == 200, role
            assert response["X-Content-Type-Options"] == "nosniff" and "no-store" in response["Cache-Control"]
        elif role == "anonymous":
            assert response.status_code == 302 and response["Location"].startswith(settings.LOGIN_URL)
        else:
            assert response.status_code == 404, role
    upload_root = str(settings.UPLOAD_ROOT.resolve())
    assert not upload_root.startswith(str(settings.STATIC_ROOT)), "uploads must not be served as static files"
    assert not upload_root.startswith(str(settings.BASE_DIR / "static"))


def test_an_unknown_upload_is_404_like_someone_elses(world):
    client = client_for("citizen_b", world)
    theirs = client.get(reverse("apply:upload-download", kwargs={"pk": world.upload.pk}))
    missing = client.get(reverse("apply:upload-download", kwargs={"pk": 999_999}))
    assert theirs.status_code == missing.status_code == 404
