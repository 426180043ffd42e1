"""Department secrets encrypted at rest (onething/common/secretbox.py, key from
SECRETS_ENCRYPTION_KEY), and a second, previous secret accepted during a rotation.

The existing plain values are encrypted in place with raw SQL: the historical model's
field would try to decrypt them on reading."""

from django.db import migrations, models

import onething.common.fields


def _rewrite(transform):
    def run(apps, schema_editor):
        from onething.common import secretbox

        secretbox.clear_cache()  # the key as configured now
        connection = schema_editor.connection
        table = connection.ops.quote_name("processing_departmentendpoint")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id, secret, previous_secret FROM {table}")  # noqa: S608
            rows = cursor.fetchall()
            for pk, secret, previous in rows:
                cursor.execute(
                    f"UPDATE {table} SET secret = %s, previous_secret = %s WHERE id = %s",  # noqa: S608
                    [transform(secret), transform(previous), pk],
                )

    return run


def _encrypt(value):
    from onething.common import secretbox

    return secretbox.encrypt(value) if value else (value or "")


def _decrypt(value):
    from onething.common import secretbox

    return secretbox.decrypt(value) if value else (value or "")


class Migration(migrations.Migration):
    dependencies = [
        ("processing", "0004_due_date_provisional"),
    ]

    operations = [
        migrations.AddField(
            model_name="departmentendpoint",
            name="previous_secret",
            field=onething.common.fields.EncryptedTextField(
                blank=True, default="", verbose_name="上一签名密钥（轮换期间仍接受）"
            ),
        ),
        migrations.AddField(
            model_name="departmentendpoint",
            name="secret_rotated_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="密钥轮换时间"),
        ),
        migrations.AlterField(
            model_name="departmentendpoint",
            name="secret",
            field=onething.common.fields.EncryptedTextField(blank=True, verbose_name="签名密钥"),
        ),
        migrations.RunPython(_rewrite(_encrypt), _rewrite(_decrypt), elidable=False),
    ]
