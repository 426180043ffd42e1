"""Forms of the sign-up and login pages, and of the user admin.

The forms only check what a form can (required fields, the two passwords agree); the rules of
sign-up and login live in ``services`` and are shared with the API.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from onething.accounts import services
from onething.accounts.models import User
from onething.common.i18n import pick
from onething.identity import validators
from onething.identity.validators import FieldError


def _text(label: str, required: str, max_length: int, **attrs: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        error_messages={"required": required, "max_length": _("最多 %(limit_value)d 个字符")},
        widget=forms.TextInput(attrs=attrs),
    )


def _password(label: str, required: str, autocomplete: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        error_messages={"required": required},
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class AccountForm(forms.Form):
    """No colon after labels (the page puts labels above inputs); lists field errors for the summary."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    @property
    def field_errors(self) -> list[tuple[forms.BoundField, str]]:
        """(field, message) for every field error, in field order."""
        if not self.is_bound:
            return []
        return [(self[name], str(error)) for name in self.fields for error in self.errors.get(name, [])]


class SignUpForm(AccountForm):
    """Step 1 of sign-up. The one-time code then goes to the mobile the data hub holds, so no
    mobile number is asked for."""

    id_number = _text(
        _("证件号码"),
        _("请填写证件号码"),
        18,
        autocomplete="username",
        spellcheck="false",
        autocapitalize="characters",
    )
    full_name = _text(_("姓名/企业名称"), _("请填写姓名或企业名称"), 200, autocomplete="name")
    representative_id_number = _text(
        _("法定代表人身份证号码（企业填写）"), "", 18, spellcheck="false", autocapitalize="characters"
    )
    representative_name = _text(_("法定代表人姓名（企业填写）"), "", 64)
    password1 = _password(_("密码"), _("请设置密码"), "new-password")
    password2 = _password(_("确认密码"), _("请再次输入密码"), "new-password")

    SERVICE_FIELDS = {"password": "password1"}  # the service's field names that differ here

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["representative_id_number"].required = False
        self.fields["representative_name"].required = False
        self.fields["id_number"].help_text = _("个人填写18位居民身份证号码；企业填写18位统一社会信用代码")
        self.fields["full_name"].help_text = _("个人填写身份证上的姓名；企业填写营业执照上的企业名称全称")
        self.fields["representative_id_number"].help_text = _(
            "企业注册须由法定代表人本人办理：填写其居民身份证号码，验证码将发送至其在政务数据中登记的手机；个人注册不填"
        )
        self.fields["password1"].help_text = _("至少8位，不要使用常见密码")

    def clean(self) -> dict:
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("两次输入的密码不一致"))
        # The service's own checks (all but the data hub's), so that every mistake shows at once.
        problems = services.sign_up_problems(
            id_number=data.get("id_number", ""),
            full_name=data.get("full_name", ""),
            password=first or "",
            representative_id_number=data.get("representative_id_number", ""),
            representative_name=data.get("representative_name", ""),
        )
        for name, errors in problems.items():
            name = self.SERVICE_FIELDS.get(name, name)
            if name not in self.errors:
                for error in errors:
                    self.add_error(name, _message(error))
        return data

    def add_service_errors(self, error: services.SignUpError) -> None:
        """Show a refusal of the sign-up service on the fields it names."""
        if not error.fields:
            self.add_error(None, pick(error.message, error.message_en))
        for name, errors in error.fields.items():
            name = self.SERVICE_FIELDS.get(name, name)
            for item in errors:
                self.add_error(name if name in self.fields else None, _message(item))


class SignUpCodeForm(AccountForm):
    """Step 2 of sign-up: the code of the SMS."""

    code = _text(_("短信验证码"), _("请填写短信验证码"), 16, autocomplete="one-time-code", inputmode="numeric")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = _("6位数字，5分钟内有效，最多可输错5次")

    def add_service_errors(self, error: services.SignUpError) -> None:
        for errors in error.fields.values():
            for item in errors:
                self.add_error("code", _message(item))
        if not error.fields:
            self.add_error(None, pick(error.message, error.message_en))


def _message(error: FieldError) -> str:
    return pick(error.message, error.message_en)


class LoginForm(AccountForm):
    identity = forms.CharField(
        label=_("证件号码"),
        max_length=150,
        error_messages={"required": _("请填写证件号码")},
        widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
        help_text=_("居民身份证号码或统一社会信用代码；工作人员填写用户名"),
    )
    password = _password(_("密码"), _("请填写密码"), "current-password")


def focus_first_error(form: forms.Form) -> None:
    """Put the keyboard focus on the first field with an error, or on the first field when the
    error concerns the whole form (a refused login)."""
    if not form.is_bound or not form.errors:
        return
    names = list(form.fields)
    with_errors = [name for name in names if name in form.errors]
    target = with_errors[0] if with_errors else names[0]
    form.fields[target].widget.attrs["autofocus"] = True


# --- Admin ----------------------------------------------------------------------------------------


def _clean_id_number(value: str | None) -> str | None:
    if not value:
        return None
    text = validators.identifier(value)
    _role, error = services.identity_kind(text)
    if error:
        raise forms.ValidationError(error.message, code=error.code)
    return text


class AccountCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username",)

    def clean_id_number(self) -> str | None:
        return _clean_id_number(self.cleaned_data.get("id_number"))


class AccountChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"

    def clean_id_number(self) -> str | None:
        return _clean_id_number(self.cleaned_data.get("id_number"))
