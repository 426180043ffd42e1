"""Catalogue models.

A bundle version is what cases run on. While it is a draft its questions, items and
dependencies are edited as rows; publishing freezes it: the full definition document
(the same format as import/export) is stored in ``snapshot`` and the rows refuse changes.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class VersionImmutableError(Exception):
    """Raised when something tries to change a published or retired bundle version."""


class Department(models.Model):
    code = models.SlugField(_("编码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    contact = models.CharField(_("联系方式"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class DataElement(models.Model):
    class Type(models.TextChoices):
        STRING = "string", _("文本")
        DATE = "date", _("日期")
        INTEGER = "integer", _("整数")
        NUMBER = "number", _("数字")
        BOOLEAN = "boolean", _("是/否")
        ENUM = "enum", _("选项")

    class Validator(models.TextChoices):
        NONE = "", _("无")
        RESIDENT_ID = "resident_id", _("居民身份证号")
        CREDIT_CODE = "credit_code", _("统一社会信用代码")
        MOBILE = "mobile", _("手机号码")
        DATE = "date", _("日期")
        PAST_DATE = "past_date", _("不晚于今天的日期")
        ADDRESS = "address", _("地址")
        POSTAL_CODE = "postal_code", _("邮政编码")
        EMAIL = "email", _("电子邮箱")
        PERSON_NAME = "person_name", _("姓名")

    key = models.CharField(_("键"), max_length=100, unique=True, help_text="如 applicant.id_number")
    label = models.CharField(_("中文标签"), max_length=200)
    label_en = models.CharField(_("英文标签"), max_length=200, blank=True)
    type = models.CharField(_("类型"), max_length=16, choices=Type.choices, default=Type.STRING)
    validator = models.CharField(_("校验规则"), max_length=32, choices=Validator.choices, blank=True, default="")
    choices = models.JSONField(
        _("选项"), default=list, blank=True, help_text='[{"value": "...", "label": "...", "label_en": "..."}]'
    )
    description = models.TextField(_("说明"), blank=True)
    max_length = models.PositiveIntegerField(
        _("最大长度"),
        null=True,
        blank=True,
        help_text=_("文本类数据元最多可填的字数；导入时未写明则取默认值"),
    )

    class Meta:
        verbose_name = _("数据元")
        verbose_name_plural = _("数据元")
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.label} ({self.key})"


class ServiceItem(models.Model):
    class Channel(models.TextChoices):
        ONLINE = "online", _("网上办理")
        WINDOW = "window", _("窗口办理")

    code = models.SlugField(_("事项编码"), max_length=64, unique=True)
    name = models.CharField(_("事项名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="items", verbose_name=_("实施部门")
    )
    legal_basis = models.TextField(_("设定依据"), blank=True)
    conditions = models.JSONField(_("受理条件"), default=list, blank=True, help_text="文字列表")
    fields = models.JSONField(
        _("表单字段"),
        default=list,
        blank=True,
        help_text='[{"name": "mother_id", "element": "mother.id_number", "required": true}]',
    )
    committed_days = models.PositiveIntegerField(_("承诺时限（工作日）"))
    statutory_days = models.PositiveIntegerField(_("法定时限（工作日）"))
    fee_amount = models.DecimalField(_("收费金额（元）"), max_digits=10, decimal_places=2, default=0)
    fee_note = models.CharField(_("收费说明"), max_length=300, blank=True)
    output_certificate_type = models.CharField(_("办理结果证照类型"), max_length=100, blank=True)
    output_fields = models.JSONField(_("办理结果字段"), default=list, blank=True)
    in_person_visits = models.PositiveIntegerField(_("单独办理到场次数"), default=1)
    steps = models.PositiveIntegerField(_("单独办理环节数"), default=4)
    channels = models.JSONField(_("办理渠道"), default=list, blank=True)

    class Meta:
        verbose_name = _("单项事项")
        verbose_name_plural = _("单项事项")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class MaterialRequirement(models.Model):
    class Form(models.TextChoices):
        ORIGINAL = "original", _("原件")
        COPY = "copy", _("复印件")
        ORIGINAL_AND_COPY = "original_and_copy", _("原件及复印件")
        ELECTRONIC = "electronic", _("电子件")

    class SharedKind(models.TextChoices):
        NONE = "", _("不共享")
        ELICENCE = "elicence", _("电子证照")
        DATAHUB = "datahub", _("数据共享")

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="materials", verbose_name=_("事项"))
    key = models.SlugField(_("材料键"), max_length=100, help_text="多个事项要求同一份材料时使用同一个键")
    name = models.CharField(_("材料名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    description = models.TextField(_("说明"), blank=True)
    form = models.CharField(_("形式"), max_length=20, choices=Form.choices, default=Form.ORIGINAL)
    copies = models.PositiveIntegerField(_("份数"), default=1)
    required = models.BooleanField(_("必需"), default=True)
    deferrable = models.BooleanField(_("可容缺"), default=False)
    pledgeable = models.BooleanField(_("可告知承诺"), default=False)
    holder = models.CharField(
        _("持有人"),
        max_length=100,
        default="applicant",
        help_text="applicant（申请人本人）或存放持有人身份证号/信用代码的数据元键，如 mother.id_number",
    )
    shared_kind = models.CharField(_("共享来源"), max_length=16, choices=SharedKind.choices, blank=True, default="")
    shared_type = models.CharField(
        _("共享类型"), max_length=100, blank=True, help_text="电子证照类型或数据共享记录类型"
    )
    order = models.PositiveIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        ordering = ["item", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["item", "key"], name="uniq_material_key_per_item")]

    def __str__(self) -> str:
        return self.name


class Bundle(models.Model):
    class ApplicantType(models.TextChoices):
        PERSON = "person", _("个人")
        ENTERPRISE = "enterprise", _("企业")

    code = models.SlugField(_("编码"), max_length=64, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    summary = models.TextField(_("简介"), blank=True)
    summary_en = models.TextField(_("英文简介"), blank=True)
    applicant_type = models.CharField(_("申请人类型"), max_length=16, choices=ApplicantType.choices)
    keywords = models.CharField(_("关键词"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("一件事")
        verbose_name_plural = _("一件事")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class BundleVersion(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        RETIRED = "retired", _("已停用")

    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="versions", verbose_name=_("一件事"))
    number = models.PositiveIntegerField(_("版本号"))
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.DRAFT)
    steps = models.PositiveIntegerField(_("一件事办理环节数"), default=3)
    service_locations = models.JSONField(_("办理地点"), default=list, blank=True)
    notes = models.TextField(_("版本说明"), blank=True)
    sections = models.JSONField(
        _("表单分组"), default=list, blank=True, help_text=_("definition format: bundle.version.sections")
    )
    parties = models.JSONField(
        _("当事人"),
        default=list,
        blank=True,
        help_text=_("definition format: bundle.version.parties (form section and government data of each party)"),
    )
    snapshot = models.JSONField(_("发布快照"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("一件事版本")
        verbose_name_plural = _("一件事版本")
        ordering = ["bundle", "-number"]
        constraints = [models.UniqueConstraint(fields=["bundle", "number"], name="uniq_bundle_version_number")]

    def __str__(self) -> str:
        return f"{self.bundle.name} v{self.number}（{self.get_state_display()}）"

    @property
    def is_draft(self) -> bool:
        return self.state == self.State.DRAFT


class VersionPart(models.Model):
    """A row that belongs to a bundle version and may change only while it is a draft."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._check_editable()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_editable()
        return super().delete(*args, **kwargs)

    def _check_editable(self) -> None:
        if (
            self.version_id
            and not BundleVersion.objects.filter(pk=self.version_id, state=BundleVersion.State.DRAFT).exists()
        ):
            raise VersionImmutableError(
                "已发布或已停用的版本不可修改 / a published or retired version cannot be changed"
            )


class SituationQuestion(VersionPart):
    class Kind(models.TextChoices):
        SINGLE = "single", _("单选")
        MULTIPLE = "multiple", _("多选")
        YES_NO = "yes_no", _("是/否")

    version = models.ForeignKey(
        BundleVersion, on_delete=models.CASCADE, related_name="questions", verbose_name=_("版本")
    )
    key = models.SlugField(_("键"), max_length=64)
    text = models.CharField(_("问题"), max_length=300)
    text_en = models.CharField(_("英文问题"), max_length=300, blank=True)
    kind = models.CharField(_("题型"), max_length=16, choices=Kind.choices)
    options = models.JSONField(
        _("选项"), default=list, blank=True, help_text='[{"value": "...", "label": "...", "label_en": "..."}]'
    )
    help_text = models.CharField(_("提示"), max_length=300, blank=True)
    order = models.PositiveIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("情形问题")
        verbose_name_plural = _("情形问题")
        ordering = ["version", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="uniq_question_key_per_version")]

    def __str__(self) -> str:
        return self.text


class BundleItem(VersionPart):
    version = models.ForeignKey(
        BundleVersion, on_delete=models.CASCADE, related_name="bundle_items", verbose_name=_("版本")
    )
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="bundle_items", verbose_name=_("事项"))
    order = models.PositiveIntegerField(_("顺序"), default=0)
    applies_when = models.JSONField(_("适用规则（JSON Logic）"), null=True, blank=True, help_text="留空表示总是适用")
    reason = models.CharField(_("适用原因"), max_length=300, blank=True)
    reason_en = models.CharField(_("英文适用原因"), max_length=300, blank=True)
    material_conditions = models.JSONField(
        _("材料情形规则"), default=dict, blank=True, help_text='{"材料键": JSON Logic}'
    )
    field_conditions = models.JSONField(_("字段情形规则"), default=dict, blank=True, help_text='{"字段名": JSON Logic}')

    class Meta:
        verbose_name = _("包含事项")
        verbose_name_plural = _("包含事项")
        ordering = ["version", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["version", "item"], name="uniq_item_per_version")]

    def __str__(self) -> str:
        return self.item.name


class ItemDependency(VersionPart):
    version = models.ForeignKey(
        BundleVersion, on_delete=models.CASCADE, related_name="dependencies", verbose_name=_("版本")
    )
    upstream = models.ForeignKey(BundleItem, on_delete=models.CASCADE, related_name="+", verbose_name=_("前置事项"))
    downstream = models.ForeignKey(BundleItem, on_delete=models.CASCADE, related_name="+", verbose_name=_("后续事项"))
    only_when_applies = models.BooleanField(_("仅当前置事项适用时等待"), default=False)
    mappings = models.JSONField(
        _("结果传递"),
        default=list,
        blank=True,
        help_text='[{"output": "certificate_number", "field": "birth_cert_no"}]',
    )

    class Meta:
        verbose_name = _("事项依赖")
        verbose_name_plural = _("事项依赖")
        constraints = [models.UniqueConstraint(fields=["version", "upstream", "downstream"], name="uniq_dependency")]

    def __str__(self) -> str:
        return f"{self.upstream} → {self.downstream}"
