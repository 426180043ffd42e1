"""Per-applicant quotas: the bytes uploaded within a window (UPLOAD_QUOTA_BYTES per
UPLOAD_QUOTA_WINDOW_HOURS) and the number of open drafts across bundles (DRAFT_QUOTA),
refused with a bilingual problem on the API and a message on the pages."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from reportlab.pdfgen import canvas

from onething.apply import services, uploads
from onething.apply.models import Draft, Upload
from onething.catalog.models import BundleVersion

pytestmark = pytest.mark.django_db
ANSWERS = {"birth_place": "local_hospital", "married": True, "mother_insured": True}
QUERY = "birth_place=local_hospital&married=true&mother_insured=true"


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "quota")
    page.save()
    return buffer.getvalue()


@pytest.fixture
def quota(settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    settings.VIRUS_SCANNER = "onething.apply.uploads.NotScanning"
    settings.UPLOAD_QUOTA_BYTES = 3 * len(pdf_bytes())
    settings.UPLOAD_QUOTA_WINDOW_HOURS = 24
    return settings


def _file() -> SimpleUploadedFile:
    return SimpleUploadedFile("a.pdf", pdf_bytes(), content_type="application/pdf")


def test_uploads_over_the_quota_within_the_window_are_refused(quota, mother):
    for _ in range(3):
        uploads.upload_create(owner=mother, file=_file())
    with pytest.raises(uploads.UploadRejected) as refused:
        uploads.upload_create(owner=mother, file=_file())
    assert refused.value.code == "upload_quota_exceeded" and refused.value.status_code == 429
    assert "24 小时" in refused.value.message and "24 hours" in refused.value.message_en
    assert Upload.objects.filter(owner=mother).count() == 3
    assert len([p for p in (quota.UPLOAD_ROOT).rglob("*") if p.is_file()]) == 3
    # what was uploaded before the window no longer counts
    Upload.objects.filter(owner=mother).update(created_at=timezone.now() - timedelta(hours=25))
    uploads.upload_create(owner=mother, file=_file())


def test_the_upload_api_answers_429_in_the_error_format(client, quota, mother):
    quota.UPLOAD_QUOTA_BYTES = len(pdf_bytes())
    client.force_login(mother)
    assert client.post("/api/uploads/", {"file": _file()}).status_code == 201
    response = client.post("/api/uploads/", {"file": _file()})
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "upload_quota_exceeded" and error["message"] and error["message_en"]


def test_staff_uploading_in_office_have_no_quota(quota):
    officer = get_user_model().objects.create_user(username="officer-q", password="x", role="officer")
    for _ in range(4):
        uploads.upload_create(owner=officer, file=_file())


@pytest.fixture
def at_quota(settings, demo_bundles, mother):
    """DRAFT_QUOTA open drafts of two other bundles held by the mother."""
    settings.DRAFT_QUOTA = 2
    others = BundleVersion.objects.filter(state="published").exclude(bundle__code="child-birth")[:2]
    expires = timezone.now() + timedelta(days=3)
    return [Draft.objects.create(applicant=mother, version=version, expires_at=expires) for version in others]


def test_open_drafts_over_the_quota_are_refused_on_the_api(client, at_quota, datahub_settings, mother):
    client.force_login(mother)
    response = client.post(
        "/api/drafts/", {"bundle": "child-birth", "answers": ANSWERS}, content_type="application/json"
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "draft_quota_exceeded" and "2" in error["message"] and "2" in error["message_en"]
    assert Draft.objects.filter(applicant=mother).count() == 2
    # submitted or expired drafts do not count
    Draft.objects.filter(pk=at_quota[0].pk).update(expires_at=timezone.now() - timedelta(days=1))
    created = client.post(
        "/api/drafts/", {"bundle": "child-birth", "answers": ANSWERS}, content_type="application/json"
    )
    assert created.status_code == 201


def test_open_drafts_over_the_quota_are_refused_on_the_page(client, at_quota, datahub_settings, mother):
    client.force_login(mother)
    response = client.get(f"/bundles/child-birth/apply/?{QUERY}")
    assert response.status_code == 302 and response["Location"] == "/my/"
    assert "未提交的草稿已达 2 份" in client.get("/my/").content.decode()
    assert not Draft.objects.filter(applicant=mother, version__bundle__code="child-birth").exists()


def test_starting_over_at_the_quota_replaces_the_draft(settings, at_quota, datahub_settings, mother):
    version = BundleVersion.objects.get(state="published", bundle__code="child-birth")
    settings.DRAFT_QUOTA = 3
    draft = services.draft_start(applicant=mother, version=version, raw_answers=ANSWERS)
    with pytest.raises(services.DraftQuotaExceeded):
        services.draft_start(applicant=mother, version=version, raw_answers=ANSWERS)
    fresh = services.draft_restart(draft=draft, raw_answers=ANSWERS)
    assert not Draft.objects.filter(pk=draft.pk).exists()
    assert Draft.objects.filter(applicant=mother).count() == 3 and fresh.pk != draft.pk
