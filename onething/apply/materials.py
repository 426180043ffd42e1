"""One decision per material (材料状态): what each material line of a draft or a case asks
of the applicant, decided once and read everywhere.

The notice, the form, attaching files, the automatic pre-review, the clerk's checklist, the
receipt and the correction notice all read ``decide`` (through ``draft_decisions`` or
``case_decisions``), so they cannot contradict each other:

- ``held`` 已由政府掌握: an e-licence of the material's holder was found and attached, or the
  department reads the record from the data hub itself;
- ``upload`` 需上传 / ``original`` 需出示原件: the applicant provides it (online as a file);
  a shared material the hub holds nothing for, for that holder, falls back to this
  ("shared if the data hub holds it, otherwise provide it");
- ``deferrable`` 可容缺 / ``pledgeable`` 可告知承诺: the applicant provides it, or declares a
  deferral or a pledge instead;
- ``not_needed`` 非必需: optional.

A material belongs to its **holder** (definition format: ``holder``): the applicant, or the
person or entity whose ID number or credit code a data element holds (``mother.id_number``).
An e-licence counts only if its holder is that one (``resolve_holder``), never anybody else's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from onething.notice.engine import IN_PERSON_FORMS
from onething.notice.selectors import version_notice
from services.datahub.ids import is_valid_credit_code, is_valid_id_number, normalize

if TYPE_CHECKING:
    from onething.apply.models import Draft
    from onething.cases.models import Case
    from onething.notice.engine import NoticeMaterial

HELD = "held"
UPLOAD = "upload"
ORIGINAL = "original"
DEFERRABLE = "deferrable"
PLEDGEABLE = "pledgeable"
NOT_NEEDED = "not_needed"

#: 告知承诺: what the applicant signs instead of a material (online in the form, at the window
#: on the checklist; intake records it with the material check)
PLEDGE_TEXT = (
    "本人承诺：所申报的“{name}”相关情况真实、准确、完整，符合办理条件。如有不实，本人愿承担相应法律责任，"
    "并同意有关部门依法撤销办理结果、记入信用记录。"
)

STATUS_LABELS = {
    HELD: ("政府已掌握，无需提交", "held by the government: nothing to provide"),
    UPLOAD: ("需要上传", "to upload"),
    ORIGINAL: ("需提供原件（网上申请先上传扫描件）", "the original is needed (online: upload a scan)"),
    DEFERRABLE: ("需要提供，可申请容缺、限期补交", "to provide; may be deferred and supplied later"),
    PLEDGEABLE: ("需要提供，可签署告知承诺代替", "to provide; a signed pledge may replace it"),
    NOT_NEEDED: ("非必需，有则提供", "optional"),
}
FALLBACK_LABEL = (
    "电子证照库中暂无该持有人的此类证照，请上传",
    "the e-licence library holds none for this holder: please upload it",
)
# what the applicant or clerk has done about a line (draft.materials / CaseMaterial.source)
PROVIDED = {"upload", "elicence", "datahub", "deferred", "pledged"}


def identifier_or_blank(value: Any) -> str:
    """A valid resident ID number or credit code, normalised; "" otherwise."""
    text = normalize(str(value)) if value not in (None, "") else ""
    if text and (is_valid_id_number(text) or is_valid_credit_code(text)):
        return text
    return ""


def resolve_holder(*, holder: str, applicant_id: str, values: dict, identities: dict) -> str:
    """The ID number or credit code of a material's holder, or "" when it is not known yet.

    ``applicant`` is the applicant's own account identity; a data element key is read from
    the form's value, or, when the form does not ask it (a value another item produces),
    from the identity government data established for that party (``identities``, by the
    element's first part: ``child`` for ``child.id_number``)."""
    if holder == "applicant":
        return identifier_or_blank(applicant_id)
    value = values.get(holder)
    if value in (None, ""):
        value = identities.get(holder.split(".", 1)[0])
    return identifier_or_blank(value)


def valid_licence(
    licences: Iterable[dict], licence_type: str, *, holder: str, today: date | None = None
) -> dict | None:
    """A valid e-licence of that type held by exactly ``holder``, or None."""
    today = today or timezone.localdate()
    for licence in licences:
        if licence.get("type") != licence_type or licence.get("status") != "valid":
            continue
        if normalize(licence.get("holder")) != holder:
            continue  # never somebody else's, whatever the hub returned
        valid_until = licence.get("valid_until")
        if valid_until:
            try:
                if date.fromisoformat(str(valid_until)) < today:
                    continue
            except ValueError:
                pass  # e.g. "长期" (long-term)
        return licence
    return None


def attachment(licence: dict, *, name: str, source_label: str) -> dict:
    """What a draft keeps for an attached e-licence (``draft.materials[key]``)."""
    return {
        "source": "elicence",
        "source_label": source_label,
        "licence_number": licence["licence_number"],
        "type": licence["type"],
        "type_label": licence.get("type_label", ""),
        "holder": normalize(licence["holder"]),
        "holder_name": licence.get("holder_name", ""),
        "issuer": licence.get("issuer", ""),
        "valid_until": licence.get("valid_until"),
        "name": name,
    }


@dataclass(frozen=True)
class MaterialDecision:
    """The one decision about one material line."""

    line: NoticeMaterial
    status: str
    holder: str  # the holder's ID number or credit code; "" when not known yet
    given: dict | None  # what was provided or declared: {"source": "upload" | "elicence" | ...}
    fallback: bool = False  # shared, but the government holds nothing for this holder

    @property
    def key(self) -> str:
        return self.line.key

    @property
    def name(self) -> str:
        return self.line.name

    @property
    def held(self) -> bool:
        return self.status == HELD

    @property
    def can_upload(self) -> bool:
        return self.status != HELD

    @property
    def can_defer(self) -> bool:
        return self.status == DEFERRABLE

    @property
    def can_pledge(self) -> bool:
        return self.status == PLEDGEABLE

    @property
    def source(self) -> str:
        """Where the material comes from now ("" if nothing yet)."""
        if self.status == HELD:
            return "elicence" if self.line.elicence_type else "datahub"
        source = (self.given or {}).get("source", "")
        return source if source in {"upload", "deferred", "pledged"} else ""

    @property
    def provided(self) -> bool:
        return bool(self.source)

    @property
    def missing(self) -> bool:
        """Required, and neither held, provided, deferred nor pledged."""
        return self.line.required and not self.provided

    @property
    def label(self) -> str:
        return FALLBACK_LABEL[0] if self.fallback else STATUS_LABELS[self.status][0]

    @property
    def label_en(self) -> str:
        return FALLBACK_LABEL[1] if self.fallback else STATUS_LABELS[self.status][1]

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "status": self.status,
            "source": self.source,
            "missing": self.missing,
            "fallback": self.fallback,
            "message": self.label,
            "message_en": self.label_en,
        }


def decide_one(line: NoticeMaterial, *, given: dict | None, holder: str) -> MaterialDecision:
    """The status of one line, given what is attached or provided and who its holder is."""
    shared = line.shared or {}
    if shared.get("kind") == "datahub":
        return MaterialDecision(line, HELD, holder, given)
    if line.elicence_type:
        given_holder = normalize((given or {}).get("holder")) if given else ""
        if (given or {}).get("source") == "elicence" and holder and given_holder == holder:
            return MaterialDecision(line, HELD, holder, given)
        if (given or {}).get("source") == "elicence":
            given = None  # an e-licence of someone else (or of a holder no longer named): never counts
    fallback = bool(line.elicence_type)
    if not line.required:
        status = NOT_NEEDED
    elif line.deferrable:
        status = DEFERRABLE
    elif line.pledgeable:
        status = PLEDGEABLE
    elif line.form in IN_PERSON_FORMS:
        status = ORIGINAL
    else:
        status = UPLOAD
    return MaterialDecision(line, status, holder, given, fallback=fallback)


def decide(
    *,
    lines: Iterable[NoticeMaterial],
    given: dict[str, dict],
    applicant_id: str,
    values: dict,
    identities: dict,
) -> list[MaterialDecision]:
    """Every line's decision, in the notice's order."""
    return [
        decide_one(
            line,
            given=given.get(line.key),
            holder=resolve_holder(holder=line.holder, applicant_id=applicant_id, values=values, identities=identities),
        )
        for line in lines
    ]


def draft_decisions(draft: Draft) -> list[MaterialDecision]:
    """The decisions for a draft: its data, its attachments and declarations."""
    return decide(
        lines=version_notice(version=draft.version, answers=draft.answers).materials,
        given=draft.materials,
        applicant_id=getattr(draft.applicant, "id_number", "") or "",
        values=draft.data,
        identities=draft.identities,
    )


def case_decisions(case: Case) -> list[MaterialDecision]:
    """The decisions for a submitted case, from its material lines."""
    given = {}
    for m in case.materials.all():
        entry = {"source": m.source, "upload": m.upload_id, "licence_number": m.licence_number}
        if m.source == "elicence":
            entry["holder"] = m.licence_holder
        given[m.key] = entry
    draft = getattr(case, "draft", None)  # online cases; the window's clerk records a checklist instead
    identities = draft.identities if draft is not None else {}
    return decide(
        lines=version_notice(version=case.version, answers=case.answers).materials,
        given=given,
        applicant_id=getattr(case.applicant, "id_number", "") or "",
        values=case.data,
        identities=identities,
    )
