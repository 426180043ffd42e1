"""The delivery choice made in the application form is the one issuance uses: recorded on
the case at submission, said by the result notice and the handover desk, shown (not asked
again) on the case page, and changed there only through an audited service that checks
with the form's own validators."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from pypdf import PdfReader

from onething.audit.models import AuditEvent
from onething.issuance import services
from onething.issuance.errors import IssuanceError
from onething.issuance.models import Delivery
from onething.notifications.models import Notification
from tests.issuance.test_issuance import concluded_case
from tests.processing.conftest import accepted_case

pytestmark = pytest.mark.django_db

ADDRESS = "上海市静安区南京西路1266号18楼"
NEW_ADDRESS = "上海市徐汇区漕溪北路88弄12号1502室"
MAIL = {"delivery.method": "mail", "delivery.address": ADDRESS, "applicant.mobile": "13916880002"}


def notice_text(client, case) -> str:
    response = client.get(reverse("issuance:notice", args=[case.number]))
    assert response.status_code == 200
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(response.content)).pages)


def test_the_form_choice_is_recorded_at_submission_and_used_to_the_end(wired_demo, mother, client):
    case = concluded_case(mother, data=MAIL)
    delivery = Delivery.objects.get(case=case)
    assert (delivery.method, delivery.address, delivery.mobile) == ("mail", ADDRESS, "13916880002")
    recorded = AuditEvent.objects.get(case_number=case.number, action="delivery.recorded")
    assert recorded.actor == mother and recorded.after["method"] == "mail"
    client.force_login(mother)
    # the case page shows the choice with 修改, and asks nothing
    page = client.get(reverse("apply:case", args=[case.number])).content.decode()
    assert 'id="delivery-current"' in page and ADDRESS in page and 'id="delivery-change-link"' in page
    assert '<details id="delivery-change" open' not in page and 'id="delivery-none"' not in page
    # the result notice says it, and so does the message that the case is concluded
    assert "邮寄送达" in notice_text(client, case) and ADDRESS in notice_text(client, case)
    concluded = Notification.objects.get(recipient=mother, subject__in=["办件已办结", "办件部分办结"])
    assert "邮寄送达" in concluded.body and ADDRESS in concluded.body
    # the window sends it there, without the applicant choosing again
    window = get_user_model().objects.filter(clerk__centre=case.centre).order_by("username").first()
    client.force_login(window)
    desk = client.get(reverse("issuance:handover", args=[case.number])).content.decode()
    assert ADDRESS in desk and 'id="mail-form"' in desk
    services.mail_record(case=case, clerk=window.clerk, carrier="EMS", tracking_number="EA000000001CN")
    assert Delivery.objects.get(case=case).mailed_at is not None


def test_pickup_chosen_in_the_form_is_handed_over_at_the_case_centre(wired_demo, mother, client):
    case = concluded_case(mother, data={"delivery.method": "pickup"})
    delivery = Delivery.objects.get(case=case)
    assert delivery.centre is None and delivery.pickup_centre == case.centre and delivery.address == ""
    client.force_login(mother)
    assert case.centre.name in notice_text(client, case)
    window = get_user_model().objects.filter(clerk__centre=case.centre).order_by("username").first()
    client.force_login(window)
    handed = client.post(
        reverse("issuance:handover", args=[case.number]),
        {"action": "pickup", "recipient_name": mother.full_name, "recipient_id_number": mother.id_number},
    )
    assert handed.status_code == 302 and Delivery.objects.get(case=case).picked_up_at is not None


def test_changing_the_choice_on_the_case_page_is_checked_audited_and_used(wired_demo, mother, client):
    case = accepted_case(mother, data=MAIL)  # before conclusion: it can change already
    client.force_login(mother)
    url = reverse("issuance:delivery", args=[case.number])
    bad = client.post(url, {"method": "mail", "mobile": "12", "address": NEW_ADDRESS}, follow=True)
    assert "请填写 11 位手机号码" in bad.content.decode()  # the form's own validator
    bad = client.post(url, {"method": "mail", "mobile": "13916880003", "address": "某处"}, follow=True)
    assert "请填写完整地址" in bad.content.decode()
    assert Delivery.objects.get(case=case).address == ADDRESS
    changed = client.post(url, {"method": "mail", "mobile": "13916880003", "address": NEW_ADDRESS})
    assert changed.status_code == 302 and changed["Location"].endswith("#delivery")
    delivery = Delivery.objects.get(case=case)
    assert (delivery.address, delivery.mobile) == (NEW_ADDRESS, "13916880003")
    event = AuditEvent.objects.get(case_number=case.number, action="delivery.changed")
    assert event.actor == mother and set(event.after["changed"]) == {"address", "mobile"}
    assert NEW_ADDRESS not in str(event.after)  # a fingerprint, not the address itself
    page = client.get(reverse("apply:case", args=[case.number])).content.decode()
    assert NEW_ADDRESS in page and ADDRESS not in page  # one truth: the form's old value is not shown
    # the notice after conclusion uses the changed choice
    from tests.issuance.test_issuance import conclude

    conclude(case)
    case.refresh_from_db()
    text = notice_text(client, case)
    assert NEW_ADDRESS in text and ADDRESS not in text


def test_nobody_else_changes_it_and_nothing_changes_after_the_handover(wired_demo, mother, other_citizen, client):
    case = concluded_case(mother, data=MAIL)
    client.force_login(other_citizen)
    url = reverse("issuance:delivery", args=[case.number])
    assert client.post(url, {"method": "pickup"}).status_code == 404
    with pytest.raises(IssuanceError):
        services.delivery_choose(case=case, applicant=other_citizen, method="pickup")
    window = get_user_model().objects.filter(clerk__centre=case.centre).order_by("username").first()
    services.mail_record(case=case, clerk=window.clerk, carrier="EMS", tracking_number="EA000000002CN")
    with pytest.raises(IssuanceError) as refused:
        services.delivery_choose(case=case, applicant=mother, method="pickup")
    assert refused.value.code == "already_delivered"
    client.force_login(mother)
    page = client.get(reverse("apply:case", args=[case.number])).content.decode()
    assert 'id="delivery-done"' in page and 'id="delivery-form"' not in page
    assert not AuditEvent.objects.filter(case_number=case.number, action="delivery.changed").exists()
