"""Drafts of applications and uploaded files."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Upload(models.Model):
    """A file an applicant uploaded, stored outside the web root under a random name and
    served only through a permission check."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads")
    stored_name = models.CharField(max_length=64, unique=True, editable=False)
    original_name = models.CharField(_("文件名"), max_length=255)
    content_type = models.CharField(_("类型"), max_length=64)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(max_length=64)
    scanner = models.CharField(_("病毒扫描"), max_length=64, help_text=_("执行扫描的扫描器名称"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("上传文件")
        verbose_name_plural = _("上传文件")

    def __str__(self) -> str:
        return self.original_name


class Draft(models.Model):
    """An application being filled in: situation answers, merged data, materials.

    ``materials`` maps a material key to where it comes from:
    ``{"source": "upload", "upload": <id>}`` or
    ``{"source": "elicence", "licence_number": "...", "type": "..."}``.
    ``prefilled`` maps a data element key to the source that filled it.
    ``identities`` maps a party (``mother``, ``child``, ``legal_rep`` ...) to the ID number or
    credit code government data established for it, and ``looked_up`` lists the holders
    whose e-licences were already looked up (see onething/apply/materials.py).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts")
    version = models.ForeignKey("catalog.BundleVersion", on_delete=models.CASCADE, verbose_name=_("一件事版本"))
    answers = models.JSONField(default=dict)
    data = models.JSONField(default=dict)
    prefilled = models.JSONField(default=dict)
    materials = models.JSONField(default=dict)
    identities = models.JSONField(default=dict)
    looked_up = models.JSONField(default=list)
    prefill_notice = models.CharField(max_length=300, blank=True)
    idempotency_key = models.CharField(max_length=64, default=uuid.uuid4)
    failed_submissions = models.PositiveIntegerField(default=0)
    case = models.OneToOneField("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="draft")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("草稿")
        verbose_name_plural = _("草稿")
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"{self.version.bundle.name}（{self.applicant}）"
