"""``audit.record_with_update``: a change and its audit event in one statement on PostgreSQL
(two on SQLite), the event the same as ``audit.record`` writes, and none when nothing changed."""

import pytest
from django.db.models.sql import UpdateQuery

from onething.audit import services as audit
from onething.audit.models import AuditEvent
from onething.catalog.models import Department

pytestmark = pytest.mark.django_db

CONTENT = ("action", "actor_id", "case_number", "object_type", "object_id", "before", "after", "note")


def _update_sql(queryset, **values):
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values(values)
    return query.get_compiler(queryset.db).as_sql()


@pytest.fixture
def department():
    return Department.objects.create(code="audit-dept", name="旧名称")


def _event(department, actor, **kwargs):
    return dict(
        action="department.renamed",
        actor=actor,
        case_number="CASE-1",
        obj=department,
        before={"name": "旧名称", "nested": {"list": [1, None, "二"]}},
        after={"name": "新名称", "at": "2026-12-08T04:00:00+08:00"},
        note="改名 'quoted' %s",
        **kwargs,
    )


def test_the_change_and_an_event_identical_to_records(department, django_user_model):
    actor = django_user_model.objects.create_user(username="auditor", password="x-" * 8)
    update = _update_sql(Department.objects.filter(pk=department.pk, name="旧名称"), name="新名称")
    before = AuditEvent.objects.count()

    assert audit.record_with_update(update, **_event(department, actor)) == 1

    department.refresh_from_db()
    assert department.name == "新名称"
    assert AuditEvent.objects.count() == before + 1
    written = AuditEvent.objects.order_by("-id").first()
    expected = audit.record(**_event(department, actor))
    expected.refresh_from_db()
    assert [getattr(written, f) for f in CONTENT] == [getattr(expected, f) for f in CONTENT]
    assert written.actor_id == actor.pk and written.object_id == str(department.pk)
    assert written.at is not None and written.at <= expected.at


def test_no_event_when_the_update_changes_nothing(department):
    update = _update_sql(Department.objects.filter(pk=department.pk, name="别的名称"), name="新名称")
    before = AuditEvent.objects.count()

    assert audit.record_with_update(update, **_event(department, None)) == 0

    department.refresh_from_db()
    assert department.name == "旧名称"
    assert AuditEvent.objects.count() == before


def test_an_anonymous_actor_is_stored_as_none(department):
    from django.contrib.auth.models import AnonymousUser

    update = _update_sql(Department.objects.filter(pk=department.pk), name="新名称")
    assert audit.record_with_update(update, **_event(department, AnonymousUser())) == 1
    assert AuditEvent.objects.order_by("-id").first().actor_id is None
