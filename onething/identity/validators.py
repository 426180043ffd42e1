"""Identity checks and normalisation, below accounts and apply (both use them): the one
form an identifier is checked, stored and sent in, and the checks of a resident ID number
(GB 11643, python-stdnum), a unified social credit code (GB 32100) and a mobile number.

Each check takes a value and returns a ``FieldError`` or None, as the data-element
validators of the application form (onething/apply/validators.py, which names these in
its registry) do."""

import re

from django.utils import timezone
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from onething.common.errors import Problem
from services.datahub.ids import normalize as normalize_identifier

# A field's error is the one problem object (code and bilingual message; its field is the
# key it is reported under): onething/common/errors.py.
FieldError = Problem


# ASCII digits only: \d would take any script's digits (identifiers are normalised first, below)
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


RESIDENT_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
CREDIT_CODE_SHAPE = re.compile(r"^[0-9A-Z]{18}$")
# a resident ID or a credit code by its shape only (a login name that is one is stored upper case)
IDENTIFIER_SHAPE = re.compile(r"^[0-9A-Z]{18}$")


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
