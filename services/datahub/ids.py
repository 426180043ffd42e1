"""Identifier arithmetic: resident ID numbers (GB 11643) and unified social credit codes (GB 32100).

The server validates every identifier it receives and the generator must only produce valid ones;
both use these stdlib-only functions so that the service needs no third-party package.
The test-suite cross-checks them against python-stdnum.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RIC_CHECK = "10X98765432"
_RIC_RE = re.compile(r"^[0-9]{17}[0-9X]$")  # ASCII digits only (\d would take any script's)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(r"^[0-9]{8}[" + USCC_ALPHABET + r"]{10}$")
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def ric_check_digit(body: str) -> str:
    """Return the GB 11643 check character for the first 17 digits of an ID number."""
    total = sum(int(digit) * weight for digit, weight in zip(body[:17], _RIC_WEIGHTS, strict=True))
    return _RIC_CHECK[total % 11]


def make_id_number(area_code: str, birth_date: date, sequence: int) -> str:
    """Build an 18-digit resident ID number; an odd sequence means male, an even one female."""
    if not (len(area_code) == 6 and area_code.isdigit() and 0 <= sequence <= 999):
        raise ValueError("area code must be 6 digits and sequence 0..999")
    body = f"{area_code}{birth_date:%Y%m%d}{sequence:03d}"
    return body + ric_check_digit(body)


def is_valid_id_number(value: object) -> bool:
    """Check format, birth date and check digit (the area code is not checked: any Chinese ID may apply)."""
    if not isinstance(value, str) or not _RIC_RE.match(value):
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return value[17] == ric_check_digit(value)


def org_code_check_digit(body: str) -> str:
    """Return the GB 11714 organisation-code check character for an 8-character body."""
    total = sum(_BASE36.index(char) * weight for char, weight in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_check_digit(body: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a credit code."""
    total = sum(USCC_ALPHABET.index(char) * weight for char, weight in zip(body[:17], _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def make_credit_code(area_code: str, org_body: str, authority: str = "9", entity_type: str = "1") -> str:
    """Build a credit code: authority (9 = market regulation), type (1 = enterprise), area, organisation code."""
    if len(org_body) != 8 or any(char not in USCC_ALPHABET for char in org_body):
        raise ValueError("organisation code body must be 8 characters of the credit-code alphabet")
    body = f"{authority}{entity_type}{area_code}{org_body}{org_code_check_digit(org_body)}"
    return body + uscc_check_digit(body)


def is_valid_credit_code(value: object) -> bool:
    """Check length, alphabet and the GB 32100 check character."""
    if not isinstance(value, str) or not _USCC_RE.match(value):
        return False
    return value[17] == uscc_check_digit(value)


def normalize(value: object) -> str | None:
    """An identifier as typed by a person in its one stored form: Unicode NFKC (full-width
    digits and letters of a Chinese input method become ASCII), stripped, upper case (a
    lower-case 'x' is common); None if not a string. The one rule for every identifier
    field (resident ID, credit code, mobile): the engine's validators, sign-up and login, the
    data hub. What is still not ASCII afterwards (digits of other scripts) fails the checks."""
    if not isinstance(value, str):
        return None
    return unicodedata.normalize("NFKC", value).strip().upper()


def is_valid_holder(value: object) -> bool:
    """An e-licence holder is either a natural person (ID number) or a legal entity (credit code)."""
    return is_valid_id_number(value) or is_valid_credit_code(value)
