"""Uploaded materials: accept, scan, store and hand back applicants' files.

Why it is built this way:

- **The bytes decide what a file is**, never its name or the content type the browser
  sends: both are chosen by the client. Only PDF, JPEG and PNG are accepted, because
  those are what a clerk or officer can open safely and what the materials of a bundle
  are (scans and photos of documents).
- **Size is enforced while reading**: at most ``UPLOAD_MAX_BYTES + 1`` bytes are read, so
  an oversized upload is refused without ever being held in memory.
- **Every file passes a virus-scan hook** (``settings.VIRUS_SCANNER``). The default,
  :class:`NotScanning`, says plainly that nothing was scanned, and that name is stored
  on each :class:`~onething.apply.models.Upload` so nobody mistakes "not scanned" for
  "clean".
- **Files live outside the web root** (``settings.UPLOAD_ROOT``) under a random name,
  written atomically with mode 0600, and are only ever served through
  :func:`upload_for` / :func:`can_read_upload`, the single place access rules live.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any, Protocol

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Sum
from django.utils import timezone
from django.utils.module_loading import import_string

from onething.apply.models import Upload
from onething.common.errors import Invalid

logger = logging.getLogger(__name__)

#: Magic bytes at offset 0 → the content type we record. Order does not matter: the
#: prefixes are disjoint.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
EXTENSIONS: dict[str, str] = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
MAX_NAME_LENGTH = 255  # Upload.original_name
SCANNER_NAME_LENGTH = 64  # Upload.scanner
READ_CHUNK = 64 * 1024
STORED_NAME = re.compile(r"^[0-9a-f]{32}$")


class UploadRejected(Invalid):
    """The file was refused. ``code`` is machine-readable; the messages are shown to the
    applicant in Chinese and English; a domain error (onething/common/errors.py), 400
    unless ``status_code`` says otherwise (413 for a file over the limit)."""

    def __init__(self, *, code: str, message: str, message_en: str, status_code: int = 400):
        super().__init__(message, message_en, code=code, status_code=status_code)


# --- Virus scanning ------------------------------------------------------------------


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    detail: str


class VirusScanner:
    """Interface of the virus-scan hook. A deployment plugs in a real scanner (clamd,
    a vendor's HTTP API, ...) by subclassing this and naming the class in
    ``settings.VIRUS_SCANNER``; it is instantiated with no arguments for each upload.

    ``name`` is stored on every upload (max 64 characters) to record which scanner
    vouched for it. ``scan`` must return a :class:`ScanResult`; raising means the scan
    could not be done, and the upload is refused rather than accepted unscanned.
    """

    name: str = "abstract"

    def scan(self, *, data: bytes) -> ScanResult:
        raise NotImplementedError


class NotScanning(VirusScanner):
    """The default: no scanner is configured. It lets files through, but its name says
    so, on every stored upload and in the admin, so it cannot pass for a real scan."""

    name = "not-scanning (未进行病毒扫描)"

    def scan(self, *, data: bytes) -> ScanResult:
        return ScanResult(clean=True, detail="no virus scan was done (未进行病毒扫描): no scanner is configured")


def virus_scanner() -> VirusScanner:
    """The scanner named in ``settings.VIRUS_SCANNER``, read on each call so that a
    settings change (or a test) takes effect without a restart of the import cache."""
    target = import_string(settings.VIRUS_SCANNER)
    return target() if isinstance(target, type) else target


def _scan(*, data: bytes) -> str:
    """Run the configured scanner; return its name for the record. Fails closed: an
    infected verdict, a scanner error or a malformed answer all refuse the file."""
    scanner = virus_scanner()
    name = str(getattr(scanner, "name", type(scanner).__name__))[:SCANNER_NAME_LENGTH]
    try:
        result = scanner.scan(data=data)
    except Exception:
        logger.exception("virus scanner %s failed", name)
        raise UploadRejected(
            code="scan_failed",
            message="病毒扫描暂时无法进行，请稍后再上传",
            message_en="the virus scan could not be done; please upload again later",
            status_code=503,
        ) from None
    if not isinstance(result, ScanResult):
        logger.error("virus scanner %s returned %r instead of a ScanResult", name, result)
        raise UploadRejected(
            code="scan_failed",
            message="病毒扫描暂时无法进行，请稍后再上传",
            message_en="the virus scan could not be done; please upload again later",
            status_code=503,
        )
    if not result.clean:
        logger.warning("virus scanner %s refused an upload: %s", name, result.detail)
        raise UploadRejected(
            code="infected",
            message="文件未通过病毒扫描，已拒绝接收",
            message_en="the file failed the virus scan and was refused",
        )
    return name


# --- Reading and sniffing ------------------------------------------------------------


class Readable(Protocol):
    """What :func:`upload_create` needs of a file: Django's ``UploadedFile`` or any
    binary file-like object with a ``name``."""

    name: str | None

    def read(self, size: int = -1, /) -> bytes: ...


def _size_text(limit: int) -> tuple[str, str]:
    """The limit in words, computed from the setting so the message never lies."""
    mib, kib = 1024 * 1024, 1024
    if limit >= mib:
        number = f"{limit / mib:.1f}".removesuffix(".0")
        return f"{number} MB", f"{number} MB"
    if limit >= kib:
        number = f"{limit / kib:.1f}".removesuffix(".0")
        return f"{number} KB", f"{number} KB"
    return f"{limit} 字节", f"{limit} bytes"


def too_large_error(*, limit: int) -> UploadRejected:
    """The refusal for a file over ``limit`` bytes (also used by the API's upload handler)."""
    zh, en = _size_text(limit)
    return UploadRejected(
        code="file_too_large", message=f"文件超过 {zh} 上限", message_en=f"the file is larger than the {en} limit"
    )


QUOTA_ROLES = {"citizen", "enterprise"}  # staff upload in office (certificates, window intake)


def check_quota(*, owner: AbstractBaseUser, adding: int) -> None:
    """Refuse an applicant's upload that would take what they uploaded within the last
    ``UPLOAD_QUOTA_WINDOW_HOURS`` over ``UPLOAD_QUOTA_BYTES`` (429, bilingual)."""
    if getattr(owner, "role", None) not in QUOTA_ROLES:
        return
    since = timezone.now() - timedelta(hours=settings.UPLOAD_QUOTA_WINDOW_HOURS)
    used = Upload.objects.filter(owner=owner, created_at__gte=since).aggregate(total=Sum("size"))["total"] or 0
    if used + adding > settings.UPLOAD_QUOTA_BYTES:
        zh, en = _size_text(int(settings.UPLOAD_QUOTA_BYTES))
        hours = settings.UPLOAD_QUOTA_WINDOW_HOURS
        raise UploadRejected(
            code="upload_quota_exceeded",
            message=f"{hours} 小时内上传的文件合计不能超过 {zh}，请稍后再试",
            message_en=f"uploads within {hours} hours may not exceed {en} in total; please try again later",
            status_code=429,
        )


def _read_limited(*, file: Readable, limit: int) -> bytes:
    """Read at most ``limit + 1`` bytes: one byte over is enough to know the file is too
    large, and a huge upload is never loaded. A declared size (Django's
    ``UploadedFile.size``) over the limit is refused before reading anything."""
    declared = getattr(file, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise too_large_error(limit=limit)
    seekable = getattr(file, "seekable", None)
    if callable(seekable) and seekable():
        file.seek(0)  # type: ignore[attr-defined]
    chunks: list[bytes] = []
    remaining = limit + 1
    while remaining > 0:
        chunk = file.read(min(remaining, READ_CHUNK))
        if not chunk:
            break
        if not isinstance(chunk, bytes):
            raise TypeError("uploads must be read in binary mode")
        chunks.append(chunk)
        remaining -= len(chunk)
    data = b"".join(chunks)
    if len(data) > limit:
        raise too_large_error(limit=limit)
    return data


def sniff_content_type(*, data: bytes) -> str:
    """The content type the bytes prove, from their magic number. The file's name and
    the client's content type are ignored: an ``.exe`` renamed ``.pdf`` starts with
    ``MZ`` and is refused here."""
    if not data:
        raise UploadRejected(code="empty_file", message="文件是空的", message_en="the file is empty")
    for magic, content_type in SIGNATURES:
        if data.startswith(magic):
            return content_type
    raise UploadRejected(
        code="unsupported_type",
        message="只接受 PDF、JPEG 或 PNG 文件",
        message_en="only PDF, JPEG or PNG files are accepted",
    )


def check_complete(*, data: bytes, content_type: str) -> None:
    """A PDF must have its end-of-file marker: a PDF header followed by anything else is
    truncated, or not a PDF at all, and no clerk could open it."""
    if content_type == "application/pdf" and b"%%EOF" not in data:
        raise UploadRejected(
            code="corrupt_file", message="文件已损坏或不完整", message_en="the file is damaged or incomplete"
        )


def clean_original_name(*, name: object, content_type: str) -> str:
    """The client's file name made safe to store and show: last path component only
    (either slash), NFC, no control or format characters (these include the
    right-to-left override used to disguise ``invoice\u202efdp.exe``), no leading
    dots, at most 255 characters with the extension kept. It is only a label: the
    stored file never uses it."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("C"))
    text = " ".join(text.split()).lstrip(". ").rstrip(". ")
    if not text:
        return "upload" + EXTENSIONS.get(content_type, "")
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, suffix = text.rpartition(".")
        if dot and stem and len(suffix) <= 16:
            text = stem[: MAX_NAME_LENGTH - len(suffix) - 1].rstrip() + "." + suffix
        else:
            text = text[:MAX_NAME_LENGTH]
    return text


# --- Storage -------------------------------------------------------------------------


def upload_root() -> Path:
    return Path(settings.UPLOAD_ROOT)


def upload_path(*, upload: Upload) -> Path:
    """Where an upload's bytes are: ``UPLOAD_ROOT/<first 2 chars>/<stored name>``. The
    stored name is checked against its format so that a tampered row can never point
    outside the upload root."""
    stored = upload.stored_name
    if not STORED_NAME.fullmatch(stored or ""):
        raise ValueError(f"upload {upload.pk} has a malformed stored name")
    return upload_root() / stored[:2] / stored


def _write_atomically(*, data: bytes, target: Path) -> None:
    """Write to a temporary file in the target's directory, fsync, then ``os.replace``:
    a reader (or a crash) never sees a half-written file under the final name. Mode
    0600: only the service account may read uploads."""
    root = upload_root()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    target.parent.mkdir(mode=0o700, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # make the rename durable where the OS allows it
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def upload_create(*, owner: AbstractBaseUser, file: Readable) -> Upload:
    """Accept one file from ``owner``: read (bounded), sniff, scan, store, record.

    Raises :class:`UploadRejected` with bilingual messages when the file is empty, too
    large, over the applicant's quota (:func:`check_quota`), not a PDF/JPEG/PNG, or fails
    the virus scan; nothing is stored then. If the
    database row cannot be written the stored file is removed again. (A row rolled back
    later by an enclosing transaction leaves an orphan file with no row; it is
    unreachable, since files are served only through a row.)
    """
    try:
        data = _read_limited(file=file, limit=int(settings.UPLOAD_MAX_BYTES))
        check_quota(owner=owner, adding=len(data))
        content_type = sniff_content_type(data=data)
        check_complete(data=data, content_type=content_type)
        scanner_name = _scan(data=data)
    except UploadRejected as refused:
        logger.warning("refused upload from user %s: %s", owner.pk, refused.code)
        raise

    stored_name = secrets.token_hex(16)
    target = upload_root() / stored_name[:2] / stored_name
    _write_atomically(data=data, target=target)
    try:
        return Upload.objects.create(
            owner=owner,
            stored_name=stored_name,
            original_name=clean_original_name(name=getattr(file, "name", ""), content_type=content_type),
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            scanner=scanner_name,
        )
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def upload_open(*, upload: Upload) -> IO[bytes]:
    """The stored bytes, opened for reading. The caller closes it (``FileResponse``
    does). Callers must have checked access with :func:`upload_for` first."""
    return open(upload_path(upload=upload), "rb")


# --- Access --------------------------------------------------------------------------


class UploadReader(Protocol):
    """Whether ``user`` may read ``upload`` for a reason one later stage knows (a clerk of the
    case's centre, an officer of the item case's department ...)."""

    def __call__(self, user: Any, upload: Upload) -> bool: ...


_readers: list[UploadReader] = []


def register_upload_reader(reader: UploadReader) -> None:
    """Called in the AppConfig.ready() of a later stage that lets its staff read applicants'
    files (intake: window clerks; processing: department officers). Apply does not import
    them: the rules of who else may read an upload live with the stage that knows them."""
    if reader not in _readers:
        _readers.append(reader)


def upload_readers() -> tuple[UploadReader, ...]:
    return tuple(_readers)


def can_read_upload(*, user: Any, upload: Upload) -> bool:
    """Whether ``user`` may see ``upload``. **The single place access is decided**: every
    view, the API and the console ask this function and nothing else.

    The owner; active staff superusers; and whoever a registered upload reader admits
    (``register_upload_reader``): window clerks of a centre, for files of that centre's
    cases (intake.selectors.clerk_reads_upload); department officers, for materials of
    their department's item cases, and applicants, for certificates uploaded for them
    (processing.selectors.officer_reads_upload).
    """
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if upload.owner_id == user.pk:
        return True
    if user.is_staff and user.is_superuser:
        return True
    return any(reader(user, upload) for reader in _readers)


def upload_for(*, user: Any, upload_id: int) -> Upload:
    """The upload ``upload_id`` if ``user`` may read it. Raises ``Upload.DoesNotExist``
    both when it does not exist and when it belongs to someone else, so a view answers
    404 in both cases and ids cannot be probed to learn which uploads exist."""
    upload = Upload.objects.get(pk=upload_id)
    if not can_read_upload(user=user, upload=upload):
        raise Upload.DoesNotExist(f"no upload {upload_id} readable by this user")
    return upload
