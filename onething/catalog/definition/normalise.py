"""Canonical shapes of the definition format's parts, with every default filled in.

Import stores canonical values and export emits them, which is what makes
export → import → export identical.
"""

from onething.catalog.definition import DEFAULT_MAX_LENGTH, parties


def max_length(raw: dict) -> int | None:
    """A free-text element's maximum length (its own, or the default); None for other types."""
    if raw["type"] != "string":
        return None
    return raw.get("max_length") or DEFAULT_MAX_LENGTH


def option(raw: dict) -> dict:
    return {"value": raw["value"], "label": raw["label"], "label_en": raw.get("label_en", "")}


def field(raw: dict) -> dict:
    return {
        "name": raw["name"],
        "element": raw["element"],
        "required": raw.get("required", False),
        "authoritative": raw.get("authoritative", False),
        "schema": raw.get("schema", {}),
    }


def output(raw: dict | None) -> dict:
    raw = raw or {}
    return {
        "certificate_type": raw.get("certificate_type", ""),
        "fields": [
            {"name": f["name"], "label": f["label"], "label_en": f.get("label_en", "")} for f in raw.get("fields", [])
        ],
    }


def location(raw: dict) -> dict:
    keys = ("name", "name_en", "address", "hours", "phone")
    return {key: raw.get(key, "") for key in keys}


def mapping(raw: dict) -> dict:
    return {"output": raw["output"], "field": raw["field"]}


def section(raw: dict) -> dict:
    return {"key": raw["key"], "label": raw["label"], "label_en": raw.get("label_en", "")}


def party(raw: dict) -> dict:
    return {
        "key": raw["key"],
        "label": raw["label"],
        "label_en": raw.get("label_en", ""),
        "section": raw.get("section"),
        "hub": party_hub(raw.get("hub")),
    }


def party_hub(raw: dict | None) -> dict | None:
    """How the hub finds a party, with ``relation`` always a list and the attributes sorted."""
    if raw is None:
        return None
    return {
        "relation": parties.relations_of(raw),
        "select": raw.get("select", parties.DEFAULT_SELECTION),
        "attributes": dict(sorted(raw.get("attributes", {}).items())),
    }
