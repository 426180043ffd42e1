"""统一发证: what a concluded case hands back to the applicant.

- ``IssuedLicence``: one e-licence (电子证照) an approved item case produced: its structured
  data and its PDF, collected from the department, then registered in the data hub so later
  bundles can use it without the applicant bringing anything.
- ``Delivery``: how the applicant receives the results (window pickup or mail), and the
  record of the handover.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IssuedLicence(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("待归集")
        COLLECTED = "collected", _("已归集")
        FAILED = "failed", _("归集失败")

    class Registration(models.TextChoices):
        PENDING = "pending", _("待登记")
        REGISTERED = "registered", _("已登记至电子证照库")
        FAILED = "failed", _("登记失败")
        NO_HOLDER = "no_holder", _("未注明持证人，不登记")
        WITHDRAWN = "withdrawn", _("事项因容缺材料逾期不予办理，不登记")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="licences", verbose_name=_("办件"))
    item_case = models.OneToOneField(
        "processing.ItemCase", on_delete=models.PROTECT, related_name="licence", verbose_name=_("子件")
    )
    licence_type = models.CharField(_("证照类型"), max_length=64)
    title = models.CharField(_("证照名称"), max_length=200)
    number = models.CharField(_("证照编号"), max_length=100)
    holder = models.CharField(_("持证人证件号码"), max_length=32)
    holder_name = models.CharField(_("持证人"), max_length=200, blank=True)
    issuer = models.CharField(_("发证机关"), max_length=200)
    issue_date = models.DateField(_("发证日期"), null=True, blank=True)
    valid_until = models.CharField(_("有效期至"), max_length=32, blank=True)
    data = models.JSONField(_("证照数据"), default=dict)
    labels = models.JSONField(_("数据项名称"), default=dict)
    # The document lives with its record: a licence is small (tens of kB), and row and
    # bytes then commit, back up and restore together.
    document = models.BinaryField(_("证照文件（PDF）"), null=True, blank=True, editable=False)
    document_sha256 = models.CharField(max_length=64, blank=True)
    state = models.CharField(_("归集状态"), max_length=16, choices=State.choices, default=State.PENDING)
    registration = models.CharField(
        _("登记状态"), max_length=16, choices=Registration.choices, default=Registration.PENDING
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("电子证照")
        verbose_name_plural = _("电子证照")
        ordering = ["case", "id"]

    def __str__(self) -> str:
        return f"{self.title} {self.number}"

    @property
    def filename(self) -> str:
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in self.number)
        return f"{safe}.pdf"


class Delivery(models.Model):
    """The applicant's choice of how to receive the results, and what happened. Recorded
    from the application form when the case is submitted (``delivery.method`` …, see
    onething/catalog/elements.py), changed on the case page until the handover."""

    class Method(models.TextChoices):
        PICKUP = "pickup", _("窗口领取")
        MAIL = "mail", _("邮寄送达")

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="delivery")
    method = models.CharField(_("领取方式"), max_length=16, choices=Method.choices)
    chosen_at = models.DateTimeField(_("选择时间"), auto_now=True)
    # window pickup
    centre = models.ForeignKey(
        "intake.ServiceCentre", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("领取地点")
    )
    picked_up_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handovers",
        verbose_name=_("发放人"),
    )
    recipient_name = models.CharField(_("领取人/收件人"), max_length=100, blank=True)
    recipient_id_number = models.CharField(_("领取人证件号码"), max_length=32, blank=True)
    # mail
    mobile = models.CharField(_("收件人手机"), max_length=20, blank=True)
    address = models.CharField(_("邮寄地址"), max_length=300, blank=True)
    carrier = models.CharField(_("快递公司"), max_length=50, blank=True)
    tracking_number = models.CharField(_("运单号"), max_length=50, blank=True)
    mailed_at = models.DateTimeField(_("寄出时间"), null=True, blank=True)
    mailed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mailings",
        verbose_name=_("寄件人"),
    )

    class Meta:
        verbose_name = _("结果送达")
        verbose_name_plural = _("结果送达")

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_method_display()}"

    @property
    def pickup_centre(self):
        """Where to pick up: the centre chosen, else the centre handling the case (a choice
        made in the application form names no centre)."""
        return self.centre or self.case.centre

    @property
    def done(self) -> bool:
        """Handed over or sent: the choice can no longer change."""
        return self.picked_up_at is not None or self.mailed_at is not None
