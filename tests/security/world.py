"""One small world for the security tests, built once per test module.

Citizen A (the demo mother) owns everything: a concluded child-birth case routed to centre
X (huangpu) with an item case at department P (hrss, social security card; switched to the
workbench so its officer decides there), a second case still being worked, a case returned
once and then refused, an open draft, an upload, a bad rating with its rectification, the
licences issued and the audit events all of this wrote. Citizen B (the demo citizen),
the clerk of centre Y (xuhui) and the officer of department Q (tax, not in the child-birth
bundle) own nothing of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from onething.operations.management.commands.load_demo import ADMIN_USERNAME

CENTRE_X, CENTRE_Y = "huangpu", "xuhui"
DEPARTMENT_P, DEPARTMENT_Q = "hrss", "tax"
USERNAMES = {
    "clerk_x": "clerk-huangpu",
    "clerk_y": "clerk-xuhui",
    "officer_p": f"officer-{DEPARTMENT_P}",
    "officer_q": f"officer-{DEPARTMENT_Q}",
    "admin": ADMIN_USERNAME,
}


@dataclass
class World:
    users: dict[str, Any]
    concluded: Any  # Case: citizen A, centre X, concluded, licences collected, rated
    live: Any  # Case: citizen A, centre X, accepted, item case at P still to decide
    refused: Any  # Case: citizen A, centre X, returned once (correction round 1), then refused
    submitted: Any  # Case: citizen A, centre X, waiting in the clerks' pre-review queue
    item_case: Any  # ItemCase of ``live`` at department P, received
    draft: Any  # Draft: citizen A's open draft
    upload: Any  # Upload: citizen A's, a material of ``live`` needed by P's item
    licence: Any  # IssuedLicence of ``concluded``
    rectification: Any  # Rectification of department P, from citizen A's bad rating
    deferred_check: Any  # MaterialCheck of ``live``: deferred, not yet supplied
    audit_event: Any  # AuditEvent of ``concluded``
    message: Any  # Message: citizen A's 站内信 about ``concluded``

    def user(self, role: str):
        return self.users.get(role)


def build_world() -> World:
    """Everything the security tests need. The settings must point at the live data hub
    and department service, as ``wired_demo`` does (tests/security/conftest.py)."""
    from django.core.management import call_command

    from onething.apply import services as apply_services
    from onething.audit.models import AuditEvent
    from onething.catalog.selectors import published_version
    from onething.intake.models import MaterialCheck
    from onething.issuance import services as issuance_services
    from onething.issuance.models import IssuedLicence
    from onething.notifications.models import Message
    from onething.oversight import ratings
    from onething.oversight.models import Rectification
    from onething.processing.models import DepartmentEndpoint, ItemCase
    from services.datahub.demo_identities import CITIZEN, MOTHER
    from tests.conftest import make_citizen
    from tests.issuance.test_issuance import conclude
    from tests.processing.conftest import ANSWERS, accepted_case

    call_command("load_demo", verbosity=0)
    DepartmentEndpoint.objects.filter(department__code=DEPARTMENT_P).update(
        adapter=DepartmentEndpoint.Adapter.WORKBENCH
    )
    User = get_user_model()
    users = {"anonymous": None, "citizen_a": make_citizen(MOTHER), "citizen_b": make_citizen(CITIZEN)}
    users |= {role: User.objects.get(username=name) for role, name in USERNAMES.items()}

    concluded = accepted_case(users["citizen_a"])
    conclude(concluded)
    for licence in IssuedLicence.objects.filter(case=concluded):
        issuance_services.licence_collect(licence_id=licence.pk)
    concluded.refresh_from_db()
    rating = ratings.rating_submit(
        case=concluded, citizen=users["citizen_a"], target=f"department:{DEPARTMENT_P}", level=1, comment="太慢了"
    )
    rectification = Rectification.objects.get(rating=rating)

    live = accepted_case(users["citizen_a"])
    item_case = _until_received(live, department=DEPARTMENT_P)
    # no word from the department for a day: on the dashboard's attention panel
    ItemCase.objects.filter(pk=item_case.pk).update(state_changed_at=timezone.now() - timedelta(days=1))
    upload = _upload_needed_by(live, item_case)
    deferred_check = MaterialCheck.objects.create(
        case=live, key="security-deferred", name="容缺材料", outcome=MaterialCheck.Outcome.DEFERRED
    )

    version = published_version(bundle_code="child-birth")
    refused = _returned_then_refused(users, version)
    submitted = _submitted(users["citizen_a"], version)
    _failed_login(MOTHER.id_number)
    draft = apply_services.draft_start(applicant=users["citizen_a"], version=version, raw_answers=ANSWERS)
    return World(
        users=users,
        concluded=concluded,
        live=live,
        refused=refused,
        submitted=submitted,
        item_case=item_case,
        draft=draft,
        upload=upload,
        licence=IssuedLicence.objects.filter(case=concluded).order_by("pk").first(),
        rectification=rectification,
        deferred_check=deferred_check,
        audit_event=AuditEvent.objects.filter(case_number=concluded.number).order_by("pk").first(),
        message=Message.objects.get(recipient=users["citizen_a"], dedup_key=f"case-concluded:{concluded.number}"),
    )


def _until_received(case, *, department: str, timeout: float = 20.0):
    """Let the department service work the case's other item cases until the item case of
    ``department`` (a workbench department, waiting for an upstream licence) is received."""
    import time

    from onething.processing import services as processing
    from onething.processing.models import ItemCase
    from tests.processing.test_flow import dispatch_ready

    S = ItemCase.State
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dispatch_ready(case)
        target = ItemCase.objects.get(case=case, department__code=department)
        if target.state == S.RECEIVED:
            return target
        working = ItemCase.objects.filter(case=case, state__in=[S.RECEIVED, S.IN_PROGRESS]).exclude(pk=target.pk)
        for other in working.select_related("department__endpoint", "case"):
            processing.poll(item_case=other)
        time.sleep(0.1)
    raise AssertionError(f"the item case at {department} was never received: {target.state}")


def _upload_needed_by(case, item_case):
    """An uploaded material of ``case`` that ``item_case`` needs (so its officer may read it)."""
    material = next(m for m in case.materials.exclude(upload=None).order_by("pk") if item_case.item_code in m.needed_by)
    return material.upload


def _submitted(applicant, version):
    from onething.apply import selectors as apply_selectors
    from onething.apply import services as apply_services
    from tests.processing.conftest import ANSWERS

    draft = apply_services.draft_start(applicant=applicant, version=version, raw_answers=ANSWERS)
    form = apply_selectors.form_for(version=version, answers=draft.answers)
    return apply_services.draft_submit(
        draft=draft, raw_data={f.key: f.example() for f in form.fields if f.key not in draft.data}
    )


def _failed_login(identity: str) -> None:
    """A wrong password for citizen A: a django-axes AccessAttempt row carrying her ID number."""
    from django.test import Client
    from django.urls import reverse

    Client().post(reverse("accounts:login"), {"identity": identity, "password": "wrong-password"})


def _returned_then_refused(users, version):
    from onething.intake import services as intake_services

    case = _submitted(users["citizen_a"], version)
    assert case.centre.code == CENTRE_X, case.centre
    intake_services.case_return(
        case=case,
        clerk=users["clerk_x"],
        corrections=[{"kind": "field", "key": "applicant.mobile", "message": "手机号码无法接通，请核对"}],
    )
    case.refresh_from_db()
    intake_services.case_resubmit(case=case, applicant=users["citizen_a"], raw_data={})
    return intake_services.case_refuse(case=case, clerk=users["clerk_x"], reason="不符合受理条件")


# --- turning matrix probes into requests ------------------------------------------------------


def resolve(value, world: World):
    """``@concluded.number`` → that attribute path of the world; anything else as is."""
    if not (isinstance(value, str) and value.startswith("@")):
        return value
    target: Any = world
    for part in value[1:].split("."):
        target = getattr(target, part)
    return target


def client_for(role: str, world: World, **client_kwargs):
    """A test client signed in as ``role`` (or anonymous)."""
    from django.test import Client

    client = Client(**client_kwargs)
    if world.user(role) is not None:
        client.force_login(world.user(role))
    return client


def start_window_session(client) -> str:
    """Begin a walk-in intake at the window as the signed-in clerk; the session's token."""
    from django.urls import reverse

    from services.datahub.demo_identities import CITIZEN

    response = client.post(
        reverse("intake:window"),
        {"id_number": CITIZEN.id_number, "full_name": CITIZEN.name, "mobile": CITIZEN.mobile or "13800000000"},
    )
    assert response.status_code == 302, response.content[:500]
    return response["Location"].rstrip("/").split("/")[-2]
