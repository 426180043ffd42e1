"""Drafts and submission against the real data hub: prefill, locked fields, materials
uploaded once, validation, idempotent submit, readable case numbers, and access only
to one's own drafts and cases (HTML and API)."""

import re
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onething.apply import selectors, services
from onething.apply.models import Draft
from onething.apply.steps import draft_steps
from onething.apply.uploads import upload_create
from onething.audit.models import AuditEvent
from onething.cases.models import Case
from onething.catalog.selectors import published_version
from services.datahub.demo_identities import MOTHER, NEWBORN_NAME

ANSWERS = {"birth_place": "local_hospital", "married": True, "mother_insured": True}
QUERY = "birth_place=local_hospital&married=true&mother_insured=true"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

pytestmark = pytest.mark.django_db


def start(user) -> Draft:
    return services.draft_start(
        applicant=user, version=published_version(bundle_code="child-birth"), raw_answers=ANSWERS
    )


def complete(draft: Draft) -> dict:
    """Example values for every field the prefill left empty."""
    form = selectors.form_for(version=draft.version, answers=draft.answers)
    return {f.key: f.example() for f in form.fields if f.key not in draft.data}


def test_prefill_fills_identity_family_and_attaches_elicences(demo_bundles, datahub_settings, mother):
    draft = start(mother)
    assert draft.data["applicant.name"] == MOTHER.name
    assert draft.data["applicant.id_number"] == MOTHER.id_number
    assert draft.data["mother.id_number"] == MOTHER.id_number
    assert draft.data["child.name"] == NEWBORN_NAME
    assert draft.prefilled["applicant.name"]["source"]
    assert draft.materials["mother-id-card"]["source"] == "elicence"
    assert draft.prefill_notice == ""
    form = selectors.form_for(version=draft.version, answers=draft.answers)
    assert len(draft.prefilled) >= 0.3 * len(form.fields)


def test_authoritative_prefilled_values_cannot_be_changed(demo_bundles, datahub_settings, mother):
    draft = start(mother)
    result = services.draft_save(draft=draft, raw_data={"mother.name": "别人", "applicant.mobile": "13800000000"})
    assert result.draft.data["mother.name"] == MOTHER.name  # authoritative: kept
    assert result.draft.data["applicant.mobile"] == "13800000000"  # not authoritative: changed


def test_bad_input_is_kept_and_reported(demo_bundles, datahub_settings, mother):
    draft = start(mother)
    result = services.draft_save(draft=draft, raw_data={"applicant.mobile": "12"})
    assert result.errors["applicant.mobile"].code == "mobile"
    draft.refresh_from_db()
    assert draft.data["applicant.mobile"] == "12"


def test_submit_creates_one_case_pinned_to_its_version(demo_bundles, datahub_settings, mother):
    draft = start(mother)
    with pytest.raises(services.SubmissionInvalid) as invalid:
        services.draft_submit(draft=draft, raw_data={"applicant.mobile": "12"})
    assert "applicant.mobile" in invalid.value.errors
    case = services.draft_submit(draft=draft, raw_data={**complete(draft), "applicant.mobile": "13916880001"})
    assert re.fullmatch(r"CHILD-BIRTH-\d{8}-\d{4}", case.number)
    assert case.state == Case.State.SUBMITTED and case.version == draft.version
    assert case.data["mother.id_number"] == MOTHER.id_number
    assert case.first_time_right is False  # the first attempt failed
    assert 0 < case.prefilled_count <= case.field_count
    assert {m.key: m.source for m in case.materials.all()}["mother-id-card"] == "elicence"
    again = services.draft_submit(draft=Draft.objects.get(pk=draft.pk))
    assert again.pk == case.pk and Case.objects.count() == 1
    assert AuditEvent.objects.filter(action="case.submitted", case_number=case.number).count() == 1


def test_first_time_right_when_the_first_submit_passes(demo_bundles, datahub_settings, mother):
    draft = start(mother)
    for material in selectors.missing_required_materials(draft=draft):
        upload = upload_create(owner=mother, file=SimpleUploadedFile(f"{material.key}.pdf", PDF))
        services.draft_attach(draft=draft, material_key=material.key, upload=upload)
    case = services.draft_submit(draft=draft, raw_data=complete(draft))
    assert case.first_time_right is True


def test_the_case_records_which_source_prefilled_each_field(demo_bundles, datahub_settings, mother):
    draft = start(mother)
    case = services.draft_submit(draft=draft, raw_data=complete(draft))
    form = selectors.form_for(version=draft.version, answers=draft.answers)
    assert set(case.field_sources) == set(form.by_key)
    assert case.field_sources["applicant.name"] == "自然人基础信息库"
    typed = [key for key in form.by_key if key not in draft.prefilled]
    assert typed and all(case.field_sources[key] is None for key in typed)
    assert sum(1 for source in case.field_sources.values() if source) == case.prefilled_count


def test_case_numbers_follow_a_daily_sequence(demo_bundles, datahub_settings, mother, other_citizen):
    first = start(mother)
    second = start(other_citizen)
    a = services.draft_submit(draft=first, raw_data=complete(first))
    b = services.draft_submit(draft=second, raw_data=complete(second))
    assert int(b.number[-4:]) == int(a.number[-4:]) + 1


def test_form_works_when_the_data_hub_is_down(demo_bundles, datahub_down, mother):
    draft = start(mother)
    assert draft.data == {} and draft.prefill_notice
    case = services.draft_submit(draft=draft, raw_data=complete(draft))
    assert case.prefilled_count == 0


def test_html_journey_with_upload_and_access_control(client, demo_bundles, datahub_settings, mother, other_citizen):
    """The pages of 一表申请 (steps, 核对信息, confirmation): tests/apply/test_steps.py goes
    through each; here the whole way once, then the access of another citizen."""
    client.force_login(mother)
    response = client.get(f"/bundles/child-birth/apply/?{QUERY}")
    assert response.status_code == 302
    draft_url = response["Location"]  # the first step
    page = client.get(draft_url).content.decode()
    assert MOTHER.name in page and "政府数据" in page
    draft = Draft.objects.get()
    materials_url = f"/my/drafts/{draft.pk}/steps/materials/"
    assert "已自动调取电子证照" in client.get(materials_url).content.decode()
    bring = next(m.key for m in selectors.notice_materials(draft.version, draft.answers) if m.bring)
    upload = SimpleUploadedFile("proof.pdf", PDF, content_type="application/pdf")
    response = client.post(materials_url, {"action": "save", f"material__{bring}": upload})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.materials[bring]["source"] == "upload"
    values = complete(draft)
    for step in draft_steps(draft=draft).steps:
        posted = {"action": "next", **{k: v for k, v in values.items() if k in step.keys}}
        assert client.post(f"/my/drafts/{draft.pk}/steps/{step.key}/", posted).status_code == 302
    response = client.post(f"/my/drafts/{draft.pk}/check/")
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"] == f"/my/cases/{case.number}/submitted/"
    assert case.number in client.get("/my/").content.decode()
    upload_id = case.materials.get(key=bring).upload_id
    assert client.get(f"/my/uploads/{upload_id}/").status_code == 200
    # the second citizen sees none of it
    client.force_login(other_citizen)
    assert client.get(f"/my/cases/{case.number}/").status_code == 404
    assert client.get(draft_url).status_code == 404
    assert client.get(f"/my/uploads/{upload_id}/").status_code == 404
    assert client.get(f"/api/cases/{case.number}/").status_code == 404
    assert case.number not in client.get("/my/").content.decode()


def test_anonymous_is_sent_to_login(client, demo_bundles):
    response = client.get(f"/bundles/child-birth/apply/?{QUERY}")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/api/cases/").status_code in {401, 403}


def test_api_flow_is_idempotent(client, demo_bundles, datahub_settings, mother, other_citizen):
    client.force_login(mother)
    created = client.post(
        "/api/drafts/", {"bundle": "child-birth", "answers": ANSWERS}, content_type="application/json"
    )
    assert created.status_code == 201
    draft_id = created.json()["id"]
    schema = client.get(f"/api/bundles/child-birth/form/?{QUERY}").json()["json_schema"]
    assert "mother.id_number" in schema["properties"]
    upload = client.post("/api/uploads/", {"file": BytesIO(PDF)}, format="multipart")
    assert upload.status_code == 201, upload.content
    draft = Draft.objects.get(pk=draft_id)
    bring = next(m.key for m in selectors.notice_materials(draft.version, draft.answers) if m.bring)
    attached = client.post(
        f"/api/drafts/{draft_id}/materials/",
        {"key": bring, "upload": upload.json()["id"]},
        content_type="application/json",
    )
    assert attached.status_code == 200
    bad = client.post(f"/api/drafts/{draft_id}/submit/")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_data"
    patched = client.patch(f"/api/drafts/{draft_id}/", {"data": complete(draft)}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["problems"] == []
    first = client.post(f"/api/drafts/{draft_id}/submit/")
    second = client.post(f"/api/drafts/{draft_id}/submit/")
    assert first.status_code == second.status_code == 201
    assert first.json()["number"] == second.json()["number"] and Case.objects.count() == 1
    assert [c["number"] for c in client.get("/api/cases/").json()] == [first.json()["number"]]
    client.force_login(other_citizen)
    assert client.get(f"/api/drafts/{draft_id}/").status_code == 404
    assert client.post(f"/api/drafts/{draft_id}/submit/").status_code == 404
    assert client.get("/api/cases/").json() == []


def test_a_draft_read_before_another_submit_gets_that_submit_s_case(demo_bundles, datahub_settings, mother):
    """Submit takes no row lock before creating the case: a request that read the draft before
    another request submitted it gets the same case (the case's idempotency key), and a draft
    linked to a case meanwhile is not linked again."""
    draft = start(mother)
    services.draft_save(draft=draft, raw_data=complete(draft))
    stale = selectors.submittable_draft(user=mother, draft_id=draft.pk)
    first = services.draft_submit(draft=selectors.submittable_draft(user=mother, draft_id=draft.pk))
    assert stale.case_id is None
    assert services.draft_submit(draft=stale).pk == first.pk
    assert Case.objects.filter(applicant=mother).count() == 1
    assert Draft.objects.get(pk=draft.pk).case_id == first.pk
    # the three events of a submission (written in one INSERT), each once
    actions = list(AuditEvent.objects.filter(case_number=first.number).values_list("action", flat=True))
    assert sorted(actions) == ["case.routed", "case.submitted", "delivery.recorded"]
    assert first.centre_id is not None and Case.objects.get(pk=first.pk).centre_id == first.centre_id
