"""The stages run one way: no module of a stage imports a later stage, nor anything above
the stages (tracking, oversight), at the top of a module or inside a function. The shared
parts below the stages import no stage. (The audit writer still lives in oversight until it
moves to its own app; its imports are the one exception allowed here.)"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "onething"
STAGES = ["notice", "apply", "intake", "processing", "issuance"]
ABOVE = ["tracking", "oversight"]
AUDIT_WRITER = {"onething.oversight.audit", "onething.oversight.models"}  # moving to onething/audit


def imported_modules(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def backward_imports(part: str, forbidden: list[str]) -> list[str]:
    problems = []
    for path in sorted((ROOT / part).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for line, module in imported_modules(path):
            parts = module.split(".")
            if len(parts) > 1 and parts[0] == "onething" and parts[1] in forbidden:
                if module in AUDIT_WRITER or ".".join(parts[:3]) in AUDIT_WRITER:
                    continue
                problems.append(f"{path.relative_to(ROOT.parent)}:{line}: {module}")
    return sorted(set(problems))


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_imports_no_later_stage(stage):
    later = STAGES[STAGES.index(stage) + 1 :] + ABOVE
    assert backward_imports(stage, later) == []


def test_tracking_imports_nothing_above_it():
    assert backward_imports("tracking", ["oversight"]) == []
