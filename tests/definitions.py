"""A small, valid definition document for tests, built fresh each call so tests can
break it in place. Four items over two departments, and the parties of a birth (the
applicant, the mother, the household, the newborn) as the child-birth demo declares them:

    birth (5d) ──► household (5d) ──► insurance (3d)
    allowance (10d, only when insured=true; depends on household only_when_applies)
"""

import copy


def sample_definition() -> dict:
    return copy.deepcopy(_SAMPLE)


def element(key: str, label: str, validator: str = "", type_: str = "string") -> dict:
    return {"key": key, "label": label, "type": type_, "validator": validator}


def material(key: str, name: str, **flags) -> dict:
    return {"key": key, "name": name, "form": flags.pop("form", "original"), "copies": 1, **flags}


_SAMPLE = {
    "format": "onething.bundle/1",
    "departments": [
        {"code": "health", "name": "卫生健康委", "name_en": "Health Commission"},
        {"code": "police", "name": "公安局", "name_en": "Public Security"},
    ],
    "data_elements": [
        element("mother.name", "母亲姓名", "person_name"),
        element("mother.id_number", "母亲身份证号", "resident_id"),
        element("child.name", "新生儿姓名", "person_name"),
        element("child.birth_cert_no", "出生医学证明编号"),
        element("household.number", "户号"),
        element("applicant.mobile", "手机号码", "mobile"),
    ],
    "items": [
        {
            "code": "t-birth",
            "name": "出生医学证明",
            "name_en": "Birth medical certificate",
            "department": "health",
            "fields": [
                {"name": "mother_name", "element": "mother.name", "required": True},
                {"name": "mother_id", "element": "mother.id_number", "required": True, "authoritative": True},
                {"name": "child_name", "element": "child.name", "required": True},
            ],
            "materials": [
                material("mother-id-card", "母亲居民身份证", shared={"kind": "elicence", "type": "id_card"}),
                material("birth-record", "分娩记录", deferrable=True),
            ],
            "committed_days": 5,
            "statutory_days": 10,
            "fee": {"amount": "0.00"},
            "output": {
                "certificate_type": "birth_medical_certificate",
                "fields": [{"name": "certificate_number", "label": "证明编号"}],
            },
            "in_person_visits": 1,
            "steps": 4,
            "channels": ["online", "window"],
        },
        {
            "code": "t-household",
            "name": "户口登记",
            "department": "police",
            "fields": [
                {"name": "mother_id", "element": "mother.id_number", "required": True},
                {"name": "birth_cert_no", "element": "child.birth_cert_no", "required": True},
                {"name": "mobile", "element": "applicant.mobile"},
            ],
            "materials": [
                material("mother-id-card", "母亲居民身份证", shared={"kind": "elicence", "type": "id_card"}),
                material("household-book", "户口簿", form="original_and_copy", pledgeable=True),
                material("marriage-cert", "结婚证", form="copy"),
            ],
            "committed_days": 5,
            "statutory_days": 20,
            "fee": {"amount": "0.00"},
            "output": {
                "certificate_type": "household_register",
                "fields": [{"name": "household_number", "label": "户号"}],
            },
            "in_person_visits": 2,
            "steps": 4,
        },
        {
            "code": "t-insurance",
            "name": "城乡居民医保参保登记",
            "department": "health",
            "fields": [{"name": "household_number", "element": "household.number", "required": True}],
            "materials": [material("household-book", "户口簿", form="copy")],
            "committed_days": 3,
            "statutory_days": 5,
            "fee": {"amount": "0.00"},
            "in_person_visits": 1,
            "steps": 3,
        },
        {
            "code": "t-allowance",
            "name": "生育津贴",
            "department": "health",
            "fields": [{"name": "mother_id", "element": "mother.id_number", "required": True}],
            "materials": [material("mother-id-card", "母亲居民身份证", shared={"kind": "elicence", "type": "id_card"})],
            "committed_days": 10,
            "statutory_days": 20,
            "fee": {"amount": "12.50", "note": "工本费"},
            "in_person_visits": 1,
            "steps": 4,
        },
    ],
    "bundle": {
        "code": "t-birth-bundle",
        "name": "测试出生一件事",
        "name_en": "Test birth bundle",
        "summary": "测试用",
        "applicant_type": "person",
        "keywords": "出生 测试",
        "version": {
            "steps": 3,
            "service_locations": [{"name": "测试中心", "address": "上海市测试路1号"}],
            "questions": [
                {"key": "insured", "text": "母亲是否参加职工医保?", "kind": "yes_no"},
                {
                    "key": "married",
                    "text": "父母婚姻状况",
                    "kind": "single",
                    "options": [{"value": "married", "label": "已婚"}, {"value": "single", "label": "未婚"}],
                },
                {
                    "key": "extras",
                    "text": "还需要",
                    "kind": "multiple",
                    "options": [{"value": "insurance", "label": "医保"}, {"value": "card", "label": "社保卡"}],
                },
            ],
            "items": [
                {"item": "t-birth", "reason": "新生儿需要出生医学证明"},
                {
                    "item": "t-household",
                    "reason": "新生儿落户",
                    "material_conditions": {"marriage-cert": {"==": [{"var": "married"}, "married"]}},
                },
                {
                    "item": "t-insurance",
                    "applies_when": {"in": ["insurance", {"var": "extras"}]},
                    "reason": "选择了医保",
                },
                {
                    "item": "t-allowance",
                    "applies_when": {"==": [{"var": "insured"}, True]},
                    "reason": "母亲参加职工医保",
                },
            ],
            "dependencies": [
                {
                    "upstream": "t-birth",
                    "downstream": "t-household",
                    "mappings": [{"output": "certificate_number", "field": "birth_cert_no"}],
                },
                {
                    "upstream": "t-household",
                    "downstream": "t-insurance",
                    "mappings": [{"output": "household_number", "field": "household_number"}],
                },
                {"upstream": "t-insurance", "downstream": "t-allowance", "only_when_applies": True},
            ],
            "sections": [
                {"key": "applicant", "label": "申请人", "label_en": "Applicant"},
                {"key": "family", "label": "家庭成员及相关人", "label_en": "Family members and related persons"},
            ],
            "parties": [
                {"key": "applicant", "label": "申请人", "section": "applicant", "hub": {"relation": "self"}},
                {
                    "key": "mother",
                    "label": "母亲",
                    "section": "family",
                    "hub": {"relation": ["self", "spouse"], "select": "female"},
                },
                {"key": "household", "label": "户籍", "section": "family", "hub": {"relation": "household"}},
                {"key": "child", "label": "新生儿", "hub": {"relation": "children", "select": "youngest"}},
            ],
        },
    },
}
