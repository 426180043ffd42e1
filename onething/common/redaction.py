"""Personal data out of the logs: resident ID numbers and mobile numbers are masked in every
log line the console handler writes (settings.LOGGING), whoever logged it — our code, an
exception message, or a library such as urllib3, whose DEBUG lines carry the URLs asked of
the data hub (``GET /v1/persons/<ID number>``).

No model imports: logging is configured before the apps are loaded. The masks match
onething.identity.masking.mask_id_number / mask_mobile; they live in services/redaction.py,
which the stand-alone services' access logs use too.
"""

from __future__ import annotations

import logging
import traceback

from services.redaction import MOBILE, RESIDENT_ID, has_personal_data, mask_personal_data

__all__ = ["MOBILE", "RESIDENT_ID", "PersonalDataFilter", "mask_personal_data"]


class PersonalDataFilter(logging.Filter):
    """A handler filter that rewrites a record only when it holds an ID or mobile number:
    the message (formatted with its arguments), string ``extra=`` fields, and the
    exception text (the traceback is then carried as text: ``exc_text`` for the text
    formatter, an ``exception`` field for the JSON one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if has_personal_data(message):
            record.msg, record.args = mask_personal_data(message), None
        for key, value in list(vars(record).items()):
            if key not in {"msg", "message"} and isinstance(value, str) and has_personal_data(value):
                setattr(record, key, mask_personal_data(value))
        if record.exc_info and record.exc_info[0] is not None:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            if has_personal_data(text):
                record.exc_info = None
                record.exc_text = record.exception = mask_personal_data(text)
        return True
