"""Forms of the department workbench (部门工作台): what an officer types to approve, reject
or ask for a supplement. They only read and check the input; the workbench services
(onething/processing/services.py) decide. Errors are shown per input, keyed by its name
in the item's own words (an output field's name, ``reason``, ``message``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _

VALUE_MAX = 200
CERTIFICATE_NUMBER_MAX = 100
REASON_MAX = 1000
MESSAGE_MAX = 1000
RESULT_PREFIX = "result__"


def _at_most(limit: int) -> str:
    return _("不能超过 %(n)s 个字符") % {"n": limit}


class WorkbenchForm(forms.Form):
    def problems(self) -> dict[str, str]:
        """Each input with an error → its (first) message."""
        return {name.removeprefix(RESULT_PREFIX): errors[0] for name, errors in self.errors.items()}

    def first_error(self) -> str:
        return next(iter(self.problems().values()), "")


class ApproveForm(WorkbenchForm):
    """准予: one input per output field of the item (required where a downstream item of the
    case takes its data from it), and an optional certificate number; the certificate's
    PDF as it came (``certificate_file``)."""

    def __init__(self, *args, outputs: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.outputs = outputs
        for output in outputs:
            self.fields[RESULT_PREFIX + output["name"]] = forms.CharField(
                required=output["required"],
                max_length=VALUE_MAX,
                error_messages={"required": _("下游事项需要此项结果，请填写"), "max_length": _at_most(VALUE_MAX)},
            )
        self.fields["certificate_number"] = forms.CharField(
            required=False,
            max_length=CERTIFICATE_NUMBER_MAX,
            error_messages={"max_length": _at_most(CERTIFICATE_NUMBER_MAX)},
        )
        # taken as it came: the workbench service accepts a PDF only, and says so
        self.fields["certificate_file"] = forms.FileField(required=False, allow_empty_file=True)

    def values(self) -> dict[str, str]:
        """What was typed for each output field (to show again)."""
        return {o["name"]: self.data.get(RESULT_PREFIX + o["name"], "").strip() for o in self.outputs}

    def result(self) -> dict[str, str]:
        """The result data: the output fields filled in."""
        typed = {o["name"]: self.cleaned_data.get(RESULT_PREFIX + o["name"]) for o in self.outputs}
        return {name: value for name, value in typed.items() if value}

    @property
    def certificate_number(self) -> str:
        return self.data.get("certificate_number", "").strip()

    @property
    def certificate_file(self):
        return self.cleaned_data.get("certificate_file")


class RejectForm(WorkbenchForm):
    """不予批准: the reason the applicant will read."""

    reason = forms.CharField(max_length=REASON_MAX)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages |= {
            "required": _("请填写不予批准的理由（申请人将看到）"),
            "max_length": _at_most(REASON_MAX),
        }

    def posted(self) -> dict:
        return {"reason": self.data.get("reason", "").strip()}


class SupplementForm(WorkbenchForm):
    """要求补正: what to supply (the message, said once) and, optionally, which of the item's
    fields and materials; names the item does not have are left out."""

    message = forms.CharField(max_length=MESSAGE_MAX)

    def __init__(self, *args, field_names: set[str], material_keys: set[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["message"].error_messages |= {
            "required": _("请写明需要补正的内容"),
            "max_length": _at_most(MESSAGE_MAX),
        }
        self.field_names, self.material_keys = field_names, material_keys

    def chosen(self, name: str, allowed: set[str]) -> list[str]:
        return [n for n in dict.fromkeys(self.data.getlist(name)) if n in allowed]

    def posted(self) -> dict:
        return {
            "message": self.data.get("message", "").strip(),
            "fields": self.chosen("fields", self.field_names),
            "materials": self.chosen("materials", self.material_keys),
        }
