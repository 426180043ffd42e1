"""Business rules of accounts: sign-up with a real-name check, and login with throttling.

The HTML pages and the REST API both call these functions, so both refuse the same things
with the same (bilingual) messages.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone, translation

from onething.accounts.models import LoginAttempt, User
from onething.apply import validators
from onething.apply.datahub import DatahubRequestError, DatahubUnavailable, datahub_client
from onething.apply.validators import FieldError

logger = logging.getLogger(__name__)

RESIDENT_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
IDENTIFIER_SHAPE = re.compile(r"^[0-9A-Z]{18}$")
UNAVAILABLE_MESSAGE = "实名核验服务暂时不可用，请稍后再试"
UNAVAILABLE_MESSAGE_EN = "the real-name verification service is temporarily unavailable, please try again later"


# --- Sign-up --------------------------------------------------------------------------------------


@dataclass
class SignUpError(Exception):
    """Sign-up refused. ``fields`` maps a field name (``id_number``, ``full_name``, ``mobile``,
    ``password``) to its errors; it is empty when the refusal is not about one field (``code``
    ``verification_unavailable``: the data hub could not be asked)."""

    code: str
    message: str
    message_en: str
    fields: dict[str, list[FieldError]] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"

    def details(self) -> list[dict[str, str]]:
        """The field errors as a flat list, each with its ``field``."""
        return [{"field": name, **error.as_dict()} for name, errors in self.fields.items() for error in errors]


def _invalid(fields: dict[str, list[FieldError]]) -> SignUpError:
    return SignUpError("invalid_sign_up", "注册信息有误，请按提示修改", "the sign-up details need correcting", fields)


def _unavailable() -> SignUpError:
    return SignUpError("verification_unavailable", UNAVAILABLE_MESSAGE, UNAVAILABLE_MESSAGE_EN)


def normalize_identity(value: str) -> str:
    """An ID number or credit code as stored: no surrounding blanks, upper case (the check
    character ``X`` of a resident ID, the letters of a credit code). Other login names (staff
    accounts) are only stripped, since usernames are case-sensitive."""
    text = (value or "").strip()
    identifier = validators.identifier(text)  # the one rule: NFKC, stripped, upper case
    return identifier if IDENTIFIER_SHAPE.match(identifier) else text


def identity_kind(id_number: str) -> tuple[str | None, FieldError | None]:
    """Which kind of identifier this is: ``(User.Role.CITIZEN, None)`` for a valid resident ID
    number, ``(User.Role.ENTERPRISE, None)`` for a valid unified social credit code, otherwise
    ``(None, error)`` with the error that fits what the person most likely meant."""
    text = validators.identifier(id_number)
    if not text:
        return None, FieldError("required", "请填写证件号码", "enter an ID number or credit code")
    resident_error = validators.resident_id(text)
    if resident_error is None:
        return User.Role.CITIZEN, None
    if validators.credit_code(text) is None:
        return User.Role.ENTERPRISE, None
    if RESIDENT_ID_SHAPE.match(text):
        return None, resident_error
    if len(text) == 18:
        return None, validators.credit_code(text)
    return None, FieldError(
        "id_number",
        "证件号码有误：请填写18位居民身份证号码或18位统一社会信用代码",
        "enter an 18-character resident ID number or unified social credit code",
    )


PASSWORD_MESSAGES = {
    "password_too_short": "密码太短，至少需要 {min_length} 个字符",
    "password_too_common": "这个密码太常见，容易被猜到，请换一个",
    "password_entirely_numeric": "密码不能全是数字",
    "password_too_similar": "密码与您的个人信息太相似",
}
"""Chinese messages of Django's own password validators, by code (Django's Chinese catalogue
lacks some of them); a validator not listed here speaks Django's translation."""


def password_errors(*, password: str, user: User | None = None) -> list[FieldError]:
    """Django's password validators (AUTH_PASSWORD_VALIDATORS), each message in Chinese and in
    English. Validators format their messages when they fail, so they run once per language."""
    by_language: dict[str, list[tuple[str, str, dict]]] = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            try:
                validate_password(password, user)
            except ValidationError as invalid:
                by_language[language] = list(_messages(invalid))
    if not by_language:
        return []
    errors = []
    for (code, zh, params), (_code, en, _params) in zip(by_language["zh-hans"], by_language["en"], strict=True):
        known = PASSWORD_MESSAGES.get(code)
        errors.append(FieldError(code or "password", known.format(**params) if known else zh, en))
    return errors


def _messages(invalid: ValidationError) -> Iterator[tuple[str, str, dict]]:
    for error in invalid.error_list:
        params = error.params or {}
        message = error.message % params if params else error.message
        yield error.code or "", str(message), dict(params)


def _same_name(given: str, registered: str) -> bool:
    """Enterprise names compare without blanks and with half- and full-width brackets alike."""

    def canonical(text: str) -> str:
        return re.sub(r"\s+", "", text).replace("(", "（").replace(")", "）")

    return canonical(given) == canonical(registered)


def _identity_taken(id_number: str) -> bool:
    """Registered already: an account that can log in. An account opened for a walk-in
    applicant at a window has no usable password and may still be claimed online."""
    existing = User.objects.filter(Q(id_number=id_number) | Q(username=id_number)).first()
    return existing is not None and not _claimable(existing)


def _claimable(user: User) -> bool:
    return not user.has_usable_password() and user.role in {User.Role.CITIZEN, User.Role.ENTERPRISE}


TAKEN = FieldError(
    "id_taken", "该证件号码已注册，请直接登录", "an account with this ID number already exists; please log in"
)


def sign_up_problems(*, id_number: str, full_name: str, mobile: str, password: str) -> dict[str, list[FieldError]]:
    """What is wrong with sign-up details before asking the data hub: identifier (shape, check
    character, already registered), name present, mobile, password strength. Empty when fine."""
    id_number = validators.identifier(id_number or "")
    full_name = (full_name or "").strip()
    mobile = validators.identifier(mobile or "")
    errors: dict[str, list[FieldError]] = {}
    role, id_error = identity_kind(id_number)
    if id_error:
        errors["id_number"] = [id_error]
    elif _identity_taken(id_number):
        errors["id_number"] = [TAKEN]
    if not full_name:
        errors["full_name"] = [
            FieldError("required", "请填写企业名称", "enter the enterprise's name")
            if role == User.Role.ENTERPRISE
            else FieldError("required", "请填写姓名", "enter your name")
        ]
    elif len(full_name) > User._meta.get_field("full_name").max_length:
        errors["full_name"] = [FieldError("too_long", "名称过长", "the name is too long")]
    if mobile_error := validators.mobile(mobile):
        errors["mobile"] = [mobile_error]
    candidate = User(username=id_number, id_number=id_number, full_name=full_name, mobile=mobile)
    if weak := password_errors(password=password or "", user=candidate):
        errors["password"] = weak
    return errors


def citizen_sign_up(*, id_number: str, full_name: str, mobile: str, password: str) -> User:
    """Create a citizen's or an enterprise's account after a real-name check against the data hub.

    The kind follows from ``id_number``: a resident ID number (GB 11643) makes a citizen, whose
    ID number, name and mobile must belong together in the natural-person database; a unified
    social credit code (GB 32100) makes an enterprise, which must be registered (and not
    deregistered) in the legal-entity database under exactly ``full_name``; its ``mobile`` is the
    contact number. The username is the identifier in upper case; the account is marked
    ``real_name_verified``.

    Raises ``SignUpError`` with per-field errors (invalid or taken identifier, invalid mobile, empty
    name, weak password, failed check) or, when the hub cannot be reached, with code
    ``verification_unavailable``: no account is created without the check.
    """
    id_number = validators.identifier(id_number or "")
    full_name = (full_name or "").strip()
    mobile = validators.identifier(mobile or "")
    if errors := sign_up_problems(id_number=id_number, full_name=full_name, mobile=mobile, password=password):
        raise _invalid(errors)
    role, _error = identity_kind(id_number)
    full_name = _real_name_check(role=role, id_number=id_number, full_name=full_name, mobile=mobile)
    try:
        with transaction.atomic():
            walk_in = User.objects.select_for_update().filter(username=id_number).first()
            if walk_in is not None and _claimable(walk_in):
                # the applicant was first served at a window: the account (and its cases) become theirs
                walk_in.set_password(password)
                walk_in.full_name, walk_in.mobile, walk_in.role = full_name, mobile, role
                walk_in.real_name_verified = True
                walk_in.save()
                return walk_in
            return User.objects.create_user(
                username=id_number,
                password=password,
                role=role,
                id_number=id_number,
                full_name=full_name,
                mobile=mobile,
                real_name_verified=True,
            )
    except IntegrityError:  # signed up at the same moment by another request
        raise _invalid({"id_number": [TAKEN]}) from None


def _real_name_check(*, role: str, id_number: str, full_name: str, mobile: str) -> str:
    """Ask the data hub; return the name to store (the registered name for an enterprise)."""
    try:
        with datahub_client() as hub:
            if role == User.Role.CITIZEN:
                verdict = hub.verify_person(id_number, full_name, mobile)
                if not verdict.get("match"):
                    raise _invalid(
                        {
                            "full_name": [
                                FieldError(
                                    "real_name_mismatch",
                                    "实名核验未通过：姓名、身份证号码与手机号码不一致，请核对",
                                    "real-name check failed: the name, ID number and mobile number do not match",
                                )
                            ]
                        }
                    )
                return full_name
            enterprise = hub.get_enterprise(id_number)
    except DatahubUnavailable:
        logger.warning("sign-up refused: data hub unavailable", exc_info=True)
        raise _unavailable() from None
    except DatahubRequestError:  # local validation passed, so the hub (or our key) is at fault
        logger.exception("sign-up refused: data hub rejected the request")
        raise _unavailable() from None
    if enterprise is None:
        raise _invalid(
            {
                "id_number": [
                    FieldError(
                        "enterprise_not_found",
                        "法人库中没有这个统一社会信用代码，请核对",
                        "no enterprise with this unified social credit code is registered",
                    )
                ]
            }
        )
    if enterprise.get("status") == "注销":
        raise _invalid(
            {
                "id_number": [
                    FieldError("enterprise_deregistered", "该企业已注销，不能注册", "the enterprise is deregistered")
                ]
            }
        )
    if not _same_name(full_name, enterprise.get("name") or ""):
        raise _invalid(
            {
                "full_name": [
                    FieldError(
                        "enterprise_name_mismatch",
                        "企业名称与登记的名称不一致，请按营业执照填写全称",
                        "the name differs from the registered name; enter the full name on the business licence",
                    )
                ]
            }
        )
    return enterprise["name"]


# --- Login and throttling -------------------------------------------------------------------------


def _window() -> timedelta:
    return timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)


def _throttle_key(identity: str) -> str:
    """Failures count per identity whatever its case, so that ``x`` and ``X`` share one count."""
    return validators.identifier(identity or "")[:150]


def _prune() -> None:
    LoginAttempt.objects.filter(at__lt=timezone.now() - _window()).delete()


def _address_limit() -> int:
    return getattr(settings, "LOGIN_ADDRESS_FAILURE_LIMIT", settings.LOGIN_FAILURE_LIMIT)


def login_retry_at(*, identity: str, address: str | None) -> datetime | None:
    """When logging in with ``identity`` from ``address`` will be allowed again, or None if it is
    allowed now. Refused once LOGIN_FAILURE_LIMIT failures for the identity, or for the address,
    fall within the last LOGIN_FAILURE_WINDOW_MINUTES; allowed again when the oldest of them that
    keeps the count at the limit leaves the window."""
    _prune()
    since = timezone.now() - _window()
    recent = LoginAttempt.objects.filter(at__gte=since).order_by("-at")
    retry_at = None
    checks = [(recent.filter(identity=_throttle_key(identity)), settings.LOGIN_FAILURE_LIMIT)]
    if address:
        checks.append((recent.filter(address=address), _address_limit()))
    for attempts, limit in checks:
        times = list(attempts.values_list("at", flat=True)[:limit])
        if len(times) >= limit:
            candidate = times[limit - 1] + _window()
            retry_at = max(retry_at, candidate) if retry_at else candidate
    return retry_at


def login_allowed(*, identity: str, address: str | None) -> bool:
    """Whether a login attempt may be made now (see ``login_retry_at``)."""
    return login_retry_at(identity=identity, address=address) is None


def login_failed(*, identity: str, address: str | None) -> None:
    """Count a failed login for the identity and the address."""
    _prune()
    LoginAttempt.objects.create(identity=_throttle_key(identity), address=address or None)


def login_succeeded(*, identity: str, address: str | None) -> None:
    """Forget the identity's failures after a successful login (the address's stay counted)."""
    LoginAttempt.objects.filter(identity=_throttle_key(identity)).delete()
    _prune()


class LoginFailed(Exception):
    """Wrong identity or password (deliberately not saying which)."""

    code = "invalid_credentials"
    message = "证件号码或密码错误"
    message_en = "wrong ID number or password"


class LoginThrottled(Exception):
    """Too many failures; ``retry_at`` says when to try again."""

    code = "too_many_attempts"

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(retry_at.isoformat())
        self.retry_at = retry_at

    @property
    def retry_after_seconds(self) -> int:
        return max(1, int((self.retry_at - timezone.now()).total_seconds() + 0.999))

    @property
    def message(self) -> str:
        local = timezone.localtime(self.retry_at)
        minutes = -(-self.retry_after_seconds // 60)
        return f"登录失败次数过多，请于 {local:%H:%M} 后（约 {minutes} 分钟后）再试"

    @property
    def message_en(self) -> str:
        local = timezone.localtime(self.retry_at)
        minutes = -(-self.retry_after_seconds // 60)
        return f"too many failed logins; try again after {local:%H:%M} (in about {minutes} min)"


def authenticate_login(
    *, identity: str, password: str, address: str | None, request: HttpRequest | None = None
) -> User:
    """Check a login: throttle, then the password. Returns the user (the caller starts the
    session with ``django.contrib.auth.login``); raises ``LoginThrottled`` or ``LoginFailed``."""
    identity = normalize_identity(identity)
    retry_at = login_retry_at(identity=identity, address=address)
    if retry_at is not None:
        raise LoginThrottled(retry_at)
    user = authenticate(request, username=identity, password=password) if identity and password else None
    if user is None:
        login_failed(identity=identity, address=address)
        raise LoginFailed()
    login_succeeded(identity=identity, address=address)
    return user


def client_address(request: HttpRequest) -> str | None:
    """The address failures are counted against: the peer address of the request (a TLS proxy
    in front must pass the real one in REMOTE_ADDR)."""
    return request.META.get("REMOTE_ADDR") or None
