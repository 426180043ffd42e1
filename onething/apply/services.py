"""Writes of 一表申请: start a draft (with prefill), save it, attach materials, submit.

Views and API call these; the same rules hold on every channel. Nothing typed is lost:
drafts keep raw input even when it does not validate yet.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from onething.apply import materials as material_rules
from onething.apply import selectors
from onething.apply.form import IDENTIFIER_VALIDATORS, MergedForm, storable, validate
from onething.apply.models import Draft, Upload
from onething.apply.prefill.base import SOURCE_ELICENCE
from onething.apply.prefill.services import run_prefill
from onething.apply.validators import FieldError, identifier
from onething.audit import services as audit
from onething.cases import transitions
from onething.cases.models import Case, CaseMaterial
from onething.cases.numbering import next_case_number
from onething.catalog import situations
from onething.catalog.definition import DEFAULT_MAX_LENGTH
from onething.catalog.models import BundleVersion
from onething.common import events
from onething.common.errors import Conflict, Invalid
from onething.identity.datahub import DatahubError, datahub_client
from onething.notice.selectors import InvalidAnswers

logger = logging.getLogger(__name__)


class SubmissionInvalid(Exception):
    """The merged data does not validate; ``errors`` maps field keys to FieldErrors."""

    def __init__(self, errors: dict[str, FieldError]):
        self.errors = errors
        super().__init__(f"{len(errors)} field(s) invalid")


class MaterialNotAllowed(Invalid):
    """The material key is not one the applicant brings for this draft (or the upload is
    not theirs): 400 ``material_not_allowed``; ``key`` names the material."""

    code = "material_not_allowed"
    message = "此材料无需上传或文件不存在"
    message_en = "this material is not uploaded here, or no such upload"

    def __init__(self, key: str = ""):
        self.key = key
        super().__init__()


@dataclass(frozen=True)
class SaveResult:
    draft: Draft
    errors: dict[str, FieldError]


def _expiry():
    return timezone.now() + timedelta(days=settings.DRAFT_LIFETIME_DAYS)


class DraftQuotaExceeded(Conflict):
    """The applicant holds ``settings.DRAFT_QUOTA`` open drafts already (across bundles):
    409 ``draft_quota_exceeded``."""

    code = "draft_quota_exceeded"

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(
            f"您未提交的草稿已达 {limit} 份，请先提交或删除不需要的草稿",
            f"you have {limit} open drafts already; submit or delete one first",
        )


def _check_draft_quota(*, applicant, replacing: Draft | None) -> None:
    open_drafts = selectors.drafts_of(user=applicant)
    if replacing is not None:
        open_drafts = open_drafts.exclude(pk=replacing.pk)
    if open_drafts.count() >= settings.DRAFT_QUOTA:
        raise DraftQuotaExceeded(settings.DRAFT_QUOTA)


def draft_start(*, applicant, version: BundleVersion, raw_answers: dict, replacing: Draft | None = None) -> Draft:
    """Open a draft for a bundle and situation, prefilled from government data.
    DraftQuotaExceeded when the applicant holds ``DRAFT_QUOTA`` open drafts (not counting
    ``replacing``, the draft a restart deletes)."""
    _check_draft_quota(applicant=applicant, replacing=replacing)
    compiled = selectors.compiled_for(version=version)
    answers, errors = situations.check_answers(compiled.questions, raw_answers)
    if errors:
        raise InvalidAnswers(errors)
    form = selectors.form_for(version=version, answers=answers)
    lines = selectors.notice_materials(version, answers)
    outcome = run_prefill(applicant=applicant, form=form, materials=lines)
    draft = Draft(
        applicant=applicant,
        version=version,
        answers=answers,
        data=dict(outcome.values),
        prefilled={
            key: {"source": outcome.sources.get(key, ""), "value": value} for key, value in outcome.values.items()
        },
        materials=dict(outcome.materials),
        identities=dict(outcome.identities),
        prefill_notice=outcome.notice if outcome.unavailable else "",
        expires_at=_expiry(),
    )
    # holders whose licences prefill fetched and found none of a type: not asked again
    fetched = set(outcome.looked_up)
    for decision in material_rules.draft_decisions(draft):
        if decision.line.elicence_type and not decision.held and decision.holder in fetched:
            draft.looked_up.append(_lookup_key(decision))
    draft.save(force_insert=True)
    return draft


def _lookup_key(decision: material_rules.MaterialDecision) -> str:
    return f"{decision.holder}:{decision.line.elicence_type}"


def refresh_elicences(*, draft: Draft) -> bool:
    """Keep the draft's e-licences those of each material's holder: drop an attached licence
    whose holder is no longer the one named (the holder's ID number changed), and look up the
    licences of a holder not looked up before. One hub call per holder; a hub that cannot be
    reached leaves the material to be provided. Returns whether ``draft.materials`` changed
    (the caller saves)."""
    changed = False
    wanted = []
    for decision in material_rules.draft_decisions(draft):
        if not decision.line.elicence_type or decision.held:
            continue
        given = draft.materials.get(decision.key) or {}
        if given.get("source") == "elicence":
            del draft.materials[decision.key]  # somebody else's now: never kept
            changed = True
        elif given:
            continue  # what the applicant uploaded or declared stays theirs
        if decision.holder and _lookup_key(decision) not in draft.looked_up:
            wanted.append(decision)
    if not wanted:
        return changed
    fetched: dict[str, list[dict]] = {}
    try:
        with datahub_client() as client:
            for decision in wanted:
                if decision.holder not in fetched:
                    fetched[decision.holder] = client.list_elicences(decision.holder)
    except DatahubError:
        logger.warning("e-licence lookup for draft %s failed; the materials stay to be provided", draft.pk)
    for decision in wanted:
        if decision.holder not in fetched:
            continue
        licence = material_rules.valid_licence(
            fetched[decision.holder], decision.line.elicence_type, holder=decision.holder
        )
        if licence is None:
            draft.looked_up.append(_lookup_key(decision))
        else:
            draft.materials[decision.key] = material_rules.attachment(
                licence, name=decision.line.name, source_label=SOURCE_ELICENCE
            )
        changed = True
    return changed


@dataclass(frozen=True)
class OpenResult:
    draft: Draft
    resumed: bool  # an open draft already existed and is returned as it was


def draft_open(*, applicant, version: BundleVersion, raw_answers: dict) -> OpenResult:
    """在线申请 (page and API): the applicant's open draft of this bundle version if there is
    one, whatever situation it was started with (the page offers to start over with the
    new answers: ``draft_restart``); otherwise a new draft. One open draft per bundle, not
    one per click."""
    existing = selectors.open_draft_for(user=applicant, version=version)
    if existing is not None:
        return OpenResult(draft=existing, resumed=True)
    return OpenResult(draft=draft_start(applicant=applicant, version=version, raw_answers=raw_answers), resumed=False)


def draft_restart(*, draft: Draft, raw_answers: dict) -> Draft:
    """Start over: a new draft for the same bundle version with these answers, then the
    old open draft is deleted (if the answers are invalid, nothing changes)."""
    fresh = draft_start(applicant=draft.applicant, version=draft.version, raw_answers=raw_answers, replacing=draft)
    draft_delete(applicant=draft.applicant, draft=draft)
    return fresh


class DraftSubmitted(Conflict):
    """The draft became a case: it is kept with the case, not deleted (409 ``draft_submitted``)."""

    code = "draft_submitted"
    message = "这份草稿已提交为办件，不能删除"
    message_en = "this draft was submitted as a case and cannot be deleted"

    def __init__(self, draft_id: str = ""):
        self.draft_id = draft_id
        super().__init__()


def draft_delete(*, applicant, draft: Draft) -> None:
    """Delete one of the applicant's own drafts that was never submitted. Draft.DoesNotExist
    for anyone else's (404); DraftSubmitted once it is a case's (its case stays as it is).
    Uploaded files stay in the applicant's uploads."""
    with transaction.atomic():
        locked = Draft.objects.select_for_update().filter(pk=draft.pk, applicant=applicant).first()
        if locked is None:
            raise Draft.DoesNotExist
        if locked.case_id:
            raise DraftSubmitted(str(locked.pk))
        locked.delete()


def _merge_input(draft: Draft, form: MergedForm, raw_data: dict) -> dict:
    """The draft's data with new input laid over it; authoritative values that came from
    government data are kept as they were, whatever the input says. Input longer than its
    field allows is laid over too (so it is reported), but ``draft_save`` does not keep it."""
    merged = {**draft.data}
    for key, value in raw_data.items():
        if key in form.by_key:
            merged[key] = storable(value)
            if form.by_key[key].validator in IDENTIFIER_VALIDATORS and isinstance(merged[key], str):
                merged[key] = identifier(merged[key])  # kept as ASCII, like the case will be
    for key, prefilled in draft.prefilled.items():
        field = form.by_key.get(key)
        if field is not None and field.authoritative:
            merged[key] = prefilled["value"]
    return merged


def draft_save(*, draft: Draft, raw_data: dict) -> SaveResult:
    """Keep the input (even if invalid) and report every problem it still has. Input longer
    than its field allows is the one thing not kept (the field keeps its previous value):
    it is reported, like any other problem, and never reaches a case or a department."""
    form = selectors.form_for(version=draft.version, answers=draft.answers)
    merged = _merge_input(draft, form, raw_data)
    _, errors = validate(form, merged)
    kept = {}
    for key, value in merged.items():
        merged_field = form.by_key.get(key)
        if merged_field is None or merged_field.fits(value):
            kept[key] = value
        elif key in draft.data and merged_field.fits(draft.data[key]):
            kept[key] = draft.data[key]
    draft.data = kept
    draft.expires_at = _expiry()
    fields = ["data", "expires_at", "updated_at"]
    if refresh_elicences(draft=draft):
        fields += ["materials", "looked_up"]
    draft.save(update_fields=fields)
    return SaveResult(draft=draft, errors=errors)


def draft_attach(*, draft: Draft, material_key: str, upload: Upload) -> Draft:
    """Link an upload to a material line; one upload serves every item that needs it."""
    return draft_attach_many(draft=draft, attachments=[(material_key, upload)])


def draft_attach_many(*, draft: Draft, attachments: list[tuple[str, Upload | None]]) -> Draft:
    """Link uploads to material lines, all or none: MaterialNotAllowed names the first
    line that is not uploaded here, or whose upload is missing (None) or someone else's.
    One save for all of them."""
    allowed = {d.key for d in material_rules.draft_decisions(draft) if d.can_upload}
    for material_key, upload in attachments:
        if material_key not in allowed or upload is None or upload.owner_id != draft.applicant_id:
            raise MaterialNotAllowed(material_key)
    for material_key, upload in attachments:
        draft.materials[material_key] = {"source": "upload", "upload": upload.pk, "name": upload.original_name}
    draft.save(update_fields=["materials", "updated_at"])
    return draft


def draft_submit(*, draft: Draft, raw_data: dict | None = None, channel: str = Case.Channel.ONLINE) -> Case:
    """Validate and turn the draft into a case. Idempotent: a second call (double click,
    retried request) returns the case the first one created."""
    if draft.case_id:
        return draft.case
    saved = draft_save(draft=draft, raw_data=raw_data) if raw_data else None
    if saved:
        draft = saved.draft
    form = selectors.form_for(version=draft.version, answers=draft.answers)
    clean, errors = validate(form, draft.data)
    if saved:
        errors = saved.errors  # the problems of what was typed, including input too long to keep
    if errors:
        Draft.objects.filter(pk=draft.pk).update(failed_submissions=draft.failed_submissions + 1)
        draft.failed_submissions += 1
        raise SubmissionInvalid(errors)
    # right first time so far: no failed attempt and no required material missing (a
    # return for correction or a refusal at pre-review clears it: cases.transitions)
    first_time_right = draft.failed_submissions == 0 and not selectors.missing_required_materials(draft=draft)
    # The number first, in its own statement: the day's counter row is locked only while it
    # counts, not for the whole submission, so submissions of a bundle do not queue behind
    # each other's commits. A submission that fails below leaves a gap in the day's numbers.
    number = next_case_number(bundle_code=draft.version.bundle.code)
    try:
        with transaction.atomic(), audit.batched():  # the case's, the delivery's and the routing's events in one INSERT
            materials = _case_materials(draft)
            case = transitions.case_submit(
                number=number,
                applicant=draft.applicant,
                version=draft.version,
                answers=draft.answers,
                data=clean,
                materials=materials,
                channel=channel,
                idempotency_key=str(draft.idempotency_key),
                field_count=len(form.fields),
                prefilled_count=sum(1 for key in draft.prefilled if key in form.by_key),
                first_time_right=first_time_right,
                field_sources={
                    f.key: (draft.prefilled[f.key].get("source") or "") if f.key in draft.prefilled else None
                    for f in form.fields
                },
            )
            # the draft is linked only if it still has no case: no row lock taken beforehand (a
            # concurrent submit of the same draft fails on the case's idempotency key instead)
            if not Draft.objects.filter(pk=draft.pk, case__isnull=True).update(case=case, updated_at=timezone.now()):
                raise _DraftGone
            # intake routes it to its centre, issuance records the delivery choice of the form
            events.publish(
                events.CaseSubmitted, case_id=case.pk, case=case, actor_id=draft.applicant_id, actor=draft.applicant
            )
    except IntegrityError:
        # a concurrent submit of the same draft won the race: return its case
        return Case.objects.get(applicant=draft.applicant, idempotency_key=str(draft.idempotency_key))
    except _DraftGone:
        # submitted by another request meanwhile (its case), or deleted: DoesNotExist
        return Draft.objects.select_related("case").get(pk=draft.pk, case__isnull=False).case
    draft.case = case
    # the material lines just written, in the order written, are what case.materials.all()
    # gives the caller (the answer's serializer) without reading them back
    written = CaseMaterial.objects.filter(case=case)
    written._result_cache, written._prefetch_done = list(materials), True
    case._prefetched_objects_cache = {"materials": written}
    return case


class _DraftGone(Exception):
    """The draft being submitted got a case, or was deleted, after it was read."""


def _case_materials(draft: Draft) -> list[CaseMaterial]:
    """Material lines of the new case: uploads, attached e-licences, declarations of
    deferral or pledge, and shared data the department fetches itself. Materials still
    missing are left to pre-review, which names them."""
    lines = []
    for decision in material_rules.draft_decisions(draft):
        if not decision.provided:
            continue
        given = decision.given or {}
        lines.append(
            CaseMaterial(
                key=decision.key,
                name=decision.name,
                source=decision.source,
                upload_id=given.get("upload") if decision.source == "upload" else None,
                licence_number=given.get("licence_number", "") if decision.source == "elicence" else "",
                licence_holder=decision.holder if decision.source == "elicence" else "",
                needed_by=list(decision.line.needed_by),
            )
        )
    return lines


def draft_declare(*, draft: Draft, material_key: str, declaration: str) -> Draft:
    """The applicant asks for 容缺 (``deferred``) or signs 告知承诺 (``pledged``) for a
    material, or withdraws that (``""``). Whether it is granted is decided at acceptance,
    by the same rules as at the window; here only what the definition allows is offered."""
    decisions = {d.key: d for d in material_rules.draft_decisions(draft) if d.can_upload}
    line = decisions.get(material_key)
    allowed = {"": True, "deferred": bool(line and line.can_defer), "pledged": bool(line and line.can_pledge)}
    if line is None or not allowed.get(declaration, False):
        raise MaterialNotAllowed(material_key)
    current = draft.materials.get(material_key, {})
    if declaration == "" and current.get("source") in {"deferred", "pledged"}:
        draft.materials.pop(material_key)
    elif declaration:
        draft.materials[material_key] = {"source": declaration, "signed_at": timezone.now().isoformat()}
    draft.save(update_fields=["materials", "updated_at"])
    return draft


def supplement_data(*, asked: list[str], raw: dict[str, str]) -> dict[str, str]:
    """What the applicant typed for a department's supplement request (补正): only the fields
    the department asked for, filled in, each at most DEFAULT_MAX_LENGTH characters.
    SubmissionInvalid names every value too long; nothing is sent then."""
    data = {key: str(value).strip() for key, value in raw.items() if key in asked and str(value).strip()}
    too_long = {
        key: FieldError(
            "maxLength",
            f"最多 {DEFAULT_MAX_LENGTH} 个字（现有 {len(value)} 个字）",
            f"at most {DEFAULT_MAX_LENGTH} characters (this has {len(value)})",
        )
        for key, value in data.items()
        if len(value) > DEFAULT_MAX_LENGTH
    }
    if too_long:
        raise SubmissionInvalid(too_long)
    return data


def drafts_purge_expired() -> int:
    """Delete drafts past their expiry that never became cases; returns how many."""
    deleted, _ = Draft.objects.filter(expires_at__lt=timezone.now(), case__isnull=True).delete()
    return deleted
