"""Data-element validators, named in the catalogue (``DataElement.validator``).

Each takes a value already of the element's JSON type and returns a ``FieldError`` or
None. The same functions run for the HTML form and the API, so both say the same thing.
Resident ID (GB 11643) and unified social credit code (GB 32100) use python-stdnum.
"""

import re
from collections.abc import Callable
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from onething.common.errors import Problem
from services.datahub.ids import normalize as normalize_identifier

# A field's error is the one problem object (code and bilingual message; its field is the
# key it is reported under).
FieldError = Problem


Validator = Callable[[object], FieldError | None]
# ASCII digits only: \d would take any script's digits (identifiers are normalised first, below)
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
POSTAL_CODE = re.compile(r"^[0-9]{6}$")
PERSON_NAME = re.compile(r"^[\u4e00-\u9fffA-Za-z·•.\s]{2,40}$")
CJK = re.compile(r"[\u4e00-\u9fff]")


RESIDENT_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
CREDIT_CODE_SHAPE = re.compile(r"^[0-9A-Z]{18}$")


def identifier(value: object) -> str:
    """An identifier (resident ID, credit code, mobile, postal code) in the one form it is
    checked, stored and sent in: NFKC, stripped, upper case (services/datahub/ids.normalize).
    A full-width ID typed with a Chinese input method becomes its ASCII digits."""
    return normalize_identifier(str(value)) or ""


def resident_id(value: object) -> FieldError | None:
    text = identifier(value)
    if not RESIDENT_ID_SHAPE.match(text):
        return FieldError(
            "resident_id",
            "请填写 18 位居民身份证号码（最后一位可为 X）",
            "enter an 18-character resident ID number (the last one may be X)",
        )
    try:
        ric.validate(text)
    except StdnumError:
        return FieldError(
            "resident_id",
            "居民身份证号码有误：18 位号码中的出生日期或最后一位校验码不符，请逐位核对",
            "this resident ID number does not check out: check the birth date and the last (check) character",
        )
    if ric.get_birth_date(text) > timezone.localdate():
        return FieldError(
            "resident_id_birth",
            "身份证号码中的出生日期晚于今天，请核对 18 位号码",
            "the birth date in the ID is in the future: check the 18 characters",
        )
    return None


def birth_date_matches_id(*, id_number: str, birth_date: str) -> FieldError | None:
    """The birth date encoded in a valid resident ID must equal the stated birth date."""
    try:
        encoded = ric.get_birth_date(identifier(id_number))
    except (StdnumError, ValueError):
        return None
    if str(encoded) != birth_date.strip():
        return FieldError(
            "birth_date_mismatch",
            f"出生日期与身份证号码不一致（证件显示 {encoded:%Y-%m-%d}）",
            f"the birth date does not match the ID number ({encoded})",
        )
    return None


def credit_code(value: object) -> FieldError | None:
    text = identifier(value)
    if not CREDIT_CODE_SHAPE.match(text):
        return FieldError(
            "credit_code",
            "请填写 18 位统一社会信用代码（数字和大写字母）",
            "enter an 18-character unified social credit code (digits and capital letters)",
        )
    try:
        uscc.validate(text)
    except StdnumError:
        return FieldError(
            "credit_code",
            "统一社会信用代码有误：18 位代码的最后一位校验码不符，请逐位核对",
            "this unified social credit code does not check out: check the 18 characters",
        )
    return None


def mobile(value: object) -> FieldError | None:
    if not MOBILE.match(identifier(value)):
        return FieldError(
            "mobile", "请填写 11 位手机号码（以 1 开头）", "enter an 11-digit mobile number (starting with 1)"
        )
    return None


def parse_date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def iso_date(value: object) -> FieldError | None:
    if parse_date(value) is None:
        return FieldError(
            "date", "请填写日期，格式 YYYY-MM-DD（如 2026-11-28）", "enter a date as YYYY-MM-DD (e.g. 2026-11-28)"
        )
    return None


def past_date(value: object) -> FieldError | None:
    parsed = parse_date(value)
    if parsed is None:
        return iso_date(value)
    if parsed > timezone.localdate():
        return FieldError(
            "future_date",
            f"日期不能晚于今天（{timezone.localdate():%Y-%m-%d}）",
            f"the date cannot be after today ({timezone.localdate():%Y-%m-%d})",
        )
    return None


def address(value: object) -> FieldError | None:
    text = str(value).strip()
    if len(text) < 6 or not CJK.search(text):
        return FieldError(
            "address", "请填写完整地址（区、街道、门牌号）", "enter a full address (district, street, number)"
        )
    return None


def postal_code(value: object) -> FieldError | None:
    if not POSTAL_CODE.match(identifier(value)):
        return FieldError(
            "postal_code", "请填写 6 位邮政编码（如 200030）", "enter a 6-digit postal code (e.g. 200030)"
        )
    return None


def email(value: object) -> FieldError | None:
    try:
        validate_email(str(value))
    except ValidationError:
        return FieldError(
            "email", "请填写电子邮箱地址（如 name@example.cn）", "enter an email address (e.g. name@example.cn)"
        )
    return None


def person_name(value: object) -> FieldError | None:
    if not PERSON_NAME.match(str(value).strip()):
        return FieldError(
            "person_name",
            "请填写 2 至 40 个字的姓名（汉字或字母）",
            "enter a name of 2 to 40 characters (Chinese characters or letters)",
        )
    return None


EXAMPLES: dict[str, str] = {
    "resident_id": "310104199203150469",
    "credit_code": "91310115MA1H7Q2KXA",
    "mobile": "13916880001",
    "date": "2026-11-01",
    "past_date": "2026-11-01",
    "address": "上海市徐汇区漕溪北路88弄12号1502室",
    "postal_code": "200030",
    "email": "name@example.cn",
    "person_name": "林晓雯",
}

VALIDATORS: dict[str, Validator] = {
    "resident_id": resident_id,
    "credit_code": credit_code,
    "mobile": mobile,
    "date": iso_date,
    "past_date": past_date,
    "address": address,
    "postal_code": postal_code,
    "email": email,
    "person_name": person_name,
}


def run_validator(name: str, value: object) -> FieldError | None:
    """Apply the named validator; an empty name means no extra check."""
    if not name:
        return None
    return VALIDATORS[name](value)
