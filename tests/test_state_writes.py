"""A state field is written only by its transitions module.

Every stateful model declares a ``StateMachine`` (onething/common/statemachine.py) in its
app's ``transitions.py``; that module is the only one that may write the machine's field.
This test reads every module of the engine (``ast``, migrations excepted) and fails on a
write anywhere else, in any of these forms::

    obj.state = …                    setattr(obj, "state", …)
    qs.update(state=…)               Model.objects.create(state=…), get_or_create(defaults={"state": …})
    Model(state=…)                   obj.save(update_fields=[…, "state"])
    Model.objects.bulk_update(objs, ["state"])
    cursor.execute("UPDATE … SET state = …")

The state fields are found in the models, not listed here: every field with choices whose
name says state or status must belong to a machine, and each machine names its field.
"""

from __future__ import annotations

import ast
import importlib
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory

from onething.common.statemachine import StateMachine

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "onething"
HELPER = "onething.common.statemachine"
WRITE_METHODS = {"update", "create", "get_or_create", "update_or_create"}
STATE_NAME = re.compile(r"(^|_)(state|status)$")


@dataclass(frozen=True)
class Write:
    line: int
    form: str
    field: str
    model: str | None  # the model when the code names it (Case.objects…, ItemCase(…)), else None


# --- the scanner ----------------------------------------------------------------------------


def scan(source: str, fields: set[str], models: set[str]) -> list[Write]:
    """Every write of one of ``fields`` in ``source``. ``models``: names of the models
    owning them, to recognise ``Model(state=…)`` and ``Model.objects….update(state=…)``."""
    found: list[Write] = []
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    sql = re.compile(
        r"\bSET\b[^;]*?(?:^|[\s,.\"'`(])(" + "|".join(map(re.escape, sorted(fields))) + r")[\"'`]?\s*=",
        re.IGNORECASE | re.DOTALL,
    )

    def add(node: ast.AST, form: str, field: str, model: str | None = None) -> None:
        found.append(Write(node.lineno, form, field, model))

    def literal_strings(node: ast.AST | None) -> list[str]:
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return []

    def dict_keys(node: ast.AST | None) -> list[str]:
        if isinstance(node, ast.Dict):
            return [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        return []

    def kwargs(call: ast.Call) -> list[str]:
        """Keyword names of a call, ``**{"state": …}`` included."""
        names = []
        for keyword in call.keywords:
            names += [keyword.arg] if keyword.arg else dict_keys(keyword.value)
        return names

    def root_model(node: ast.AST) -> str | None:
        """``Case`` in ``Case.objects.filter(…).update(…)``; None when the root is a variable."""
        while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
            node = node.func if isinstance(node, ast.Call) else node.value
        return node.id if isinstance(node, ast.Name) and node.id in models else None

    def targets(node: ast.AST):
        if isinstance(node, ast.Tuple | ast.List):
            for element in node.elts:
                yield from targets(element)
        elif isinstance(node, ast.Starred):
            yield from targets(node.value)
        else:
            yield node

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                for each in targets(target):
                    if isinstance(each, ast.Attribute) and each.attr in fields:
                        add(each, "obj.field = …", each.attr)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name == "setattr" and len(node.args) >= 2:
                arg = node.args[1]
                if isinstance(arg, ast.Constant) and arg.value in fields:
                    add(node, "setattr(obj, field, …)", arg.value)
            if isinstance(func, ast.Attribute) and name in WRITE_METHODS:
                model = root_model(func.value)
                for field in kwargs(node):
                    if field in fields:
                        add(node, f".{name}(field=…)", field, model)
                for keyword in node.keywords:
                    if keyword.arg in {"defaults", "create_defaults"}:
                        for field in dict_keys(keyword.value):
                            if field in fields:
                                add(node, f".{name}(defaults={{field: …}})", field, model)
            if name in models:
                for field in kwargs(node):
                    if field in fields:
                        add(node, "Model(field=…)", field, name)
            if name == "save":
                for keyword in node.keywords:
                    for field in literal_strings(keyword.value) if keyword.arg == "update_fields" else []:
                        if field in fields:
                            add(node, "save(update_fields=[field])", field)
            if name == "bulk_update":
                given = [*node.args[1:2], *(k.value for k in node.keywords if k.arg == "fields")]
                for field in (f for value in given for f in literal_strings(value)):
                    if field in fields:
                        add(node, "bulk_update(…, [field])", field, root_model(func))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            match = sql.search(node.value)
            if match:
                add(node, "SQL SET field =", match.group(1))
    return found


# --- what the models say ------------------------------------------------------------------


def _engine_models():
    return [m for m in apps.get_models() if m.__module__.startswith("onething.")]


def _machines() -> list[StateMachine]:
    """The machines of every app's transitions module (each once)."""
    found: dict[int, StateMachine] = {}
    for path in sorted(ENGINE.glob("*/transitions.py")):
        module = importlib.import_module(f"onething.{path.parent.name}.transitions")
        found.update((id(value), value) for value in vars(module).values() if isinstance(value, StateMachine))
    return list(found.values())


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _engine_sources():
    for path in sorted(ENGINE.rglob("*.py")):
        if "migrations" not in path.parts:
            yield path


def test_every_state_field_has_a_machine():
    """A field with choices named like a state (``state``, ``time_status`` …) belongs to a
    machine; a machine's field is a field with choices of its model."""
    owned = {(m.model, m.field) for m in _machines()}
    missing = [
        f"{model._meta.label}.{field.name}"
        for model in _engine_models()
        for field in model._meta.concrete_fields
        if field.choices and STATE_NAME.search(field.name) and (model, field.name) not in owned
    ]
    assert not missing, f"declare a StateMachine in the app's transitions.py for {missing}"
    assert {(m.model._meta.label, m.field) for m in _machines()} >= {
        ("cases.Case", "state"),
        ("processing.ItemCase", "state"),
        ("processing.ItemCase", "time_status"),
        ("issuance.IssuedLicence", "state"),
        ("issuance.IssuedLicence", "registration"),
        ("notifications.Notification", "state"),
        ("catalog.BundleVersion", "state"),
        ("oversight.Rectification", "state"),
    }


def test_each_machine_lives_in_its_apps_transitions_module():
    seen = set()
    for machine in _machines():
        assert machine.module == f"onething.{machine.model._meta.app_label}.transitions", machine
        assert (machine.model, machine.field) not in seen, f"two machines for {machine.label}"
        seen.add((machine.model, machine.field))
        default = machine.model._meta.get_field(machine.field).default
        if isinstance(default, str):
            assert default in machine.initial, f"{machine.label}: the default {default!r} is no initial state"


def test_state_fields_are_written_only_by_their_transitions_module():
    owners: dict[str, set[str]] = {}  # field name -> modules allowed to write a field of that name
    by_model: dict[tuple[str, str], str] = {}  # (model name, field) -> its machine's module
    for machine in _machines():
        owners.setdefault(machine.field, set()).add(machine.module)
        by_model[(machine.model.__name__, machine.field)] = machine.module
    models = {model for model, _field in by_model}
    offences = []
    for path in _engine_sources():
        module = _module_name(path)
        if module == HELPER:
            continue
        for write in scan(path.read_text(encoding="utf-8"), set(owners), models):
            if write.model is not None and (write.model, write.field) in by_model:
                allowed = {by_model[(write.model, write.field)]}
            elif write.model is not None:
                continue  # a model without a machine on that field (no such model today)
            else:
                allowed = owners[write.field]
            if module not in allowed:
                offences.append(f"{path.relative_to(ROOT)}:{write.line}: {write.form} ({write.field})")
    assert not offences, "state written outside its transitions module:\n" + "\n".join(offences)


def test_the_admin_cannot_edit_a_state_field():
    """An admin form would be a write the scanner cannot see: every machine's field is read-only
    (or absent) in its model's admin."""
    request = RequestFactory().get("/admin/")
    request.user = type("Admin", (), {"is_superuser": True, "is_active": True, "is_staff": True})()
    for machine in _machines():
        model_admin = admin.site._registry.get(machine.model)
        if model_admin is None:
            continue
        for obj in (None, machine.model()):  # the add form, a change form
            readonly = set(model_admin.get_readonly_fields(request, obj))
            editable = set(model_admin.get_fields(request, obj)) - readonly
            assert machine.field not in editable, f"{machine.label} is editable in the admin"
        assert machine.field not in set(model_admin.list_editable), f"{machine.label} is list-editable"


# --- the scanner's own test ------------------------------------------------------------------

SNIPPETS = {
    "case.state = Case.State.ACCEPTED": "obj.field = …",
    "case.owner, case.state = clerk, 'accepted'": "obj.field = …",
    "licence.registration += ''": "obj.field = …",
    "setattr(case, 'state', 'accepted')": "setattr(obj, field, …)",
    "Case.objects.filter(pk=1).update(state='processing')": ".update(field=…)",
    "qs.update(**{'time_status': 'overdue'})": ".update(field=…)",
    "Case.objects.create(number='x', state='submitted')": ".create(field=…)",
    "Notification.objects.get_or_create(defaults={'state': 'sent'})": ".get_or_create(defaults={field: …})",
    "Case.objects.update_or_create(pk=1, defaults={'state': 'x'})": ".update_or_create(defaults={field: …})",
    "ItemCase(case=case, state='ready')": "Model(field=…)",
    "models.ItemCase(state='ready')": "Model(field=…)",
    "case.save(update_fields=['owner', 'state'])": "save(update_fields=[field])",
    "ItemCase.objects.bulk_update(rows, ['state'])": "bulk_update(…, [field])",
    "ItemCase.objects.bulk_update(rows, fields=('time_status',))": "bulk_update(…, [field])",
    "cursor.execute('UPDATE cases_case SET state = %s WHERE id = %s', ['x', 1])": "SQL SET field =",
    'cursor.execute(\'update "processing_itemcase" set attempts = 0, "state"=%s\')': "SQL SET field =",
}

NOT_WRITES = [
    "Case.objects.filter(state='accepted').update(owner=None)",
    "case.state == 'accepted'",
    "state = {'a': 1}",
    "DepartmentStatus(state='approved')",
    "ItemCase.objects.filter(state__in=['ready']).count()",
    "data.update(status=200)",  # not a state field name
    "case.save(update_fields=['owner'])",
    "def f():\n    '''UPDATE item_case SET state = dispatching: described, not executed'''",
    "x = 'select state from cases_case'",
]


@pytest.mark.parametrize("snippet,form", SNIPPETS.items())
def test_the_scanner_catches(snippet, form):
    writes = scan(snippet, {"state", "time_status", "registration"}, {"Case", "ItemCase", "Notification"})
    assert [w.form for w in writes] == [form], snippet


@pytest.mark.parametrize("snippet", NOT_WRITES)
def test_the_scanner_ignores(snippet):
    assert scan(snippet, {"state", "time_status", "registration"}, {"Case", "ItemCase"}) == []


def test_the_scanner_names_the_model_when_the_code_does():
    (write,) = scan("Case.objects.filter(pk=1).update(state='x')", {"state"}, {"Case"})
    assert write.model == "Case"
    (write,) = scan("qs.update(state='x')", {"state"}, {"Case"})
    assert write.model is None
