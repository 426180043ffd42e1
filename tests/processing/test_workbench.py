"""The department workbench (部门工作台) and the processing admin: who gets in, what an
officer sees of an item case, approve / reject / supplement through the pages (results
flowing downstream, dependants cancelled, the applicant notified), and the admin's
re-dispatch of dead letters. The department service and the data hub are real HTTP
servers (``wired_demo``)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from onething.audit.models import AuditEvent
from onething.notifications.models import Notification
from onething.operations.management.commands.load_demo import ADMIN_USERNAME
from onething.processing import services
from onething.processing.models import DepartmentEndpoint, ItemCase
from tests.processing.conftest import accepted_case

S = ItemCase.State
BIRTH = "birth-certificate-issue"
HOUSEHOLD = "newborn-household-registration"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"


def user(username):
    return get_user_model().objects.get(username=username)


@pytest.fixture
def birth(wired_demo, mother) -> ItemCase:
    """The birth-certificate item case of an accepted child-birth case, with the health
    commission on the workbench: dispatched, so it is "received" in the workbench."""
    DepartmentEndpoint.objects.filter(department__code="health-commission").update(adapter="workbench")
    case = accepted_case(mother)
    item_case = ItemCase.objects.get(case=case, item_code=BIRTH)
    assert services.dispatch(item_case_id=item_case.pk) == "dispatched"
    item_case.refresh_from_db()
    assert item_case.state == S.RECEIVED and item_case.reference == f"WB-{item_case.pk}"
    return item_case


def sibling(item_case: ItemCase, code: str) -> ItemCase:
    return ItemCase.objects.get(case=item_case.case, item_code=code)


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- who gets in ----------------------------------------------------------------------------


def test_role_matrix_of_queue_and_detail(birth, client, mother):
    queue = reverse("workbench:queue")
    detail = reverse("workbench:detail", args=[birth.pk])
    for url in (queue, detail):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    for who in (mother, user("clerk-huangpu")):
        client.force_login(who)
        assert client.get(queue).status_code == 403
        assert client.get(detail).status_code == 403
        assert client.post(reverse("workbench:approve", args=[birth.pk])).status_code == 403
    client.force_login(user("officer-health-commission"))
    assert client.get(queue).status_code == 200
    assert client.get(detail).status_code == 200
    client.force_login(user("officer-public-security"))
    assert client.get(queue).status_code == 200
    assert client.get(detail).status_code == 404
    assert client.post(reverse("workbench:reject", args=[birth.pk]), {"reason": "x"}).status_code == 404
    birth.refresh_from_db()
    assert birth.state == S.RECEIVED


def test_queue_lists_the_departments_item_cases_with_time_lights(birth, client):
    ItemCase.objects.filter(pk=birth.pk).update(time_status=ItemCase.TimeStatus.OVERDUE)
    client.force_login(user("officer-health-commission"))
    response = client.get(reverse("workbench:queue"))
    page = response.content.decode()
    assert birth.case.number in page and "出生医学证明首次签发" in page
    assert 'data-time-status="overdue"' in page and "超期（红灯）" in page
    assert "小孩出生" in page  # the bundle
    assert reverse("workbench:detail", args=[birth.pk]) in page
    assert birth.due_date.isoformat() in page
    assert client.get(reverse("workbench:queue") + "?show=warning").context["item_cases"] == []
    assert [ic.pk for ic in client.get(reverse("workbench:queue") + "?show=overdue").context["item_cases"]] == [
        birth.pk
    ]
    client.force_login(user("officer-public-security"))
    assert birth.case.number not in client.get(reverse("workbench:queue")).content.decode()


def test_detail_shows_labelled_data_materials_and_actions(birth, client):
    client.force_login(user("officer-health-commission"))
    response = client.get(reverse("workbench:detail", args=[birth.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    labels = [f["label"] for f in response.context["fields"]]
    assert "新生儿姓名" in labels or any("姓名" in label for label in labels)
    assert "child_name" not in labels  # field names are shown with their data element labels
    assert {f["name"] for f in response.context["fields"]} >= set(birth.data)
    for material in birth.materials:
        assert material["name"] in page
        if material.get("upload"):
            link = reverse("apply:upload-download", args=[material["upload"]])
            assert link in page
            assert client.get(link).status_code == 200  # officers read their item cases' materials
    outputs = [f["name"] for f in response.context["output_fields"]]
    assert outputs == ["certificate_number", "issue_date"]
    assert 'name="result__certificate_number"' in page
    assert response.context["can_decide"] and response.context["can_ask"]
    assert 'id="approve-button"' in page and 'id="reject-button"' in page and 'id="supplement-button"' in page


# --- decisions ------------------------------------------------------------------------------


def test_approve_through_the_page_releases_the_household_registration(birth, client):
    client.force_login(user("officer-health-commission"))
    household = sibling(birth, HOUSEHOLD)
    assert household.state == S.WAITING
    response = client.post(
        reverse("workbench:approve", args=[birth.pk]),
        {
            "result__certificate_number": "Q310000123",
            "result__issue_date": "2026-11-16",
            "certificate_number": "Q310000123",
            "certificate_file": SimpleUploadedFile("cert.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302 and response.url == reverse("workbench:detail", args=[birth.pk])
    birth.refresh_from_db()
    assert birth.state == S.APPROVED
    assert birth.result == {"certificate_number": "Q310000123", "issue_date": "2026-11-16"}
    assert birth.certificate["type"] == "birth_medical_certificate"
    assert birth.certificate["number"] == "Q310000123" and birth.certificate["data"] == birth.result
    assert birth.certificate["upload"]
    household.refresh_from_db()
    assert household.state == S.READY
    assert household.data["birth_cert_no"] == "Q310000123"
    event = AuditEvent.objects.get(action="item_case.approved", object_id=str(birth.pk))
    assert event.actor == user("officer-health-commission") and event.note == "via workbench"
    page = client.get(reverse("workbench:detail", args=[birth.pk])).content.decode()
    assert "Q310000123" in page and 'id="approve-button"' not in page
    assert client.get(reverse("apply:upload-download", args=[birth.certificate["upload"]])).status_code == 200
    again = client.post(reverse("workbench:approve", args=[birth.pk]), {"result__certificate_number": "OTHER"})
    assert again.status_code == 302 and any("不能进行此操作" in t for t in texts(again))
    birth.refresh_from_db()
    assert birth.result["certificate_number"] == "Q310000123"


def test_approve_requires_results_the_downstream_items_need(birth, client):
    client.force_login(user("officer-health-commission"))
    response = client.post(reverse("workbench:approve", args=[birth.pk]), {"result__issue_date": "2026-11-16"})
    assert response.status_code == 400
    assert "certificate_number" in response.context["errors"]
    assert "下游事项需要此项结果" in response.content.decode()
    not_pdf = client.post(
        reverse("workbench:approve", args=[birth.pk]),
        {"result__certificate_number": "Q1", "certificate_file": SimpleUploadedFile("c.pdf", PNG)},
    )
    assert not_pdf.status_code == 400 and "certificate_file" in not_pdf.context["errors"]
    birth.refresh_from_db()
    assert birth.state == S.RECEIVED


def test_reject_needs_a_reason_and_cancels_the_dependants(birth, client, mother):
    client.force_login(user("officer-health-commission"))
    empty = client.post(reverse("workbench:reject", args=[birth.pk]), {"reason": "  "})
    assert empty.status_code == 400 and "reason" in empty.context["errors"]
    birth.refresh_from_db()
    assert birth.state == S.RECEIVED
    response = client.post(reverse("workbench:reject", args=[birth.pk]), {"reason": "出生地点不在本市助产机构"})
    assert response.status_code == 302
    birth.refresh_from_db()
    assert birth.state == S.REJECTED and birth.reason == "出生地点不在本市助产机构"
    household = sibling(birth, HOUSEHOLD)
    assert household.state == S.CANCELLED and "前置事项" in household.reason
    dependants = ItemCase.objects.filter(case=birth.case).exclude(item_code=BIRTH)
    waiting_on_birth = [ic for ic in dependants if BIRTH in ic.upstream]
    assert waiting_on_birth and all(ic.state == S.CANCELLED for ic in waiting_on_birth)


def test_supplement_request_pauses_notifies_and_shows_what_was_supplied(birth, client, mother):
    officer = user("officer-health-commission")
    client.force_login(officer)
    assert client.post(reverse("workbench:supplement", args=[birth.pk]), {"message": ""}).status_code == 400
    response = client.post(
        reverse("workbench:supplement", args=[birth.pk]),
        {"message": "请核对新生儿姓名", "fields": ["child_name", "not_a_field"], "materials": []},
    )
    assert response.status_code == 302
    birth.refresh_from_db()
    assert birth.state == S.SUPPLEMENT and birth.paused_since is not None
    assert birth.supplement == {"message": "请核对新生儿姓名", "fields": ["child_name"], "materials": []}
    assert Notification.objects.filter(
        recipient=mother, case_number=birth.case.number, dedup_key__startswith="supplement:"
    ).exists()
    page = client.get(reverse("workbench:detail", args=[birth.pk])).content.decode()
    assert "等待申请人补正" in page and "请核对新生儿姓名" in page
    assert 'id="supplement-button"' not in page and 'id="approve-button"' in page

    services.supplement_supply(item_case=birth, applicant=mother, data={"child_name": "张小宝"}, materials=[])
    birth.refresh_from_db()
    assert birth.state == S.IN_PROGRESS and birth.data["child_name"] == "张小宝"
    response = client.get(reverse("workbench:detail", args=[birth.pk]))
    supplied = response.context["supplements"][0]["supplied"][0]["fields"]
    assert supplied[0]["value"] == "张小宝"
    assert "申请人已补正" in response.content.decode()


def test_http_departments_item_cases_are_read_only_here(wired_demo, mother, client):
    case = accepted_case(mother)  # the health commission is on its own HTTP system
    birth = ItemCase.objects.get(case=case, item_code=BIRTH)
    assert services.dispatch(item_case_id=birth.pk) == "dispatched"
    client.force_login(user("officer-health-commission"))
    response = client.get(reverse("workbench:detail", args=[birth.pk]))
    page = response.content.decode()
    assert response.status_code == 200 and 'id="readonly-note"' in page
    assert 'id="approve-button"' not in page and not response.context["can_decide"]
    refused = client.post(reverse("workbench:approve", args=[birth.pk]), {"result__certificate_number": "X"})
    assert refused.status_code == 403
    birth.refresh_from_db()
    assert birth.state == S.RECEIVED


# --- admin ----------------------------------------------------------------------------------


def test_admin_redispatches_dead_letters(birth, client):
    household = sibling(birth, HOUSEHOLD)
    ItemCase.objects.filter(pk=birth.pk).update(state=S.DEAD, last_error="permanent: 422", attempts=5)
    admin = user(ADMIN_USERNAME)
    client.force_login(admin)
    changelist = reverse("admin:processing_itemcase_changelist")
    page = client.get(changelist).content.decode()
    assert "只看派发失败（1）" in page and "state__exact=dead_letter" in page
    dead = client.get(changelist + "?state__exact=dead_letter")
    assert [ic.pk for ic in dead.context["cl"].result_list] == [birth.pk]
    response = client.post(
        changelist,
        {"action": "redispatch_dead_letters", "_selected_action": [birth.pk, household.pk]},
        follow=True,
    )
    assert response.status_code == 200
    birth.refresh_from_db()
    assert birth.state == S.READY and birth.attempts == 0
    messages = texts(response)
    assert any(birth.case.number in t and "已重新派发" in t for t in messages)
    assert any("不是派发失败" in t for t in messages)
    household.refresh_from_db()
    assert household.state == S.WAITING
    assert AuditEvent.objects.filter(action="item_case.redispatch", object_id=str(birth.pk), actor=admin).exists()


def test_admin_pages_are_read_only_and_load(birth, client):
    from onething.processing.models import CallbackReceipt

    CallbackReceipt.objects.create(
        event_id="evt-1", department=birth.department, item_case=birth, payload={"state": "in_progress"}
    )
    client.force_login(user(ADMIN_USERNAME))
    for name in ("itemcase", "departmentendpoint", "officer", "callbackreceipt"):
        assert client.get(reverse(f"admin:processing_{name}_changelist")).status_code == 200
    assert client.get(reverse("admin:processing_itemcase_changelist") + f"?q={birth.case.number}").status_code == 200
    change = client.get(reverse("admin:processing_itemcase_change", args=[birth.pk]))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    receipt = CallbackReceipt.objects.get()
    assert client.get(reverse("admin:processing_callbackreceipt_change", args=[receipt.pk])).status_code == 200
    assert client.get(reverse("admin:processing_itemcase_add")).status_code == 403
