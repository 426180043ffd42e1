"""Case (办件) and the materials it was submitted with."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Case(models.Model):
    class State(models.TextChoices):
        SUBMITTED = "submitted", _("已提交，待预审")
        RETURNED = "returned", _("退回补正")
        ACCEPTED = "accepted", _("已受理")
        REFUSED = "refused", _("不予受理")
        PROCESSING = "processing", _("办理中")
        CONCLUDED = "concluded", _("已办结")
        PARTIALLY_CONCLUDED = "partially_concluded", _("部分办结")

    class Channel(models.TextChoices):
        ONLINE = "online", _("网上申请")
        WINDOW = "window", _("窗口申请")

    number = models.CharField(_("办件编号"), max_length=64, unique=True)
    version = models.ForeignKey("catalog.BundleVersion", on_delete=models.PROTECT, verbose_name=_("一件事版本"))
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases", verbose_name=_("申请人")
    )
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices, default=Channel.ONLINE)
    state = models.CharField(_("状态"), max_length=32, choices=State.choices, default=State.SUBMITTED, db_index=True)
    answers = models.JSONField(_("情形"), default=dict)
    data = models.JSONField(_("申请数据"), default=dict)
    field_count = models.PositiveIntegerField(_("表单字段数"), default=0)
    prefilled_count = models.PositiveIntegerField(_("预填字段数"), default=0)
    first_time_right = models.BooleanField(_("一次提交通过"), default=True)
    # every field of the case's form: data-element key -> the source that prefilled it
    # (e.g. "自然人基础信息库"), or null when the applicant typed it (the dashboard's
    # prefill-by-field table); {} on cases submitted before it was recorded
    field_sources = models.JSONField(_("字段预填来源"), default=dict, db_default=models.Value({}, models.JSONField()))
    idempotency_key = models.CharField(_("幂等键"), max_length=64)
    centre = models.ForeignKey(
        "intake.ServiceCentre",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("受理中心"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_cases",
        verbose_name=_("首问负责人"),
    )
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    due_date = models.DateField(_("承诺办结日期"), null=True, blank=True)
    due_date_provisional = models.BooleanField(
        _("承诺办结日期暂定"),
        default=False,
        db_default=False,
        help_text=_("期限跨入尚未录入节假日安排的年份，按周末暂定计算；录入该年安排后自动重算"),
    )
    refusal_reason = models.TextField(_("不予受理理由"), blank=True)
    deferral_overdue = models.BooleanField(_("容缺材料逾期"), default=False, db_index=True)
    concluded_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = _("办件")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["applicant", "idempotency_key"], name="uniq_case_idempotency_key"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def prefill_rate(self) -> float:
        return self.prefilled_count / self.field_count if self.field_count else 0.0


class CaseMaterial(models.Model):
    """One material line of a case: uploaded once, linked to every item that needs it."""

    class Source(models.TextChoices):
        UPLOAD = "upload", _("申请人上传")
        ELICENCE = "elicence", _("电子证照")
        DATAHUB = "datahub", _("数据共享")
        DEFERRED = "deferred", _("申请容缺后补")
        PLEDGED = "pledged", _("签署告知承诺")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials", verbose_name=_("办件"))
    key = models.CharField(_("材料键"), max_length=100)
    name = models.CharField(_("材料名称"), max_length=200)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    upload = models.ForeignKey("apply.Upload", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("文件"))
    licence_number = models.CharField(_("证照编号"), max_length=100, blank=True)
    licence_holder = models.CharField(_("证照持有人"), max_length=18, blank=True)
    needed_by = models.JSONField(_("用于事项"), default=list)

    class Meta:
        verbose_name = _("办件材料")
        verbose_name_plural = _("办件材料")
        constraints = [models.UniqueConstraint(fields=["case", "key"], name="uniq_case_material_key")]

    def __str__(self) -> str:
        return self.name


class CaseSequence(models.Model):
    """The last sequence number handed out per bundle and day, for readable case numbers."""

    bundle_code = models.CharField(max_length=64)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bundle_code", "day"], name="uniq_case_sequence")]

    def __str__(self) -> str:
        return f"{self.bundle_code} {self.day}: {self.last}"
