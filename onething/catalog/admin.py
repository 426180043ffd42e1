"""Django admin for the catalogue (一件事管理后台).

The admin only calls the catalogue's services and the definition importer/exporter; it
holds no rules of its own. A bundle version that is no longer a draft is shown
read-only, with read-only inlines, because published versions are immutable.
"""

import io
import json
import zipfile

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from onething.audit.admin import AuditedModelAdmin
from onething.catalog.definition.errors import DefinitionInvalid, DefinitionProblem
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
    SituationQuestion,
)
from onething.catalog.services import version_new_draft, version_publish, version_retire

admin.site.site_header = "一件事管理后台"
admin.site.site_title = "一件事管理后台"
admin.site.index_title = "管理首页"

MAX_DEFINITION_BYTES = 2 * 1024 * 1024
SMALL_TEXTAREA = forms.Textarea(attrs={"rows": 2, "cols": 40})


def _version_url(version: BundleVersion) -> str:
    return reverse("admin:catalog_bundleversion_change", args=[version.pk])


def _version_link(version: BundleVersion):
    return format_html('<a href="{}">v{}（{}）</a>', _version_url(version), version.number, version.get_state_display())


# --- Departments, data elements, items ----------------------------------------------


@admin.register(Department)
class DepartmentAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "name_en", "contact")
    search_fields = ("code", "name", "name_en")


@admin.register(DataElement)
class DataElementAdmin(AuditedModelAdmin):
    list_display = ("key", "label", "label_en", "type", "validator", "max_length")
    list_filter = ("type", "validator")
    search_fields = ("key", "label", "label_en")


class MaterialRequirementInline(admin.TabularInline):
    model = MaterialRequirement
    extra = 0
    fields = (
        "order",
        "key",
        "name",
        "name_en",
        "form",
        "copies",
        "required",
        "deferrable",
        "pledgeable",
        "shared_kind",
        "shared_type",
        "description",
    )
    formfield_overrides = {models.TextField: {"widget": SMALL_TEXTAREA}}


@admin.register(ServiceItem)
class ServiceItemAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "department", "committed_days", "statutory_days", "fee_amount")
    list_filter = ("department",)
    list_select_related = ("department",)
    search_fields = ("code", "name", "name_en", "department__name")
    autocomplete_fields = ("department",)
    inlines = (MaterialRequirementInline,)
    readonly_fields = ("used_in",)
    fieldsets = (
        (None, {"fields": ("code", "name", "name_en", "department", "legal_basis", "conditions")}),
        ("表单", {"fields": ("fields",)}),
        (
            "时限、收费与渠道",
            {
                "fields": (
                    "committed_days",
                    "statutory_days",
                    "fee_amount",
                    "fee_note",
                    "in_person_visits",
                    "steps",
                    "channels",
                )
            },
        ),
        ("办理结果", {"fields": ("output_certificate_type", "output_fields")}),
        ("使用情况", {"fields": ("used_in",)}),
    )

    @admin.display(description="所属一件事版本")
    def used_in(self, obj: ServiceItem):
        if obj.pk is None:
            return "-"
        uses = (
            BundleItem.objects.filter(item=obj)
            .select_related("version__bundle")
            .order_by("version__bundle", "-version__number")
        )
        if not uses:
            return "未被任何一件事使用"
        return format_html_join(
            "、",
            '<a href="{}">{} v{}（{}）</a>',
            (
                (_version_url(u.version), u.version.bundle.name, u.version.number, u.version.get_state_display())
                for u in uses
            ),
        )


# --- Bundles and the import page ------------------------------------------------------


class DefinitionImportForm(forms.Form):
    definition = forms.FileField(
        label="定义文件（JSON）",
        help_text="onething.bundle/1 格式，UTF-8 编码，不超过 2 MB",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
    publish = forms.BooleanField(label="导入后立即发布", required=False)

    def clean_definition(self):
        upload = self.cleaned_data["definition"]
        if upload.size > MAX_DEFINITION_BYTES:
            raise forms.ValidationError(
                "文件大小为 %(size).1f MB，超过 2 MB 上限，请拆分或精简后再导入。/ The file is larger than 2 MB.",
                params={"size": upload.size / (1024 * 1024)},
                code="too_large",
            )
        return upload


def read_definition(upload) -> tuple[object, list[DefinitionProblem]]:
    """Parse an uploaded definition file; a file that is not JSON becomes one problem."""
    raw = upload.read()
    try:
        return json.loads(raw.decode("utf-8-sig")), []
    except UnicodeDecodeError:
        return None, [
            DefinitionProblem("$", "invalid_encoding", "文件不是 UTF-8 编码的文本", "the file is not UTF-8 text")
        ]
    except json.JSONDecodeError as exc:
        return None, [
            DefinitionProblem(
                "$",
                "invalid_json",
                f"不是有效的 JSON 文件：第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}",
                f"not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}",
            )
        ]


@admin.register(Bundle)
class BundleAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "applicant_type", "published_version", "draft_version")
    list_filter = ("applicant_type",)
    search_fields = ("code", "name", "name_en", "keywords")
    readonly_fields = ("versions_table",)
    fieldsets = (
        (None, {"fields": ("code", "name", "name_en", "applicant_type", "keywords", "summary", "summary_en")}),
        ("版本", {"fields": ("versions_table",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("versions")

    def _version_in_state(self, obj: Bundle, state: str):
        version = next((v for v in obj.versions.all() if v.state == state), None)
        return _version_link(version) if version else "-"

    @admin.display(description="已发布版本")
    def published_version(self, obj: Bundle):
        return self._version_in_state(obj, BundleVersion.State.PUBLISHED)

    @admin.display(description="草稿")
    def draft_version(self, obj: Bundle):
        return self._version_in_state(obj, BundleVersion.State.DRAFT)

    @admin.display(description="全部版本")
    def versions_table(self, obj: Bundle):
        versions = list(obj.versions.order_by("-number")) if obj.pk else []
        if not versions:
            return "暂无版本，可在“一件事”列表页导入定义文件，或新增一件事版本。"
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">v{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    _version_url(v),
                    v.number,
                    v.get_state_display(),
                    _when(v.created_at),
                    _when(v.published_at),
                    _when(v.retired_at),
                )
                for v in versions
            ),
        )
        return format_html(
            "<table><thead><tr><th>版本</th><th>状态</th><th>创建时间</th><th>发布时间</th><th>停用时间</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )

    def get_urls(self):
        custom = [
            path("import/", self.admin_site.admin_view(self.import_view), name="catalog_bundle_import"),
        ]
        return custom + super().get_urls()

    def import_view(self, request):
        """Upload a definition file; show every problem, or import it and go to the version."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        problems: list[DefinitionProblem] = []
        if request.method == "POST":
            form = DefinitionImportForm(request.POST, request.FILES)
            if form.is_valid():
                document, problems = read_definition(form.cleaned_data["definition"])
                if not problems:
                    try:
                        version = import_definition(document=document, publish=form.cleaned_data["publish"])
                    except DefinitionInvalid as invalid:
                        problems = list(invalid.problems)
                    else:
                        self.log_addition(request, version, f"导入定义文件（{version.get_state_display()}）")
                        self.message_user(
                            request,
                            f"已导入“{version.bundle.name}” v{version.number}（{version.get_state_display()}）。",
                            messages.SUCCESS,
                        )
                        return HttpResponseRedirect(_version_url(version))
        else:
            form = DefinitionImportForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "导入定义文件",
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "form": form,
            "problems": problems,
            "has_view_permission": self.has_view_permission(request),
            "max_megabytes": MAX_DEFINITION_BYTES // (1024 * 1024),
        }
        return TemplateResponse(request, "admin/catalog/bundle/import.html", context)


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


# --- Bundle versions -------------------------------------------------------------------


class VersionPartInline:
    """An inline of a version's rows: editable only while the version is a draft."""

    extra = 0

    def _editable(self, obj) -> bool:
        return obj is None or obj.is_draft

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class SituationQuestionInline(VersionPartInline, admin.TabularInline):
    model = SituationQuestion
    fields = ("order", "key", "text", "text_en", "kind", "options", "help_text")
    formfield_overrides = {models.JSONField: {"widget": SMALL_TEXTAREA}}


class BundleItemInline(VersionPartInline, admin.StackedInline):
    model = BundleItem
    fields = (("order", "item"), "applies_when", ("reason", "reason_en"), "material_conditions", "field_conditions")
    autocomplete_fields = ("item",)
    formfield_overrides = {models.JSONField: {"widget": SMALL_TEXTAREA}}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item")


class ItemDependencyInline(VersionPartInline, admin.TabularInline):
    model = ItemDependency
    fields = ("upstream", "downstream", "only_when_applies", "mappings")
    formfield_overrides = {models.JSONField: {"widget": SMALL_TEXTAREA}}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("upstream__item", "downstream__item")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        choices = BundleItem.objects.filter(version=obj).select_related("item") if obj else BundleItem.objects.none()
        for name in ("upstream", "downstream"):
            if name in formset.form.base_fields:
                formset.form.base_fields[name].queryset = choices
        return formset


class BundleVersionForm(forms.ModelForm):
    class Meta:
        model = BundleVersion
        fields = ("bundle", "number", "steps", "service_locations", "notes")

    def clean(self):
        cleaned = super().clean()
        bundle = cleaned.get("bundle")
        if self.instance.pk is None and bundle is not None:
            draft = bundle.versions.filter(state=BundleVersion.State.DRAFT).first()
            if draft:
                raise forms.ValidationError(f"“{bundle.name}”已有草稿 v{draft.number}，请直接编辑该草稿。")
        return cleaned


@admin.register(BundleVersion)
class BundleVersionAdmin(AuditedModelAdmin):
    form = BundleVersionForm
    list_display = ("bundle", "version_label", "state", "created_at", "published_at", "retired_at")
    list_display_links = ("bundle", "version_label")
    list_filter = ("state", "bundle")
    list_select_related = ("bundle",)
    search_fields = ("bundle__code", "bundle__name")
    inlines = (SituationQuestionInline, BundleItemInline, ItemDependencyInline)
    actions = ("publish_versions", "retire_versions", "new_draft_versions", "export_versions")
    fields = (
        "bundle",
        "number",
        "state",
        "steps",
        "service_locations",
        "notes",
        "created_at",
        "published_at",
        "retired_at",
    )
    always_readonly = ("state", "created_at", "published_at", "retired_at")

    @admin.display(description="版本", ordering="number")
    def version_label(self, obj: BundleVersion) -> str:
        return f"v{obj.number}"

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.always_readonly
        if not obj.is_draft:
            return self.fields
        return ("bundle", "number", *self.always_readonly)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.is_draft:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not obj.is_draft:
            return False
        return super().has_delete_permission(request, obj)

    def _problems(self, request, version: BundleVersion, action: str, invalid: DefinitionInvalid) -> None:
        self.message_user(
            request,
            f"“{version.bundle.name}” v{version.number} {action}失败，共 {len(invalid.problems)} 个问题：",
            messages.ERROR,
        )
        for problem in invalid.problems:
            self.message_user(request, f"{problem.path}: {problem.message}", messages.ERROR)

    @admin.action(description="发布所选版本", permissions=["change"])
    def publish_versions(self, request, queryset):
        for version in queryset.select_related("bundle"):
            try:
                version_publish(version=version, actor=request.user)
            except DefinitionInvalid as invalid:
                self._problems(request, version, "发布", invalid)
            else:
                self.message_user(request, f"已发布“{version.bundle.name}” v{version.number}。", messages.SUCCESS)

    @admin.action(description="停用所选版本", permissions=["change"])
    def retire_versions(self, request, queryset):
        for version in queryset.select_related("bundle"):
            try:
                version_retire(version=version, actor=request.user)
            except DefinitionInvalid as invalid:
                self._problems(request, version, "停用", invalid)
            else:
                self.message_user(request, f"已停用“{version.bundle.name}” v{version.number}。", messages.SUCCESS)

    @admin.action(description="基于所选版本新建草稿", permissions=["change"])
    def new_draft_versions(self, request, queryset):
        for version in queryset.select_related("bundle"):
            draft = version_new_draft(version=version, actor=request.user)
            self.message_user(
                request,
                format_html(
                    '“{}”的草稿 v{} 已就绪：<a href="{}">编辑草稿</a>',
                    version.bundle.name,
                    draft.number,
                    _version_url(draft),
                ),
                messages.SUCCESS,
            )

    @admin.action(description="导出定义文件")
    def export_versions(self, request, queryset):
        files = [
            (f"{version.bundle.code}-v{version.number}.json", _dump(export_version(version=version)))
            for version in queryset.select_related("bundle").order_by("bundle__code", "number")
        ]
        if len(files) == 1:
            name, content = files[0]
            response = HttpResponse(content, content_type="application/json; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in files:
                archive.writestr(name, content)
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="onething-definitions.zip"'
        return response


def _dump(document: dict) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
