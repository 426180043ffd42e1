"""Personal data out of the logs: resident ID numbers and mobile numbers are masked in every
log line the console handler writes (settings.LOGGING), whoever logged it — our code, an
exception message, or a library such as urllib3, whose DEBUG lines carry the URLs asked of
the data hub (``GET /v1/persons/<ID number>``).

No model imports: logging is configured before the apps are loaded. The masks match
onething.accounts.selectors.mask_id_number / mask_mobile.
"""

from __future__ import annotations

import logging
import re
import traceback

RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


def mask_personal_data(text: str) -> str:
    """``310104199203150469`` → ``3101**********0469``; ``13916880001`` → ``139****0001``."""
    text = RESIDENT_ID.sub(lambda m: m.group()[:4] + "*" * 10 + m.group()[-4:], text)
    return MOBILE.sub(lambda m: m.group()[:3] + "****" + m.group()[-4:], text)


def _has_personal_data(text: str) -> bool:
    return bool(RESIDENT_ID.search(text) or MOBILE.search(text))


class PersonalDataFilter(logging.Filter):
    """A handler filter that rewrites a record only when it holds an ID or mobile number:
    the message (formatted with its arguments), string ``extra=`` fields, and the
    exception text (the traceback is then carried as text: ``exc_text`` for the text
    formatter, an ``exception`` field for the JSON one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _has_personal_data(message):
            record.msg, record.args = mask_personal_data(message), None
        for key, value in list(vars(record).items()):
            if key not in {"msg", "message"} and isinstance(value, str) and _has_personal_data(value):
                setattr(record, key, mask_personal_data(value))
        if record.exc_info and record.exc_info[0] is not None:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            if _has_personal_data(text):
                record.exc_info = None
                record.exc_text = record.exception = mask_personal_data(text)
        return True
