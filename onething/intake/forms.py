"""Forms of the clerk console (综合窗口受理台).

They only read and shape what the clerk typed; every rule of acceptance, return, refusal
and reassignment lives in :mod:`onething.intake.services` (the same for the portal, the
window and the API). So a material left without an outcome is not an error here: the
service names it ("缺少必需材料") together with every other problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from onething.apply import validators
from onething.intake.materials import Decision
from onething.intake.models import MaterialCheck
from onething.notice.engine import NoticeMaterial

Outcome = MaterialCheck.Outcome
#: Outcomes every material can have: the applicant brought it or it was uploaded.
ALWAYS = [Outcome.ORIGINAL_SIGHTED, Outcome.COPY_COLLECTED, Outcome.UPLOADED]
MIN_CORRECTION_ROWS = 5


# --- walk-in applicant --------------------------------------------------------------------


class WalkInForm(forms.Form):
    """Step 1 of a window intake: who is applying."""

    id_number = forms.CharField(
        label=_("证件号码"),
        max_length=18,
        help_text=_("居民身份证号或统一社会信用代码"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "accesskey": "i"}),
    )
    full_name = forms.CharField(label=_("姓名/名称"), max_length=200, required=False)
    mobile = forms.CharField(
        label=_("手机号码"),
        max_length=11,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    def clean_id_number(self) -> str:
        value = validators.identifier(self.cleaned_data["id_number"])
        if validators.resident_id(value) and validators.credit_code(value):
            raise forms.ValidationError(_("请输入有效的18位居民身份证号或统一社会信用代码"))
        return value

    def clean_mobile(self) -> str:
        value = validators.identifier(self.cleaned_data["mobile"])
        if value and validators.mobile(value):
            raise forms.ValidationError(_("请输入11位手机号码"))
        return value


# --- the material checklist ------------------------------------------------------------------


def outcome_choices(line: NoticeMaterial, current: str = "") -> list[tuple[str, str]]:
    """The outcomes worth offering for a material: the ones its definition allows, plus
    whatever is recorded now (so a declaration the rules will refuse stays visible)."""
    allowed = list(ALWAYS)
    kind = (line.shared or {}).get("kind")
    if kind == "elicence":
        allowed.insert(0, Outcome.ELICENCE)
    if kind == "datahub":
        allowed.insert(0, Outcome.DATAHUB)
    if line.deferrable:
        allowed.append(Outcome.DEFERRED)
    if line.pledgeable:
        allowed.append(Outcome.PLEDGED)
    if current and current in Outcome.values and current not in allowed:
        allowed.append(Outcome(current))
    return [("", _("请选择"))] + [(o.value, o.label) for o in allowed]


@dataclass
class ChecklistRow:
    line: NoticeMaterial
    outcome: forms.BoundField
    due: forms.BoundField
    pledge: forms.BoundField
    problems: list[dict]


class ChecklistForm(forms.Form):
    """One row per required material: outcome, deferral deadline, pledge signed.

    Field names are ``check-<material key>-outcome|due|pledge``.
    """

    prefix = "check"

    def __init__(self, *args, lines: list[NoticeMaterial], current: dict[str, Decision] | None = None, **kwargs):
        current = current or {}
        initial = {}
        for line in lines:
            decision = current.get(line.key)
            if decision is not None:
                initial[f"{line.key}-outcome"] = decision.outcome
                initial[f"{line.key}-due"] = decision.due_date
                initial[f"{line.key}-pledge"] = decision.pledge_signed
        super().__init__(*args, initial=initial, **kwargs)
        self.lines = [line for line in lines if line.required]
        for line in self.lines:
            decision = current.get(line.key)
            self.fields[f"{line.key}-outcome"] = forms.ChoiceField(
                label=line.name,
                choices=outcome_choices(line, decision.outcome if decision else ""),
                required=False,
            )
            self.fields[f"{line.key}-due"] = forms.DateField(
                label=_("补交期限"), required=False, widget=forms.DateInput(attrs={"type": "date"})
            )
            self.fields[f"{line.key}-pledge"] = forms.BooleanField(label=_("已签署承诺书"), required=False)

    def checklist(self) -> dict[str, Decision]:
        """What the clerk recorded; rows without an outcome are left out (the service
        reports them as missing)."""
        data = self.cleaned_data
        checklist = {}
        for line in self.lines:
            outcome = data.get(f"{line.key}-outcome")
            if not outcome:
                continue
            due: date | None = data.get(f"{line.key}-due") if outcome == Outcome.DEFERRED else None
            checklist[line.key] = Decision(
                outcome=outcome, due_date=due, pledge_signed=bool(data.get(f"{line.key}-pledge"))
            )
        return checklist

    def field_problems(self) -> list[dict]:
        """Input that could not even be read (an unknown outcome, a malformed date), as
        problems keyed by material like the service's."""
        problems = []
        for line in self.lines:
            for suffix in ("outcome", "due", "pledge"):
                for error in self.errors.get(f"{line.key}-{suffix}", []):
                    problems.append(
                        {"key": line.key, "field": suffix, "code": "invalid", "message": error, "message_en": ""}
                    )
        return problems

    def first_error_name(self) -> str:
        """The prefixed name of the first field with an error ("" if none)."""
        for line in self.lines:
            for suffix in ("outcome", "due", "pledge"):
                if f"{line.key}-{suffix}" in self.errors:
                    return self.add_prefix(f"{line.key}-{suffix}")
        return ""

    def rows(self, problems: list[dict] | None = None) -> list[ChecklistRow]:
        problems = problems or []
        for problem in problems:
            name = f"{problem.get('key')}-{problem.get('field', 'outcome')}"
            if name in self.fields:
                self.fields[name].widget.attrs["aria-invalid"] = "true"
        return [
            ChecklistRow(
                line=line,
                outcome=self[f"{line.key}-outcome"],
                due=self[f"{line.key}-due"],
                pledge=self[f"{line.key}-pledge"],
                problems=[p for p in problems if p.get("key") == line.key],
            )
            for line in self.lines
        ]


# --- return for correction ----------------------------------------------------------------------


@dataclass
class CorrectionRow:
    index: int
    kind: str
    key: str
    message: str
    problems: list[dict]
    focus: bool = False

    @property
    def choice(self) -> str:
        return f"{self.kind}:{self.key}" if self.key else ""


def parse_corrections(post, *, field_keys: set[str], material_keys: set[str]) -> tuple[list[dict], list[CorrectionRow]]:
    """Read the rows ``corr-<i>-key`` (``field:<key>`` or ``material:<key>``, or a bare
    key with ``corr-<i>-kind``) and ``corr-<i>-message``. Blank rows are skipped. Returns
    the corrections for the service and the rows to show again."""
    indexes = sorted(
        {int(name.split("-")[1]) for name in post if name.startswith("corr-") and name.split("-")[1].isdigit()}
    )
    corrections, rows = [], []
    for index in indexes:
        raw_key = (post.get(f"corr-{index}-key") or "").strip()
        kind = (post.get(f"corr-{index}-kind") or "").strip()
        message = (post.get(f"corr-{index}-message") or "").strip()
        if ":" in raw_key:
            kind, key = raw_key.split(":", 1)
        else:
            key = raw_key
        if key and not kind:
            kind = "field" if key in field_keys else "material" if key in material_keys else "field"
        row = CorrectionRow(index=len(rows), kind=kind, key=key, message=message, problems=[])
        if not key and not message:
            continue
        if not key:
            row.problems.append(
                {"code": "no_key", "message": "请选择需要补正的项目", "message_en": "choose what to correct"}
            )
        else:
            corrections.append({"kind": kind, "key": key, "message": message})
        rows.append(row)
    return corrections, rows


def blank_rows(rows: list[CorrectionRow]) -> list[CorrectionRow]:
    """The rows padded with blank ones: always at least five, and two free ones."""
    total = max(MIN_CORRECTION_ROWS, len(rows) + 2)
    return rows + [CorrectionRow(index=i, kind="", key="", message="", problems=[]) for i in range(len(rows), total)]


# --- the queue's search -----------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    """The queue's search box and filters (GET). A value that is not offered filters nothing."""

    q = forms.CharField(label=_("办件编号、申请人姓名或身份证号"), required=False, max_length=64)
    bundle = forms.CharField(label=_("一件事"), required=False, max_length=64)
    state = forms.CharField(label=_("状态"), required=False, max_length=32)
    overdue = forms.BooleanField(label=_("只看超时"), required=False)

    def __init__(self, *args, bundles: list[tuple[str, str]], states: dict[str, tuple], **kwargs):
        super().__init__(*args, **kwargs)
        self.bundle_choices = bundles
        self.state_choices = [(key, label) for key, (_states, label) in states.items()]

    def values(self, *, default_state: str) -> dict:
        data = self.cleaned_data if self.is_valid() else {}
        bundle = data.get("bundle", "")
        state = data.get("state", "")
        return {
            "query": data.get("q", "").strip(),
            "bundle": bundle if bundle in {code for code, _name in self.bundle_choices} else "",
            "state": state if state in {key for key, _label in self.state_choices} else default_state,
            "overdue": bool(data.get("overdue")),
        }


# --- refusal, reassignment, deferred supply -----------------------------------------------


class RefuseForm(forms.Form):
    prefix = "refuse"
    reason = forms.CharField(
        label=_("不予受理的法律依据和理由"),
        required=False,  # the service says that it is required, in its own words
        widget=forms.Textarea(attrs={"rows": 3, "accesskey": "n"}),
    )
    # the second step: the clerk saw the confirmation page (what refusing means) and confirmed
    confirmed = forms.BooleanField(required=False)


class ReassignForm(forms.Form):
    prefix = "reassign"
    to_user = forms.ModelChoiceField(
        label=_("转交给"),
        queryset=get_user_model().objects.filter(clerk__isnull=False),
        error_messages={"invalid_choice": _("请选择本中心的窗口人员"), "required": _("请选择转交对象")},
    )
    reason = forms.CharField(
        label=_("转交原因"),
        max_length=500,
        error_messages={"required": _("请填写转交原因")},
    )


class SupplyForm(forms.Form):
    prefix = "supply"
    file = forms.FileField(label=_("补交材料扫描件（可选）"), required=False)


class DeferralExtendForm(forms.Form):
    due_date = forms.DateField(label=_("新的补交期限（不填则取允许的最晚日期）"), required=False)


# --- shaping what the clerk typed, and showing it again ------------------------------------------


def checklist_data(post, uploaded):
    """The posted checklist, where a material with a file uploaded at the desk and no
    outcome chosen counts as "uploaded"."""
    data = post.copy()
    for key in uploaded:
        if not data.get(f"check-{key}-outcome"):
            data[f"check-{key}-outcome"] = Outcome.UPLOADED
    return data


def raw_answers(questions: list[dict], post) -> dict:
    """The situation answers as posted (a multiple choice as a list), unchecked."""
    raw: dict = {}
    for question in questions:
        key = question["key"]
        if question["kind"] == "multiple":
            raw[key] = [v for v in post.getlist(key) if v]
        elif post.get(key) not in (None, ""):
            raw[key] = post.get(key)
    return raw


def attach_problems(rows: list[CorrectionRow], problems: list[dict]) -> None:
    """The service's problems under the correction rows they name."""
    for row in rows:
        row.problems = [p for p in problems if p.get("key") == row.key and row.key]


def error_problems(form: forms.Form) -> list[dict]:
    """A form's errors as problems: {key, message}."""
    return [{"key": name, "message": e} for name, errors in form.errors.items() for e in errors]


def autofocus(form: forms.Form, name: str) -> None:
    """Put ``autofocus`` on the form's field with this (prefixed) name, if it has one;
    mark every field with an error ``aria-invalid``."""
    for bare, field in form.fields.items():
        if form.add_prefix(bare) == name:
            field.widget.attrs["autofocus"] = True
        if form.is_bound and bare in form.errors:
            field.widget.attrs["aria-invalid"] = "true"
