"""Personal data out of log lines, shared by the engine (onething/common/redaction.py) and
the stand-alone services' access logs (services/httpbody.py). Standard library only: the
services run without Django.

* resident ID numbers (18 characters): ``310104199203150469`` → ``3101**********0469``;
* mobile numbers: ``13916880001`` → ``139****0001``;
* unified social credit codes (GB 32100, 18 characters), in the services' access logs:
  ``91310000MA1FL8XQ3B`` → ``9131**********XQ3B``.
"""

from __future__ import annotations

import re

RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
# GB 32100: registration authority and entity type, 6-digit area code, 9-character
# organisation code and a check character, from the alphabet without I, O, S, V, Z.
CREDIT_CODE = re.compile(r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Za-z])")


def _middle_masked(match: re.Match) -> str:
    return match.group()[:4] + "*" * 10 + match.group()[-4:]


def mask_personal_data(text: str) -> str:
    """Resident ID numbers and mobile numbers masked (what the engine's log filter does)."""
    text = RESIDENT_ID.sub(_middle_masked, text)
    return MOBILE.sub(lambda m: m.group()[:3] + "****" + m.group()[-4:], text)


def has_personal_data(text: str) -> bool:
    return bool(RESIDENT_ID.search(text) or MOBILE.search(text))


def mask_identifiers(text: str) -> str:
    """For access logs of paths and query strings: ID numbers, mobile numbers and credit
    codes masked."""
    return CREDIT_CODE.sub(_middle_masked, mask_personal_data(text))
