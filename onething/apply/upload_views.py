"""HTTP side of uploads: the owner's download and the upload API.

Thin: :mod:`onething.apply.uploads` decides what is accepted and who may read what.
Expected URLs (wired in ``onething/urls.py``)::

    path("my/uploads/<int:pk>/", upload_download, name="upload-download")
    path("api/uploads/", UploadCreateView.as_view(), name="api-upload-create")
"""

from __future__ import annotations

from pathlib import PurePath
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import FileResponse, Http404, HttpRequest
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from onething.apply import uploads
from onething.apply.models import Upload
from onething.common.api import ErrorSerializer
from onething.common.errors import Invalid

# --- Download --------------------------------------------------------------------------


def _ascii_only(text: str) -> str:
    return "".join(ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\' else "_" for ch in text)


def inline_disposition(*, filename: str) -> str:
    """``Content-Disposition: inline`` with the original name in both forms of RFC 6266:
    an ASCII ``filename="..."`` fallback (non-ASCII, quotes and backslashes replaced)
    and the exact name as RFC 5987 ``filename*=UTF-8''...``, which every current
    browser prefers. Chinese names thus survive the round trip."""
    name = PurePath(filename)
    stem, suffix = (name.stem, name.suffix) if name.suffix.isascii() else (filename, "")
    fallback = _ascii_only(stem)
    if not fallback.strip("_ ."):
        fallback = "upload"  # "___.pdf" tells nobody anything
    fallback += _ascii_only(suffix)
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@require_safe
@login_required
def upload_download(request: HttpRequest, pk: int) -> FileResponse:
    """The stored bytes of one upload, for whoever :func:`uploads.can_read_upload` allows.
    Anyone else gets 404, not 403, so upload ids reveal nothing. Served with the
    sniffed content type and ``nosniff`` so the browser cannot reinterpret a file, and
    never cached by shared caches: these are identity documents."""
    try:
        upload = uploads.upload_for(user=request.user, upload_id=pk)
    except Upload.DoesNotExist:
        raise Http404("no such upload") from None
    try:
        handle = uploads.upload_open(upload=upload)
    except FileNotFoundError:
        raise Http404("upload missing from storage") from None
    response = FileResponse(handle, content_type=upload.content_type)
    response["Content-Disposition"] = inline_disposition(filename=upload.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    patch_cache_control(response, private=True, no_store=True)
    return response


# --- API -------------------------------------------------------------------------------


class UploadSizeLimitHandler(FileUploadHandler):
    """First upload handler of the API request: stops receiving a file once it passes
    ``UPLOAD_MAX_BYTES``, so Django does not spool a huge body to a temporary file
    before the service refuses it. The rest of the body is drained, not stored."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = int(settings.UPLOAD_MAX_BYTES)
        self.received = 0
        self.exceeded = False

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) builds the file


@extend_schema_field(OpenApiTypes.BINARY)
class BinaryFileField(serializers.FileField):
    """A file field documented as ``string/binary``: without ``COMPONENT_SPLIT_REQUEST``
    drf-spectacular would describe a FileField as a URI."""


class UploadCreateRequestSerializer(serializers.Serializer):
    file = BinaryFileField(help_text="PDF, JPEG or PNG; at most UPLOAD_MAX_BYTES (10 MB by default)")


class UploadCreatedSerializer(serializers.ModelSerializer):
    class Meta:
        model = Upload
        fields = ["id", "original_name", "content_type", "size", "sha256"]
        read_only_fields = fields


class UploadCreateView(APIView):
    """Upload one material file (上传材料). The file is checked by its bytes, scanned and
    stored privately; the answer's ``id`` is what a draft's material line refers to."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    def initialize_request(self, request: HttpRequest, *args, **kwargs) -> Request:
        # Must run before anything reads the body (authentication's CSRF check does).
        self.size_limit = UploadSizeLimitHandler(request)
        request.upload_handlers.insert(0, self.size_limit)
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(
        summary="Upload a material file 上传材料 (PDF, JPEG or PNG)",
        request={"multipart/form-data": UploadCreateRequestSerializer},
        responses={
            201: UploadCreatedSerializer,
            400: ErrorSerializer,
            403: OpenApiResponse(ErrorSerializer, description="not logged in 未登录"),
            429: OpenApiResponse(
                ErrorSerializer, description="upload_quota_exceeded: over UPLOAD_QUOTA_BYTES within the window"
            ),
            503: ErrorSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        file = request.FILES.get("file")
        if file is None:
            limit = getattr(self, "size_limit", None)
            if limit is not None and limit.exceeded:
                rejected = uploads.too_large_error(limit=limit.limit)
                uploads.logger.warning("refused upload from user %s: %s", request.user.pk, rejected.code)
                raise rejected
            raise Invalid(
                "请选择要上传的文件（表单字段 file）",
                "no file: send it as the multipart field 'file'",
                code="file_required",
            )
        upload = uploads.upload_create(owner=request.user, file=file)  # UploadRejected: its JSON error
        return Response(UploadCreatedSerializer(upload).data, status=status.HTTP_201_CREATED)
