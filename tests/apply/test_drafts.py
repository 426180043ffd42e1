"""在线申请 resumes the open draft of the bundle instead of making another (page and API);
"我的申请" summarises each draft and lets its owner delete it, never someone else's and
never one already submitted; the form's mail choice needs its address."""

import pytest
from django.urls import reverse
from django.utils import timezone

from onething.apply import selectors, services
from onething.apply.models import Draft
from onething.cases.models import Case
from tests.apply.test_submission import complete, start

ANSWERS = {"birth_place": "local_hospital", "married": True, "mother_insured": True}
QUERY = "birth_place=local_hospital&married=true&mother_insured=true"
OTHER_QUERY = "birth_place=local_hospital&married=false&mother_insured=true"

pytestmark = pytest.mark.django_db


def test_second_apply_on_the_page_resumes_the_open_draft(client, demo_bundles, datahub_settings, mother):
    client.force_login(mother)
    first = client.get(f"/bundles/child-birth/apply/?{QUERY}")
    draft = Draft.objects.get()
    assert first["Location"] == f"/my/drafts/{draft.pk}/steps/applicant/"  # the form's first step
    services.draft_save(draft=draft, raw_data={"applicant.mobile": "13916880001"})
    # pressed again, with another situation: the same draft, what was typed is kept
    again = client.get(f"/bundles/child-birth/apply/?{OTHER_QUERY}")
    assert again.status_code == 302 and again["Location"].startswith(f"/my/drafts/{draft.pk}/?")
    assert Draft.objects.count() == 1
    page = client.get(again["Location"], follow=True).content.decode()  # on to the step to carry on at
    assert "已为您打开未完成的草稿" in page and 'id="restart-form"' in page
    assert "13916880001" in client.get(f"/my/drafts/{draft.pk}/steps/applicant/").content.decode()
    assert "married=false" in page  # start over uses the answers just given
    # start over: a new draft with the new answers, the old one gone
    restarted = client.post(f"/bundles/child-birth/apply/?{OTHER_QUERY}", {"replace": str(draft.pk)}, follow=False)
    fresh = Draft.objects.get()
    assert fresh.pk != draft.pk and fresh.answers["married"] is False
    assert restarted["Location"] == f"/my/drafts/{fresh.pk}/steps/applicant/"
    # an ordinary visit to the draft page does not say it was resumed
    assert "已为您打开未完成的草稿" not in client.get(f"/my/drafts/{fresh.pk}/", follow=True).content.decode()


def test_starting_over_needs_ones_own_open_draft(client, demo_bundles, datahub_settings, mother, other_citizen):
    draft = start(mother)
    client.force_login(other_citizen)
    response = client.post(f"/bundles/child-birth/apply/?{QUERY}", {"replace": str(draft.pk)})
    assert response.status_code == 404 and Draft.objects.filter(pk=draft.pk).exists()
    assert client.post(f"/bundles/child-birth/apply/?{QUERY}", {"replace": "not-a-uuid"}).status_code == 404


def test_a_submitted_draft_is_not_resumed(client, demo_bundles, datahub_settings, mother):
    draft = start(mother)
    services.draft_submit(draft=draft, raw_data=complete(draft))
    client.force_login(mother)
    response = client.get(f"/bundles/child-birth/apply/?{QUERY}")
    new = Draft.objects.get(case__isnull=True)
    assert new.pk != draft.pk and response["Location"] == f"/my/drafts/{new.pk}/steps/applicant/"


def test_second_post_to_the_api_returns_the_same_draft_with_200(client, demo_bundles, datahub_settings, mother):
    client.force_login(mother)
    body = {"bundle": "child-birth", "answers": ANSWERS}
    created = client.post("/api/drafts/", body, content_type="application/json")
    assert created.status_code == 201 and created.json()["resumed"] is False
    again = client.post("/api/drafts/", body, content_type="application/json")
    assert again.status_code == 200 and again.json()["resumed"] is True
    assert again.json()["id"] == created.json()["id"] and Draft.objects.count() == 1
    # to start over: delete, then post again
    assert client.delete(f"/api/drafts/{created.json()['id']}/").status_code == 204
    third = client.post("/api/drafts/", body, content_type="application/json")
    assert third.status_code == 201 and third.json()["id"] != created.json()["id"]


def test_my_applications_summarises_each_draft(client, demo_bundles, datahub_settings, mother):
    draft = start(mother)
    form = selectors.form_for(version=draft.version, answers=draft.answers)
    required = [f.key for f in form.fields if f.required]
    bring = [m.key for m in selectors.notice_materials(draft.version, draft.answers) if m.bring]
    (summary,) = selectors.draft_summaries(user=mother)
    before = summary.required_filled
    assert summary.required_count == len(required) and summary.materials_count == len(bring)
    missing = next(key for key in required if key not in draft.data)
    services.draft_save(draft=draft, raw_data={missing: complete(draft)[missing]})
    (summary,) = selectors.draft_summaries(user=mother)
    assert summary.required_filled == before + 1
    assert summary.materials_given == sum(1 for key in bring if key in draft.materials)
    client.force_login(mother)
    page = client.get("/my/").content.decode()
    assert "出生" in page  # the bundle's name
    assert f"必填项 {before + 1}/{len(required)}" in page
    assert f"材料 {summary.materials_given}/{len(bring)}" in page
    assert summary.answer_lines[0][0] in page  # the situation, in words
    assert timezone.localtime(draft.expires_at).strftime("%Y-%m-%d") in page
    assert reverse("apply:draft-delete", args=[draft.pk]) in page


def test_the_owner_deletes_a_draft_after_confirming(client, demo_bundles, datahub_settings, mother, other_citizen):
    draft = start(mother)
    url = reverse("apply:draft-delete", args=[draft.pk])
    client.force_login(other_citizen)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert client.delete(f"/api/drafts/{draft.pk}/").status_code == 404
    assert Draft.objects.filter(pk=draft.pk).exists()
    client.force_login(mother)
    confirm = client.get(url)
    assert confirm.status_code == 200 and "确定删除" in confirm.content.decode()
    assert Draft.objects.filter(pk=draft.pk).exists()  # asking deletes nothing
    deleted = client.post(url)
    assert deleted["Location"] == "/my/" and not Draft.objects.filter(pk=draft.pk).exists()
    assert client.post(url).status_code == 404


def test_a_submitted_draft_cannot_be_deleted(client, demo_bundles, datahub_settings, mother):
    draft = start(mother)
    case = services.draft_submit(draft=draft, raw_data=complete(draft))
    client.force_login(mother)
    response = client.post(reverse("apply:draft-delete", args=[draft.pk]))
    assert response["Location"] == f"/my/cases/{case.number}/"
    api = client.delete(f"/api/drafts/{draft.pk}/")
    assert api.status_code == 409 and api.json()["error"]["code"] == "draft_submitted"
    assert Draft.objects.get(pk=draft.pk).case_id == case.pk
    assert Case.objects.filter(pk=case.pk).exists()
    with pytest.raises(services.DraftSubmitted):
        services.draft_delete(applicant=mother, draft=draft)


def test_mail_in_the_form_needs_the_address(demo_bundles, datahub_settings, mother):
    draft = start(mother)
    data = {**complete(draft), "delivery.method": "mail"}
    data.pop("delivery.address", None)
    services.draft_save(draft=draft, raw_data={"delivery.address": ""})
    with pytest.raises(services.SubmissionInvalid) as invalid:
        services.draft_submit(draft=draft, raw_data=data)
    assert invalid.value.errors["delivery.address"].code == "required_for_mail"
    pickup = services.draft_save(draft=draft, raw_data={"delivery.method": "pickup"})
    assert "delivery.address" not in pickup.errors
