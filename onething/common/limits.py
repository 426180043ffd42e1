"""Input limits of the API: how large a request body and how deeply nested a JSON document
may be (docs/security.md, "Input limits and error format").

* ``loads`` parses JSON no deeper than settings.JSON_MAX_DEPTH levels: the nesting is counted
  before parsing (a linear scan), so 5,000 nested brackets are refused with ``TooDeep``
  instead of exhausting the parser's recursion (a 500) or every recursive step after it.
* ``LimitedJSONParser`` is DRF's JSON parser with both limits (REST_FRAMEWORK
  DEFAULT_PARSER_CLASSES); hand-parsed JSON views (the department callbacks) call ``loads``.
* ``body_limit`` is the largest body a path takes: settings.API_MAX_BODY_BYTES for the JSON
  API, DATA_UPLOAD_MAX_MEMORY_SIZE for multipart bodies (file uploads keep their own limit),
  a prefix of settings.API_BODY_LIMITS its own (the department protocol's 2 MiB).
  ``onething.common.middleware.ApiInputMiddleware`` refuses a larger Content-Length with 413
  before anything reads the body.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from rest_framework.parsers import JSONParser

# A JSON string (escapes included) and the brackets outside strings.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class TooDeep(ValueError):
    """A JSON document nested deeper than allowed."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"JSON nested deeper than {limit} levels")


def max_depth() -> int:
    return settings.JSON_MAX_DEPTH


def nesting_exceeds(text: str, limit: int) -> bool:
    """Whether the JSON text opens more than ``limit`` arrays/objects inside one another.
    Brackets inside strings do not count; malformed text is left for the parser to refuse."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def loads(raw: bytes | str, *, limit: int | None = None, **kwargs: Any) -> Any:
    """``json.loads`` refusing documents nested deeper than ``limit`` (settings.JSON_MAX_DEPTH)
    with ``TooDeep`` (a ValueError, like every other malformed JSON)."""
    limit = max_depth() if limit is None else limit
    text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
    if nesting_exceeds(text, limit):
        raise TooDeep(limit)
    return json.loads(text, **kwargs)


def body_limit(request: HttpRequest) -> int:
    """The largest request body this path accepts, in bytes."""
    for prefix, limit in sorted(settings.API_BODY_LIMITS.items(), key=lambda item: -len(item[0])):
        if request.path.startswith(prefix):
            return limit
    if request.content_type == "multipart/form-data":
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return settings.API_MAX_BODY_BYTES


def is_api_path(path: str) -> bool:
    return any(path.startswith(prefix) for prefix in settings.API_PATH_PREFIXES)


class LimitedJSONParser(JSONParser):
    """DRF's JSON parser with the body and depth limits, errors in the API's format."""

    def parse(self, stream, media_type=None, parser_context=None):
        from rest_framework.exceptions import ParseError

        from onething.common.api import too_deep_error, too_large_error  # (api imports DRF's views, which load this)

        parser_context = parser_context or {}
        request = parser_context.get("request")
        limit = body_limit(request._request) if request is not None else settings.API_MAX_BODY_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise too_large_error(limit)
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        try:
            return loads(text, parse_constant=_strict if self.strict else None)
        except TooDeep as exc:
            raise too_deep_error(exc.limit) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


def _strict(constant: str) -> None:
    """NaN and Infinity are not JSON (DRF's STRICT_JSON)."""
    raise ValueError(f"Out of range float values are not JSON compliant: {constant!r}")
