"""A small, safe template language for output values and certificate numbers.

A template is text with placeholders ``{expression}`` or ``{expression:format-spec}``; ``{{`` and ``}}`` are
literal braces. An expression is one or more alternatives separated by ``|``: the first that is not empty
wins (``{data.child_id_number|resident_id(310101, data.child_birth_date, data.child_gender)}``).
An alternative is one of

* ``seq`` — this item case's sequence number (1, 2, ... per department and item, persisted);
* ``year`` — the current year (Shanghai time); ``today`` / ``today+N`` / ``today-N`` — ISO date, N days later/earlier;
* ``reference``, ``department``, ``item`` — the item case's reference, department code and item code;
* ``data.FIELD`` — a submitted data field (missing → empty); ``result.FIELD`` — an already rendered output;
  ``certificate.number`` — the certificate number of this item case;
* ``randint(LOW, HIGH)`` — a random integer (the item case's seeded RNG); ``digits(N)`` — N random digits;
* ``resident_id(AREA, BIRTH_DATE, GENDER)`` — a GB 11643 resident ID number (valid check digit);
* ``credit_code(AREA)`` — a GB 32100 unified social credit code (valid check characters);
* a decimal integer literal, or a text literal in single quotes (``'male'``; no braces, ``|``, ``,``,
  ``:`` or parentheses inside).

Function arguments are literals or the references above. The format spec is Python's format-spec mini
language applied to the value (``{seq:08d}``). There is no attribute access, no indexing and no eval:
templates come from a configuration file and are compiled (and trial-rendered) when it is loaded.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_REFERENCE = re.compile(r"^(data|result|certificate)\.([A-Za-z0-9_.-]+)$")
_TODAY = re.compile(r"^today\s*([+-])\s*(\d{1,5})$")
_CALL = re.compile(r"^([a-z_]+)\s*\((.*)\)$", re.S)
_INTEGER = re.compile(r"^-?\d{1,12}$")
_STRING = re.compile(r"^'([^'{}|,:()]*)'$")

SIMPLE_NAMES = frozenset({"seq", "year", "today", "reference", "department", "item"})
FUNCTIONS = {"randint": 2, "digits": 1, "resident_id": 3, "credit_code": 1}

_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RIC_CHECK = "10X98765432"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class TemplateError(ValueError):
    """A template does not parse, or names something the language does not have."""


@dataclass
class Context:
    """What a template can see while one item case is being decided."""

    seq: int
    today: date
    reference: str = ""
    department: str = ""
    item: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)
    certificate: dict[str, Any] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)


# -- identifiers -------------------------------------------------------------------------------------


def ric_check_digit(body: str) -> str:
    """GB 11643 check character of the first 17 digits of a resident ID number."""
    return _RIC_CHECK[sum(int(d) * w for d, w in zip(body[:17], _RIC_WEIGHTS, strict=True)) % 11]


def uscc_check_digit(body: str) -> str:
    """GB 32100 check character of the first 17 characters of a credit code."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body[:17], _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check_digit(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code."""
    check = 11 - sum(_BASE36.index(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _area(value: Any) -> str:
    text = str(value).strip()
    return text if len(text) == 6 and text.isdigit() else "310101"


def resident_id(area: Any, birth_date: Any, gender: Any, seq: int) -> str:
    """An ID number for a person born on ``birth_date`` (today if not an ISO date); odd order code = male."""
    try:
        born = date.fromisoformat(str(birth_date).strip()[:10])
    except ValueError:
        born = date.today()
    male = str(gender).strip().lower() in {"male", "m", "1", "男"}
    order = (seq % 499) * 2 + 2 - (1 if male else 0)  # 1..998, parity by sex
    body = f"{_area(area)}{born:%Y%m%d}{order:03d}"
    return body + ric_check_digit(body)


def credit_code(area: Any, seq: int) -> str:
    """A company's credit code: 9 (market regulation), 1 (enterprise), area, organisation code ``MA7`` + seq."""
    digits, rest = [], seq % 31**5
    for _ in range(5):
        rest, digit = divmod(rest, 31)
        digits.append(USCC_ALPHABET[digit])
    org = "MA7" + "".join(reversed(digits))
    body = f"91{_area(area)}{org}{org_code_check_digit(org)}"
    return body + uscc_check_digit(body)


# -- compilation -------------------------------------------------------------------------------------


def _split_spec(text: str) -> tuple[str, str]:
    """Split ``expression:spec`` at the first colon outside parentheses."""
    depth = 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ":" and depth == 0:
            return text[:index], text[index + 1 :]
    return text, ""


def _split_args(text: str) -> list[str]:
    return [] if not text.strip() else [part.strip() for part in text.split(",")]


def _atom(text: str) -> tuple:
    """Compile one alternative into a small tuple the renderer interprets."""
    text = text.strip()
    if _INTEGER.match(text):
        return ("int", int(text))
    if match := _STRING.match(text):
        return ("str", match.group(1))
    if text in SIMPLE_NAMES:
        return ("name", text)
    if match := _TODAY.match(text):
        return ("today", int(match.group(2)) * (1 if match.group(1) == "+" else -1))
    if match := _REFERENCE.match(text):
        if match.group(1) == "certificate" and match.group(2) != "number":
            raise TemplateError(f"only certificate.number is available, not {text!r}")
        return ("ref", match.group(1), match.group(2))
    if match := _CALL.match(text):
        name, args = match.group(1), _split_args(match.group(2))
        if name not in FUNCTIONS:
            raise TemplateError(f"unknown function {name!r}")
        if len(args) != FUNCTIONS[name]:
            raise TemplateError(f"{name}() takes {FUNCTIONS[name]} arguments")
        compiled = [_atom(arg) for arg in args]
        if any(arg[0] == "call" for arg in compiled):
            raise TemplateError("function calls cannot be nested")
        return ("call", name, compiled)
    raise TemplateError(f"unknown expression {text!r}")


@dataclass(frozen=True)
class Template:
    """A compiled template; ``render`` never raises for missing data (it renders empty text instead)."""

    source: str
    parts: tuple

    def render(self, context: Context) -> str:
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            alternatives, spec = part
            value: Any = ""
            for atom in alternatives:
                value = _evaluate(atom, context)
                if value not in ("", None):
                    break
            out.append(_format(value, spec))
        return "".join(out)

    @property
    def references(self) -> set[tuple[str, str]]:
        """The ``(kind, name)`` pairs of data/result/certificate references, for configuration checks."""
        found: set[tuple[str, str]] = set()
        for part in self.parts:
            if isinstance(part, str):
                continue
            for atom in part[0]:
                for each in [atom, *(atom[2] if atom[0] == "call" else [])]:
                    if each[0] == "ref":
                        found.add((each[1], each[2]))
        return found


def compile_template(source: str) -> Template:
    """Parse a template; raise TemplateError with the reason if it is not valid."""
    if not isinstance(source, str):
        raise TemplateError("a template must be a string")
    parts: list = []
    position = 0
    for match in _PLACEHOLDER.finditer(source):
        if match.start() > position:
            parts.append(source[position : match.start()])
        position = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            parts.append(token[0])
        elif match.group(1) is None:
            raise TemplateError(f"unbalanced brace in {source!r}")
        else:
            expression, spec = _split_spec(match.group(1))
            alternatives = tuple(_atom(alt) for alt in expression.split("|"))
            if not expression.strip():
                raise TemplateError(f"empty placeholder in {source!r}")
            if spec and not _spec_ok(spec):
                raise TemplateError(f"bad format spec {spec!r} in {source!r}")
            parts.append((alternatives, spec))
    if position < len(source):
        parts.append(source[position:])
    return Template(source, tuple(parts))


def _spec_ok(spec: str) -> bool:
    for sample in (1, "x", 1.0):
        try:
            format(sample, spec)
        except ValueError:
            continue
        return True
    return False


# -- evaluation --------------------------------------------------------------------------------------


def _evaluate(atom: tuple, context: Context) -> Any:
    kind = atom[0]
    if kind in ("int", "str"):
        return atom[1]
    if kind == "name":
        name = atom[1]
        if name == "today":
            return context.today.isoformat()
        if name == "year":
            return context.today.year
        return {"seq": context.seq, "reference": context.reference, "department": context.department}.get(
            name, context.item
        )
    if kind == "today":
        return (context.today + timedelta(days=atom[1])).isoformat()
    if kind == "ref":
        source = {"data": context.data, "result": context.result, "certificate": context.certificate}[atom[1]]
        value = source.get(atom[2])
        return "" if value is None or isinstance(value, dict | list) else value
    args = [_evaluate(arg, context) for arg in atom[2]]
    return _call(atom[1], args, context)


def _int(value: Any, default: Any) -> Any:
    try:
        return int(str(value).strip())
    except ValueError:
        return default


def _call(name: str, args: list[Any], context: Context) -> Any:
    if name == "randint":
        low, high = _int(args[0], 0), _int(args[1], 0)
        return context.rng.randint(min(low, high), max(low, high))
    if name == "digits":
        return "".join(context.rng.choice("0123456789") for _ in range(max(0, min(_int(args[0], 0), 64))))
    if name == "resident_id":
        return resident_id(args[0], args[1], args[2], context.seq)
    return credit_code(args[0], context.seq)


def _format(value: Any, spec: str) -> str:
    if not spec:
        return str(value)
    if isinstance(value, str) and spec[-1:] in "bcdoxXn":
        number = _int(value, None)
        value = number if number is not None else value
    try:
        return format(value, spec)
    except (ValueError, TypeError):
        return str(value)
