"""The behaviour of the simulated departments, read from a JSON file (``departments.json`` by default).

A new department or item needs only configuration. The format (``onething.departments/1``)::

    {
      "format": "onething.departments/1",
      "defaults": {                                   # merged under every department (all optional)
        "delay": [0.5, 2.0],                          # processing time range in seconds
        "failures": {"http_5xx": 0, "timeout": 0, "drop_callback": 0},
        "timeout_seconds": 10,                        # how long a "timeout" answer is held back
        "callback": {"attempts": 5, "backoff_seconds": 0.5, "timeout_seconds": 5}
      },
      "departments": {
        "health-commission": {
          "name": "市卫生健康委员会", "secret": "...", "reference_prefix": "WJ",
          "delay": ..., "failures": ..., "timeout_seconds": ..., "callback": ...,   # override the defaults
          "items": {
            "birth-certificate-issue": {
              "name": "出生医学证明签发",
              "outcome": "approve",                   # or "reject" / "supplement"
              "reject_rate": 0, "supplement_rate": 0, "max_supplements": 1,
              "reject_reason": "...", "required_data": ["child_name"],
              "supplement": {"message": "...", "fields": [...], "materials": [...]},
              "certificate": {"type": "birth_medical_certificate", "title": "出生医学证明",
                              "number": "CSYX{year}{seq:08d}", "holder": "...", "holder_name": "{data.child_name}",
                              "valid_until": "..."},
              "outputs": {"certificate_number": "{certificate.number}", "issue_date": "{today}"},
              "labels": {"certificate_number": "出生医学证明编号"}
            }
          }
        }
      }
    }

Loading validates everything (codes, probabilities, templates) and fails with the JSON path of the problem.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .templates import Template, TemplateError, compile_template

FORMAT = "onething.departments/1"
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PREFIX_RE = re.compile(r"^[A-Z0-9]{1,8}$")
OUTCOMES = ("approve", "reject", "supplement")
DEFAULT_REJECT_REASON = "经审核，申请不符合办理条件，不予办理。"
DEFAULT_SUPPLEMENT_MESSAGE = "申请信息或材料需要补正，请按要求补充后重新提交。"


class ConfigError(ValueError):
    """The configuration file is not valid; the message names the offending JSON path."""


@dataclass(frozen=True)
class Failures:
    """Probabilities (0..1) of simulated failures."""

    http_5xx: float = 0.0
    timeout: float = 0.0
    drop_callback: float = 0.0


@dataclass(frozen=True)
class CallbackPolicy:
    """How callbacks are delivered: total attempts, first back-off (doubling), per-attempt timeout."""

    attempts: int = 5
    backoff_seconds: float = 0.5
    timeout_seconds: float = 5.0


@dataclass(frozen=True)
class CertificateSpec:
    """The certificate (e-licence) an approved item case issues."""

    type: str
    title: str
    number: Template
    holder: Template | None = None
    holder_name: Template | None = None
    valid_until: Template | None = None


@dataclass(frozen=True)
class SupplementSpec:
    """What a supplement request asks for."""

    message: str = DEFAULT_SUPPLEMENT_MESSAGE
    fields: tuple[str, ...] = ()
    materials: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemConfig:
    """One service item of a department and how the department decides it."""

    code: str
    name: str
    outcome: str = "approve"
    reject_rate: float = 0.0
    supplement_rate: float = 0.0
    max_supplements: int = 1
    reject_reason: str = DEFAULT_REJECT_REASON
    required_data: tuple[str, ...] = ()
    supplement: SupplementSpec = field(default_factory=SupplementSpec)
    certificate: CertificateSpec | None = None
    outputs: dict[str, Template] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DepartmentConfig:
    """One department: its secret, timing, failures and items."""

    code: str
    name: str
    secret: str
    reference_prefix: str
    delay: tuple[float, float] = (0.5, 2.0)
    failures: Failures = field(default_factory=Failures)
    timeout_seconds: float = 10.0
    callback: CallbackPolicy = field(default_factory=CallbackPolicy)
    items: dict[str, ItemConfig] = field(default_factory=dict)


@dataclass(frozen=True)
class Config:
    """Every department the process serves."""

    departments: dict[str, DepartmentConfig]
    source: str = ""

    def with_overrides(
        self,
        delay_scale: float | None = None,
        failures: dict[str, float] | None = None,
    ) -> Config:
        """A copy with all delays multiplied by ``delay_scale`` and the given failure rates forced everywhere."""
        departments = {}
        for code, department in self.departments.items():
            if delay_scale is not None:
                low, high = department.delay
                department = replace(department, delay=(low * delay_scale, high * delay_scale))
            if failures:
                department = replace(department, failures=replace(department.failures, **failures))
            departments[code] = department
        return replace(self, departments=departments)


# -- parsing -----------------------------------------------------------------------------------------


def _fail(where: str, message: str) -> ConfigError:
    return ConfigError(f"{where}: {message}")


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, "must be an object")
    return value


def _only(value: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise _fail(where, f"unknown key(s) {', '.join(unknown)}")


def _text(value: Any, where: str, default: str | None = None) -> str:
    if value is None and default is not None:
        return default
    if not isinstance(value, str) or not value.strip():
        raise _fail(where, "must be a non-empty string")
    return value.strip()


def _number(value: Any, where: str, low: float = 0.0, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(where, "must be a number")
    if value < low or (high is not None and value > high):
        raise _fail(where, f"must be between {low} and {high}" if high is not None else f"must be >= {low}")
    return float(value)


def _probability(value: Any, where: str) -> float:
    return _number(value, where, 0.0, 1.0)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(each, str) and each for each in value):
        raise _fail(where, "must be a list of non-empty strings")
    return tuple(value)


def _template(value: Any, where: str) -> Template:
    try:
        return compile_template(value)
    except TemplateError as err:
        raise _fail(where, str(err)) from None


def _delay(value: Any, where: str) -> tuple[float, float]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = [value, value]
    if not isinstance(value, list) or len(value) != 2:
        raise _fail(where, "must be [min, max] seconds")
    low, high = (_number(each, f"{where}[{index}]") for index, each in enumerate(value))
    if low > high:
        raise _fail(where, "min must not exceed max")
    return low, high


def _failures(value: Any, where: str, base: Failures) -> Failures:
    value = _object(value, where)
    _only(value, {"http_5xx", "timeout", "drop_callback"}, where)
    return replace(base, **{key: _probability(each, f"{where}.{key}") for key, each in value.items()})


def _callback(value: Any, where: str, base: CallbackPolicy) -> CallbackPolicy:
    value = _object(value, where)
    _only(value, {"attempts", "backoff_seconds", "timeout_seconds"}, where)
    changes: dict[str, Any] = {}
    if "attempts" in value:
        changes["attempts"] = int(_number(value["attempts"], f"{where}.attempts", 1, 20))
    if "backoff_seconds" in value:
        changes["backoff_seconds"] = _number(value["backoff_seconds"], f"{where}.backoff_seconds", 0, 3600)
    if "timeout_seconds" in value:
        changes["timeout_seconds"] = _number(value["timeout_seconds"], f"{where}.timeout_seconds", 0.1, 300)
    return replace(base, **changes)


def _certificate(value: Any, where: str) -> CertificateSpec:
    value = _object(value, where)
    _only(value, {"type", "title", "number", "holder", "holder_name", "valid_until"}, where)
    certificate_type = _text(value.get("type"), f"{where}.type")
    if not CODE_RE.match(certificate_type):
        raise _fail(f"{where}.type", "must be a lower-case code")
    optional = {
        key: _template(value[key], f"{where}.{key}") if value.get(key) is not None else None
        for key in ("holder", "holder_name", "valid_until")
    }
    number = _template(_text(value.get("number"), f"{where}.number"), f"{where}.number")
    if "{" not in number.source:
        raise _fail(f"{where}.number", "must contain a placeholder such as {seq}, or every number would be equal")
    return CertificateSpec(
        type=certificate_type,
        title=_text(value.get("title"), f"{where}.title", default=certificate_type),
        number=number,
        **optional,
    )


ITEM_KEYS = {
    "name",
    "outcome",
    "reject_rate",
    "supplement_rate",
    "max_supplements",
    "reject_reason",
    "required_data",
    "supplement",
    "certificate",
    "outputs",
    "labels",
}


def _item(code: str, value: Any, where: str) -> ItemConfig:
    value = _object(value, where)
    _only(value, ITEM_KEYS, where)
    if not CODE_RE.match(code):
        raise _fail(where, "item codes are lower-case letters, digits, '-' and '_'")
    outcome = value.get("outcome", "approve")
    if outcome not in OUTCOMES:
        raise _fail(f"{where}.outcome", f"must be one of {', '.join(OUTCOMES)}")
    supplement = _object(value.get("supplement", {}), f"{where}.supplement")
    _only(supplement, {"message", "fields", "materials"}, f"{where}.supplement")
    outputs = _object(value.get("outputs", {}), f"{where}.outputs")
    labels = _object(value.get("labels", {}), f"{where}.labels")
    compiled = {name: _template(template, f"{where}.outputs.{name}") for name, template in outputs.items()}
    for index, name in enumerate(compiled):
        later = set(list(compiled)[index:])
        for kind, referenced in compiled[name].references:
            if kind == "result" and (referenced in later or referenced not in compiled):
                raise _fail(f"{where}.outputs.{name}", f"result.{referenced} must be an output listed before it")
    certificate = _certificate(value["certificate"], f"{where}.certificate") if value.get("certificate") else None
    for name, template in compiled.items():
        if ("certificate", "number") in template.references and certificate is None:
            raise _fail(f"{where}.outputs.{name}", "certificate.number needs a certificate")
    if certificate is not None:
        for key in ("number", "holder", "holder_name", "valid_until"):
            template = getattr(certificate, key)
            for kind, referenced in template.references if template else ():
                if kind == "result" and (key == "number" or referenced not in compiled):
                    raise _fail(f"{where}.certificate.{key}", f"result.{referenced} is not available here")
                if kind == "certificate" and key == "number":
                    raise _fail(f"{where}.certificate.number", "cannot refer to itself")
    return ItemConfig(
        code=code,
        name=_text(value.get("name"), f"{where}.name", default=code),
        outcome=outcome,
        reject_rate=_probability(value.get("reject_rate", 0), f"{where}.reject_rate"),
        supplement_rate=_probability(value.get("supplement_rate", 0), f"{where}.supplement_rate"),
        max_supplements=int(_number(value.get("max_supplements", 1), f"{where}.max_supplements", 0, 10)),
        reject_reason=_text(value.get("reject_reason"), f"{where}.reject_reason", default=DEFAULT_REJECT_REASON),
        required_data=_strings(value.get("required_data", []), f"{where}.required_data"),
        supplement=SupplementSpec(
            message=_text(supplement.get("message"), f"{where}.supplement.message", DEFAULT_SUPPLEMENT_MESSAGE),
            fields=_strings(supplement.get("fields", []), f"{where}.supplement.fields"),
            materials=_strings(supplement.get("materials", []), f"{where}.supplement.materials"),
        ),
        certificate=certificate,
        outputs=compiled,
        labels={str(k): _text(v, f"{where}.labels.{k}") for k, v in labels.items()},
    )


def _initials(code: str) -> str:
    return "".join(part[0] for part in re.split(r"[-_]", code) if part).upper()[:8] or "D"


DEPARTMENT_KEYS = {
    "name",
    "secret",
    "reference_prefix",
    "delay",
    "failures",
    "timeout_seconds",
    "callback",
    "items",
}


def _department(code: str, value: Any, defaults: DepartmentConfig, where: str) -> DepartmentConfig:
    value = _object(value, where)
    _only(value, DEPARTMENT_KEYS, where)
    if not CODE_RE.match(code):
        raise _fail(where, "department codes are lower-case letters, digits, '-' and '_'")
    prefix = _text(value.get("reference_prefix"), f"{where}.reference_prefix", default=_initials(code))
    if not PREFIX_RE.match(prefix):
        raise _fail(f"{where}.reference_prefix", "must be 1-8 upper-case letters or digits")
    items = _object(value.get("items", {}), f"{where}.items")
    department = DepartmentConfig(
        code=code,
        name=_text(value.get("name"), f"{where}.name", default=code),
        secret=_text(value.get("secret"), f"{where}.secret"),
        reference_prefix=prefix,
        delay=_delay(value["delay"], f"{where}.delay") if "delay" in value else defaults.delay,
        failures=_failures(value.get("failures", {}), f"{where}.failures", defaults.failures),
        timeout_seconds=(
            _number(value["timeout_seconds"], f"{where}.timeout_seconds", 0, 3600)
            if "timeout_seconds" in value
            else defaults.timeout_seconds
        ),
        callback=_callback(value.get("callback", {}), f"{where}.callback", defaults.callback),
        items={item: _item(item, spec, f"{where}.items.{item}") for item, spec in items.items()},
    )
    numbers = {}
    for item in department.items.values():
        if item.certificate:
            source = item.certificate.number.source
            if source in numbers:
                raise _fail(f"{where}.items.{item.code}.certificate.number", f"same template as {numbers[source]}")
            numbers[source] = item.code
    return department


def parse_config(document: Any, source: str = "") -> Config:
    """Validate a parsed JSON document and build the configuration."""
    document = _object(document, "$")
    _only(document, {"format", "defaults", "departments", "description"}, "$")
    if document.get("format", FORMAT) != FORMAT:
        raise _fail("$.format", f"must be {FORMAT!r}")
    raw_defaults = _object(document.get("defaults", {}), "$.defaults")
    _only(raw_defaults, {"delay", "failures", "timeout_seconds", "callback"}, "$.defaults")
    defaults = DepartmentConfig(
        code="defaults",
        name="defaults",
        secret="-",
        reference_prefix="D",
        delay=_delay(raw_defaults["delay"], "$.defaults.delay") if "delay" in raw_defaults else (0.5, 2.0),
        failures=_failures(raw_defaults.get("failures", {}), "$.defaults.failures", Failures()),
        timeout_seconds=_number(raw_defaults.get("timeout_seconds", 10), "$.defaults.timeout_seconds", 0, 3600),
        callback=_callback(raw_defaults.get("callback", {}), "$.defaults.callback", CallbackPolicy()),
    )
    departments = _object(document.get("departments"), "$.departments")
    if not departments:
        raise _fail("$.departments", "must name at least one department")
    return Config(
        departments={
            code: _department(code, spec, defaults, f"$.departments.{code}") for code, spec in departments.items()
        },
        source=source,
    )


def load_config(path: Path | str) -> Config:
    """Read and validate a configuration file."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror or err})") from None
    except ValueError as err:
        raise ConfigError(f"{path}: not valid JSON ({err})") from None
    return parse_config(document, str(path))
