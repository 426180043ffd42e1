"""The merged form (一表申请) of a bundle for one situation.

Every applicable item's fields are gathered through their data elements, so a datum
three items need is asked once. A field is required if any applicable item requires it,
locked if any item marks it authoritative, and absent when its item's field condition
does not hold. Fields are grouped into sections a person understands: the definition's
own sections, into which it puts its parties (``bundle.version.parties``: a field is in
the section of the party its key is about), then the engine's own: data several items ask
for, data one item asks for, and the delivery of results. No party or bundle is known
here by name. The same form gives the JSON Schema for the API and the fields for the HTML
page, and one ``validate`` serves both.
"""

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache
from typing import Any

from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator

from onething.apply.validators import EXAMPLES, FieldError, birth_date_matches_id, identifier, run_validator
from onething.catalog import elements, situations
from onething.catalog.definition import DEFAULT_MAX_LENGTH
from onething.catalog.definition.parties import ENGINE_SECTIONS, Party, parties_of, sections_of, subject
from onething.common.i18n import pick
from onething.notice.engine import CompiledBundle, applicable_items

# The engine's own sections, after the definition's (see ENGINE_SECTIONS).
ENGINE_SECTION_LABELS = {
    "event": _("办理事由"),  # data several items ask for
    "items": _("个别事项所需信息"),  # data one item asks for
    "delivery": _("结果送达"),  # the delivery.* elements the engine reads (catalog/elements.py)
}
DELIVERY_SUBJECT = subject(elements.DELIVERY_METHOD)
bilingual = lazy(pick, str)  # a definition's label, in the language of the page it is shown on
SURROGATE = re.compile("[\ud800-\udfff]")  # in a Python str, only a lone one can be there
MAX_NUMBER_EXPONENT = 300  # beyond this a typed number is no amount, and would not survive float() or JSON
JSON_TYPES = {"string": "string", "date": "string", "integer": "integer", "number": "number", "boolean": "boolean"}
OTHER_VALUE_MAX_CHARS = 200  # a date, number, choice or yes/no typed as text is never longer
# What the department request adds around an item's data (keys, case number, material lines,
# callback URL): kept free below the protocol's body limit.
PAYLOAD_ENVELOPE_BYTES = 64 * 1024


@dataclass
class MergedField:
    key: str
    label: str
    label_en: str
    type: str
    validator: str
    choices: list[dict]
    required: bool = False
    authoritative: bool = False
    needed_by: list[str] = field(default_factory=list)
    extra_schema: list[dict] = field(default_factory=list)
    step: str = "items"
    max_length: int | None = None  # free text only: the element's max_length or the default
    projections: list[tuple[str, str]] = field(default_factory=list)  # (item code, the item's field name)

    @property
    def effective_max_length(self) -> int | None:
        """The tightest maximum length: the element's, or an item's ``schema.maxLength``."""
        limits = [extra["maxLength"] for extra in self.extra_schema if isinstance(extra.get("maxLength"), int)]
        if self.max_length is not None:
            limits.append(self.max_length)
        return min(limits, default=None)

    def fits(self, value: Any) -> bool:
        """Whether a draft may keep this value at all: free text up to the field's maximum
        length, anything else up to a few hundred characters. Longer input is refused
        (with a problem), not stored."""
        if isinstance(value, str):
            limit = self.effective_max_length if self.type == "string" else OTHER_VALUE_MAX_CHARS
            return limit is None or len(value) <= limit
        if value is None or isinstance(value, bool | int | float):
            return True
        limit = (self.effective_max_length or 0) if self.type == "string" else OTHER_VALUE_MAX_CHARS
        return len(json.dumps(value, ensure_ascii=False)) <= max(limit, OTHER_VALUE_MAX_CHARS)

    def example(self) -> Any:
        """A valid example value: shown as the input's placeholder, used by tests and benchmarks."""
        if self.type == "enum":
            return self.choices[0]["value"] if self.choices else ""
        simple = {"integer": 3, "number": 12.5, "boolean": True, "date": "2026-11-01"}
        if self.type in {"integer", "number"}:
            low = max((extra["minimum"] for extra in self.extra_schema if "minimum" in extra), default=None)
            high = min((extra["maximum"] for extra in self.extra_schema if "maximum" in extra), default=None)
            value = simple[self.type] if low is None else max(simple[self.type], low)
            return value if high is None else min(value, high)
        if self.type in simple:
            return simple[self.type]
        pattern = next((extra["pattern"] for extra in self.extra_schema if "pattern" in extra), None)
        if pattern:
            return _example_for_pattern(pattern)
        return EXAMPLES.get(self.validator, "示例")

    def json_schema(self) -> dict:
        schema: dict[str, Any] = {"title": self.label}
        if self.type == "enum":
            schema["enum"] = [c["value"] for c in self.choices]
        else:
            schema["type"] = JSON_TYPES[self.type]
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.type == "date":
            schema["format"] = "date"
        if self.extra_schema:
            schema["allOf"] = self.extra_schema
        return schema


def _example_for_pattern(pattern: str) -> str:
    """Digits of the smallest length a simple ``^[0-9]{m,n}$`` pattern allows, else "0"."""
    match = re.fullmatch(r"\^\[0-9\]\{(\d+)(?:,\d+)?\}\$", pattern)
    return "6222020200112233445"[: int(match.group(1))].ljust(int(match.group(1)), "0") if match else "0"


@dataclass
class MergedForm:
    """Built once per compiled version and situation and shared (see ``build_merged_form``):
    never changed after it is built, so what is derived from it is computed once too."""

    fields: list[MergedField]
    item_count: int
    parties: tuple[Party, ...] = ()  # the definition's, in its order (prefill reads them)
    sections: tuple[tuple[str, Any], ...] = ()  # the definition's (key, label), before the engine's

    @cached_property
    def by_key(self) -> dict[str, MergedField]:
        return {f.key: f for f in self.fields}

    @cached_property
    def schema_validator(self) -> Draft202012Validator:
        return _schema_validator(json.dumps(self.json_schema(), sort_keys=True, ensure_ascii=False))

    @property
    def steps(self) -> list[tuple[str, Any, list[MergedField]]]:
        """(section key, label, fields) of every section that has fields, in order."""
        return [
            (key, label, [f for f in self.fields if f.step == key])
            for key, label in self.all_sections
            if any(f.step == key for f in self.fields)
        ]

    @property
    def all_sections(self) -> list[tuple[str, Any]]:
        return [*self.sections, *((key, ENGINE_SECTION_LABELS[key]) for key in ENGINE_SECTIONS)]

    def json_schema(self) -> dict:
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "additionalProperties": False,
            "required": [f.key for f in self.fields if f.required],
            "properties": {f.key: f.json_schema() for f in self.fields},
        }


def build_merged_form(*, compiled: CompiledBundle, answers: dict) -> MergedForm:
    """One field per data element needed by the applicable items for these answers."""
    return _build_cached(compiled, json.dumps(answers, sort_keys=True, ensure_ascii=False))


@lru_cache(maxsize=2048)
def _build_cached(compiled: CompiledBundle, answers_json: str) -> MergedForm:
    answers = json.loads(answers_json)
    merged: dict[str, MergedField] = {}
    entries = applicable_items(compiled, answers)
    fed = _fed_by_upstream(compiled, {entry["item"] for entry in entries})
    for entry in entries:
        item = compiled.items[entry["item"]]
        conditions = entry.get("field_conditions", {})
        for item_field in item.get("fields", []):
            if (item["code"], item_field["name"]) in fed:
                continue
            if not situations.evaluate(conditions.get(item_field["name"]), answers):
                continue
            _merge_field(merged, compiled.elements[item_field["element"]], item_field, item["code"])
    parties = parties_of(compiled.version)
    sections = tuple((s.key, bilingual(s.label, s.label_en)) for s in sections_of(compiled.version))
    section_keys = {key for key, _label in sections}
    party_sections = {p.key: p.section for p in parties if p.section in section_keys}
    for merged_field in merged.values():
        merged_field.step = _step_of(merged_field, party_sections)
    order = {key: index for index, key in enumerate([*(key for key, _label in sections), *ENGINE_SECTIONS])}
    fields = sorted(merged.values(), key=lambda f: order[f.step])  # stable: first appearance within a step
    return MergedForm(fields=fields, item_count=len(entries), parties=parties, sections=sections)


def _fed_by_upstream(compiled: CompiledBundle, applicable: set[str]) -> set[tuple[str, str]]:
    """(item, field) pairs an applicable upstream item's result fills in (e.g. the birth
    certificate number for household registration): the applicant is not asked for them."""
    return {
        (dep["downstream"], mapping["field"])
        for dep in compiled.version.get("dependencies", [])
        if dep["upstream"] in applicable and dep["downstream"] in applicable
        for mapping in dep.get("mappings", [])
    }


def _merge_field(merged: dict[str, MergedField], element: dict, item_field: dict, item_code: str) -> None:
    current = merged.get(element["key"])
    if current is None:
        current = merged[element["key"]] = MergedField(
            key=element["key"],
            label=element["label"],
            label_en=element.get("label_en", ""),
            type=element["type"],
            validator=element.get("validator", ""),
            choices=element.get("choices", []),
            # snapshots published before max_length existed get the default
            max_length=(element.get("max_length") or DEFAULT_MAX_LENGTH) if element["type"] == "string" else None,
        )
    current.required = current.required or item_field.get("required", False)
    current.authoritative = current.authoritative or item_field.get("authoritative", False)
    current.needed_by.append(item_code)
    current.projections.append((item_code, item_field["name"]))
    if item_field.get("schema"):
        current.extra_schema.append(item_field["schema"])


def _step_of(merged_field: MergedField, party_sections: dict[str, str]) -> str:
    """The section of the field's party, if the definition puts it in one; the delivery of
    results; else data several items ask for, or data one item asks for."""
    about = subject(merged_field.key)
    if about in party_sections:
        return party_sections[about]
    if about == DELIVERY_SUBJECT:
        return "delivery"
    return "event" if len(merged_field.needed_by) > 1 else "items"


# --- validation ---------------------------------------------------------------------


def storable(value: Any) -> Any:
    """The value without NUL characters and with lone surrogates replaced (U+FFFD), in
    strings and keys at any depth: nobody types them, and neither PostgreSQL's jsonb nor
    UTF-8 can store them, so a draft saving them would fail."""
    if isinstance(value, str):
        return SURROGATE.sub("\ufffd", value.replace("\x00", ""))
    if isinstance(value, list):
        return [storable(item) for item in value]
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    return value


# elements whose text is an identifier: normalised (NFKC, stripped, upper case) before checking
IDENTIFIER_VALIDATORS = {"resident_id", "credit_code", "mobile", "postal_code"}


def coerce(merged_field: MergedField, raw: Any) -> Any:
    """Turn an HTML form string into the element's JSON type; JSON values pass through.
    Empty input means "not given" (None)."""
    raw = storable(raw)
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if merged_field.type == "integer":
        try:
            return int(text)
        except ValueError:
            return text
    if merged_field.type == "number":
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        if not number.is_finite() or number.adjusted() > MAX_NUMBER_EXPONENT:
            return text  # "Infinity", "NaN", 1e400: left as text, refused as not a number
        return int(number) if number == number.to_integral_value() else float(number)
    if merged_field.type == "boolean":
        lowered = text.lower()
        return {"true": True, "1": True, "on": True, "是": True, "false": False, "0": False, "否": False}.get(
            lowered, text
        )
    if merged_field.validator in IDENTIFIER_VALIDATORS:
        return identifier(text)  # full-width digits stored and sent as ASCII
    return text


@lru_cache(maxsize=2048)
def _schema_validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json))


def validate(form: MergedForm, raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, FieldError]]:
    """Check data against the form: every problem at once, each under its own field key
    (every missing required field, every format problem), in the form's order.
    JSON Schema for shape and length, then each element's validator, then whether each
    item's data fits in one department request. Returns the clean data (only the form's
    fields) and errors per field key."""
    by_key = form.by_key
    data = {key: coerce(by_key[key], value) for key, value in raw.items() if key in by_key}
    data = {key: value for key, value in data.items() if value is not None}
    found: dict[str, FieldError] = {}
    for key in sorted(set(raw) - set(by_key)):
        found[key[:200]] = FieldError("unknown_field", "表单中没有此项", "this form has no such field")
    for merged_field in form.fields:
        if merged_field.required and merged_field.key not in data:
            found[merged_field.key] = _required_error(merged_field)
    for error in form.schema_validator.iter_errors(data):
        if error.validator == "required":
            continue  # reported above, one error per missing field
        key, field_error = _schema_error(error)
        found.setdefault(key, field_error)
    for key, value in data.items():
        if key not in found:
            merged_field = by_key[key]
            validator = merged_field.validator or ("date" if merged_field.type == "date" else "")
            problem = run_validator(validator, value) if validator else None
            if problem:
                found[key] = problem
    _check_birth_dates(by_key, data, found)
    _check_mail_details(by_key, data, found)
    _check_payload_size(form, data, found)
    order = {f.key: index for index, f in enumerate(form.fields)}
    errors = dict(sorted(found.items(), key=lambda pair: order.get(pair[0], len(order))))
    return data, errors


def _required_error(merged_field: MergedField) -> FieldError:
    if merged_field.type in {"enum", "boolean"}:
        return FieldError("required", "请选择此项（必填）", "choose an option (required)")
    if merged_field.type == "date":
        return FieldError("required", "请填写日期（必填），格式 YYYY-MM-DD", "enter a date (required), as YYYY-MM-DD")
    return FieldError("required", "请填写此项（必填）", "enter this field (required)")


def _check_payload_size(form: MergedForm, data: dict, errors: dict[str, FieldError]) -> None:
    """Each item's data goes to its department in one request, which the protocol limits
    (settings.DEPARTMENT_MAX_BODY_BYTES): an item whose data would not fit is refused here,
    before any case exists, on its largest field (it could never be dispatched)."""
    limit = settings.DEPARTMENT_MAX_BODY_BYTES - PAYLOAD_ENVELOPE_BYTES
    sizes: dict[str, int] = {}
    largest: dict[str, tuple[int, str]] = {}
    for key, value in data.items():
        size = len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
        for item_code, name in form.by_key[key].projections:
            sizes[item_code] = sizes.get(item_code, 0) + size + len(name.encode("utf-8")) + 4
            largest[item_code] = max(largest.get(item_code, (0, "")), (size, key))
    for item_code, size in sizes.items():
        if size > limit:
            key = largest[item_code][1]
            mebibytes = settings.DEPARTMENT_MAX_BODY_BYTES / (1024 * 1024)
            errors.setdefault(
                key,
                FieldError(
                    "payload_too_large",
                    f"内容过多：本事项提交给办理部门的数据不能超过 {mebibytes:g} MB，请精简此项",
                    f"too much content: an item's data sent to its department must stay under "
                    f"{mebibytes:g} MiB; shorten this field",
                ),
            )


def _check_mail_details(by_key: dict[str, MergedField], data: dict, errors: dict[str, FieldError]) -> None:
    """Results sent by mail need the address (and the mobile, when the form asks it):
    the delivery choice made here is the one issuance uses (onething/catalog/elements.py)."""
    if data.get(elements.DELIVERY_METHOD) != "mail":
        return
    for key in (elements.DELIVERY_ADDRESS, elements.APPLICANT_MOBILE):
        if key in by_key and data.get(key) is None and key not in errors:
            errors[key] = FieldError("required_for_mail", "选择邮寄送达时此项必填", "required for delivery by mail")


def _check_birth_dates(by_key: dict[str, MergedField], data: dict, errors: dict[str, FieldError]) -> None:
    """A person's birth date must agree with the date inside their resident ID number
    (``<party>.id_number`` vs ``<party>.birth_date``: same prefix)."""
    for key, value in data.items():
        if by_key[key].validator != "resident_id" or key in errors:
            continue
        birth_key = key.rsplit(".", 1)[0] + ".birth_date"
        birth = data.get(birth_key)
        if birth is None or birth_key in errors:
            continue
        problem = birth_date_matches_id(id_number=str(value), birth_date=str(birth))
        if problem:
            errors[birth_key] = problem


def _schema_error(error) -> tuple[str, FieldError]:
    key = str(error.absolute_path[0]) if error.absolute_path else ""
    if error.validator == "enum":
        return key, FieldError("choice", "请从选项中选择", "choose one of the options")
    if error.validator == "type":
        expected = {
            "integer": ("整数（如 3）", "a whole number (e.g. 3)"),
            "number": ("数字（如 12.5）", "a number (e.g. 12.5)"),
            "string": ("文字", "text"),
            "boolean": ("是或否", "yes or no"),
        }.get(error.validator_value, ("正确的格式", "the right format"))
        return key, FieldError("type", f"请填写{expected[0]}", f"enter {expected[1]}")
    if error.validator in {"maxLength", "minLength"} and isinstance(error.instance, str):
        limit, now = error.validator_value, len(error.instance)
        if error.validator == "maxLength":
            return key, FieldError(
                "maxLength", f"最多 {limit} 个字（现有 {now} 个字）", f"at most {limit} characters (this has {now})"
            )
        return key, FieldError(
            "minLength", f"至少 {limit} 个字（现有 {now} 个字）", f"at least {limit} characters (this has {now})"
        )
    limits = {
        "maximum": ("不能大于 {}", "at most {}"),
        "minimum": ("不能小于 {}", "at least {}"),
    }
    if error.validator in limits:
        zh, en = limits[error.validator]
        return key, FieldError(error.validator, zh.format(error.validator_value), en.format(error.validator_value))
    if error.validator == "pattern":
        digits = re.fullmatch(r"\^\[0-9\]\{(\d+)(?:,(\d+))?\}\$", str(error.validator_value))
        if digits:
            low, high = digits.group(1), digits.group(2) or digits.group(1)
            count = low if low == high else f"{low} 至 {high}"
            count_en = low if low == high else f"{low} to {high}"
            return key, FieldError("pattern", f"请填写 {count} 位数字", f"enter {count_en} digits")
        return key, FieldError("pattern", "格式不符合要求，请核对", "this is not in the expected format; check it")
    return key, FieldError("invalid", "内容不符合要求，请核对", "this value is not accepted; check it")
