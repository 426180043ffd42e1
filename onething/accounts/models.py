"""The user model. For citizens and enterprises the username is their resident ID
number or unified social credit code, so that one identity has one account."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from onething.identity.masking import mask_id_number


class User(AbstractUser):
    class Role(models.TextChoices):
        CITIZEN = "citizen", _("个人")
        ENTERPRISE = "enterprise", _("企业")
        CLERK = "clerk", _("窗口人员")
        OFFICER = "officer", _("部门人员")
        ADMIN = "admin", _("管理员")

    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.CITIZEN)
    full_name = models.CharField(_("姓名/名称"), max_length=200, blank=True)
    id_number = models.CharField(
        _("证件号码"), max_length=18, unique=True, null=True, blank=True, help_text=_("居民身份证号或统一社会信用代码")
    )
    mobile = models.CharField(_("手机号码"), max_length=11, blank=True)
    real_name_verified = models.BooleanField(_("已实名核验"), default=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_applicant(self) -> bool:
        return self.role in {self.Role.CITIZEN, self.Role.ENTERPRISE}


class SignupChallenge(models.Model):
    """A pending sign-up (or claim of a window account): step 1 was answered, the one-time code
    is awaited. Only hashes are kept: of the token the applicant holds, of the code sent to the
    mobile the data hub holds, and of the chosen password. ``code_hash`` is empty when no code
    was sent (the details did not match the hub, or the identity has an account): such a
    challenge answers exactly like one with a wrong code. Rows past ``expires_at`` are deleted
    lazily by the next sign-up."""

    token_hash = models.CharField(max_length=64, unique=True)
    identity = models.CharField(_("证件号码"), max_length=18, db_index=True)
    role = models.CharField(max_length=16, choices=User.Role.choices)
    full_name = models.CharField(max_length=200, blank=True)
    mobile = models.CharField(max_length=11, blank=True, help_text=_("政务数据中登记的手机号码"))
    password_hash = models.CharField(max_length=128)
    code_hash = models.CharField(max_length=64, blank=True)
    tries = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("待验证的注册")
        verbose_name_plural = _("待验证的注册")

    def __str__(self) -> str:
        return f"{mask_id_number(self.identity)} ({self.role})"
