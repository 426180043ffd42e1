"""Business rules of accounts: sign-up with a real-name check, and login (throttled by django-axes).

The HTML pages and the REST API both call these functions, so both refuse the same things
with the same (bilingual) messages.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone, translation

from onething.accounts import throttle
from onething.accounts.models import SignupChallenge, User
from onething.audit import services as audit
from onething.identity import validators
from onething.identity.datahub import DatahubRequestError, DatahubUnavailable, datahub_client
from onething.identity.validators import IDENTIFIER_SHAPE, RESIDENT_ID_SHAPE, FieldError

logger = logging.getLogger(__name__)

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
    "password_too_similar": "密码与您的{verbose_name}太相似，请换一个",
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


def _claimable(user: User) -> bool:
    """An account opened for a walk-in applicant at a window: no usable password yet, so it may
    be claimed online, with the same proof as a sign-up."""
    return not user.has_usable_password() and user.role in {User.Role.CITIZEN, User.Role.ENTERPRISE}


def _required(message: str, message_en: str) -> list[FieldError]:
    return [FieldError("required", message, message_en)]


def sign_up_problems(
    *,
    id_number: str,
    full_name: str,
    password: str,
    representative_id_number: str = "",
    representative_name: str = "",
) -> dict[str, list[FieldError]]:
    """What is wrong with sign-up details on their face, before asking the data hub: the
    identifier (shape, check character), the name, for an enterprise its legal representative's
    ID number and name, the password's strength. Empty when fine. Nothing here depends on what
    the hub holds or on who has an account, so these answers tell nobody anything."""
    id_number = validators.identifier(id_number or "")
    full_name = (full_name or "").strip()
    errors: dict[str, list[FieldError]] = {}
    role, id_error = identity_kind(id_number)
    if id_error:
        errors["id_number"] = [id_error]
    if not full_name:
        errors["full_name"] = (
            _required("请填写企业名称", "enter the enterprise's name")
            if role == User.Role.ENTERPRISE
            else _required("请填写姓名", "enter your name")
        )
    elif len(full_name) > User._meta.get_field("full_name").max_length:
        errors["full_name"] = [FieldError("too_long", "名称过长", "the name is too long")]
    if role == User.Role.ENTERPRISE:
        representative = validators.identifier(representative_id_number or "")
        if not representative:
            errors["representative_id_number"] = _required(
                "请填写法定代表人的居民身份证号码", "enter the legal representative's resident ID number"
            )
        elif problem := validators.resident_id(representative):
            errors["representative_id_number"] = [problem]
        if not (representative_name or "").strip():
            errors["representative_name"] = _required("请填写法定代表人姓名", "enter the legal representative's name")
    candidate = User(username=id_number, id_number=id_number, full_name=full_name)
    if weak := password_errors(password=password or "", user=candidate):
        errors["password"] = weak
    return errors


# --- Sign-up in two steps: start (details, code to the hub's mobile), verify (the code) ----------

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=5)
CODE_TRIES = 5

CODE_SENT_MESSAGE = "若信息与政务数据一致，验证码已发送至您在政务数据中登记的手机，5 分钟内有效"
CODE_SENT_MESSAGE_EN = (
    "if the details match the government data, a code has been sent to the mobile registered there; "
    "it is valid for 5 minutes"
)


@dataclass(frozen=True)
class SignUpStarted:
    """The answer to step 1, the same whatever was asked: ``token`` names the pending sign-up
    (send it back with the code); the message never says whether a code was sent."""

    token: str
    expires_at: datetime
    message: str = CODE_SENT_MESSAGE
    message_en: str = CODE_SENT_MESSAGE_EN


class SignUpThrottled(Exception):
    """Too many sign-up requests from one address or for one identity; retry after the seconds given."""

    code = "too_many_attempts"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(retry_after_seconds)
        self.retry_after_seconds = max(1, int(retry_after_seconds))

    @property
    def minutes(self) -> int:
        return -(-self.retry_after_seconds // 60)

    @property
    def message(self) -> str:
        return f"注册请求过于频繁，请约 {self.minutes} 分钟后再试"

    @property
    def message_en(self) -> str:
        return f"too many sign-up requests; try again in about {self.minutes} min"


@dataclass(frozen=True)
class _HubContact:
    """What the data hub says about an identity that checked out: the name to store and the
    mobile to send the code to (None when the hub has none)."""

    full_name: str
    mobile: str | None


def _digest(kind: str, value: str) -> str:
    """HMAC-SHA256 under SECRET_KEY: tokens and codes are stored only as this."""
    key = f"onething.accounts.signup:{kind}:{settings.SECRET_KEY}".encode()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _code_digest(token_hash: str, code: str) -> str:
    return _digest("code", f"{token_hash}:{code}")


def _purge_expired_challenges() -> None:
    SignupChallenge.objects.filter(expires_at__lt=timezone.now()).delete()


def _check_rate(*, step: str, address: str | None, identity: str | None) -> None:
    from onething.accounts.throttling import signup_retry_after

    retry_after = signup_retry_after(step=step, address=address, identity=identity)
    if retry_after is not None:
        raise SignUpThrottled(retry_after)


def sign_up_start(
    *,
    id_number: str,
    full_name: str,
    password: str,
    representative_id_number: str = "",
    representative_name: str = "",
    address: str | None = None,
) -> SignUpStarted:
    """Step 1 of signing up (or of claiming an account opened at a window).

    A resident ID number makes a citizen: ID number and name must be the data hub's person
    record. A unified social credit code makes an enterprise: registered (not deregistered)
    under ``full_name``, with the legal representative of the hub's entity record
    (``representative_id_number``, ``representative_name``). When they match and the identity
    has no account, or only one opened at a window, a 6-digit code is sent by SMS to the mobile
    the hub holds (the person's, or the legal representative's) through the notification
    channels. Whatever the details, the answer is the same ``SignUpStarted``: nobody learns from
    it whether the details matched or whether the identity has an account. (An identity that
    has an account gets an SMS on the hub's mobile saying so, without a code.)

    Raises ``SignUpError`` ``invalid_sign_up`` for details wrong on their face (see
    ``sign_up_problems``), ``verification_unavailable`` when the hub cannot be asked, and
    ``SignUpThrottled`` when ``address`` or the identity asked too often.
    """
    id_number = validators.identifier(id_number or "")
    full_name = (full_name or "").strip()
    representative_id_number = validators.identifier(representative_id_number or "")
    representative_name = (representative_name or "").strip()
    if errors := sign_up_problems(
        id_number=id_number,
        full_name=full_name,
        password=password,
        representative_id_number=representative_id_number,
        representative_name=representative_name,
    ):
        raise _invalid(errors)
    _check_rate(step="start", address=address, identity=id_number)
    role, _error = identity_kind(id_number)
    contact = _hub_contact(
        role=role,
        id_number=id_number,
        full_name=full_name,
        representative_id_number=representative_id_number,
        representative_name=representative_name,
    )
    _purge_expired_challenges()
    token = secrets.token_urlsafe(32)
    token_hash = _digest("token", token)
    expires_at = timezone.now() + CODE_LIFETIME
    with transaction.atomic():
        existing = User.objects.filter(Q(id_number=id_number) | Q(username=id_number)).first()
        open_to_sign_up = existing is None or _claimable(existing)
        code = None
        weak = contact is not None and _too_like_the_mobile(password, contact.mobile)
        if contact is not None and contact.mobile and open_to_sign_up and not weak:
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        challenge = SignupChallenge.objects.create(
            token_hash=token_hash,
            identity=id_number,
            role=role,
            full_name=contact.full_name if contact else "",
            mobile=(contact.mobile or "") if contact else "",
            password_hash=make_password(password),
            code_hash=_code_digest(token_hash, code) if code else "",
            expires_at=expires_at,
        )
        if code is not None:
            _send_code(challenge=challenge, code=code)
        elif contact is not None and contact.mobile and not open_to_sign_up:
            _send_already_registered(challenge=challenge)
        elif weak:
            _send_weak_password(challenge=challenge)
    return SignUpStarted(token=token, expires_at=expires_at)


def _sms_to_hub_mobile(*, challenge: SignupChallenge, kind: str, subject: str, body: str) -> None:
    """An SMS about a sign-up to the mobile the data hub holds (never to a typed number),
    through the notification channels; once per challenge and kind."""
    from onething.notifications.services import notify

    notify(
        recipient=None,
        subject=subject,
        body=body,
        dedup_key=f"signup-{kind}:{challenge.pk}:{challenge.token_hash[:16]}",
        channels=("sms",),
        addresses={"sms": challenge.mobile},
    )


def _send_code(*, challenge: SignupChallenge, code: str) -> None:
    _sms_to_hub_mobile(
        challenge=challenge,
        kind="code",
        subject="注册验证码",
        body=(
            f"【一件事】您的注册验证码为 {code}，{int(CODE_LIFETIME.total_seconds() // 60)} 分钟内有效。"
            "请勿告诉他人；如非本人操作，请忽略本短信。"
        ),
    )


def _too_like_the_mobile(password: str, mobile: str | None) -> bool:
    """The password resembles the mobile the hub holds. Checked only once the hub has
    answered, and told only to that mobile (never in the response: that would confirm a
    guessed number)."""
    if not mobile:
        return False
    try:
        validate_password(password, user=User(mobile=mobile))
    except ValidationError as refused:
        return any(error.code == "password_too_similar" for error in refused.error_list)
    return False


def _send_weak_password(*, challenge: SignupChallenge) -> None:
    _sms_to_hub_mobile(
        challenge=challenge,
        kind="weak",
        subject="注册提醒",
        body="【一件事】您设置的密码与本手机号码太相似，未发送验证码；请重新注册并换一个密码。如非本人操作，请忽略本短信。",
    )


def _send_already_registered(*, challenge: SignupChallenge) -> None:
    _sms_to_hub_mobile(
        challenge=challenge,
        kind="registered",
        subject="注册提醒",
        body="【一件事】有人使用您的证件申请注册，该证件已有账号，请直接登录；如非本人操作，请忽略本短信。",
    )


def _hub_contact(
    *, role: str, id_number: str, full_name: str, representative_id_number: str, representative_name: str
) -> _HubContact | None:
    """Ask the data hub whether the details are its own; None when they are not. Raises
    ``SignUpError`` ``verification_unavailable`` when it cannot be asked."""
    try:
        with datahub_client() as hub:
            if role == User.Role.CITIZEN:
                person = hub.get_person(id_number)
                if person is None or (person.get("name") or "") != full_name:
                    return None
                return _HubContact(full_name=full_name, mobile=person.get("mobile") or None)
            enterprise = hub.get_enterprise(id_number)
            if (
                enterprise is None
                or enterprise.get("status") == "注销"
                or not _same_name(full_name, enterprise.get("name") or "")
                or (enterprise.get("legal_representative_id_number") or "").upper() != representative_id_number
                or (enterprise.get("legal_representative_name") or "") != representative_name
            ):
                return None
            representative = hub.get_person(representative_id_number)
    except DatahubUnavailable:
        logger.warning("sign-up refused: data hub unavailable", exc_info=True)
        raise _unavailable() from None
    except DatahubRequestError:  # local validation passed, so the hub (or our key) is at fault
        logger.exception("sign-up refused: data hub rejected the request")
        raise _unavailable() from None
    if representative is None or (representative.get("name") or "") != representative_name:
        return None
    return _HubContact(full_name=enterprise["name"], mobile=representative.get("mobile") or None)


def _expired() -> SignUpError:
    return SignUpError(
        "signup_expired",
        "验证码已失效（超过 5 分钟或错误次数过多），请重新填写注册信息获取新的验证码",
        "the code is no longer valid (older than 5 minutes or tried too often); start the sign-up again",
        {"code": [FieldError("signup_expired", "验证码已失效，请重新获取", "the code is no longer valid")]},
    )


def _wrong_code(tries_left: int) -> SignUpError:
    return SignUpError(
        "invalid_code",
        "验证码错误，请核对短信",
        "wrong code; check the SMS",
        {
            "code": [
                FieldError(
                    "invalid_code",
                    f"验证码错误，还可再试 {tries_left} 次",
                    f"wrong code; {tries_left} more {'try' if tries_left == 1 else 'tries'}",
                )
            ]
        },
    )


def signup_identity(*, token: str) -> str | None:
    """The identity a pending sign-up is for (to throttle step 2 per identity), or None."""
    if not token:
        return None
    return SignupChallenge.objects.filter(token_hash=_digest("token", token)).values_list("identity", flat=True).first()


def sign_up_verify(*, token: str, code: str, address: str | None = None) -> User:
    """Step 2: the code sent by ``sign_up_start``. The right code within ``CODE_LIFETIME``
    and ``CODE_TRIES`` creates the account (real-name verified; the mobile is the hub's, the
    password the one chosen at step 1) or, for an account opened at a window, claims it (sets
    its password; the hub's mobile and name replace what was typed at the window), writes the
    audit event and returns the user; the caller logs them in.

    Raises ``SignUpError`` ``invalid_code`` (a try is counted), ``signup_expired`` (unknown
    token, too old, tries used up, or the identity has meanwhile got an account: start again),
    ``SignUpThrottled``. A pending sign-up for which no code was sent answers exactly like one
    with a wrong code.
    """
    token = (token or "").strip()
    code = (code or "").strip()
    _check_rate(step="verify", address=address, identity=signup_identity(token=token))
    token_hash = _digest("token", token)
    refusal: SignUpError | None = None
    with transaction.atomic():
        challenge = SignupChallenge.objects.select_for_update().filter(token_hash=token_hash).first()
        if challenge is None or challenge.expires_at <= timezone.now() or challenge.tries >= CODE_TRIES:
            raise _expired()
        right = bool(challenge.code_hash) and hmac.compare_digest(challenge.code_hash, _code_digest(token_hash, code))
        if right:
            user = _open_account(challenge)
            if user is not None:
                SignupChallenge.objects.filter(identity=challenge.identity).delete()
                return user
            refusal = _expired()
            challenge.tries = CODE_TRIES
        else:
            challenge.tries += 1
            tries_left = CODE_TRIES - challenge.tries
            refusal = _wrong_code(tries_left) if tries_left > 0 else _expired()
        challenge.save(update_fields=["tries"])
    raise refusal


def _open_account(challenge: SignupChallenge) -> User | None:
    """Create the account of a verified challenge, or claim the window account; None if the
    identity has meanwhile got an account that can log in."""
    existing = (
        User.objects.select_for_update()
        .filter(Q(id_number=challenge.identity) | Q(username=challenge.identity))
        .first()
    )
    if existing is not None:
        if not _claimable(existing):
            return None
        before = {"role": existing.role, "real_name_verified": existing.real_name_verified, "claimed": False}
        existing.password = challenge.password_hash
        existing.full_name, existing.mobile, existing.role = challenge.full_name, challenge.mobile, challenge.role
        existing.real_name_verified = True
        existing.save()
        audit.record(
            action="account.claimed",
            actor=existing,
            obj=existing,
            before=before,
            after={"role": existing.role, "real_name_verified": True, "claimed": True},
            note="在线认领窗口代办时开立的账号（验证码发送至政务数据登记的手机）",
        )
        return existing
    try:
        with transaction.atomic():
            user = User.objects.create(
                username=challenge.identity,
                password=challenge.password_hash,
                role=challenge.role,
                id_number=challenge.identity,
                full_name=challenge.full_name,
                mobile=challenge.mobile,
                real_name_verified=True,
            )
    except IntegrityError:  # signed up at the same moment by another request
        return None
    audit.record(
        action="account.signed_up",
        actor=user,
        obj=user,
        after={"role": user.role, "real_name_verified": True},
        note="在线注册（验证码发送至政务数据登记的手机）",
    )
    return user


# --- Login (throttled by django-axes, see onething/accounts/throttle.py) -------------------------


class LoginFailed(Exception):
    """Wrong identity or password (deliberately not saying which)."""

    code = "invalid_credentials"
    message = "证件号码或密码错误"
    message_en = "wrong ID number or password"


class LoginThrottled(Exception):
    """Too many failures for the identity or the address; ``retry_at`` says when to try again."""

    code = "too_many_attempts"

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(retry_at.isoformat())
        self.retry_at = retry_at
        self._locked = throttle.Locked(retry_at)

    @property
    def retry_after_seconds(self) -> int:
        return self._locked.retry_after_seconds

    @property
    def message(self) -> str:
        return self._locked.message

    @property
    def message_en(self) -> str:
        return self._locked.message_en


def authenticate_login(*, identity: str, password: str, request: HttpRequest) -> User:
    """Check a login through ``django.contrib.auth.authenticate``, where django-axes counts the
    failures per identity and per address and refuses a locked-out identity or address before
    the password is looked at (the same count as the admin's login). Returns the user (the
    caller starts the session with ``django.contrib.auth.login``); raises ``LoginThrottled`` or
    ``LoginFailed``. ``request`` is the Django request (``request._request`` under DRF)."""
    identity = normalize_identity(identity)
    user = authenticate(request, username=identity, password=password) if identity and password else None
    if user is not None:
        return user
    if getattr(request, "axes_locked_out", False):
        raise LoginThrottled(throttle.locked_until(request=request, identity=identity))
    raise LoginFailed()
