"""The audit trail itself: append-only at every level, and the gaps of coverage closed
(administrative changes in the Django admin, the catalogue's services, exports)."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.db.models.deletion import ProtectedError
from django.urls import reverse

from onething.audit import services as audit
from onething.audit.models import AuditEvent, AuditImmutableError
from onething.catalog.models import BundleVersion, Department

# --- append-only ------------------------------------------------------------------------------


@pytest.fixture
def event(db):
    return audit.record(
        action="case.accepted", case_number="T-1", before={"state": "submitted"}, after={"state": "accepted"}
    )


def _unchanged(event: AuditEvent) -> None:
    fresh = AuditEvent.objects.get(pk=event.pk)
    assert (fresh.action, fresh.before, fresh.after, fresh.note) == (
        event.action,
        event.before,
        event.after,
        event.note,
    )


def test_an_instance_cannot_be_saved_again_or_deleted(event):
    event.note = "rewritten"
    with pytest.raises(AuditImmutableError):
        event.save()
    with pytest.raises(AuditImmutableError):
        event.delete()
    event.note = ""
    _unchanged(event)


def test_querysets_cannot_update_or_delete(event):
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.bulk_update([event], ["note"])
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.update_or_create(pk=event.pk, defaults={"note": "rewritten"})
    _unchanged(event)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_user_who_acted_cannot_be_deleted(db):
    """SET_NULL would rewrite the user's events: PROTECT refuses the deletion instead."""
    user = get_user_model().objects.create_user(username="acted", password="x", role="clerk")
    event = audit.record(action="case.accepted", actor=user, case_number="T-2")
    with pytest.raises(ProtectedError):
        user.delete()
    assert AuditEvent.objects.get(pk=event.pk).actor_id == user.pk


def test_the_database_refuses_raw_update_and_delete(event):
    """PostgreSQL: migration 0003's trigger; SQLite: migration 0004's triggers."""
    table = AuditEvent._meta.db_table
    for sql in (f"UPDATE {table} SET note = 'rewritten' WHERE id = %s", f"DELETE FROM {table} WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])
    _unchanged(event)
    with connection.cursor() as cursor:  # inserting is still allowed
        cursor.execute(f"SELECT count(*) FROM {table} WHERE id = %s", [event.pk])
        assert cursor.fetchone()[0] == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_the_trigger_is_installed_by_the_migration(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            [AuditEvent._meta.db_table],
        )
        assert [row[0] for row in cursor.fetchall()] == ["oversight_auditevent_append_only"]


# --- the Django admin of the audit trail ----------------------------------------------------------


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(
        username="root", password="Root-pass-2026", role="admin", full_name="超级管理员"
    )


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_admin_shows_events_but_offers_no_add_change_or_delete(admin_client, event):
    changelist = admin_client.get(reverse("admin:audit_auditevent_changelist"))
    assert changelist.status_code == 200
    assert "case.accepted" in changelist.content.decode()
    assert admin_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    change_url = reverse("admin:audit_auditevent_change", args=[event.pk])
    page = admin_client.get(change_url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()  # view only
    assert admin_client.post(change_url, {"note": "rewritten"}).status_code == 403
    delete_url = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert admin_client.get(delete_url).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    _unchanged(event)


# --- administrative changes in the admin are audited ------------------------------------------


def test_admin_add_change_and_delete_are_audited(admin_client, superuser):
    add = admin_client.post(
        reverse("admin:catalog_department_add"), {"code": "t-dept", "name": "测试局", "name_en": "", "contact": ""}
    )
    assert add.status_code == 302
    department = Department.objects.get(code="t-dept")
    added = AuditEvent.objects.get(action="admin.add", object_type="Department", object_id=str(department.pk))
    assert added.actor == superuser
    assert added.after["name"] == "测试局"

    change = admin_client.post(
        reverse("admin:catalog_department_change", args=[department.pk]),
        {"code": "t-dept", "name": "测试管理局", "name_en": "", "contact": "021-1234"},
    )
    assert change.status_code == 302
    changed = AuditEvent.objects.get(action="admin.change", object_id=str(department.pk))
    assert changed.actor == superuser
    assert changed.before == {"name": "测试局", "contact": ""}
    assert changed.after == {"name": "测试管理局", "contact": "021-1234"}
    assert changed.note  # the admin's change message ("已修改 名称 和 联系方式。")

    delete = admin_client.post(reverse("admin:catalog_department_delete", args=[department.pk]), {"post": "yes"})
    assert delete.status_code == 302
    assert not Department.objects.filter(pk=department.pk).exists()
    deleted = AuditEvent.objects.get(action="admin.delete", object_id=str(department.pk))
    assert deleted.actor == superuser
    assert deleted.before["code"] == "t-dept" and deleted.before["name"] == "测试管理局"
    # the admin's own history is written as before
    assert LogEntry.objects.filter(object_id=str(department.pk)).count() == 3


def test_bulk_delete_in_the_admin_audits_every_object(admin_client, superuser):
    first = Department.objects.create(code="t-a", name="甲局")
    second = Department.objects.create(code="t-b", name="乙局")
    response = admin_client.post(
        reverse("admin:catalog_department_changelist"),
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Department.objects.filter(pk__in=[first.pk, second.pk]).exists()
    deleted = AuditEvent.objects.filter(action="admin.delete", object_type="Department")
    assert sorted(e.before["code"] for e in deleted) == ["t-a", "t-b"]
    assert {e.actor_id for e in deleted} == {superuser.pk}
    assert not AuditEvent.objects.filter(action="admin.action").exists()  # delete_selected: one event per object


def test_every_admin_of_the_site_is_audited():
    """No global patch of ModelAdmin: each registered admin subclasses the audited base class."""
    from django.contrib import admin

    from onething.audit.admin import AuditedModelAdmin

    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AuditedModelAdmin)
    ]
    assert not unaudited, f"subclass onething.audit.admin.AuditedModelAdmin in: {unaudited}"


def test_group_changes_in_the_admin_are_audited(admin_client, superuser):
    """Django's own Group admin too (re-registered on the audited base class)."""
    from django.contrib.auth.models import Group

    response = admin_client.post(reverse("admin:auth_group_add"), {"name": "审核员", "permissions": []})
    assert response.status_code == 302
    group = Group.objects.get(name="审核员")
    added = AuditEvent.objects.get(action="admin.add", object_type="Group", object_id=str(group.pk))
    assert added.actor == superuser and added.after["name"] == "审核员"


def test_an_administrator_cannot_delete_their_own_account_in_the_admin(admin_client, superuser):
    """It used to be a 500: the admin.delete event named them, and so PROTECTed them half-way
    through the deletion. Now the admin's "cannot delete" page, nothing deleted or written."""
    assert not AuditEvent.objects.filter(actor=superuser).exists()  # nothing protects them yet
    url = reverse("admin:accounts_user_delete", args=[superuser.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and "不能删除自己的账户" in page.content.decode()
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200 and "不能删除自己的账户" in response.content.decode()
    bulk = admin_client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [superuser.pk], "post": "yes"},
    )
    assert bulk.status_code == 200 and "不能删除自己的账户" in bulk.content.decode()
    assert get_user_model().objects.filter(pk=superuser.pk).exists()
    assert not AuditEvent.objects.filter(action="admin.delete").exists()


def test_an_administrator_still_deletes_another_account_that_never_acted(admin_client, superuser):
    other = get_user_model().objects.create_user(username="never-acted", password="x", role="clerk")
    response = admin_client.post(reverse("admin:accounts_user_delete", args=[other.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=other.pk).exists()
    deleted = AuditEvent.objects.get(action="admin.delete", object_type="User")
    assert deleted.actor == superuser and deleted.before["username"] == "never-acted"


def test_user_changes_keep_old_and_new_values_but_never_the_password(admin_client, superuser):
    user = get_user_model().objects.create_user(username="clerk-x", password="Old-pass-2026", role="clerk")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, (list, tuple))}
    data.update({"mobile": "13916880009", "full_name": "新名字", "role": "clerk", "username": "clerk-x"})
    data.update({"date_joined_0": "2026-11-01", "date_joined_1": "09:00:00", "last_login_0": "", "last_login_1": ""})
    data.pop("password", None)
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    changed = AuditEvent.objects.get(action="admin.change", object_type="User", object_id=str(user.pk))
    assert changed.before["mobile"] == "" and changed.after["mobile"] == "13916880009"
    assert changed.after["full_name"] == "新名字"

    password_url = reverse("admin:auth_user_password_change", args=[user.pk])
    response = admin_client.post(
        password_url, {"password1": "New-pass-2026!x", "password2": "New-pass-2026!x", "usable_password": "true"}
    )
    assert response.status_code == 302
    events = AuditEvent.objects.filter(object_type="User", object_id=str(user.pk))
    assert events.count() == 2
    user.refresh_from_db()
    for stored in events:
        assert user.password not in str(stored.before) + str(stored.after) + stored.note


def test_admin_actions_and_catalogue_services_are_audited_with_the_admin(admin_client, superuser, published_sample):
    version = published_sample
    response = admin_client.post(
        reverse("admin:catalog_bundleversion_changelist"),
        {"action": "retire_versions", "_selected_action": [version.pk]},
    )
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.state == BundleVersion.State.RETIRED
    clicked = AuditEvent.objects.get(action="admin.action")
    assert clicked.actor == superuser
    assert clicked.after["action"] == "retire_versions" and clicked.after["selected"] == [version.pk]
    retired = AuditEvent.objects.get(action="catalog.version_retired", object_id=str(version.pk))
    assert retired.actor == superuser
    assert retired.before == {"state": "published"} and retired.after["state"] == "retired"

    admin_client.post(
        reverse("admin:catalog_bundleversion_changelist"),
        {"action": "new_draft_versions", "_selected_action": [version.pk]},
    )
    draft = BundleVersion.objects.get(bundle=version.bundle, state=BundleVersion.State.DRAFT)
    created = AuditEvent.objects.get(action="catalog.draft_created", object_id=str(draft.pk))
    assert created.actor == superuser and created.after["copied_from"] == version.number

    admin_client.post(
        reverse("admin:catalog_bundleversion_changelist"),
        {"action": "publish_versions", "_selected_action": [draft.pk]},
    )
    published = AuditEvent.objects.get(action="catalog.version_published", object_id=str(draft.pk))
    assert published.actor == superuser
    assert published.before == {"state": "draft"} and published.after["state"] == "published"


def test_definition_export_from_the_admin_is_audited(admin_client, superuser, published_sample):
    response = admin_client.post(
        reverse("admin:catalog_bundleversion_changelist"),
        {"action": "export_versions", "_selected_action": [published_sample.pk]},
    )
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    exported = AuditEvent.objects.get(action="admin.action")
    assert exported.actor == superuser and exported.after["action"] == "export_versions"


def test_services_called_without_an_actor_still_audit(published_sample):
    """The import command publishes without a person: the event is there, actor empty."""
    from onething.catalog.services import version_new_draft, version_publish

    draft = version_new_draft(version=published_sample)
    version_publish(version=draft)
    event = AuditEvent.objects.get(action="catalog.version_published", object_id=str(draft.pk))
    assert event.actor is None
    assert event.after["retired"] == [published_sample.number]
