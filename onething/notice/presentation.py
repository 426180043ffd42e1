"""Words shown to people for the notice's values, shared by the HTML page and the PDF so
that both say the same thing."""

from django.utils.translation import gettext as _

from onething.common.i18n import pick
from onething.notice.engine import CompiledBundle, NoticeMaterial


def form_label(form: str) -> str:
    return {
        "original": _("原件"),
        "copy": _("复印件"),
        "original_and_copy": _("原件及复印件"),
        "electronic": _("电子件"),
    }.get(form, form)


def channel_label(channel: str) -> str:
    return {"online": _("网上办理"), "window": _("窗口办理")}.get(channel, channel)


def material_notes(material: NoticeMaterial, *, held: bool | None = None) -> list[str]:
    """Why a material line is special: held by the government, deferrable, pledgeable.

    ``held`` is the draft's decision (onething/apply/materials.py) where there is a draft;
    the public notice knows no applicant, so an e-licence line says both outcomes."""
    notes = []
    if material.shared and material.shared.get("kind") == "datahub":
        notes.append(_("无需提交（政务数据共享已有）"))
    elif material.shared and held is None:
        notes.append(_("电子证照库有则无需提交，没有则需提供"))
    elif material.shared and held:
        notes.append(_("无需提交（电子证照已调取）"))
    if material.deferrable:
        notes.append(_("可容缺受理，限期补交"))
    if material.pledgeable:
        notes.append(_("可告知承诺代替"))
    if not material.required:
        notes.append(_("非必需"))
    return notes


def answer_lines(compiled: CompiledBundle, answers: dict) -> list[tuple[str, str]]:
    """(question, answer) pairs in the applicant's words."""
    lines = []
    for question in compiled.questions:
        value = answers.get(question["key"])
        labels = {o["value"]: pick(o["label"], o.get("label_en")) for o in question.get("options", [])}
        if question["kind"] == "yes_no":
            text = _("是") if value else _("否")
        elif question["kind"] == "multiple":
            text = "、".join(labels.get(v, v) for v in value or []) or _("无")
        else:
            text = labels.get(value, str(value))
        lines.append((pick(question["text"], question.get("text_en")), text))
    return lines


def item_names(compiled: CompiledBundle, codes: list[str]) -> list[str]:
    return [pick(compiled.items[c]["name"], compiled.items[c].get("name_en")) for c in codes]


def reduction_labels() -> list[tuple[str, str]]:
    """The four reductions (四减) in display order, with their units."""
    return [
        ("steps", _("办理环节（个）")),
        ("time", _("办理时间（工作日）")),
        ("materials", _("申请材料（份）")),
        ("trips", _("跑动次数（次）")),
    ]
