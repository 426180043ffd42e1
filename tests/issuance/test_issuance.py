"""统一发证 end to end with the real department service and the real data hub: licences
collected on the case, registered in the hub and usable by a later bundle; the result
notice and the ZIP; delivery by pickup (identity checked, once) or mail."""

import io
import time
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from pypdf import PdfReader

from onething.audit.models import AuditEvent
from onething.cases.models import Case
from onething.issuance import services
from onething.issuance.errors import IssuanceError, TransientIssuanceError
from onething.issuance.models import Delivery, IssuedLicence
from onething.processing import services as processing
from onething.processing.adapters.base import DepartmentStatus
from onething.processing.models import ItemCase
from tests.processing.conftest import accepted_case
from tests.processing.test_flow import dispatch_ready, states

pytestmark = pytest.mark.django_db
L = IssuedLicence
S = ItemCase.State


def conclude(case: Case, timeout: float = 20.0) -> None:
    """Drive every item case to its end: departments with a system through the department
    service (polled), workbench departments by an officer's approval."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dispatch_ready(case)
        for item_case in ItemCase.objects.filter(case=case, state__in=[S.RECEIVED, S.IN_PROGRESS]).select_related(
            "department__endpoint", "case"
        ):
            if item_case.department.endpoint.adapter == "workbench":
                processing.apply_status(item_case_id=item_case.pk, status=DepartmentStatus(state=S.APPROVED))
            else:
                processing.poll(item_case=item_case)
        if all(ic.is_final for ic in ItemCase.objects.filter(case=case)):
            return
        time.sleep(0.1)
    raise AssertionError(f"not concluded: {states(case)}")


def concluded_case(applicant, **kwargs) -> Case:
    case = accepted_case(applicant, **kwargs)
    conclude(case)
    for licence in IssuedLicence.objects.filter(case=case):
        services.licence_collect(licence_id=licence.pk)
    case.refresh_from_db()
    return case


def clerk(username: str):
    return get_user_model().objects.get(username=username).clerk


def test_approved_items_leave_their_licences_on_the_case_registered_in_the_hub(wired_demo, mother):
    case = concluded_case(mother)
    assert case.state == Case.State.CONCLUDED
    with_certificate = ItemCase.objects.filter(case=case).exclude(certificate={})
    licences = IssuedLicence.objects.filter(case=case)
    assert licences.count() == with_certificate.count() >= 3
    birth = licences.get(licence_type="birth_medical_certificate")
    assert birth.holder == "" and birth.registration == L.Registration.NO_HOLDER  # never filed under the mother
    household = licences.get(licence_type="household_register")
    for licence in licences:
        assert licence.state == L.State.COLLECTED and bytes(licence.document).startswith(b"%PDF")
    registered = licences.filter(registration=L.Registration.REGISTERED)
    assert household in registered and registered.count() == licences.count() - 1
    from onething.identity.datahub import datahub_client

    with datahub_client() as hub:
        stored = hub.get_elicence(household.number)
        assert hub.get_elicence(birth.number) is None
    assert stored["holder"] == household.holder != mother.id_number and stored["type"] == "household_register"
    assert AuditEvent.objects.filter(case_number=case.number, action="licence.registered").count() == registered.count()


def test_collecting_twice_changes_nothing(wired_demo, mother):
    case = concluded_case(mother)
    licence = IssuedLicence.objects.filter(case=case).first()
    before = (licence.document_sha256, AuditEvent.objects.count())
    assert services.licence_collect(licence_id=licence.pk) == f"collected/{licence.registration}"
    licence.refresh_from_db()
    assert (licence.document_sha256, AuditEvent.objects.count()) == before


def test_hub_down_is_retried_later_and_nothing_is_lost(wired_demo, mother, settings):
    case = accepted_case(mother)
    conclude(case)
    licence = IssuedLicence.objects.filter(case=case).exclude(holder="").first()
    settings.DATAHUB_URL = "http://127.0.0.1:9"  # nothing listens
    with pytest.raises(TransientIssuanceError):
        services.licence_collect(licence_id=licence.pk)
    licence.refresh_from_db()
    assert licence.state == L.State.COLLECTED and licence.registration == L.Registration.PENDING
    assert "data hub" in licence.last_error


def test_an_unknown_licence_type_is_refused_once_and_not_retried(wired_demo, mother):
    case = accepted_case(mother)
    conclude(case)
    licence = IssuedLicence.objects.filter(case=case).exclude(holder="").first()
    IssuedLicence.objects.filter(pk=licence.pk).update(licence_type="no_such_licence")
    services.licence_collect(licence_id=licence.pk)
    licence.refresh_from_db()
    assert licence.registration == L.Registration.FAILED and "unknown_licence_type" in licence.last_error


def test_a_licence_issued_by_one_bundle_serves_the_next_without_bringing_it(wired_demo, settings):
    """company-startup issues the new company's business licence; the company's utility
    hook-up then finds it in the e-licence library (免提交)."""
    from onething.apply import services as apply_services
    from onething.catalog.selectors import published_version
    from services.datahub.demo_identities import ENTERPRISE_CREDIT_CODE

    founder = get_user_model().objects.get(username=ENTERPRISE_CREDIT_CODE)
    answers = {"company_type": "limited", "need_seal": False, "hire_staff": False, "need_invoice": False}
    startup = concluded_case(founder, bundle_code="company-startup", answers=answers)
    assert startup.state == Case.State.CONCLUDED
    licence = IssuedLicence.objects.get(case=startup, licence_type="business_licence")
    assert licence.registration == L.Registration.REGISTERED, licence.last_error
    new_company = get_user_model().objects.create_user(
        username=licence.holder, id_number=licence.holder, role="enterprise", full_name=licence.holder_name
    )
    draft = apply_services.draft_start(
        applicant=new_company,
        version=published_version(bundle_code="utility-hookup"),
        raw_answers={"services": ["water"], "road_works": False, "greening": False},
    )
    attached = draft.materials["business-licence"]
    assert attached["source"] == "elicence" and attached["licence_number"] == licence.number


def test_result_notice_and_zip_hold_every_outcome_and_certificate(wired_demo, mother, client):
    case = concluded_case(mother)
    client.force_login(mother)
    notice = client.get(reverse("issuance:notice", args=[case.number]))
    assert notice.status_code == 200 and notice["Content-Type"] == "application/pdf"
    text = "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(notice.content)).pages)
    assert "结果告知书" in text and case.number in text
    for item_case in ItemCase.objects.filter(case=case):
        assert item_case.item_name in text
    archive = client.get(reverse("issuance:zip", args=[case.number]))
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    licences = IssuedLicence.objects.filter(case=case)
    assert len(names) == 1 + licences.count()
    assert all(any(lic.filename in name for name in names) for lic in licences)
    assert AuditEvent.objects.filter(case_number=case.number, action="results.downloaded").count() == 2


def test_results_are_only_the_applicants(wired_demo, mother, other_citizen, client):
    case = concluded_case(mother)
    licence = IssuedLicence.objects.filter(case=case).first()
    urls = [
        reverse("issuance:notice", args=[case.number]),
        reverse("issuance:zip", args=[case.number]),
        reverse("issuance:licence", args=[case.number, licence.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404  # anonymous
    client.force_login(other_citizen)
    for url in urls:
        assert client.get(url).status_code == 404
    assert client.post(reverse("issuance:delivery", args=[case.number]), {"method": "mail"}).status_code == 404


def test_no_results_before_conclusion_but_the_delivery_choice_can_change(wired_demo, mother, client):
    case = accepted_case(mother)
    client.force_login(mother)
    assert client.get(reverse("issuance:zip", args=[case.number])).status_code == 404
    with pytest.raises(IssuanceError):
        services.delivery_choose(case=case, applicant=mother, method="mail")  # no address
    services.delivery_choose(
        case=case, applicant=mother, method="mail", mobile="13916880001", address="上海市黄浦区人民大道200号"
    )
    assert Delivery.objects.get(case=case).address == "上海市黄浦区人民大道200号"


def test_window_pickup_checks_identity_and_hands_over_once(wired_demo, mother, other_citizen, client):
    case = concluded_case(mother)
    client.force_login(mother)
    client.post(reverse("issuance:delivery", args=[case.number]), {"method": "pickup", "centre": case.centre.code})
    assert Delivery.objects.get(case=case).method == Delivery.Method.PICKUP
    window = clerk("clerk-huangpu")
    client.force_login(window.user)
    url = reverse("issuance:handover", args=[case.number])
    stranger = {"action": "pickup", "recipient_name": "x", "recipient_id_number": other_citizen.id_number}
    wrong = client.post(url, stranger)
    assert wrong.status_code == 400 and "不符" in wrong.content.decode()
    ok = client.post(url, {"action": "pickup", "recipient_name": "林晓雯", "recipient_id_number": mother.id_number})
    assert ok.status_code == 302
    delivery = Delivery.objects.get(case=case)
    assert delivery.picked_up_at and delivery.handed_over_by == window.user
    again = client.post(url, {"action": "pickup", "recipient_name": "林晓雯", "recipient_id_number": mother.id_number})
    assert again.status_code == 400 and "不能重复" in again.content.decode()
    with pytest.raises(IssuanceError):
        services.delivery_choose(case=case, applicant=mother, method="mail", recipient_name="a", mobile="13900000000")


def test_mail_records_the_tracking_number_and_tells_the_applicant(wired_demo, mother, client):
    from onething.notifications.models import Notification

    case = concluded_case(mother)
    with pytest.raises(IssuanceError):
        services.delivery_choose(case=case, applicant=mother, method="mail", recipient_name="林晓雯", mobile="12")
    services.delivery_choose(
        case=case,
        applicant=mother,
        method="mail",
        recipient_name="林晓雯",
        mobile="13916880001",
        address="上海市黄浦区人民大道200号",
    )
    window = clerk("clerk-huangpu")
    services.mail_record(case=case, clerk=window, carrier="EMS", tracking_number="EA123456789CN")
    delivery = Delivery.objects.get(case=case)
    assert delivery.mailed_at and delivery.tracking_number == "EA123456789CN"
    assert Notification.objects.filter(recipient=mother, body__contains="EA123456789CN").exists()
    with pytest.raises(IssuanceError):
        services.mail_record(case=case, clerk=window, carrier="EMS", tracking_number="other")


def test_another_centres_clerk_cannot_hand_over(wired_demo, mother, client):
    case = concluded_case(mother)
    client.force_login(get_user_model().objects.get(username="clerk-xuhui"))
    assert client.get(reverse("issuance:handover", args=[case.number])).status_code == 404


def test_the_case_page_offers_the_downloads_and_the_delivery_choice(wired_demo, mother, client):
    case = concluded_case(mother)
    client.force_login(mother)
    page = client.get(reverse("apply:case", args=[case.number])).content.decode()
    assert 'id="download-all"' in page and 'id="delivery-form"' in page
    for licence in IssuedLicence.objects.filter(case=case):
        assert licence.number in page
