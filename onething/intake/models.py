"""Service centres, their clerks, the material checklist of an acceptance, and returns
for correction."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceCentre(models.Model):
    """A service centre with comprehensive windows (综合窗口). Online cases of a bundle go
    to the first centre (by code) that handles it, else to the default centre."""

    code = models.SlugField(_("编码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    phone = models.CharField(_("电话"), max_length=50, blank=True)
    bundles = models.ManyToManyField("catalog.Bundle", blank=True, verbose_name=_("受理的一件事"))
    is_default = models.BooleanField(_("默认中心"), default=False)

    class Meta:
        verbose_name = _("服务中心")
        verbose_name_plural = _("服务中心")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Clerk(models.Model):
    """A window clerk (窗口人员) and the centre whose queue they work."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clerk")
    centre = models.ForeignKey(
        ServiceCentre, on_delete=models.PROTECT, related_name="clerks", verbose_name=_("服务中心")
    )

    class Meta:
        verbose_name = _("窗口人员")
        verbose_name_plural = _("窗口人员")

    def __str__(self) -> str:
        return f"{self.user}（{self.centre}）"


class MaterialCheck(models.Model):
    """How one required material was satisfied when the case was accepted."""

    class Outcome(models.TextChoices):
        ORIGINAL_SIGHTED = "original_sighted", _("已核验原件")
        COPY_COLLECTED = "copy_collected", _("已收取复印件")
        UPLOADED = "uploaded", _("已上传电子件")
        ELICENCE = "elicence", _("电子证照调取")
        DATAHUB = "datahub", _("数据共享获取")
        DEFERRED = "deferred", _("容缺后补")
        PLEDGED = "pledged", _("告知承诺")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="material_checks")
    key = models.CharField(_("材料键"), max_length=100)
    name = models.CharField(_("材料名称"), max_length=200)
    outcome = models.CharField(_("核验结果"), max_length=20, choices=Outcome.choices)
    due_date = models.DateField(_("补交期限"), null=True, blank=True)
    due_date_provisional = models.BooleanField(
        _("补交期限暂定"),
        default=False,
        db_default=False,
        help_text=_("期限跨入尚未录入节假日安排的年份，按周末暂定计算；录入该年安排后自动重算"),
    )
    supplied_at = models.DateTimeField(_("补交时间"), null=True, blank=True)
    supplied_upload = models.ForeignKey("apply.Upload", null=True, blank=True, on_delete=models.PROTECT)
    pledge_text = models.TextField(_("承诺内容"), blank=True)
    pledge_signed_at = models.DateTimeField(_("承诺签署时间"), null=True, blank=True)
    pledge_verified = models.BooleanField(_("承诺已核查"), default=False)
    overdue = models.BooleanField(_("逾期未补"), default=False)
    # the owning clerk's decision on an overdue deferral: extend once, or refuse its items
    extended_at = models.DateTimeField(_("延期时间"), null=True, blank=True)
    refused_at = models.DateTimeField(_("逾期不予办理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("材料核验")
        verbose_name_plural = _("材料核验")
        constraints = [models.UniqueConstraint(fields=["case", "key"], name="uniq_material_check")]

    def __str__(self) -> str:
        return f"{self.name}: {self.get_outcome_display()}"


class CorrectionRequest(models.Model):
    """A return for correction (补正告知). ``corrections`` lists every point at once:
    ``[{"kind": "field"|"material", "key": ..., "message": ...}]``; the snapshots hold the
    case's data and materials at the time, so a later return can only name what the
    applicant changed since (一次性告知)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="corrections")
    round = models.PositiveIntegerField(_("第几次退回"))
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("退回人"))
    corrections = models.JSONField(_("补正事项"))
    data_snapshot = models.JSONField(default=dict)
    materials_snapshot = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    resubmitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("补正告知")
        verbose_name_plural = _("补正告知")
        ordering = ["case", "round"]
        constraints = [models.UniqueConstraint(fields=["case", "round"], name="uniq_correction_round")]

    def __str__(self) -> str:
        return f"{self.case} #{self.round}"
