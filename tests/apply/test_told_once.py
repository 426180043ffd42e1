"""Told once, asked once: every problem of a submission in one answer (each under its own
key, saying what is expected), the page's error summary with missing materials, maximum
lengths of free text, and no department payload over the protocol's limit."""

import html
import json
import re

import pytest

from onething.apply import selectors, services, validators
from onething.apply.form import build_merged_form, validate
from onething.apply.models import Draft
from onething.apply.steps import draft_steps
from onething.cases.models import Case
from onething.catalog.selectors import published_version
from onething.notice.engine import compile_definition
from onething.processing.models import ItemCase
from tests.definitions import element, sample_definition

FULL = {"insured": True, "married": "married", "extras": ["insurance", "card"]}
ANSWERS = {"birth_place": "local_hospital", "married": True, "mother_insured": True}
TWO_POINT_SEVEN_MB = "字" * 900_000  # 2.7 MB in UTF-8


def sample_form(document: dict | None = None):
    return build_merged_form(compiled=compile_definition(document or sample_definition()), answers=FULL)


# --- validate: every problem, keyed, saying what is expected --------------------------


def test_three_missing_required_fields_are_three_keyed_errors():
    form = sample_form()
    required = [f.key for f in form.fields if f.required]
    assert required == ["mother.name", "mother.id_number", "child.name"]
    _, errors = validate(form, {})
    assert list(errors) == required  # each under its own key, in the form's order
    assert {e.code for e in errors.values()} == {"required"}
    assert all(e.message and e.message_en for e in errors.values())


def test_missing_and_malformed_fields_are_reported_together():
    _, errors = validate(sample_form(), {"mother.id_number": "12345", "applicant.mobile": "12"})
    assert set(errors) == {"mother.name", "mother.id_number", "child.name", "applicant.mobile"}
    assert errors["mother.id_number"].code == "resident_id"
    assert errors["mother.name"].code == errors["child.name"].code == "required"


@pytest.mark.parametrize(
    ("validator", "value", "zh", "en"),
    [
        ("resident_id", "12345", "18 位居民身份证号码（最后一位可为 X）", "18-character resident ID"),
        ("resident_id", "110101199003077775", "最后一位校验码", "check"),
        ("credit_code", "9131", "18 位统一社会信用代码", "18-character unified social credit code"),
        ("mobile", "12", "11 位手机号码", "11-digit mobile number"),
        ("date", "28/11/2026", "日期，格式 YYYY-MM-DD", "YYYY-MM-DD"),
        ("past_date", "2026-13-01", "日期，格式 YYYY-MM-DD", "YYYY-MM-DD"),
        ("postal_code", "2000", "6 位邮政编码", "6-digit postal code"),
        ("email", "nobody", "电子邮箱地址", "email address"),
        ("person_name", "A", "2 至 40 个字", "2 to 40 characters"),
    ],
)
def test_format_messages_say_what_is_expected(validator, value, zh, en):
    problem = validators.run_validator(validator, value)
    assert problem is not None
    assert zh in problem.message and en in problem.message_en
    assert "格式不正确" not in problem.message


def test_too_long_text_says_the_limit_and_the_length():
    _, errors = validate(sample_form(), {"child.birth_cert_no": "x", "applicant.mobile": "1" * 501})
    assert errors["applicant.mobile"].code == "maxLength"
    assert errors["applicant.mobile"].message == "最多 500 个字（现有 501 个字）"
    assert errors["applicant.mobile"].message_en == "at most 500 characters (this has 501)"


def test_a_date_element_without_validator_is_checked_as_a_date():
    document = sample_definition()
    document["data_elements"].append(element("child.birth_date", "出生日期", type_="date"))
    document["items"][0]["fields"].append({"name": "birth_date", "element": "child.birth_date"})
    _, errors = validate(sample_form(document), {"child.birth_date": "yesterday"})
    assert errors["child.birth_date"].code == "date"
    assert "YYYY-MM-DD" in errors["child.birth_date"].message


# --- maximum length --------------------------------------------------------------------


def test_free_text_gets_the_default_maximum_length_and_a_definition_can_override_it():
    document = sample_definition()
    by_key = {e["key"]: e for e in document["data_elements"]}
    by_key["child.name"]["max_length"] = 20
    # an item's own schema may tighten the element's limit further
    document["items"][0]["fields"][0]["schema"] = {"maxLength": 10}
    form = sample_form(document)
    properties = form.json_schema()["properties"]
    assert properties["applicant.mobile"]["maxLength"] == 500  # the default
    assert properties["child.name"]["maxLength"] == 20
    assert form.by_key["mother.name"].effective_max_length == 10
    _, errors = validate(form, {"child.name": "林" * 21, "mother.name": "林" * 11})
    assert errors["child.name"].message == "最多 20 个字（现有 21 个字）"
    assert errors["mother.name"].message == "最多 10 个字（现有 11 个字）"


def test_other_types_have_no_maximum_length():
    document = sample_definition()
    document["data_elements"].append(element("child.weight", "体重", type_="number"))
    document["items"][0]["fields"].append({"name": "weight", "element": "child.weight"})
    form = sample_form(document)
    assert "maxLength" not in form.json_schema()["properties"]["child.weight"]
    assert form.by_key["child.weight"].effective_max_length is None


# --- the department's payload limit ----------------------------------------------------


def test_an_item_whose_data_would_not_fit_one_department_request_is_refused(settings):
    settings.DEPARTMENT_MAX_BODY_BYTES = 64 * 1024 + 1000  # what is left for data: 1000 bytes
    document = sample_definition()
    document["data_elements"].append({**element("child.note", "备注"), "max_length": 2000})
    document["items"][0]["fields"].append({"name": "note", "element": "child.note"})
    form = sample_form(document)
    ok = {"mother.name": "林晓雯", "mother.id_number": "110101199003077774", "child.name": "林小米"}
    assert validate(form, {**ok, "child.note": "林" * 10})[1] == {}
    _, errors = validate(form, {**ok, "child.note": "林" * 400})  # 1200 bytes for t-birth
    assert list(errors) == ["child.note"]  # on the item's largest field
    assert errors["child.note"].code == "payload_too_large"
    assert "MB" in errors["child.note"].message and "department" in errors["child.note"].message_en


def test_the_engine_knows_the_protocols_body_limit(settings):
    from services.department import server
    from services.protocol import client

    assert settings.DEPARTMENT_MAX_BODY_BYTES == server.MAX_BODY_BYTES == client.MAX_BODY_BYTES


def test_the_client_refuses_an_oversize_body_without_sending_it():
    from services.protocol.client import DepartmentClient, DepartmentPermanentError

    # nothing listens on this port: had the body been sent, the error would be transient
    with DepartmentClient("http://127.0.0.1:9/departments/x", "x", "secret", max_body_bytes=1000) as department:
        with pytest.raises(DepartmentPermanentError) as refused:
            department.submit(
                idempotency_key="k", case_number="C", item_code="i", item_case_id=1, data={"a": "b" * 999}
            )
    assert refused.value.status == 413 and refused.value.code == "payload_too_large"
    assert "not sent" in str(refused.value)


# --- drafts, the API and the page ------------------------------------------------------


def start(user) -> Draft:
    return services.draft_start(
        applicant=user, version=published_version(bundle_code="child-birth"), raw_answers=ANSWERS
    )


def missing_three(draft: Draft) -> list[str]:
    """Fill every field, then empty three required ones the applicant can change."""
    form = selectors.form_for(version=draft.version, answers=draft.answers)
    data = {**draft.data, **{f.key: f.example() for f in form.fields if f.key not in draft.data}}
    gone = [f.key for f in form.fields if f.required and not f.authoritative][:3]
    for key in gone:
        data.pop(key)
    for key in gone:
        draft.prefilled.pop(key, None)
    draft.data = data
    draft.save()
    return gone


@pytest.mark.django_db
def test_the_form_api_states_each_fields_maximum_length(client, demo_bundles):
    query = "birth_place=local_hospital&married=true&mother_insured=true"
    body = client.get(f"/api/bundles/child-birth/form/?{query}").json()
    fields = {f["key"]: f for f in body["fields"]}
    strings = [key for key, f in fields.items() if f["type"] == "string"]
    assert all(body["json_schema"]["properties"][key]["maxLength"] == 500 for key in strings)  # the default
    # the effective limit: the default, or tighter where an item's schema says so (child.name: 20)
    assert fields["child.name"]["max_length"] == 20
    assert all(fields[key]["max_length"] == 500 for key in strings if key != "child.name")
    assert all(f["max_length"] is None for f in fields.values() if f["type"] != "string")


@pytest.mark.django_db
def test_api_submit_returns_every_problem_at_once(client, demo_bundles, datahub_settings, mother):
    draft = start(mother)
    gone = missing_three(draft)
    assert len(gone) == 3
    client.force_login(mother)
    response = client.post(f"/api/drafts/{draft.pk}/submit/")
    assert response.status_code == 400
    error = response.json()["error"]
    fields = [d for d in error["details"] if "field" in d]
    assert [d["field"] for d in fields] == gone  # three distinct keys in one answer
    assert {d["code"] for d in fields} == {"required"}
    materials = [d for d in error["details"] if "material" in d]
    missing = [m.key for m in selectors.missing_required_materials(draft=Draft.objects.get(pk=draft.pk))]
    assert missing and [d["material"] for d in materials] == missing
    assert all(d["code"] == "material_missing" and d["message"].startswith("还需上传：") for d in materials)
    assert error["message"] == f"有 {len(gone) + len(missing)} 项需要修改"
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_api_refuses_a_2_7_mb_field_and_nothing_is_dispatched(client, demo_bundles, datahub_settings, mother):
    draft = start(mother)
    form = selectors.form_for(version=draft.version, answers=draft.answers)
    free_text = next(f for f in form.fields if f.type == "string" and not f.validator and f.required)
    client.force_login(mother)
    complete = {f.key: f.example() for f in form.fields if f.key not in draft.data}
    # 2.7 MB is over the API's body limit (API_MAX_BODY_BYTES): refused before it is read
    huge = {"data": {**complete, free_text.key: TWO_POINT_SEVEN_MB}}
    too_big = client.patch(f"/api/drafts/{draft.pk}/", huge, content_type="application/json")
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "body_too_large"
    # a field within the body limit but over its element's max_length: reported, not kept
    long_text = TWO_POINT_SEVEN_MB[:100_000]  # 600 KB as the client sends it (\uXXXX escapes)
    patched = client.patch(
        f"/api/drafts/{draft.pk}/",
        {"data": {**complete, free_text.key: long_text}},
        content_type="application/json",
    )
    assert patched.status_code == 200
    problems = {p["field"]: p for p in patched.json()["problems"]}
    assert problems[free_text.key]["code"] == "maxLength"
    assert problems[free_text.key]["message"] == f"最多 500 个字（现有 {len(long_text)} 个字）"
    stored = Draft.objects.get(pk=draft.pk)
    assert free_text.key not in stored.data  # too long to keep: refused, not stored
    assert len(json.dumps(stored.data, ensure_ascii=False)) < 100_000
    submitted = client.post(f"/api/drafts/{draft.pk}/submit/")
    assert submitted.status_code == 400
    assert free_text.key in {d.get("field") for d in submitted.json()["error"]["details"]}
    assert not Case.objects.exists() and not ItemCase.objects.exists()


@pytest.mark.django_db
def test_html_submit_of_a_too_long_value_is_refused_not_dropped(demo_bundles, datahub_settings, mother):
    draft = start(mother)
    form = selectors.form_for(version=draft.version, answers=draft.answers)
    strings = [f for f in form.fields if f.type == "string"]
    optional = next((f for f in strings if not f.required), strings[0])
    complete = {f.key: f.example() for f in form.fields if f.key not in draft.data}
    with pytest.raises(services.SubmissionInvalid) as invalid:
        services.draft_submit(draft=draft, raw_data={**complete, optional.key: "x" * 501})
    assert invalid.value.errors[optional.key].code == "maxLength"
    assert not Case.objects.exists()


def summary_of(page: str) -> tuple[int, list[tuple[str, str]]]:
    block = re.search(r'<div class="errors error-summary"[^>]*data-count="(\d+)".*?</div>', page, re.S)
    assert block, "no error summary"
    links = re.findall(r'<li[^>]*><a href="([^"]+)">(.*?)</a></li>', block.group(0), re.S)
    return int(block.group(1)), [(html.unescape(href), html.unescape(text)) for href, text in links]


@pytest.mark.django_db
def test_the_page_summary_counts_fields_and_missing_materials_with_links(
    client, demo_bundles, datahub_settings, mother
):
    """Submitting from 核对信息 (一表申请 as steps) refuses an incomplete draft with one
    summary of every problem, fields and missing materials, each linking to its step."""
    draft = start(mother)
    gone = missing_three(draft)
    client.force_login(mother)
    response = client.post(f"/my/drafts/{draft.pk}/check/")
    assert response.status_code == 200 and not Case.objects.exists()
    page = response.content.decode()
    count, links = summary_of(page)
    missing = selectors.missing_required_materials(draft=Draft.objects.get(pk=draft.pk))
    assert missing
    assert count == len(links) == len(gone) + len(missing)
    assert f"有 {count} 项需要修改" in page
    anchors = [href.rsplit("#", 1)[1] for href, _ in links]
    assert anchors == [f"f-{key}" for key in gone] + [f"m-{m.key}" for m in missing]
    for href, _ in links:  # every link lands on a control of its step's page
        step_page = client.get(href.split("#")[0]).content.decode()
        assert f'id="{href.rsplit("#", 1)[1]}"' in step_page
    for (_, text), line in zip(links[len(gone) :], missing, strict=True):
        assert text.endswith(f"还需上传：{line.name}")
    # the fields' inputs carry their maximum length
    free_text = next(
        f for f in selectors.form_for(version=draft.version, answers=draft.answers).fields if f.type == "string"
    )
    step = next(s for s in draft_steps(draft=draft).steps if free_text.key in s.keys)
    step_page = client.get(f"/my/drafts/{draft.pk}/steps/{step.key}/").content.decode()
    assert re.search(rf'id="f-{re.escape(free_text.key)}"[^>]*maxlength="{free_text.effective_max_length}"', step_page)


@pytest.mark.django_db
def test_materials_given_in_any_way_are_not_missing(demo_bundles, datahub_settings, mother):
    draft = start(mother)
    missing = selectors.missing_required_materials(draft=draft)
    assert missing
    first = missing[0]
    draft.materials[first.key] = {"source": "upload", "upload": 1, "name": "x.pdf"}
    assert first.key not in {m.key for m in selectors.missing_required_materials(draft=draft)}
    assert all(m.bring and m.required for m in missing)
    assert not {m.key for m in selectors.missing_required_materials(draft=draft)} & {
        key for key, given in draft.materials.items() if given.get("source")
    }


def test_supplement_data_is_only_what_was_asked_and_never_too_long():
    asked = ["birth_cert_no", "remark"]
    data = services.supplement_data(asked=asked, raw={"birth_cert_no": " A123 ", "other": "x", "remark": ""})
    assert data == {"birth_cert_no": "A123"}  # not asked for, or empty: not sent
    with pytest.raises(services.SubmissionInvalid) as invalid:
        services.supplement_data(asked=asked, raw={"birth_cert_no": "A1", "remark": "字" * 501})
    assert list(invalid.value.errors) == ["remark"]
    assert invalid.value.errors["remark"].message == "最多 500 个字（现有 501 个字）"
