"""The material rules of acceptance, the same for every channel.

``decide`` takes what the applicant brought or declared for each required material (a
checklist) and returns the checks to record, or every problem at once. Online the
checklist comes from the case's materials and the applicant's declarations; at the
window the clerk records it. Nothing else decides whether a material is satisfied.
"""

from dataclasses import dataclass
from datetime import date

from onething.apply.materials import PLEDGE_TEXT
from onething.common.errors import Problem
from onething.intake.models import MaterialCheck
from onething.notice.engine import NoticeMaterial
from onething.workdays.services import DueDate

PRESENT = {
    MaterialCheck.Outcome.ORIGINAL_SIGHTED,
    MaterialCheck.Outcome.COPY_COLLECTED,
    MaterialCheck.Outcome.UPLOADED,
    MaterialCheck.Outcome.ELICENCE,
    MaterialCheck.Outcome.DATAHUB,
}
DEFAULT_DEFERRAL_WORKING_DAYS = 5


@dataclass(frozen=True)
class Decision:
    """What was done about one material: an outcome, a deferral deadline, a signed pledge."""

    outcome: str
    due_date: date | None = None
    pledge_signed: bool = False


@dataclass(frozen=True)
class PlannedCheck:
    key: str
    name: str
    outcome: str
    due_date: date | None
    pledge_text: str
    due_provisional: bool = False  # the default deadline reaches a year without a schedule


def deferral_window(*, today: date, committed_days: int) -> tuple[DueDate, DueDate]:
    """(default deadline, latest deadline) for a deferred material: 5 working days,
    never later than the committed time limit of the items that need it. A year without
    a holiday schedule is counted as plain weekends (``DueDate.provisional``)."""
    from onething.workdays.services import due_after

    latest = due_after(start=today, days=committed_days)
    default = due_after(start=today, days=min(DEFAULT_DEFERRAL_WORKING_DAYS, committed_days))
    return (default if default.day <= latest.day else latest), latest


def committed_limit_days(*, line: NoticeMaterial, committed_days: dict[str, int]) -> int:
    """The committed limit (working days) of the items that need this material."""
    return min((committed_days[code] for code in line.needed_by), default=DEFAULT_DEFERRAL_WORKING_DAYS)


def decide(
    *,
    requirements: list[NoticeMaterial],
    committed_days: dict[str, int],
    checklist: dict[str, Decision],
    dishonest: bool | None,
    today: date,
) -> tuple[list[PlannedCheck], list[Problem]]:
    """Check every required material against the checklist.

    ``committed_days`` maps item codes to their committed limits; ``dishonest`` is the
    applicant's 失信 flag from the data hub, or None when it could not be checked (then
    no deferral is granted: the flag cannot be ruled out).
    """
    checks, problems = [], []
    for line in requirements:
        if not line.required:
            continue
        decision = checklist.get(line.key)
        limit = committed_limit_days(line=line, committed_days=committed_days)
        check, problem = _decide_one(line, decision, limit, dishonest, today)
        if problem:
            problems.append(problem)
        else:
            checks.append(check)
    return checks, problems


def _refusal(line: NoticeMaterial, code: str, message: str, message_en: str) -> tuple[None, Problem]:
    return None, Problem(code, f"“{line.name}”：{message}", f"{line.key}: {message_en}", key=line.key)


def _decide_one(line: NoticeMaterial, decision: Decision | None, limit: int, dishonest: bool | None, today: date):
    if decision is None:
        return _refusal(line, "missing", "缺少必需材料", "a required material is missing")
    outcome = decision.outcome
    if outcome in PRESENT:
        return PlannedCheck(line.key, line.name, outcome, None, ""), None
    if outcome == MaterialCheck.Outcome.DEFERRED:
        return _decide_deferred(line, decision, limit, dishonest, today)
    if outcome == MaterialCheck.Outcome.PLEDGED:
        if not line.pledgeable:
            return _refusal(
                line, "not_pledgeable", "此材料不适用告知承诺", "this material cannot be replaced by a pledge"
            )
        if not decision.pledge_signed:
            return _refusal(
                line, "pledge_unsigned", "申请人尚未签署告知承诺书", "the applicant has not signed the pledge"
            )
        return PlannedCheck(line.key, line.name, outcome, None, PLEDGE_TEXT.format(name=line.name)), None
    return _refusal(line, "unknown_outcome", "核验结果无效", f"unknown outcome '{outcome}'")


def _decide_deferred(line: NoticeMaterial, decision: Decision, limit: int, dishonest: bool | None, today: date):
    """容缺: only where the material allows it, never for a dishonest (or unknown) credit
    record, with a deadline after today and within the items' committed limit."""
    if not line.deferrable:
        return _refusal(line, "not_deferrable", "此材料不可容缺，必须当场提供", "this material cannot be deferred")
    if dishonest:
        return _refusal(
            line,
            "dishonest",
            "申请人有失信记录，不适用容缺受理",
            "no deferral for an applicant with a dishonest-credit record",
        )
    if dishonest is None:
        return _refusal(
            line, "credit_unknown", "暂时无法核查信用记录，不能容缺受理", "the credit record cannot be checked now"
        )
    default, latest = deferral_window(today=today, committed_days=limit)
    due = decision.due_date or default.day
    if due <= today or due > latest.day:
        return _refusal(
            line,
            "bad_deadline",
            f"补交期限须晚于今天且不晚于 {latest.day:%Y-%m-%d}（事项承诺时限）",
            f"the deadline must be after today and no later than {latest.day}",
        )
    provisional = decision.due_date is None and default.provisional  # a date the clerk chose is kept
    return PlannedCheck(line.key, line.name, decision.outcome, due, "", due_provisional=provisional), None
