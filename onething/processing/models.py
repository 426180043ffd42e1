"""Item cases (子件), department endpoints and received callbacks."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onething.common.fields import EncryptedTextField


class DepartmentEndpoint(models.Model):
    """How the engine reaches a department: its own system over HTTP, or the engine's
    department workbench for a department with no system."""

    class Adapter(models.TextChoices):
        HTTP = "http", _("部门业务系统（HTTP）")
        WORKBENCH = "workbench", _("部门工作台")

    department = models.OneToOneField(
        "catalog.Department", on_delete=models.CASCADE, related_name="endpoint", verbose_name=_("部门")
    )
    adapter = models.CharField(_("对接方式"), max_length=16, choices=Adapter.choices, default=Adapter.WORKBENCH)
    base_url = models.URLField(_("系统地址"), blank=True)
    # The shared HMAC secret (docs/department-protocol.md), encrypted at rest. During a
    # rotation the previous one is accepted on callbacks too; requests are signed with the
    # current one (``manage.py rotate_department_secret``).
    secret = EncryptedTextField(_("签名密钥"), blank=True)
    previous_secret = EncryptedTextField(_("上一签名密钥（轮换期间仍接受）"), blank=True, default="")
    secret_rotated_at = models.DateTimeField(_("密钥轮换时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("部门对接")
        verbose_name_plural = _("部门对接")

    def __str__(self) -> str:
        return f"{self.department} · {self.get_adapter_display()}"

    def accepted_secrets(self) -> list[str]:
        """The secrets a callback may be signed with: the current one, then the previous."""
        return [secret for secret in (self.secret, self.previous_secret) if secret]


class Officer(models.Model):
    """A department officer (部门人员): sees only their department's item cases."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="officer")
    department = models.ForeignKey(
        "catalog.Department", on_delete=models.PROTECT, related_name="officers", verbose_name=_("部门")
    )

    class Meta:
        verbose_name = _("部门人员")
        verbose_name_plural = _("部门人员")

    def __str__(self) -> str:
        return f"{self.user}（{self.department}）"


class ItemCase(models.Model):
    class State(models.TextChoices):
        WAITING = "waiting", _("等待前置事项")
        READY = "ready", _("待派发")
        DISPATCHING = "dispatching", _("派发中")
        RECEIVED = "received", _("部门已接收")
        IN_PROGRESS = "in_progress", _("部门办理中")
        SUPPLEMENT = "supplement_requested", _("待补正")
        APPROVED = "approved", _("已办结（准予）")
        REJECTED = "rejected", _("不予批准")
        CANCELLED = "cancelled", _("已取消")
        DEAD = "dead_letter", _("派发失败（待人工处理）")

    class TimeStatus(models.TextChoices):
        NORMAL = "normal", _("正常")
        WARNING = "warning", _("预警（黄灯）")
        OVERDUE = "overdue", _("超期（红灯）")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="item_cases")
    item_code = models.CharField(_("事项编码"), max_length=64)
    item_name = models.CharField(_("事项名称"), max_length=200)
    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="item_cases")
    state = models.CharField(_("状态"), max_length=24, choices=State.choices, db_index=True)
    upstream = models.JSONField(_("前置事项"), default=list)
    data = models.JSONField(_("事项数据"), default=dict)
    materials = models.JSONField(_("材料"), default=list)
    committed_days = models.PositiveIntegerField(_("承诺时限（工作日）"))
    idempotency_key = models.CharField(max_length=100, unique=True)
    reference = models.CharField(_("部门受理号"), max_length=100, blank=True)
    result = models.JSONField(_("办理结果"), default=dict, blank=True)
    certificate = models.JSONField(_("证照"), default=dict, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    supplement = models.JSONField(_("补正要求"), default=dict, blank=True)
    attempts = models.PositiveIntegerField(_("派发次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    state_changed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    dispatched_at = models.DateTimeField(_("派发时间"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    due_date = models.DateField(_("承诺办结日期"), null=True, blank=True)
    due_date_provisional = models.BooleanField(
        _("承诺办结日期暂定"),
        default=False,
        db_default=False,
        help_text=_("期限跨入尚未录入节假日安排的年份，按周末暂定计算；录入该年安排后自动重算"),
    )
    paused_since = models.DateField(_("暂停计时起"), null=True, blank=True)
    paused_working_days = models.PositiveIntegerField(_("暂停工作日数"), default=0)
    time_status = models.CharField(
        _("时限状态"), max_length=16, choices=TimeStatus.choices, default=TimeStatus.NORMAL, db_index=True
    )

    class Meta:
        verbose_name = _("子件")
        verbose_name_plural = _("子件")
        ordering = ["case", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "item_code"], name="uniq_item_case")]
        indexes = [models.Index(fields=["state", "state_changed_at"], name="item_case_state_age")]

    def __str__(self) -> str:
        return f"{self.case.number} · {self.item_name}"

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


FINAL_STATES = {ItemCase.State.APPROVED, ItemCase.State.REJECTED, ItemCase.State.CANCELLED}


class CallbackReceipt(models.Model):
    """A department callback, kept once per event id: a duplicate or a replay changes
    nothing, and the payload is there for audit and for reprocessing."""

    event_id = models.CharField(max_length=100, unique=True)
    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT)
    item_case = models.ForeignKey(ItemCase, null=True, on_delete=models.SET_NULL, related_name="callbacks")
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("部门回调")
        verbose_name_plural = _("部门回调")

    def __str__(self) -> str:
        return self.event_id


class CallbackNonce(models.Model):
    """Nonces of signed callbacks seen within the replay window: a replayed request is
    refused even before its event id is looked at."""

    nonce = models.CharField(max_length=100, unique=True)
    seen_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return self.nonce
