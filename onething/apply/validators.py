"""Data-element validators, named in the catalogue (``DataElement.validator``).

Each takes a value already of the element's JSON type and returns a ``FieldError`` or
None. The same functions run for the HTML form and the API, so both say the same thing.
The identity checks (resident ID, credit code, mobile), the normalisation of identifiers
and ``FieldError`` itself are onething/identity/validators.py's, below accounts and apply;
they are imported here for the registry and for apply's other modules.
"""

import re
from collections.abc import Callable
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from onething.identity.validators import (
    FieldError,
    birth_date_matches_id,  # noqa: F401 (apply/form.py imports it from here)
    credit_code,
    identifier,
    mobile,
    resident_id,
)

Validator = Callable[[object], FieldError | None]
POSTAL_CODE = re.compile(r"^[0-9]{6}$")
PERSON_NAME = re.compile(r"^[\u4e00-\u9fffA-Za-z·•.\s]{2,40}$")
CJK = re.compile(r"[\u4e00-\u9fff]")


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
