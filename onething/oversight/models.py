"""Ratings (好差评) of concluded cases and the rectifications (整改) they open. The audit
trail these parts write to is onething/audit (oversight only reads it)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Rating(models.Model):
    """A citizen's rating (好差评) of one concluded case: the case overall, one department
    involved in it, or the window intake of the service centre that accepted it.

    One rating per case and target (the partial unique constraints below); it may be
    changed until ``edit_until`` (first submission + ``settings.RATING_EDIT_DAYS``)."""

    class Target(models.TextChoices):
        CASE = "case", _("办件整体")
        DEPARTMENT = "department", _("办理部门")
        WINDOW = "window", _("窗口受理")

    class Level(models.IntegerChoices):
        VERY_SATISFIED = 5, _("非常满意")
        SATISFIED = 4, _("满意")
        BASIC = 3, _("基本满意")
        DISSATISFIED = 2, _("不满意")
        VERY_DISSATISFIED = 1, _("非常不满意")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="ratings", verbose_name=_("办件"))
    target = models.CharField(_("评价对象"), max_length=16, choices=Target.choices)
    department = models.ForeignKey(
        "catalog.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="ratings"
    )
    centre = models.ForeignKey(
        "intake.ServiceCentre", null=True, blank=True, on_delete=models.PROTECT, related_name="ratings"
    )
    level = models.PositiveSmallIntegerField(_("评价等级"), choices=Level.choices, db_index=True)
    comment = models.TextField(_("评价内容"), max_length=500, blank=True)
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("评价人")
    )
    submitted_at = models.DateTimeField(_("首次评价时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("最近修改时间"), auto_now=True)
    edit_until = models.DateTimeField(_("可修改至"))

    class Meta:
        verbose_name = _("好差评")
        verbose_name_plural = _("好差评")
        ordering = ["case", "target", "id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=models.Q(target="case"), name="uniq_rating_case"),
            models.UniqueConstraint(
                fields=["case", "department"], condition=models.Q(target="department"), name="uniq_rating_department"
            ),
            models.UniqueConstraint(fields=["case"], condition=models.Q(target="window"), name="uniq_rating_window"),
            models.CheckConstraint(
                condition=(
                    models.Q(target="case", department__isnull=True, centre__isnull=True)
                    | models.Q(target="department", department__isnull=False, centre__isnull=True)
                    | models.Q(target="window", department__isnull=True, centre__isnull=False)
                ),
                name="rating_target_matches",
            ),
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=5), name="rating_level_range"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.get_target_display()} · {self.get_level_display()}"

    @property
    def is_bad(self) -> bool:
        """不满意 or 非常不满意: such a rating opens a rectification."""
        return self.level <= self.Level.DISSATISFIED


class Rectification(models.Model):
    """The follow-up (整改) of a bad rating by the party responsible for it: a department,
    a service centre (window rating) or the administrators (an overall rating that no
    department is to blame for). Steps: same-day contact with the citizen, the party's
    response before ``deadline``, the citizen's confirmation or rejection (a rejection asks
    for a new response). State changes go through :mod:`onething.oversight.ratings` only."""

    class State(models.TextChoices):
        OPEN = "open", _("待联系群众")
        CONTACTED = "contacted", _("已联系，待答复")
        RESPONDED = "responded", _("已答复，待群众确认")
        REOPENED = "reopened", _("群众不认可，待重新答复")
        CONFIRMED = "confirmed", _("群众已确认，整改办结")
        WITHDRAWN = "withdrawn", _("群众已改评，整改撤回")

    class Party(models.TextChoices):
        DEPARTMENT = "department", _("部门")
        CENTRE = "centre", _("服务中心")
        ADMINISTRATION = "administration", _("管理员")

    rating = models.ForeignKey(Rating, on_delete=models.PROTECT, related_name="rectifications")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="rectifications")
    party = models.CharField(_("责任方"), max_length=16, choices=Party.choices)
    department = models.ForeignKey(
        "catalog.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="rectifications"
    )
    centre = models.ForeignKey(
        "intake.ServiceCentre", null=True, blank=True, on_delete=models.PROTECT, related_name="rectifications"
    )
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.OPEN, db_index=True)
    reason = models.TextField(_("开启原因"), blank=True)
    opened_at = models.DateTimeField(_("开启时间"), auto_now_add=True, db_index=True)
    opened_on = models.DateField(_("开启日期"))
    deadline = models.DateField(_("整改期限"), null=True, blank=True, db_index=True)
    deadline_problem = models.CharField(_("期限无法计算的原因"), max_length=300, blank=True)
    contacted_at = models.DateTimeField(_("联系时间"), null=True, blank=True)
    contacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact_note = models.TextField(_("联系情况"), blank=True)
    contact_late = models.BooleanField(_("未当日联系"), default=False, db_index=True)
    response = models.TextField(_("整改答复"), blank=True)
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rounds = models.PositiveSmallIntegerField(_("答复轮次"), default=0)
    citizen_reason = models.TextField(_("群众不认可的理由"), blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    overdue = models.BooleanField(_("逾期"), default=False, db_index=True)
    overdue_at = models.DateTimeField(_("标记逾期时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("整改")
        verbose_name_plural = _("整改")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(party="department", department__isnull=False, centre__isnull=True)
                    | models.Q(party="centre", department__isnull=True, centre__isnull=False)
                    | models.Q(party="administration", department__isnull=True, centre__isnull=True)
                ),
                name="rectification_party_matches",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} · {self.get_party_display()} · {self.get_state_display()}"

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED_RECTIFICATION_STATES


CLOSED_RECTIFICATION_STATES = {Rectification.State.CONFIRMED, Rectification.State.WITHDRAWN}
