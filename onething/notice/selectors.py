"""Reads for the one-time notice: compiled bundle versions (cached, they are immutable
once published) and the notice for a situation, as objects or as JSON-ready dicts."""

import json
from functools import lru_cache
from threading import Lock
from typing import Any

from onething.catalog import situations
from onething.catalog.definition.exporter import export_version
from onething.catalog.models import BundleVersion
from onething.common.errors import Invalid
from onething.notice.engine import CompiledBundle, Notice, build_notice, compile_definition

_compiled: dict[tuple, CompiledBundle] = {}
_compiled_lock = Lock()
MAX_COMPILED = 256  # published versions kept compiled per process (a few dozen exist)


class InvalidAnswers(Invalid):
    """Answers that do not fit the bundle's questions (400, naming each question)."""

    code = "invalid_answers"

    def __init__(self, errors: list[situations.AnswerError]):
        self.errors = errors
        names = "、".join(error.question for error in errors)
        super().__init__(
            f"情形回答有误：{names}",
            f"answers do not fit the questions: {', '.join(e.question for e in errors)}",
            details=[error.as_dict() for error in errors],
        )


def compiled_version(*, version: BundleVersion) -> CompiledBundle:
    """A published version's compiled definition, built once per process; drafts are
    compiled afresh every time because their rows may still change.

    The snapshot is read only on a miss: callers may pass a version loaded without it
    (``.defer("snapshot")``, as the hot selectors do), and Django loads it then."""
    if version.state == BundleVersion.State.DRAFT:
        return compile_definition(export_version(version=version))
    # published_at in the key: a database that reuses ids (tests, a restored backup)
    # can never serve another version's compiled definition
    key = (version.pk, version.published_at)
    compiled = _compiled.get(key)
    if compiled is not None:
        return compiled
    fresh = compile_definition(version.snapshot)  # outside the lock: may read the database
    with _compiled_lock:
        compiled = _compiled.get(key)
        if compiled is None:
            while len(_compiled) >= MAX_COMPILED:
                _compiled.pop(next(iter(_compiled)))  # the oldest entry
            compiled = _compiled[key] = fresh
    return compiled


def version_notice(*, version: BundleVersion, answers: dict[str, Any]) -> Notice:
    """The notice of already-checked answers on a version. For a published version it is
    built once per process and situation and shared between requests: callers read it
    and never change it (copy a list before storing it elsewhere)."""
    compiled = compiled_version(version=version)
    if version.state == BundleVersion.State.DRAFT:
        return build_notice(compiled, answers)
    return _published_notice(compiled, json.dumps(answers, sort_keys=True, ensure_ascii=False))


@lru_cache(maxsize=2048)
def _published_notice(compiled: CompiledBundle, answers_json: str) -> Notice:
    return build_notice(compiled, json.loads(answers_json))


def notice_for(*, version: BundleVersion, raw_answers: dict[str, Any]) -> Notice:
    """The personalised notice; raises InvalidAnswers naming every bad answer."""
    compiled = compiled_version(version=version)
    answers, errors = situations.check_answers(compiled.questions, raw_answers)
    if errors:
        raise InvalidAnswers(errors)
    return version_notice(version=version, answers=answers)


def answers_from_query(*, compiled: CompiledBundle, query) -> dict[str, Any]:
    """Read answers from a query string / form (a multiple choice repeats its key)."""
    raw: dict[str, Any] = {}
    for question in compiled.questions:
        key = question["key"]
        if question["kind"] == "multiple":
            raw[key] = [value for value in query.getlist(key) if value]
        elif key in query:
            raw[key] = query.get(key)
    for key in query:
        if key not in raw and key not in {"lang", "format"}:
            raw[key] = query.get(key)
    return raw


def notice_as_dict(notice: Notice) -> dict[str, Any]:
    """The notice as JSON (the API's and the JSON download's shape)."""
    bundle = notice.bundle
    return {
        "bundle": {"code": bundle["code"], "name": bundle["name"], "name_en": bundle.get("name_en", "")},
        "answers": notice.answers,
        "items": [
            {
                "code": item.code,
                "name": item.name,
                "name_en": item.name_en,
                "department": {
                    "code": item.department["code"],
                    "name": item.department["name"],
                    "name_en": item.department.get("name_en", ""),
                },
                "reason": item.reason,
                "reason_en": item.reason_en,
                "legal_basis": item.legal_basis,
                "conditions": item.conditions,
                "committed_days": item.committed_days,
                "statutory_days": item.statutory_days,
                "fee": item.fee,
                "channels": item.channels,
                "output": item.output,
                "waits_for": item.waits_for,
                "materials": item.materials,
                "start_day": item.start_day,
                "finish_day": item.finish_day,
                "critical": item.critical,
            }
            for item in notice.items
        ],
        "materials": [
            {
                "key": m.key,
                "name": m.name,
                "name_en": m.name_en,
                "description": m.description,
                "form": m.form,
                "copies": m.copies,
                "required": m.required,
                "deferrable": m.deferrable,
                "pledgeable": m.pledgeable,
                "shared": m.shared,
                "bring": m.bring,
                "needed_by": m.needed_by,
            }
            for m in notice.materials
        ],
        "total_fee": f"{notice.total_fee:.2f}",
        "time": {
            "bundle_days": notice.bundle_days,
            "sequential_days": notice.sequential_days,
            "critical_path": notice.critical_path,
        },
        "channels": notice.channels,
        "service_locations": notice.service_locations,
        "reductions": notice.reductions,
    }


def bundle_overview(*, version: BundleVersion) -> dict[str, Any]:
    """A published bundle for the catalogue and bundle page: questions, every item it may
    include, and the four reductions' range over all situations."""
    compiled = compiled_version(version=version)
    bundle = version.bundle
    return {
        "code": bundle.code,
        "name": bundle.name,
        "name_en": bundle.name_en,
        "summary": bundle.summary,
        "summary_en": bundle.summary_en,
        "applicant_type": bundle.applicant_type,
        "keywords": bundle.keywords,
        "version": version.number,
        "published_at": version.published_at,
        "questions": compiled.questions,
        "items": [
            {
                "code": entry["item"],
                "name": compiled.items[entry["item"]]["name"],
                "name_en": compiled.items[entry["item"]].get("name_en", ""),
                "department": compiled.departments[compiled.items[entry["item"]]["department"]]["name"],
                "always": entry.get("applies_when") is None,
                "reason": entry.get("reason", ""),
            }
            for entry in compiled.bundle_items
        ],
        "departments": sorted({compiled.items[e["item"]]["department"] for e in compiled.bundle_items}),
        "reductions": compiled.reductions_overview,
        "service_locations": compiled.version.get("service_locations", []),
    }
