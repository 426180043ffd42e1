"""AuditEvent, moved here from oversight without moving a row.

The table was created by oversight.0001 (and made append-only by oversight.0003 and 0004,
whose triggers stay on it); oversight.0005 removed the model from oversight's state. This
migration only adds it to audit's state, on the same table (``db_table``), so a fresh
``migrate`` and an existing database end up alike. On an existing database the content
type follows the model (``oversight.auditevent`` becomes ``audit.auditevent``), so the
permissions given on it and the admin's history keep pointing at it.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _move_content_type(apps, schema_editor, *, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if content_type.objects.using(db).filter(app_label=target, model="auditevent").exists():
        return  # already there (made by a migrate that ran the post_migrate hooks in between)
    content_type.objects.using(db).filter(app_label=source, model="auditevent").update(app_label=target)


def forward(apps, schema_editor) -> None:
    _move_content_type(apps, schema_editor, source="oversight", target="audit")


def backward(apps, schema_editor) -> None:
    _move_content_type(apps, schema_editor, source="audit", target="oversight")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("oversight", "0005_auditevent_moved_to_audit"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        ("at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="时间")),
                        ("action", models.CharField(db_index=True, max_length=64, verbose_name="动作")),
                        (
                            "case_number",
                            models.CharField(blank=True, db_index=True, max_length=64, verbose_name="办件编号"),
                        ),
                        ("object_type", models.CharField(blank=True, max_length=64, verbose_name="对象类型")),
                        ("object_id", models.CharField(blank=True, max_length=64, verbose_name="对象")),
                        ("before", models.JSONField(blank=True, null=True, verbose_name="变更前")),
                        ("after", models.JSONField(blank=True, null=True, verbose_name="变更后")),
                        ("note", models.TextField(blank=True, verbose_name="说明")),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="操作人",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "审计事件",
                        "verbose_name_plural": "审计事件",
                        "db_table": "oversight_auditevent",
                        "ordering": ["-at", "-id"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
