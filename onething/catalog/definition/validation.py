"""Validate a definition document: structure by JSON Schema, then meaning.

Every problem is collected (never stop at the first) so that an administrator fixes a
file in one pass. The checks are listed in docs/definition-format.md, "Validation".
"""

import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from onething.catalog import situations
from onething.catalog.definition import parties as vocabulary
from onething.catalog.definition.errors import DefinitionProblem

SCHEMA_PATH = Path(__file__).with_name("schema.json")
HOLDER_VALIDATORS = {"resident_id", "credit_code"}  # data elements that can name a document's holder


@cache
def schema_validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def json_path(parts: Any) -> str:
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def validate_document(document: Any) -> list[DefinitionProblem]:
    """All problems in the document; an empty list means it can be imported."""
    structural = [
        DefinitionProblem(json_path(error.absolute_path), "schema", f"格式错误：{error.message}", error.message)
        for error in sorted(schema_validator().iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    ]
    structural += unstorable_text(document)
    if structural:
        return structural
    return SemanticChecks(document).run()


def unstorable_text(value: Any, parts: tuple = ()) -> list[DefinitionProblem]:
    """Strings (keys too) with a NUL character or a lone surrogate: valid JSON, but no
    database text column takes them (PostgreSQL refuses NUL, UTF-8 refuses surrogates)."""
    problems = []
    if isinstance(value, str):
        if "\x00" in value or (not value.isascii() and _has_surrogate(value)):
            problems.append(
                DefinitionProblem(
                    json_path(parts),
                    "invalid_character",
                    "文本含有无法保存的字符（NUL 或孤立的代理项）",
                    "text contains a NUL character or a lone surrogate",
                )
            )
    elif isinstance(value, dict):
        for key, child in value.items():
            problems += unstorable_text(key, parts) if isinstance(key, str) else []
            problems += unstorable_text(child, (*parts, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            problems += unstorable_text(child, (*parts, index))
    return problems


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class SemanticChecks:
    """The checks that JSON Schema cannot express. Each ``check_*`` adds to ``problems``."""

    def __init__(self, document: dict):
        self.doc = document
        self.version = document["bundle"]["version"]
        self.problems: list[DefinitionProblem] = []
        self.departments = {d["code"] for d in document["departments"]}
        self.elements = {e["key"]: e for e in document["data_elements"]}
        self.items = {i["code"]: i for i in document["items"]}
        self.questions = {q["key"]: q for q in self.version["questions"]}
        self.bundle_items = {b["item"]: b for b in self.version["items"]}
        self.rules: list[tuple[str, Any]] = []  # (path, rule) of every rule, for check_rules_evaluate
        self.asked_elements = {f["element"] for i in document["items"] for f in i.get("fields", [])}
        self.material_holders: dict[str, tuple[str, str]] = {}
        self.sections = self.version.get("sections", [])
        self.parties = self.version.get("parties", [])

    def add(self, path: str, code: str, message: str, message_en: str) -> None:
        self.problems.append(DefinitionProblem(path, code, message, message_en))

    def run(self) -> list[DefinitionProblem]:
        self.check_duplicates()
        self.check_data_elements()
        self.check_items()
        self.check_parties()
        self.check_questions()
        self.check_bundle_items()
        acyclic = self.check_dependencies()
        if acyclic and not self.problems:
            self.check_rules_evaluate()
        if acyclic and not self.problems:
            self.check_applicability()
        return self.problems

    def check_duplicates(self) -> None:
        lists = [
            ("$.departments", self.doc["departments"], "code"),
            ("$.data_elements", self.doc["data_elements"], "key"),
            ("$.items", self.doc["items"], "code"),
            ("$.bundle.version.questions", self.version["questions"], "key"),
            ("$.bundle.version.items", self.version["items"], "item"),
            ("$.bundle.version.sections", self.sections, "key"),
            ("$.bundle.version.parties", self.parties, "key"),
        ]
        for i, item in enumerate(self.doc["items"]):
            lists.append((f"$.items[{i}].fields", item.get("fields", []), "name"))
            lists.append((f"$.items[{i}].materials", item.get("materials", []), "key"))
        for q, question in enumerate(self.version["questions"]):
            lists.append((f"$.bundle.version.questions[{q}].options", question.get("options", []), "value"))
        for path, entries, key in lists:
            counts = Counter(entry[key] for entry in entries)
            for index, entry in enumerate(entries):
                if counts[entry[key]] > 1:
                    self.add(
                        f"{path}[{index}].{key}", "duplicate", f"重复的“{entry[key]}”", f"duplicate '{entry[key]}'"
                    )
        pairs = Counter((d["upstream"], d["downstream"]) for d in self.version.get("dependencies", []))
        for index, dep in enumerate(self.version.get("dependencies", [])):
            if pairs[(dep["upstream"], dep["downstream"])] > 1:
                self.add(
                    f"$.bundle.version.dependencies[{index}]",
                    "duplicate",
                    f"重复的依赖“{dep['upstream']} → {dep['downstream']}”",
                    f"duplicate dependency '{dep['upstream']} -> {dep['downstream']}'",
                )

    def check_data_elements(self) -> None:
        for index, element in enumerate(self.doc["data_elements"]):
            path = f"$.data_elements[{index}]"
            if element["type"] == "enum" and not element.get("choices"):
                self.add(
                    f"{path}.choices",
                    "enum_without_choices",
                    "选项类型的数据元必须列出选项",
                    "an enum element needs choices",
                )
            if element["type"] != "string" and "max_length" in element:
                self.add(
                    f"{path}.max_length",
                    "max_length_not_string",
                    "只有文本类型的数据元可以设置最大长度",
                    "only string elements take max_length",
                )
            if element["type"] != "enum" and element.get("choices"):
                self.add(
                    f"{path}.choices",
                    "choices_not_enum",
                    "只有选项类型的数据元可以有选项",
                    "only enum elements take choices",
                )

    def check_items(self) -> None:
        material_names: dict[str, tuple[str, str]] = {}
        for index, item in enumerate(self.doc["items"]):
            path = f"$.items[{index}]"
            if item["department"] not in self.departments:
                self.add(
                    f"{path}.department",
                    "unknown_department",
                    f"事项“{item['name']}”的实施部门“{item['department']}”不在 departments 中",
                    f"item '{item['code']}' has no department: '{item['department']}' is not defined",
                )
            if item["committed_days"] > item["statutory_days"]:
                self.add(
                    f"{path}.committed_days",
                    "committed_exceeds_statutory",
                    "承诺时限不能长于法定时限",
                    "committed > statutory days",
                )
            for f, field in enumerate(item.get("fields", [])):
                if field["element"] not in self.elements:
                    self.add(
                        f"{path}.fields[{f}].element",
                        "unknown_data_element",
                        f"未定义的数据元“{field['element']}”",
                        f"unknown data element '{field['element']}'",
                    )
            for m, material in enumerate(item.get("materials", [])):
                self.check_material(f"{path}.materials[{m}]", material, material_names)

    def check_material(self, path: str, material: dict, names: dict[str, tuple[str, str]]) -> None:
        deferrable, pledgeable = material.get("deferrable", False), material.get("pledgeable", False)
        shared, required = material.get("shared"), material.get("required", True)
        contradictions = []
        if deferrable and pledgeable:
            contradictions.append(("既可容缺又可告知承诺", "both deferrable and pledgeable"))
        if shared and (deferrable or pledgeable):
            contradictions.append(
                ("政府已掌握的共享材料无需容缺或承诺", "shared with the government yet deferrable/pledgeable")
            )
        if not required and (deferrable or pledgeable):
            contradictions.append(("非必需材料无需容缺或承诺", "optional yet deferrable/pledgeable"))
        for message, message_en in contradictions:
            self.add(path, "contradictory_material_flags", f"材料“{material['name']}”标记矛盾：{message}", message_en)
        self.check_holder(path, material)
        first = names.setdefault(material["key"], (material["name"], path))
        holder = material.get("holder", "applicant")
        first_holder = self.material_holders.setdefault(material["key"], (holder, path))
        if first_holder[0] != holder:
            self.add(
                f"{path}.holder",
                "inconsistent_material",
                f"材料键“{material['key']}”在 {first_holder[1]} 的持有人为“{first_holder[0]}”，此处却为“{holder}”",
                f"material key '{material['key']}' has another holder at {first_holder[1]}",
            )
        if first[0] != material["name"]:
            self.add(
                f"{path}.name",
                "inconsistent_material",
                f"材料键“{material['key']}”在 {first[1]} 名为“{first[0]}”，此处却为“{material['name']}”",
                f"material key '{material['key']}' has another name at {first[1]}",
            )

    def check_holder(self, path: str, material: dict) -> None:
        """A material's holder is the applicant or a data element that holds an ID number or
        credit code and that some item asks for (so the form or government data can fill it)."""
        holder = material.get("holder", "applicant")
        if holder == "applicant":
            return
        element = self.elements.get(holder)
        if element is None:
            self.add(
                f"{path}.holder",
                "unknown_holder",
                f"材料“{material['name']}”的持有人“{holder}”不是已定义的数据元",
                f"holder '{holder}' is not a data element of this document",
            )
        elif element.get("validator") not in HOLDER_VALIDATORS:
            self.add(
                f"{path}.holder",
                "holder_not_identity",
                f"材料“{material['name']}”的持有人“{holder}”须为身份证号或统一社会信用代码类数据元",
                f"holder '{holder}' must be a data element with the resident_id or credit_code validator",
            )
        elif holder not in self.asked_elements:
            self.add(
                f"{path}.holder",
                "holder_not_asked",
                f"材料“{material['name']}”的持有人“{holder}”不是任何事项的字段，无法确定持有人",
                f"holder '{holder}' is not the element of any item's field, so it cannot be resolved",
            )

    def check_parties(self) -> None:
        """Sections and parties (docs/definition-format.md, "Parties"): each party in a
        declared section, found in the hub by relations and a selection the engine knows,
        its attributes filled from fields the hub's record has; every section and party
        used; every data element that holds an ID number or credit code about a declared
        party."""
        section_keys = {section["key"] for section in self.sections}
        used_sections: set[str] = set()
        subjects = {vocabulary.subject(key) for key in self.asked_elements}
        for index, section in enumerate(self.sections):
            if section["key"] in vocabulary.ENGINE_SECTIONS:
                self.add(
                    f"$.bundle.version.sections[{index}].key",
                    "reserved_section",
                    f"表单分组“{section['key']}”是系统自带的分组（{'、'.join(vocabulary.ENGINE_SECTIONS)}），请换一个键",
                    f"section '{section['key']}' is one of the engine's own sections "
                    f"({', '.join(vocabulary.ENGINE_SECTIONS)}); choose another key",
                )
        for index, party in enumerate(self.parties):
            path = f"$.bundle.version.parties[{index}]"
            section = party.get("section")
            if section is not None:
                used_sections.add(section)
                if section not in section_keys:
                    self.add(
                        f"{path}.section",
                        "unknown_section",
                        f"当事人“{party['label']}”所在的表单分组“{section}”未在 sections 中定义",
                        f"party '{party['key']}' names section '{section}', which is not in sections",
                    )
            if party["key"] not in subjects:
                self.add(
                    f"{path}.key",
                    "unused_party",
                    f"当事人“{party['label']}”没有任何事项字段（应有以“{party['key']}.”开头的数据元）",
                    f"party '{party['key']}' is not the subject of any item's field "
                    f"(no data element '{party['key']}.…' is asked)",
                )
            if party.get("hub") is not None:
                self.check_party_hub(f"{path}.hub", party)
        for index, section in enumerate(self.sections):
            if section["key"] not in used_sections and section["key"] not in vocabulary.ENGINE_SECTIONS:
                self.add(
                    f"$.bundle.version.sections[{index}]",
                    "unused_section",
                    f"表单分组“{section['label']}”中没有任何当事人",
                    f"no party is in section '{section['key']}'",
                )
        declared = {party["key"] for party in self.parties}
        for index, element in enumerate(self.doc["data_elements"]):
            owner = vocabulary.subject(element["key"])
            if (
                element.get("validator") in HOLDER_VALIDATORS
                and element["key"] in self.asked_elements
                and owner not in declared
            ):
                self.add(
                    f"$.data_elements[{index}].key",
                    "undeclared_party",
                    f"数据元“{element['key']}”是某一方的身份证号或信用代码，但当事人“{owner}”未在 "
                    f"bundle.version.parties 中声明",
                    f"data element '{element['key']}' identifies a party, but '{owner}' is not declared "
                    f"in bundle.version.parties",
                )

    def check_party_hub(self, path: str, party: dict) -> None:
        hub = party["hub"]
        names = vocabulary.relations_of(hub)
        known = [name for name in names if name in vocabulary.RELATIONS]
        for name in names:
            if name not in vocabulary.RELATIONS:
                self.add(
                    f"{path}.relation",
                    "unknown_relation",
                    f"当事人“{party['label']}”的关系“{name}”不是政务数据中台能查询的关系"
                    f"（可用：{'、'.join(vocabulary.RELATIONS)}）",
                    f"party '{party['key']}': the data hub knows no relation '{name}' "
                    f"(known: {', '.join(vocabulary.RELATIONS)})",
                )
        records = {(vocabulary.RELATIONS[name].database, vocabulary.RELATIONS[name].record) for name in known}
        if len(records) > 1:
            self.add(
                f"{path}.relation",
                "mixed_relations",
                f"当事人“{party['label']}”的关系 {'、'.join(known)} 查到的不是同一类记录，不能合用",
                f"party '{party['key']}': relations {', '.join(known)} give different kinds of records",
            )
        select = hub.get("select", vocabulary.DEFAULT_SELECTION)
        if select not in vocabulary.SELECTIONS:
            self.add(
                f"{path}.select",
                "unknown_selection",
                f"当事人“{party['label']}”的选取规则“{select}”未知（可用：{'、'.join(vocabulary.SELECTIONS)}）",
                f"party '{party['key']}': unknown selection rule '{select}' "
                f"(known: {', '.join(vocabulary.SELECTIONS)})",
            )
        if len(records) != 1:
            return
        record = next(iter(records))[1]
        for attribute, field in hub.get("attributes", {}).items():
            if field not in vocabulary.HUB_FIELDS[record]:
                self.add(
                    f"{path}.attributes.{attribute}",
                    "unknown_hub_field",
                    f"当事人“{party['label']}”的“{attribute}”取自政务数据字段“{field}”，但该类记录没有此字段"
                    f"（可用：{'、'.join(vocabulary.HUB_FIELDS[record])}）",
                    f"party '{party['key']}': the hub's {record} record has no field '{field}' "
                    f"(known: {', '.join(vocabulary.HUB_FIELDS[record])})",
                )

    def check_questions(self) -> None:
        for index, question in enumerate(self.version["questions"]):
            path = f"$.bundle.version.questions[{index}]"
            options = question.get("options", [])
            if question["kind"] in {"single", "multiple"} and len(options) < 2:
                self.add(
                    f"{path}.options", "too_few_options", "单选和多选题至少需要两个选项", "needs at least two options"
                )
            if question["kind"] == "yes_no" and options:
                self.add(
                    f"{path}.options", "options_on_yes_no", "是/否题不设选项", "a yes/no question takes no options"
                )
        total = situations.count_situations(self.version["questions"])
        if total > situations.MAX_SITUATIONS:
            self.add(
                "$.bundle.version.questions",
                "too_many_situations",
                f"情形组合共 {total} 种，超过上限 {situations.MAX_SITUATIONS}",
                f"{total} answer combinations exceed {situations.MAX_SITUATIONS}",
            )

    def check_rule(self, path: str, rule: Any) -> None:
        if rule is None or isinstance(rule, bool):
            return
        self.rules.append((path, rule))
        for operator in sorted(situations.unknown_operators(rule)):
            self.add(
                path, "unknown_operator", f"规则使用了未知运算“{operator}”", f"unknown JSON Logic operator '{operator}'"
            )
        for name in sorted(situations.rule_variables(rule) - set(self.questions)):
            self.add(
                path, "unknown_question", f"规则引用了不存在的问题“{name}”", f"rule names unknown question '{name}'"
            )
        for question_key, value in situations.compared_values(rule):
            question = self.questions.get(question_key)
            if question is None:
                continue
            if question["kind"] == "yes_no":
                allowed = value in (True, False)
            else:
                allowed = value in situations.option_values(question)
            if not allowed:
                self.add(
                    path,
                    "unknown_option",
                    f"规则把问题“{question_key}”与不存在的选项 {json.dumps(value, ensure_ascii=False)} 比较",
                    f"rule compares '{question_key}' with {json.dumps(value)}, which is not one of its answers",
                )

    def check_bundle_items(self) -> None:
        for index, entry in enumerate(self.version["items"]):
            path = f"$.bundle.version.items[{index}]"
            item = self.items.get(entry["item"])
            if item is None:
                self.add(
                    f"{path}.item", "unknown_item", f"未定义的事项“{entry['item']}”", f"unknown item '{entry['item']}'"
                )
                continue
            self.check_rule(f"{path}.applies_when", entry.get("applies_when"))
            materials = {m["key"] for m in item.get("materials", [])}
            for key, rule in entry.get("material_conditions", {}).items():
                if key not in materials:
                    self.add(
                        f"{path}.material_conditions.{key}",
                        "unknown_material",
                        f"事项没有材料“{key}”",
                        f"no material '{key}'",
                    )
                self.check_rule(f"{path}.material_conditions.{key}", rule)
            fields = {f["name"] for f in item.get("fields", [])}
            for name, rule in entry.get("field_conditions", {}).items():
                if name not in fields:
                    self.add(
                        f"{path}.field_conditions.{name}",
                        "unknown_field",
                        f"事项没有字段“{name}”",
                        f"no field '{name}'",
                    )
                self.check_rule(f"{path}.field_conditions.{name}", rule)
        for index, item in enumerate(self.doc["items"]):
            if item["code"] not in self.bundle_items:
                self.add(
                    f"$.items[{index}]",
                    "unused_item",
                    f"事项“{item['code']}”未被一件事使用",
                    f"item '{item['code']}' is unused",
                )

    def check_dependencies(self) -> bool:
        """Check references and mappings; return False when the graph has a cycle."""
        edges: dict[str, set[str]] = {code: set() for code in self.bundle_items}
        for index, dep in enumerate(self.version.get("dependencies", [])):
            path = f"$.bundle.version.dependencies[{index}]"
            up, down = dep["upstream"], dep["downstream"]
            for end in ("upstream", "downstream"):
                if dep[end] not in self.bundle_items:
                    self.add(
                        f"{path}.{end}",
                        "unknown_item",
                        f"依赖引用了不在本版本中的事项“{dep[end]}”",
                        f"unknown item '{dep[end]}'",
                    )
            if up == down:
                self.add(path, "self_dependency", "事项不能依赖自身", "an item cannot depend on itself")
            if up in self.bundle_items and down in self.bundle_items:
                edges[up].add(down)
                self.check_mappings(path, dep)
        cycle = find_cycle(edges)
        if cycle:
            self.add(
                "$.bundle.version.dependencies",
                "dependency_cycle",
                f"事项依赖存在循环：{' → '.join(cycle)}",
                f"dependency cycle: {' -> '.join(cycle)}",
            )
        return not cycle

    def check_mappings(self, path: str, dep: dict) -> None:
        upstream, downstream = self.items.get(dep["upstream"]), self.items.get(dep["downstream"])
        if not upstream or not downstream:
            return
        outputs = {f["name"] for f in upstream.get("output", {}).get("fields", [])}
        fields = {f["name"] for f in downstream.get("fields", [])}
        for m, mapping in enumerate(dep.get("mappings", [])):
            if mapping["output"] not in outputs:
                self.add(
                    f"{path}.mappings[{m}].output",
                    "unknown_output",
                    f"前置事项“{dep['upstream']}”没有结果字段“{mapping['output']}”",
                    f"upstream '{dep['upstream']}' has no output '{mapping['output']}'",
                )
            if mapping["field"] not in fields:
                self.add(
                    f"{path}.mappings[{m}].field",
                    "unknown_field",
                    f"后续事项“{dep['downstream']}”没有字段“{mapping['field']}”",
                    f"downstream '{dep['downstream']}' has no field '{mapping['field']}'",
                )

    def check_rules_evaluate(self) -> None:
        """Every rule must evaluate in every situation: known operators with ill-formed
        operands (``{"==": 1}``, ``{"<": [{"var": "q"}, []]}``) would otherwise raise in the
        notice of a citizen whose answers reach them."""
        questions = self.version["questions"]
        for path, rule in self.rules:
            for answers in situations.enumerate_situations(questions):
                try:
                    situations.evaluate(rule, answers)
                except Exception as failure:  # any error of JSON Logic on an untrusted rule
                    reason = f"{type(failure).__name__}: {failure}"[:200]
                    self.add(
                        path,
                        "invalid_rule",
                        f"规则在情形 {json.dumps(answers, ensure_ascii=False)} 下无法计算（{reason}）",
                        f"the rule cannot be evaluated in situation {json.dumps(answers)} ({reason})",
                    )
                    break

    def check_applicability(self) -> None:
        """No item may wait on an item that does not apply, unless declared optional."""
        questions = self.version["questions"]
        rules = {code: entry.get("applies_when") for code, entry in self.bundle_items.items()}
        strict = [(i, d) for i, d in enumerate(self.version.get("dependencies", [])) if not d.get("only_when_applies")]
        reported: set[int] = set()
        for answers in situations.enumerate_situations(questions):
            for index, dep in strict:
                if index in reported:
                    continue
                if situations.evaluate(rules[dep["downstream"]], answers) and not situations.evaluate(
                    rules[dep["upstream"]], answers
                ):
                    reported.add(index)
                    self.add(
                        f"$.bundle.version.dependencies[{index}]",
                        "inapplicable_upstream",
                        f"情形 {json.dumps(answers, ensure_ascii=False)} 下“{dep['downstream']}”适用而其前置事项"
                        f"“{dep['upstream']}”不适用；请将依赖标为 only_when_applies",
                        f"in situation {json.dumps(answers)} '{dep['downstream']}' applies but upstream "
                        f"'{dep['upstream']}' does not; declare only_when_applies",
                    )


def find_cycle(edges: dict[str, set[str]]) -> list[str]:
    """Return one cycle as a list of nodes (first repeated at the end), or []."""
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(edges, white)
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        colour[node] = grey
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if colour.get(nxt) == grey:
                return [*stack[stack.index(nxt) :], nxt]
            if colour.get(nxt) == white:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        colour[node] = black
        return []

    for start in sorted(edges):
        if colour[start] == white:
            cycle = visit(start)
            if cycle:
                return cycle
    return []
