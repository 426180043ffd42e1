"""docs/audit.md lists every action the code audits (found the way the doc says: by
grepping the audit writes)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ACTION = re.compile(r'action=(f?)"([a-z_]+\.[a-z_{}.]+)"')


def _written_actions() -> set[tuple[bool, str]]:
    found = set()
    for path in (ROOT / "onething").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "audit.record(" not in text and "_record(" not in text:
            continue
        for is_f, action in ACTION.findall(text):
            found.add((bool(is_f), action))
    return found


def test_the_grep_finds_the_known_writers():
    actions = {action for _, action in _written_actions()}
    assert {"case.submitted", "admin.action", "catalog.version_published", "oversight.export"} <= actions
    assert "item_case.{action}" in actions


def test_every_audited_action_is_documented():
    doc = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_]+\.[a-z_]+)`", doc))
    missing = []
    for is_f, action in sorted(_written_actions()):
        if is_f:  # f"licence.{state}": at least one expansion of the family is listed
            prefix = action.split("{", 1)[0]
            if not any(name.startswith(prefix) for name in documented):
                missing.append(action)
        elif action not in documented:
            missing.append(action)
    assert not missing, f"add these actions to docs/audit.md: {missing}"
