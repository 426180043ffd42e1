"""Uploads: sniffing by bytes, size limit, virus-scan hook, private storage, access."""

import hashlib
import io
import stat
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import RequestFactory
from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from PIL import Image
from reportlab.pdfgen import canvas
from rest_framework.test import force_authenticate

from onething.apply import uploads
from onething.apply.models import Upload
from onething.apply.upload_views import UploadCreateView, inline_disposition, upload_download

LIMIT = 64 * 1024

# The views under their expected URLs, for tests that need a URLconf of their own
# (login redirects, the schema) independent of the project's URLconf.
urlpatterns = [
    path("my/uploads/<int:pk>/", upload_download, name="upload-download"),
    path("api/uploads/", UploadCreateView.as_view(), name="api-upload-create"),
]


# --- Fixtures and helpers ----------------------------------------------------------------


@pytest.fixture
def upload_settings(settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    settings.UPLOAD_MAX_BYTES = LIMIT
    settings.VIRUS_SCANNER = "onething.apply.uploads.NotScanning"
    return settings


@pytest.fixture
def owner(db):
    return get_user_model().objects.create_user(username="owner", password="pw-owner-1234")


@pytest.fixture
def stranger(db):
    return get_user_model().objects.create_user(username="stranger", password="pw-stranger-1234")


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "birth certificate")
    page.save()
    return buffer.getvalue()


def image_bytes(kind: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


SAMPLES = {
    "application/pdf": ("出生医学证明.pdf", pdf_bytes),
    "image/jpeg": ("photo.jpg", lambda: image_bytes("JPEG")),
    "image/png": ("scan.png", lambda: image_bytes("PNG")),
}


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


class CountingStream:
    """A file-like of ``total`` bytes that counts what is read from it, with no size."""

    def __init__(self, *, total: int, head: bytes = b"%PDF-1.7\n"):
        self.name = "huge.pdf"
        self.total = total
        self.head = head
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = self.total - self.position
        size = min(size, self.total - self.position)
        start = self.position
        self.position += size
        chunk = bytearray(size)
        overlap = self.head[start : start + size]
        chunk[: len(overlap)] = overlap
        return bytes(chunk)


class InfectedScanner(uploads.VirusScanner):
    name = "test-infected"

    def scan(self, *, data: bytes) -> uploads.ScanResult:
        return uploads.ScanResult(clean=False, detail="Eicar-Test-Signature FOUND")


class CleanScanner(uploads.VirusScanner):
    name = "test-clean-scanner"
    seen: list[int] = []

    def scan(self, *, data: bytes) -> uploads.ScanResult:
        CleanScanner.seen.append(len(data))
        return uploads.ScanResult(clean=True, detail="OK")


class BrokenScanner(uploads.VirusScanner):
    name = "test-broken"

    def scan(self, *, data: bytes) -> uploads.ScanResult:
        raise ConnectionError("clamd is down")


# --- Accepting and sniffing --------------------------------------------------------------


@pytest.mark.parametrize("content_type", list(SAMPLES))
def test_real_files_are_accepted_stored_and_recorded(upload_settings, owner, content_type):
    name, make = SAMPLES[content_type]
    data = make()
    upload = uploads.upload_create(owner=owner, file=SimpleUploadedFile(name, data, content_type="text/plain"))

    assert upload.pk and upload.owner == owner
    assert upload.content_type == content_type  # from the bytes, not the client's text/plain
    assert upload.original_name == name
    assert upload.size == len(data)
    assert upload.sha256 == hashlib.sha256(data).hexdigest()
    assert upload.scanner == "not-scanning (未进行病毒扫描)"
    with uploads.upload_open(upload=upload) as handle:
        assert handle.read() == data


def test_content_type_comes_from_bytes_not_name(upload_settings, owner):
    png = image_bytes("PNG")
    upload = uploads.upload_create(owner=owner, file=SimpleUploadedFile("scan.pdf", png, "application/pdf"))
    assert upload.content_type == "image/png"


@pytest.mark.parametrize(
    ("name", "data", "client_type"),
    [
        ("x.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64, "application/pdf"),
        ("notes.png", "这是一个文本文件，不是图片。\n".encode(), "image/png"),
        ("page.pdf", b" %PDF-1.4 leading space is not a PDF header", "application/pdf"),
    ],
    ids=["renamed-exe", "text-named-png", "not-at-offset-0"],
)
def test_other_content_is_refused_whatever_its_name(upload_settings, owner, name, data, client_type):
    with pytest.raises(uploads.UploadRejected) as refused:
        uploads.upload_create(owner=owner, file=SimpleUploadedFile(name, data, content_type=client_type))
    assert refused.value.code == "unsupported_type"
    assert refused.value.message == "只接受 PDF、JPEG 或 PNG 文件"
    assert refused.value.message_en == "only PDF, JPEG or PNG files are accepted"
    assert not Upload.objects.exists()
    assert stored_files(Path(upload_settings.UPLOAD_ROOT)) == []


def test_empty_file_is_refused(upload_settings, owner):
    with pytest.raises(uploads.UploadRejected) as refused:
        uploads.upload_create(owner=owner, file=SimpleUploadedFile("empty.pdf", b""))
    assert refused.value.code == "empty_file"
    assert refused.value.message and refused.value.message_en
    assert not Upload.objects.exists()


# --- Size ---------------------------------------------------------------------------------


def test_oversized_stream_is_refused_after_reading_at_most_limit_plus_one(upload_settings, owner):
    stream = CountingStream(total=50 * 1024 * 1024)
    with pytest.raises(uploads.UploadRejected) as refused:
        uploads.upload_create(owner=owner, file=stream)
    assert refused.value.code == "file_too_large"
    assert refused.value.message == "文件超过 64 KB 上限"
    assert refused.value.message_en == "the file is larger than the 64 KB limit"
    assert stream.position <= LIMIT + 1
    assert not Upload.objects.exists()
    assert stored_files(Path(upload_settings.UPLOAD_ROOT)) == []


def test_declared_size_over_limit_is_refused_before_reading(settings, tmp_path, owner):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    settings.UPLOAD_MAX_BYTES = 10 * 1024 * 1024

    class Declared(CountingStream):
        size = 11 * 1024 * 1024

    stream = Declared(total=11 * 1024 * 1024)
    with pytest.raises(uploads.UploadRejected) as refused:
        uploads.upload_create(owner=owner, file=stream)
    assert refused.value.message == "文件超过 10 MB 上限"
    assert refused.value.message_en == "the file is larger than the 10 MB limit"
    assert stream.position == 0


def test_file_of_exactly_the_limit_is_accepted(upload_settings, owner):
    data = pdf_bytes()
    data += b"\n%" + b"x" * (LIMIT - len(data) - 2)
    assert len(data) == LIMIT
    upload = uploads.upload_create(owner=owner, file=io.BytesIO(data))
    assert upload.size == LIMIT
    assert upload.original_name == "upload.pdf"  # a BytesIO has no name


# --- Virus scanning -----------------------------------------------------------------------


def test_not_scanning_says_so():
    result = uploads.NotScanning().scan(data=b"%PDF-")
    assert result.clean
    assert "no virus scan" in result.detail
    assert "未进行病毒扫描" in uploads.NotScanning.name


def test_infected_file_is_refused_and_not_stored(upload_settings, owner):
    upload_settings.VIRUS_SCANNER = "tests.apply.test_uploads.InfectedScanner"
    with pytest.raises(uploads.UploadRejected) as refused:
        uploads.upload_create(owner=owner, file=SimpleUploadedFile("a.pdf", pdf_bytes()))
    assert refused.value.code == "infected"
    assert "病毒" in refused.value.message and "virus" in refused.value.message_en
    assert not Upload.objects.exists()
    assert stored_files(Path(upload_settings.UPLOAD_ROOT)) == []


def test_scanner_error_refuses_the_file(upload_settings, owner):
    upload_settings.VIRUS_SCANNER = "tests.apply.test_uploads.BrokenScanner"
    with pytest.raises(uploads.UploadRejected) as refused:
        uploads.upload_create(owner=owner, file=SimpleUploadedFile("a.pdf", pdf_bytes()))
    assert refused.value.code == "scan_failed"
    assert refused.value.status_code == 503
    assert not Upload.objects.exists()


def test_configured_scanner_sees_the_bytes_and_is_recorded(upload_settings, owner):
    upload_settings.VIRUS_SCANNER = "tests.apply.test_uploads.CleanScanner"
    data = image_bytes("PNG")
    upload = uploads.upload_create(owner=owner, file=SimpleUploadedFile("a.png", data))
    assert upload.scanner == "test-clean-scanner"
    assert CleanScanner.seen[-1] == len(data)


# --- Storage ------------------------------------------------------------------------------


def _is_under(child: Path, parent: Path) -> bool:
    return Path(child).resolve().is_relative_to(Path(parent).resolve())


def test_stored_file_is_private_random_and_outside_served_paths(upload_settings, owner):
    upload = uploads.upload_create(owner=owner, file=SimpleUploadedFile("身份证-正面.png", image_bytes("PNG")))
    stored = uploads.upload_path(upload=upload)
    root = Path(upload_settings.UPLOAD_ROOT)

    assert stored.is_file()
    assert stored.parent == root / upload.stored_name[:2]
    assert len(upload.stored_name) == 32 and int(upload.stored_name, 16) >= 0
    assert "身份证" not in str(stored) and not stored.name.endswith(".png")
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stored_files(root) == [stored]  # no temporary file left behind
    served = [django_settings.STATIC_ROOT, *django_settings.STATICFILES_DIRS]
    served += [Path(django_settings.BASE_DIR) / "templates"]
    if getattr(django_settings, "MEDIA_ROOT", ""):
        served.append(django_settings.MEDIA_ROOT)
    for directory in served:
        assert not _is_under(stored, directory)


def test_configured_upload_root_is_outside_the_web_root():
    root = Path(django_settings.UPLOAD_ROOT)
    for directory in [django_settings.STATIC_ROOT, *django_settings.STATICFILES_DIRS]:
        assert not _is_under(root, directory)
        assert not _is_under(Path(directory), root)


def test_two_uploads_of_the_same_file_get_different_names(upload_settings, owner):
    data = pdf_bytes()
    first = uploads.upload_create(owner=owner, file=SimpleUploadedFile("a.pdf", data))
    second = uploads.upload_create(owner=owner, file=SimpleUploadedFile("a.pdf", data))
    assert first.stored_name != second.stored_name
    assert first.sha256 == second.sha256


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\张三\\户口本.pdf", "户口本.pdf"),
        ("invoice\u202efdp.exe.pdf", "invoicefdp.exe.pdf"),
        ("bad\x00name\n.pdf", "badname.pdf"),
        ("...", "upload.pdf"),
        ("", "upload.pdf"),
        ("长" * 300 + ".pdf", "长" * 251 + ".pdf"),
    ],
)
def test_original_name_is_sanitised(raw, expected):
    cleaned = uploads.clean_original_name(name=raw, content_type="application/pdf")
    assert cleaned == expected
    assert len(cleaned) <= 255


def test_a_malformed_stored_name_never_becomes_a_path(upload_settings, owner):
    upload = uploads.upload_create(owner=owner, file=SimpleUploadedFile("a.pdf", pdf_bytes()))
    upload.stored_name = "../../../etc/passwd"
    with pytest.raises(ValueError):
        uploads.upload_path(upload=upload)


# --- Access -------------------------------------------------------------------------------


def test_upload_for_returns_only_readable_uploads(upload_settings, owner, stranger):
    upload = uploads.upload_create(owner=owner, file=SimpleUploadedFile("a.pdf", pdf_bytes()))
    assert uploads.upload_for(user=owner, upload_id=upload.pk) == upload
    with pytest.raises(Upload.DoesNotExist):
        uploads.upload_for(user=stranger, upload_id=upload.pk)
    with pytest.raises(Upload.DoesNotExist):
        uploads.upload_for(user=AnonymousUser(), upload_id=upload.pk)
    with pytest.raises(Upload.DoesNotExist):
        uploads.upload_for(user=owner, upload_id=upload.pk + 1000)


def test_can_read_upload_rules(upload_settings, owner, stranger):
    upload = uploads.upload_create(owner=owner, file=SimpleUploadedFile("a.pdf", pdf_bytes()))
    admin = get_user_model().objects.create_superuser(username="root", password="pw-root-1234")
    staff_only = get_user_model().objects.create_user(username="staff", password="pw-staff-1234", is_staff=True)
    assert uploads.can_read_upload(user=owner, upload=upload)
    assert uploads.can_read_upload(user=admin, upload=upload)
    assert not uploads.can_read_upload(user=stranger, upload=upload)
    assert not uploads.can_read_upload(user=staff_only, upload=upload)
    assert not uploads.can_read_upload(user=AnonymousUser(), upload=upload)
    owner.is_active = False
    assert not uploads.can_read_upload(user=owner, upload=upload)


# --- Download view ------------------------------------------------------------------------


def _get(user, pk: int):
    request = RequestFactory().get(f"/my/uploads/{pk}/")
    request.user = user
    return upload_download(request, pk=pk)


def test_owner_downloads_the_bytes_with_the_sniffed_type(upload_settings, owner):
    data = image_bytes("JPEG")
    upload = uploads.upload_create(owner=owner, file=SimpleUploadedFile("照片 1.png", data, "image/png"))
    response = _get(owner, upload.pk)
    try:
        body = b"".join(response.streaming_content)
    finally:
        response.close()
    assert response.status_code == 200
    assert body == data
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        "inline; filename=\"__ 1.png\"; filename*=UTF-8''%E7%85%A7%E7%89%87%201.png"
    )
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_other_user_gets_404_from_the_download_view(upload_settings, owner, stranger):
    upload = uploads.upload_create(owner=owner, file=SimpleUploadedFile("a.pdf", pdf_bytes()))
    with pytest.raises(Http404):
        _get(stranger, upload.pk)
    with pytest.raises(Http404):
        _get(stranger, upload.pk + 1000)  # same answer as for an id that does not exist


@pytest.mark.urls(__name__)
def test_anonymous_is_sent_to_login(upload_settings, owner):
    upload = uploads.upload_create(owner=owner, file=SimpleUploadedFile("a.pdf", pdf_bytes()))
    response = _get(AnonymousUser(), upload.pk)
    assert response.status_code == 302
    assert response["Location"].startswith(django_settings.LOGIN_URL)


def test_inline_disposition_escapes_quotes_and_keeps_ascii_names():
    assert inline_disposition(filename="a.pdf") == "inline; filename=\"a.pdf\"; filename*=UTF-8''a.pdf"
    header = inline_disposition(filename='x"; evil=1\\.pdf')
    assert header.startswith('inline; filename="x_; evil=1_.pdf"; ')
    assert "filename*=UTF-8''x%22%3B%20evil%3D1%5C.pdf" in header
    assert inline_disposition(filename="户口本.pdf").startswith('inline; filename="upload.pdf"; ')
    assert inline_disposition(filename="scan.图片").startswith('inline; filename="scan.__"; ')


# --- API ----------------------------------------------------------------------------------


def _post(user, files: dict | None = None):
    request = RequestFactory().post("/api/uploads/", data=files or {})
    if user is not None:
        force_authenticate(request, user=user)
    return UploadCreateView.as_view()(request)


def test_api_creates_an_upload(upload_settings, owner):
    data = pdf_bytes()
    response = _post(owner, {"file": SimpleUploadedFile("申请表.pdf", data, "application/octet-stream")})
    assert response.status_code == 201
    upload = Upload.objects.get()
    assert response.data == {
        "id": upload.pk,
        "original_name": "申请表.pdf",
        "content_type": "application/pdf",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    assert upload.owner == owner


def test_api_refuses_a_renamed_exe_with_bilingual_json(upload_settings, owner):
    response = _post(owner, {"file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00" + b"\x00" * 60, "application/pdf")})
    assert response.status_code == 400
    assert response.data == {
        "error": {
            "code": "unsupported_type",
            "message": "只接受 PDF、JPEG 或 PNG 文件",
            "message_en": "only PDF, JPEG or PNG files are accepted",
        }
    }
    assert not Upload.objects.exists()


def test_api_refuses_an_oversized_file_while_receiving_it(upload_settings, owner, monkeypatch):
    def never(**kwargs):
        raise AssertionError("the upload handler should have stopped the file before the service")

    monkeypatch.setattr(uploads, "upload_create", never)
    big = b"%PDF-1.7\n" + b"0" * (LIMIT * 3)
    response = _post(owner, {"file": SimpleUploadedFile("big.pdf", big, "application/pdf")})
    assert response.status_code == 400
    assert response.data["error"]["code"] == "file_too_large"
    assert response.data["error"]["message"] == "文件超过 64 KB 上限"
    assert not Upload.objects.exists()


def test_api_requires_the_file_field(upload_settings, owner):
    response = _post(owner, {"other": "x"})
    assert response.status_code == 400
    assert response.data["error"]["code"] == "file_required"


def test_api_refuses_infected_files(upload_settings, owner):
    upload_settings.VIRUS_SCANNER = "tests.apply.test_uploads.InfectedScanner"
    response = _post(owner, {"file": SimpleUploadedFile("a.png", image_bytes("PNG"))})
    assert response.status_code == 400
    assert response.data["error"]["code"] == "infected"


def test_api_requires_login(upload_settings, db):
    response = _post(None, {"file": SimpleUploadedFile("a.png", image_bytes("PNG"))})
    assert response.status_code in {401, 403}
    assert not Upload.objects.exists()


def test_api_schema_documents_a_multipart_binary_file():
    generator = SchemaGenerator(patterns=urlpatterns)
    schema = generator.get_schema(request=None, public=True)
    operation = schema["paths"]["/api/uploads/"]["post"]
    body = operation["requestBody"]["content"]
    assert list(body) == ["multipart/form-data"]
    request_schema = schema["components"]["schemas"]["UploadCreateRequest"]
    file_schema = request_schema["properties"]["file"]
    assert (file_schema["type"], file_schema["format"]) == ("string", "binary")
    assert request_schema["required"] == ["file"]
    assert {"201", "400"} <= set(operation["responses"])
    created = schema["components"]["schemas"]["UploadCreated"]["properties"]
    assert set(created) == {"id", "original_name", "content_type", "size", "sha256"}


@pytest.mark.urls(__name__)
def test_api_through_the_full_stack_with_session_and_csrf(upload_settings, owner, monkeypatch):
    """Session authentication's CSRF check reads the body before the view does; the size
    limit handler must already be in place then."""
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    token = _get_new_csrf_string()
    client.cookies[django_settings.CSRF_COOKIE_NAME] = token
    headers = {"X-CSRFToken": token}

    data = image_bytes("PNG")
    created = client.post("/api/uploads/", {"file": SimpleUploadedFile("a.png", data)}, headers=headers)
    assert created.status_code == 201, created.content
    assert created.json()["content_type"] == "image/png"

    downloaded = client.get(f"/my/uploads/{created.json()['id']}/")
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == data

    monkeypatch.setattr(uploads, "upload_create", lambda **kwargs: pytest.fail("handler should stop the file"))
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.7\n" + b"0" * (LIMIT * 3))
    refused = client.post("/api/uploads/", {"file": big}, headers=headers)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "file_too_large"

    no_token = Client(enforce_csrf_checks=True)
    no_token.force_login(owner)
    assert no_token.post("/api/uploads/", {"file": SimpleUploadedFile("a.png", data)}).status_code == 403
