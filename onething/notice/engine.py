"""The one-time notice (一次告知) computed from a definition document and a situation.

Works on the definition format (a published version's snapshot), never on bundle-
specific code. ``compile_definition`` indexes a document once; ``build_notice`` then
answers one situation in well under a millisecond. The arithmetic of the critical path
and of the four reductions is written out in docs/four-reductions.md.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from onething.catalog import situations

FORM_STRENGTH = {"electronic": 0, "copy": 1, "original": 2, "original_and_copy": 3}
IN_PERSON_FORMS = {"original", "original_and_copy"}


@dataclass(frozen=True, eq=False)
class CompiledBundle:
    """A definition document indexed for fast notices. Immutable: cache it per version.
    Compared and hashed by identity, so caches can key on it."""

    document: dict

    @cached_property
    def bundle(self) -> dict:
        return self.document["bundle"]

    @cached_property
    def version(self) -> dict:
        return self.bundle["version"]

    @cached_property
    def questions(self) -> list[dict]:
        return self.version["questions"]

    @cached_property
    def items(self) -> dict[str, dict]:
        return {item["code"]: item for item in self.document["items"]}

    @cached_property
    def departments(self) -> dict[str, dict]:
        return {d["code"]: d for d in self.document["departments"]}

    @cached_property
    def elements(self) -> dict[str, dict]:
        return {e["key"]: e for e in self.document["data_elements"]}

    @cached_property
    def bundle_items(self) -> list[dict]:
        return self.version["items"]

    @cached_property
    def upstreams(self) -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = {entry["item"]: [] for entry in self.bundle_items}
        for dep in self.version.get("dependencies", []):
            found[dep["downstream"]].append(dep)
        return found

    @cached_property
    def reductions_overview(self) -> dict[str, dict[str, dict[str, int]]]:
        """Min and max of each of the four reductions over every situation."""
        overview: dict[str, dict[str, dict[str, int]]] = {}
        for answers in situations.enumerate_situations(self.questions):
            for metric, figures in build_notice(self, answers).reductions.items():
                slot = overview.setdefault(metric, {"separate": {}, "bundle": {}})
                for side in ("separate", "bundle"):
                    value = figures[side]
                    slot[side]["min"] = min(slot[side].get("min", value), value)
                    slot[side]["max"] = max(slot[side].get("max", value), value)
        return overview


def compile_definition(document: dict) -> CompiledBundle:
    return CompiledBundle(document=document)


@dataclass
class NoticeMaterial:
    """One line of the deduplicated material list."""

    key: str
    name: str
    name_en: str
    description: str
    form: str
    copies: int
    required: bool
    deferrable: bool
    pledgeable: bool
    shared: dict | None
    needed_by: list[str] = field(default_factory=list)
    holder: str = "applicant"  # whose document: "applicant" or a data element holding an ID number

    @property
    def elicence_type(self) -> str:
        """The e-licence type the government may hold it as ("" if not an e-licence)."""
        shared = self.shared or {}
        return shared.get("type", "") if shared.get("kind") == "elicence" else ""

    @property
    def bring(self) -> bool:
        """The applicant must bring or upload it (the government does not hold it)."""
        return self.shared is None


@dataclass
class NoticeItem:
    code: str
    name: str
    name_en: str
    department: dict
    reason: str
    reason_en: str
    legal_basis: str
    conditions: list[str]
    committed_days: int
    statutory_days: int
    fee: dict
    channels: list[str]
    output: dict
    waits_for: list[str]
    materials: list[str]
    start_day: int = 0
    finish_day: int = 0
    critical: bool = False


@dataclass
class Notice:
    bundle: dict
    answers: dict
    items: list[NoticeItem]
    materials: list[NoticeMaterial]
    total_fee: Decimal
    bundle_days: int
    sequential_days: int
    critical_path: list[str]
    channels: list[str]
    service_locations: list[dict]
    reductions: dict[str, dict[str, int]]

    @property
    def materials_to_bring(self) -> list[NoticeMaterial]:
        return [m for m in self.materials if m.bring]

    @property
    def materials_shared(self) -> list[NoticeMaterial]:
        return [m for m in self.materials if not m.bring]


def applicable_items(compiled: CompiledBundle, answers: dict[str, Any]) -> list[dict]:
    """The bundle items whose ``applies_when`` holds, in the bundle's order."""
    return [entry for entry in compiled.bundle_items if situations.evaluate(entry.get("applies_when"), answers)]


def build_notice(compiled: CompiledBundle, answers: dict[str, Any]) -> Notice:
    """The personalised notice for already-checked answers (see situations.check_answers)."""
    entries = applicable_items(compiled, answers)
    applicable = {entry["item"] for entry in entries}
    items = [_notice_item(compiled, entry, answers, applicable) for entry in entries]
    materials = _merge_materials(compiled, items)
    critical_path = _schedule(items)
    bundle_days = max((item.finish_day for item in items), default=0)
    channels = sorted(set.intersection(*(set(i.channels) for i in items))) if items else []
    notice = Notice(
        bundle=compiled.bundle,
        answers=answers,
        items=items,
        materials=materials,
        total_fee=sum((Decimal(item.fee["amount"]) for item in items), Decimal("0")),
        bundle_days=bundle_days,
        sequential_days=sum(item.committed_days for item in items),
        critical_path=critical_path,
        channels=channels,
        service_locations=compiled.version.get("service_locations", []),
        reductions={},
    )
    notice.reductions = _reductions(compiled, notice)
    return notice


def _notice_item(compiled: CompiledBundle, entry: dict, answers: dict, applicable: set[str]) -> NoticeItem:
    item = compiled.items[entry["item"]]
    material_rules = entry.get("material_conditions", {})
    materials = [
        m["key"] for m in item.get("materials", []) if situations.evaluate(material_rules.get(m["key"]), answers)
    ]
    waits_for = [dep["upstream"] for dep in compiled.upstreams[item["code"]] if dep["upstream"] in applicable]
    return NoticeItem(
        code=item["code"],
        name=item["name"],
        name_en=item.get("name_en", ""),
        department=compiled.departments[item["department"]],
        reason=entry.get("reason", ""),
        reason_en=entry.get("reason_en", ""),
        legal_basis=item.get("legal_basis", ""),
        conditions=item.get("conditions", []),
        committed_days=item["committed_days"],
        statutory_days=item["statutory_days"],
        fee=item.get("fee", {"amount": "0.00", "note": ""}),
        channels=item.get("channels", ["online", "window"]),
        output=item.get("output", {}),
        waits_for=waits_for,
        materials=materials,
    )


def _merge_materials(compiled: CompiledBundle, items: list[NoticeItem]) -> list[NoticeMaterial]:
    """One line per material key; a material is deferrable or pledgeable in the bundle
    only if every item that needs it allows it, and required if any item requires it."""
    merged: dict[str, NoticeMaterial] = {}
    for item in items:
        definitions = {m["key"]: m for m in compiled.items[item.code].get("materials", [])}
        for key in item.materials:
            raw = definitions[key]
            line = merged.get(key)
            if line is None:
                merged[key] = NoticeMaterial(
                    key=key,
                    name=raw["name"],
                    name_en=raw.get("name_en", ""),
                    description=raw.get("description", ""),
                    form=raw.get("form", "original"),
                    copies=raw.get("copies", 1),
                    required=raw.get("required", True),
                    deferrable=raw.get("deferrable", False),
                    pledgeable=raw.get("pledgeable", False),
                    shared=raw.get("shared") or None,
                    needed_by=[item.code],
                    holder=raw.get("holder", "applicant"),
                )
                continue
            line.needed_by.append(item.code)
            line.required = line.required or raw.get("required", True)
            line.deferrable = line.deferrable and raw.get("deferrable", False)
            line.pledgeable = line.pledgeable and raw.get("pledgeable", False)
            line.copies = max(line.copies, raw.get("copies", 1))
            line.shared = line.shared or raw.get("shared") or None
            if FORM_STRENGTH[raw.get("form", "original")] > FORM_STRENGTH[line.form]:
                line.form = raw.get("form", "original")
    return list(merged.values())


def _schedule(items: list[NoticeItem]) -> list[str]:
    """Earliest start/finish of every item along the dependency DAG (items start as soon
    as everything they wait for is done); returns the critical path, first item first."""
    by_code = {item.code: item for item in items}
    done: set[str] = set()

    def finish(item: NoticeItem) -> int:
        if item.code not in done:
            item.start_day = max((finish(by_code[up]) for up in item.waits_for), default=0)
            item.finish_day = item.start_day + item.committed_days
            done.add(item.code)
        return item.finish_day

    for item in items:
        finish(item)
    if not items:
        return []
    path = []
    current: NoticeItem | None = max(items, key=lambda i: i.finish_day)
    while current is not None:
        current.critical = True
        path.append(current.code)
        ups = [by_code[up] for up in current.waits_for if by_code[up].finish_day == current.start_day]
        current = max(ups, key=lambda i: i.finish_day) if ups else None
    return list(reversed(path))


def _reductions(compiled: CompiledBundle, notice: Notice) -> dict[str, dict[str, int]]:
    """Items done separately vs the bundle: steps, working days, materials, trips."""
    separate_materials = sum(
        1
        for item in notice.items
        for key in item.materials
        if _material(compiled, item.code, key).get("required", True)
    )
    bring = [m for m in notice.materials_to_bring if m.required]
    needs_visit = any(m.form in IN_PERSON_FORMS for m in bring) or "online" not in notice.channels
    return {
        "steps": {
            "separate": sum(compiled.items[i.code].get("steps", 4) for i in notice.items),
            "bundle": compiled.version.get("steps", 3) if notice.items else 0,
        },
        "time": {"separate": notice.sequential_days, "bundle": notice.bundle_days},
        "materials": {"separate": separate_materials, "bundle": len(bring)},
        "trips": {
            "separate": sum(compiled.items[i.code].get("in_person_visits", 1) for i in notice.items),
            "bundle": (1 if needs_visit else 0) if notice.items else 0,
        },
    }


def _material(compiled: CompiledBundle, item_code: str, key: str) -> dict:
    return next(m for m in compiled.items[item_code].get("materials", []) if m["key"] == key)
