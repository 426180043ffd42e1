"""The catalogue admin: import page, version actions, immutability of published versions."""

import copy
import io
import json
import re
import zipfile

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from onething.catalog.admin import MAX_DEFINITION_BYTES
from onething.catalog.definition.exporter import export_version
from onething.catalog.definition.importer import import_definition
from onething.catalog.models import (
    Bundle,
    BundleItem,
    BundleVersion,
    DataElement,
    Department,
    ItemDependency,
    MaterialRequirement,
    ServiceItem,
)

IMPORT_URL = "admin:catalog_bundle_import"
VERSIONS_URL = "admin:catalog_bundleversion_changelist"


def definition_document() -> dict:
    """A small valid bundle: 2 departments, 3 items, 1 question, a dependency with a mapping."""
    return {
        "format": "onething.bundle/1",
        "departments": [
            {"code": "test-health", "name": "测试卫生健康委员会", "name_en": "Health Commission"},
            {"code": "test-police", "name": "测试公安局", "name_en": "Public Security Bureau"},
        ],
        "data_elements": [
            {"key": "mother.id_number", "label": "母亲身份证号", "type": "string", "validator": "resident_id"},
            {"key": "child.name", "label": "新生儿姓名", "type": "string", "validator": "person_name"},
            {"key": "child.birth_date", "label": "出生日期", "type": "date", "validator": "past_date"},
            {"key": "birth.cert_no", "label": "出生医学证明编号", "type": "string"},
        ],
        "items": [
            {
                "code": "test-birth-cert",
                "name": "出生医学证明",
                "department": "test-health",
                "fields": [
                    {"name": "mother_id", "element": "mother.id_number", "required": True},
                    {"name": "child_name", "element": "child.name", "required": True},
                    {"name": "birth_date", "element": "child.birth_date", "required": True},
                ],
                "materials": [
                    {"key": "mother-id-card", "name": "母亲居民身份证", "form": "original"},
                    {"key": "birth-record", "name": "分娩记录", "form": "copy", "deferrable": True},
                ],
                "committed_days": 3,
                "statutory_days": 10,
                "fee": {"amount": "0"},
                "output": {
                    "certificate_type": "出生医学证明",
                    "fields": [{"name": "certificate_number", "label": "证明编号"}],
                },
            },
            {
                "code": "test-hukou",
                "name": "新生儿户口登记",
                "department": "test-police",
                "fields": [
                    {"name": "mother_id", "element": "mother.id_number", "required": True},
                    {"name": "child_name", "element": "child.name", "required": True},
                    {"name": "birth_cert_no", "element": "birth.cert_no", "required": True},
                ],
                "materials": [
                    {"key": "mother-id-card", "name": "母亲居民身份证", "form": "original"},
                    {"key": "household-book", "name": "居民户口簿", "shared": {"kind": "datahub", "type": "household"}},
                ],
                "committed_days": 5,
                "statutory_days": 20,
                "fee": {"amount": "0"},
            },
            {
                "code": "test-home-visit",
                "name": "新生儿家庭访视登记",
                "department": "test-health",
                "fields": [{"name": "child_name", "element": "child.name"}],
                "materials": [{"key": "mother-id-card", "name": "母亲居民身份证", "form": "copy"}],
                "committed_days": 2,
                "statutory_days": 5,
                "fee": {"amount": "12.50", "note": "测试收费"},
            },
        ],
        "bundle": {
            "code": "test-birth",
            "name": "测试小孩出生一件事",
            "applicant_type": "person",
            "version": {
                "steps": 2,
                "questions": [{"key": "home_visit", "text": "是否需要上门访视？", "kind": "yes_no"}],
                "items": [
                    {"item": "test-birth-cert"},
                    {"item": "test-hukou"},
                    {"item": "test-home-visit", "applies_when": {"var": "home_visit"}, "reason": "申请了上门访视"},
                ],
                "dependencies": [
                    {
                        "upstream": "test-birth-cert",
                        "downstream": "test-hukou",
                        "mappings": [{"output": "certificate_number", "field": "birth_cert_no"}],
                    }
                ],
                "sections": [{"key": "family", "label": "家庭成员及相关人"}],
                "parties": [
                    {
                        "key": "mother",
                        "label": "母亲",
                        "section": "family",
                        "hub": {"relation": ["self", "spouse"], "select": "female"},
                    },
                    {"key": "child", "label": "新生儿", "hub": {"relation": "children", "select": "youngest"}},
                ],
            },
        },
    }


def invalid_document() -> dict:
    """Unknown department, unknown data element and a dependency cycle, all at once."""
    document = definition_document()
    document["items"][1]["department"] = "nowhere"
    document["items"][0]["fields"].append({"name": "ghost", "element": "ghost.element"})
    document["bundle"]["version"]["dependencies"].append({"upstream": "test-hukou", "downstream": "test-birth-cert"})
    return document


def json_upload(content, name: str = "bundle.json") -> SimpleUploadedFile:
    data = content if isinstance(content, bytes) else json.dumps(content, ensure_ascii=False).encode("utf-8")
    return SimpleUploadedFile(name, data, content_type="application/json")


def catalogue_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Department, DataElement, ServiceItem, MaterialRequirement, Bundle, BundleVersion, BundleItem)
    }


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def run_action(client, action: str, versions: list[BundleVersion], **extra):
    data = {"action": action, "_selected_action": [v.pk for v in versions], **extra}
    return client.post(reverse(VERSIONS_URL), data)


# --- import page ----------------------------------------------------------------------


@pytest.mark.django_db
def test_site_header_is_chinese(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "一件事管理后台" in response.content.decode()


@pytest.mark.django_db
def test_bundle_changelist_links_to_import_page(admin_client):
    response = admin_client.get(reverse("admin:catalog_bundle_changelist"))
    assert response.status_code == 200
    content = response.content.decode()
    assert reverse(IMPORT_URL) in content
    assert "导入定义文件" in content


@pytest.mark.django_db
def test_import_page_requires_staff(client, django_user_model):
    response = client.get(reverse(IMPORT_URL))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    user = django_user_model.objects.create_user("citizen", password="pw-123456789")
    client.force_login(user)
    response = client.get(reverse(IMPORT_URL))
    assert response.status_code == 302
    assert Bundle.objects.count() == 0


@pytest.mark.django_db
def test_import_page_renders_form(admin_client):
    response = admin_client.get(reverse(IMPORT_URL))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'type="file"' in content
    assert "导入后立即发布" in content


@pytest.mark.django_db
def test_import_valid_file_creates_draft(admin_client):
    response = admin_client.post(reverse(IMPORT_URL), {"definition": json_upload(definition_document())})
    version = BundleVersion.objects.get(bundle__code="test-birth")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:catalog_bundleversion_change", args=[version.pk])
    assert version.state == BundleVersion.State.DRAFT
    assert version.number == 1
    assert version.bundle_items.count() == 3
    assert version.questions.count() == 1
    assert version.dependencies.get().mappings == [{"output": "certificate_number", "field": "birth_cert_no"}]
    assert ServiceItem.objects.count() == 3
    assert MaterialRequirement.objects.filter(item__code="test-birth-cert").count() == 2
    assert any("已导入" in text for text in message_texts(response))


@pytest.mark.django_db
def test_import_with_publish_ticked_publishes(admin_client):
    response = admin_client.post(
        reverse(IMPORT_URL), {"definition": json_upload(definition_document()), "publish": "on"}
    )
    assert response.status_code == 302
    version = BundleVersion.objects.get(bundle__code="test-birth")
    assert version.state == BundleVersion.State.PUBLISHED
    assert version.snapshot is not None


@pytest.mark.django_db
def test_import_file_with_several_problems_lists_all_and_writes_nothing(admin_client):
    import_definition(document=_other_bundle())
    before = catalogue_counts()
    response = admin_client.post(reverse(IMPORT_URL), {"definition": json_upload(invalid_document())})
    assert response.status_code == 200
    content = response.content.decode()
    problems = response.context["problems"]
    codes = {p.code for p in problems}
    assert {"unknown_department", "unknown_data_element", "dependency_cycle"} <= codes
    assert content.count('class="problem"') == len(problems)
    for problem in problems:
        assert problem.path in content
        assert problem.code in content
    assert "“nowhere”" in content  # the Chinese message
    assert "ghost.element" in content
    assert "dependency cycle" in content  # the English message
    assert catalogue_counts() == before
    assert not Bundle.objects.filter(code="test-birth").exists()


@pytest.mark.django_db
def test_import_malformed_json_shows_error(admin_client):
    before = catalogue_counts()
    response = admin_client.post(reverse(IMPORT_URL), {"definition": json_upload(b'{"format": "onething.bundle/1",')})
    assert response.status_code == 200
    content = response.content.decode()
    assert "invalid_json" in content
    assert "不是有效的 JSON 文件" in content
    assert catalogue_counts() == before


@pytest.mark.django_db
def test_import_non_utf8_file_shows_error(admin_client):
    response = admin_client.post(reverse(IMPORT_URL), {"definition": json_upload("{}".encode("utf-16"))})
    assert response.status_code == 200
    assert "invalid_encoding" in response.content.decode()


@pytest.mark.django_db
def test_import_schema_problem_is_listed(admin_client):
    document = definition_document()
    del document["format"]
    response = admin_client.post(reverse(IMPORT_URL), {"definition": json_upload(document)})
    assert response.status_code == 200
    assert {p.code for p in response.context["problems"]} == {"schema"}
    assert Bundle.objects.count() == 0


@pytest.mark.django_db
def test_import_rejects_file_over_two_megabytes(admin_client):
    document = definition_document()
    document["bundle"]["summary"] = "长" * (MAX_DEFINITION_BYTES // 3 + 10)
    response = admin_client.post(reverse(IMPORT_URL), {"definition": json_upload(document)})
    assert response.status_code == 200
    content = response.content.decode()
    assert "超过 2 MB 上限" in content
    assert Bundle.objects.count() == 0


@pytest.mark.django_db
def test_import_without_file_shows_form_error(admin_client):
    response = admin_client.post(reverse(IMPORT_URL), {})
    assert response.status_code == 200
    assert response.context["form"].errors["definition"]
    assert Bundle.objects.count() == 0


# --- version actions -------------------------------------------------------------------


@pytest.mark.django_db
def test_publish_action_publishes(admin_client):
    draft = import_definition(document=definition_document())
    response = run_action(admin_client, "publish_versions", [draft])
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == BundleVersion.State.PUBLISHED
    assert draft.snapshot == export_version(version=draft)
    assert any("已发布" in text for text in message_texts(response))


@pytest.mark.django_db
def test_publish_action_on_invalid_draft_shows_every_problem(admin_client):
    draft = import_definition(document=definition_document())
    birth_cert = draft.bundle_items.get(item__code="test-birth-cert")
    hukou = draft.bundle_items.get(item__code="test-hukou")
    ItemDependency.objects.create(version=draft, upstream=hukou, downstream=birth_cert)
    ServiceItem.objects.filter(code="test-hukou").update(committed_days=30)

    response = run_action(admin_client, "publish_versions", [draft])
    texts = message_texts(response)
    assert any(text.startswith("$.bundle.version.dependencies: 事项依赖存在循环") for text in texts), texts
    assert "$.items[1].committed_days: 承诺时限不能长于法定时限" in texts
    assert any("发布失败，共 2 个问题" in text for text in texts)
    draft.refresh_from_db()
    assert draft.state == BundleVersion.State.DRAFT
    assert draft.snapshot is None


@pytest.mark.django_db
def test_publish_action_on_published_version_reports_wrong_state(admin_client):
    version = import_definition(document=definition_document(), publish=True)
    texts = message_texts(run_action(admin_client, "publish_versions", [version]))
    assert any(text.startswith("$: 版本 v1") for text in texts), texts


@pytest.mark.django_db
def test_retire_action_retires(admin_client):
    version = import_definition(document=definition_document(), publish=True)
    response = run_action(admin_client, "retire_versions", [version])
    version.refresh_from_db()
    assert version.state == BundleVersion.State.RETIRED
    assert version.retired_at is not None
    assert any("已停用" in text for text in message_texts(response))


@pytest.mark.django_db
def test_new_draft_action_copies_version_and_links_to_it(admin_client):
    version = import_definition(document=definition_document(), publish=True)
    response = run_action(admin_client, "new_draft_versions", [version])
    draft = BundleVersion.objects.get(bundle=version.bundle, state=BundleVersion.State.DRAFT)
    assert draft.number == 2
    assert draft.bundle_items.count() == 3
    assert draft.dependencies.count() == 1
    texts = message_texts(response)
    assert any(reverse("admin:catalog_bundleversion_change", args=[draft.pk]) in text for text in texts), texts


@pytest.mark.django_db
def test_export_action_returns_the_exported_document(admin_client):
    version = import_definition(document=definition_document(), publish=True)
    response = run_action(admin_client, "export_versions", [version])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert 'filename="test-birth-v1.json"' in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert "测试小孩出生一件事" in text  # ensure_ascii=False
    assert "\n  " in text  # indent=2
    assert json.loads(text) == export_version(version=version)


@pytest.mark.django_db
def test_export_action_of_draft_matches_export_version(admin_client):
    draft = import_definition(document=definition_document())
    response = run_action(admin_client, "export_versions", [draft])
    assert json.loads(response.content.decode("utf-8")) == export_version(version=draft)


@pytest.mark.django_db
def test_export_action_with_several_versions_returns_zip(admin_client):
    first = import_definition(document=definition_document(), publish=True)
    second = import_definition(document=_other_bundle())
    response = run_action(admin_client, "export_versions", [first, second])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert sorted(archive.namelist()) == ["test-birth-v1.json", "test-dog-v1.json"]
        assert json.loads(archive.read("test-birth-v1.json").decode("utf-8")) == export_version(version=first)
        assert json.loads(archive.read("test-dog-v1.json").decode("utf-8")) == export_version(version=second)


# --- immutability of published versions ---------------------------------------------------


@pytest.mark.django_db
def test_published_version_change_page_has_no_editable_inputs(admin_client):
    version = import_definition(document=definition_document(), publish=True)
    response = admin_client.get(reverse("admin:catalog_bundleversion_change", args=[version.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    form = content[content.index('id="bundleversion_form"') :]
    assert "<textarea" not in form
    assert "<select" not in form
    inputs = re.findall(r"<input[^>]*>", form)
    assert all('type="hidden"' in tag for tag in inputs), inputs
    assert 'name="_save"' not in content
    assert "不可修改" in content
    assert "出生医学证明" in content  # the inlines are shown read-only
    assert "是否需要上门访视" in content


@pytest.mark.django_db
def test_posting_to_published_version_changes_nothing(admin_client):
    version = import_definition(document=definition_document(), publish=True)
    before = (version.steps, version.notes, export_version(version=version))
    question = version.questions.get()
    data = {
        "steps": "9",
        "notes": "篡改",
        "service_locations": "[]",
        "questions-TOTAL_FORMS": "1",
        "questions-INITIAL_FORMS": "1",
        "questions-0-id": str(question.pk),
        "questions-0-version": str(version.pk),
        "questions-0-key": "home_visit",
        "questions-0-text": "篡改的问题",
        "questions-0-kind": "yes_no",
        "questions-0-order": "0",
        "questions-0-options": "[]",
        "_save": "保存",
    }
    response = admin_client.post(reverse("admin:catalog_bundleversion_change", args=[version.pk]), data)
    assert response.status_code == 403
    version.refresh_from_db()
    question.refresh_from_db()
    assert (version.steps, version.notes, export_version(version=version)) == before
    assert question.text == "是否需要上门访视？"


@pytest.mark.django_db
def test_published_version_cannot_be_deleted_but_draft_can(admin_client):
    published = import_definition(document=definition_document(), publish=True)
    draft = import_definition(document=_other_bundle())
    response = admin_client.post(reverse("admin:catalog_bundleversion_delete", args=[published.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert BundleVersion.objects.filter(pk=published.pk).exists()
    assert "无法删除" in run_action(admin_client, "delete_selected", [published]).content.decode()
    assert run_action(admin_client, "delete_selected", [published], post="yes").status_code == 403
    bundle_changelist = reverse("admin:catalog_bundle_changelist")
    bulk_delete_bundle = {"action": "delete_selected", "_selected_action": [published.bundle.pk]}
    assert "无法删除" in admin_client.post(bundle_changelist, bulk_delete_bundle).content.decode()
    assert admin_client.post(bundle_changelist, {**bulk_delete_bundle, "post": "yes"}).status_code == 403
    assert BundleVersion.objects.filter(pk=published.pk).exists()
    response = admin_client.post(reverse("admin:catalog_bundleversion_delete", args=[draft.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not BundleVersion.objects.filter(pk=draft.pk).exists()


@pytest.mark.django_db
def test_draft_change_page_is_editable_and_saves(admin_client):
    draft = import_definition(document=definition_document())
    url = reverse("admin:catalog_bundleversion_change", args=[draft.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="notes"' in content
    assert 'name="questions-0-text"' in content
    assert 'name="_save"' in content


@pytest.mark.django_db
def test_dependency_inline_offers_only_items_of_the_same_version(admin_client):
    draft = import_definition(document=definition_document())
    other = import_definition(document=_other_bundle())
    response = admin_client.get(reverse("admin:catalog_bundleversion_change", args=[draft.pk]))
    choices = response.context["inline_admin_formsets"][2].formset.form.base_fields["upstream"].queryset
    assert set(choices) == set(draft.bundle_items.all())
    assert not set(choices) & set(other.bundle_items.all())


@pytest.mark.django_db
def test_adding_second_draft_for_a_bundle_is_refused(admin_client):
    draft = import_definition(document=definition_document())
    response = admin_client.post(
        reverse("admin:catalog_bundleversion_add"),
        {
            "bundle": str(draft.bundle.pk),
            "number": "7",
            "steps": "3",
            "service_locations": "[]",
            "questions-TOTAL_FORMS": "0",
            "questions-INITIAL_FORMS": "0",
            "bundle_items-TOTAL_FORMS": "0",
            "bundle_items-INITIAL_FORMS": "0",
            "dependencies-TOTAL_FORMS": "0",
            "dependencies-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "已有草稿 v1" in response.content.decode()
    assert BundleVersion.objects.filter(bundle=draft.bundle).count() == 1


# --- every changelist and change page --------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    [Department, DataElement, ServiceItem, Bundle, BundleVersion],
    ids=lambda m: m.__name__,
)
def test_changelists_and_change_pages_render(admin_client, model):
    import_definition(document=definition_document(), publish=True)
    import_definition(document=_other_bundle())
    opts = model._meta
    response = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert response.status_code == 200
    response = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"), {"q": "测试"})
    assert response.status_code == 200
    response = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert response.status_code == 200
    for obj in model.objects.all():
        response = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        assert response.status_code == 200


@pytest.mark.django_db
def test_bundle_change_page_lists_versions_as_links(admin_client):
    published = import_definition(document=definition_document(), publish=True)
    draft = import_definition(document=definition_document())
    response = admin_client.get(reverse("admin:catalog_bundle_change", args=[published.bundle.pk]))
    content = response.content.decode()
    for version in (published, draft):
        assert reverse("admin:catalog_bundleversion_change", args=[version.pk]) in content
    assert "已发布" in content and "草稿" in content


@pytest.mark.django_db
def test_changelist_filters(admin_client):
    import_definition(document=definition_document())
    department = Department.objects.get(code="test-police")
    response = admin_client.get(
        reverse("admin:catalog_serviceitem_changelist"), {"department__id__exact": department.pk}
    )
    assert [item.code for item in response.context["cl"].result_list] == ["test-hukou"]
    response = admin_client.get(reverse("admin:catalog_dataelement_changelist"), {"type__exact": "date"})
    assert [e.key for e in response.context["cl"].result_list] == ["child.birth_date"]
    response = admin_client.get(reverse("admin:catalog_dataelement_changelist"), {"validator__exact": "resident_id"})
    assert [e.key for e in response.context["cl"].result_list] == ["mother.id_number"]


def _other_bundle() -> dict:
    """A second, unrelated bundle that shares one department."""
    document = copy.deepcopy(definition_document())
    document["departments"] = [document["departments"][1]]
    document["data_elements"] = [document["data_elements"][0]]
    document["items"] = [
        {
            "code": "test-dog-licence",
            "name": "养犬登记",
            "department": "test-police",
            "fields": [{"name": "owner_id", "element": "mother.id_number", "required": True}],
            "materials": [{"key": "dog-photo", "name": "犬只照片", "form": "electronic"}],
            "committed_days": 5,
            "statutory_days": 20,
        }
    ]
    document["bundle"] = {
        "code": "test-dog",
        "name": "测试文明养犬一件事",
        "applicant_type": "person",
        "version": {
            "questions": [],
            "items": [{"item": "test-dog-licence"}],
            "parties": [{"key": "mother", "label": "犬主", "hub": None}],
        },
    }
    return document
