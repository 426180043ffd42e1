"""Situations (情形): the answers to a bundle version's questions, and the JSON Logic rules
over them that decide which items, materials and fields apply.

Questions here are plain dicts in the definition format (``key``, ``kind``, ``options``),
so the same code serves the importer (checking rules, enumerating every situation) and
the notice (checking a citizen's answers, evaluating rules).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations, product
from typing import Any, ClassVar

from json_logic import ALL_OPERATIONS, jsonLogic

from onething.common.errors import Problem

Answers = dict[str, Any]
MAX_SITUATIONS = 4096


@dataclass(frozen=True, init=False)
class AnswerError(Problem):
    """One answer that does not fit its question (the problem's key is the question's)."""

    about: ClassVar[str] = "question"

    def __init__(self, question: str, code: str, message: str, message_en: str):
        super().__init__(code, message, message_en, key=question)

    @property
    def question(self) -> str:
        return self.key


def option_values(question: dict) -> list[str]:
    return [option["value"] for option in question.get("options", [])]


def question_answer_space(question: dict) -> list[Any]:
    """Every possible answer to one question (all subsets for a multiple choice)."""
    kind = question["kind"]
    if kind == "yes_no":
        return [True, False]
    values = option_values(question)
    if kind == "single":
        return values
    return [list(combo) for size in range(len(values) + 1) for combo in combinations(values, size)]


def count_situations(questions: list[dict]) -> int:
    total = 1
    for question in questions:
        total *= len(question_answer_space(question))
    return total


def enumerate_situations(questions: list[dict]) -> Iterator[Answers]:
    """Yield every combination of answers. Callers check ``count_situations`` first."""
    keys = [question["key"] for question in questions]
    spaces = [question_answer_space(question) for question in questions]
    for combo in product(*spaces):
        yield dict(zip(keys, combo, strict=True))


def evaluate(rule: Any, answers: Answers) -> bool:
    """True when the rule holds for the answers; a missing rule (None) always holds."""
    if rule is None:
        return True
    return bool(jsonLogic(rule, answers))


def rule_variables(rule: Any) -> set[str]:
    """Names read by ``{"var": ...}`` anywhere in a rule."""
    found: set[str] = set()
    if isinstance(rule, list):
        for part in rule:
            found |= rule_variables(part)
    elif isinstance(rule, dict):
        for operator, operand in rule.items():
            if operator == "var":
                name = operand[0] if isinstance(operand, list) and operand else operand
                if isinstance(name, str) and name:
                    found.add(name.split(".")[0])
            else:
                found |= rule_variables(operand)
    return found


def rule_operators(rule: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(rule, list):
        for part in rule:
            found |= rule_operators(part)
    elif isinstance(rule, dict):
        for operator, operand in rule.items():
            found.add(operator)
            if operator != "var":
                found |= rule_operators(operand)
    return found


COMPARISONS = {"==", "===", "!=", "!=="}


def compared_values(rule: Any) -> list[tuple[str, Any]]:
    """(question, literal) pairs a rule compares: ``{"==": [{"var": q}, v]}`` either way
    round, and ``{"in": [v, {"var": q}]}`` for multiple choice; so a typo in an option
    value is caught at import instead of silently never matching."""
    found: list[tuple[str, Any]] = []
    if isinstance(rule, list):
        for part in rule:
            found += compared_values(part)
        return found
    if not isinstance(rule, dict):
        return found
    for operator, operand in rule.items():
        if operator in COMPARISONS | {"in"} and isinstance(operand, list) and len(operand) == 2:
            pairs = [(operand[0], operand[1])] if operator == "in" else [operand, operand[::-1]]
            for literal, reference in pairs:
                name = _var_name(reference)
                if name and not isinstance(literal, (dict, list)):
                    found.append((name, literal))
        if operator != "var":
            found += compared_values(operand)
    return found


def _var_name(reference: Any) -> str | None:
    if isinstance(reference, dict) and list(reference) == ["var"]:
        name = reference["var"][0] if isinstance(reference["var"], list) and reference["var"] else reference["var"]
        return name if isinstance(name, str) else None
    return None


def unknown_operators(rule: Any) -> set[str]:
    return {op for op in rule_operators(rule) if op not in ALL_OPERATIONS}


def check_answers(questions: list[dict], raw: dict[str, Any]) -> tuple[Answers, list[AnswerError]]:
    """Validate and normalise a citizen's answers: every question answered, values allowed."""
    answers: Answers = {}
    errors: list[AnswerError] = []
    known = {question["key"] for question in questions}
    for key in sorted(set(raw) - known):
        errors.append(AnswerError(key, "unknown_question", f"没有名为“{key}”的问题", f"there is no question '{key}'"))
    for question in questions:
        key = question["key"]
        if key not in raw or raw[key] in (None, ""):
            if question["kind"] == "multiple":
                answers[key] = []
                continue
            errors.append(AnswerError(key, "missing", f"请回答问题“{question['text']}”", f"please answer '{key}'"))
            continue
        value, error = _normalise(question, raw[key])
        if error:
            errors.append(error)
        else:
            answers[key] = value
    return answers, errors


def _normalise(question: dict, value: Any) -> tuple[Any, AnswerError | None]:
    key, kind = question["key"], question["kind"]
    if kind == "yes_no":
        if isinstance(value, bool):
            return value, None
        if isinstance(value, str) and value.lower() in {"true", "yes", "1", "是"}:
            return True, None
        if isinstance(value, str) and value.lower() in {"false", "no", "0", "否"}:
            return False, None
        return None, AnswerError(
            key, "not_yes_no", f"问题“{question['text']}”只能回答是或否", f"'{key}' takes yes or no"
        )
    allowed = option_values(question)
    if kind == "single":
        if isinstance(value, str) and value in allowed:
            return value, None
        return None, AnswerError(
            key,
            "not_an_option",
            f"问题“{question['text']}”的回答不在选项中",
            f"'{key}' must be one of {', '.join(allowed)}",
        )
    values = value if isinstance(value, list) else [value]
    if all(isinstance(v, str) and v in allowed for v in values) and len(set(values)) == len(values):
        return [v for v in allowed if v in values], None
    return None, AnswerError(
        key,
        "not_an_option",
        f"问题“{question['text']}”的回答不在选项中",
        f"'{key}' takes a list of {', '.join(allowed)}",
    )
