"""The dispatch claim (issue #19): one ``UPDATE … RETURNING`` that takes a ready item case
and returns what its submission needs, a worker's warm connection not checked again
before every task, and one new try of a dispatch whose connection was lost."""

from types import SimpleNamespace

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from onething.processing import services, transitions
from onething.processing.adapters.http import HttpAdapter
from onething.processing.adapters.workbench import WorkbenchAdapter
from onething.processing.models import DepartmentEndpoint, ItemCase
from onething.processing.selectors import adapter_for, callback_url
from tests.processing.conftest import accepted_case

S = ItemCase.State
BIRTH = "birth-certificate-issue"
pytestmark = pytest.mark.django_db


@pytest.fixture
def birth(wired_demo, mother) -> ItemCase:
    return ItemCase.objects.get(case=accepted_case(mother), item_code=BIRTH)


def test_the_claim_returns_what_the_submission_needs_in_one_statement(birth):
    stored = ItemCase.objects.select_related("case", "department__endpoint").get(pk=birth.pk)
    with CaptureQueriesContext(connection) as captured:
        claimed = transitions.claim_returning(item_case_id=birth.pk)
        adapter = adapter_for(claimed.department)
        url = callback_url(claimed)
        fields = (claimed.idempotency_key, claimed.case.number, claimed.item_code, claimed.data, claimed.materials)
        client = adapter.client()
    assert len(captured) == 1 and captured[0]["sql"].startswith("UPDATE")
    assert claimed.state == S.DISPATCHING and claimed.attempts == stored.attempts + 1
    assert fields == (stored.idempotency_key, stored.case.number, BIRTH, stored.data, stored.materials)
    assert isinstance(adapter, HttpAdapter) and client.secret == stored.department.endpoint.secret
    assert client.base_url.rstrip("/") == stored.department.endpoint.base_url.rstrip("/")
    assert url.endswith(f"/api/processing/callbacks/{stored.department.code}/")
    assert claimed.state_changed_at > stored.state_changed_at and claimed.state_changed_at.tzinfo is not None
    # the row holds what the instance says; columns not returned load on access, never a default
    assert ItemCase.objects.get(pk=birth.pk).state == S.DISPATCHING
    assert claimed.case.applicant_id == stored.case.applicant_id


def test_only_one_claim_wins_and_a_claimed_item_case_is_skipped(birth):
    assert transitions.claim_returning(item_case_id=birth.pk) is not None
    assert transitions.claim_returning(item_case_id=birth.pk) is None
    assert services.dispatch(item_case_id=birth.pk) == "skipped"
    assert ItemCase.objects.get(pk=birth.pk).attempts == 1


def test_a_department_without_endpoint_or_on_the_workbench_is_claimed_without_more_reads(birth):
    DepartmentEndpoint.objects.filter(department_id=birth.department_id).delete()
    with CaptureQueriesContext(connection) as captured:
        claimed = transitions.claim_returning(item_case_id=birth.pk)
        assert isinstance(adapter_for(claimed.department), WorkbenchAdapter)
    assert len(captured) == 1
    ItemCase.objects.filter(pk=birth.pk).update(state=S.READY)  # the test puts it back to claim again
    assert services.dispatch(item_case_id=birth.pk) == "dispatched"
    assert ItemCase.objects.get(pk=birth.pk).reference == f"WB-{birth.pk}"


def test_a_rotated_secret_signs_the_next_claims_submission(birth):
    endpoint = DepartmentEndpoint.objects.get(department_id=birth.department_id)
    first = transitions.claim_returning(item_case_id=birth.pk)
    assert adapter_for(first.department).client().secret == endpoint.secret
    new = services.department_secret_rotate(endpoint=endpoint)
    ItemCase.objects.filter(pk=birth.pk).update(state=S.READY)
    again = transitions.claim_returning(item_case_id=birth.pk)
    assert adapter_for(again.department).client().secret == new != first.department.endpoint.secret


def test_a_dispatch_whose_connection_was_lost_is_tried_once_more(birth, monkeypatch, settings):
    from onething.processing.tasks import dispatch_item_case

    settings.CELERY_TASK_ALWAYS_EAGER = True
    real, failures = transitions.claim_returning, []

    def lost_once(**kwargs):
        if not failures:
            failures.append(1)
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(transitions, "claim_returning", lost_once)
    dispatch_item_case.apply(args=(birth.pk,))
    assert failures == [1] and ItemCase.objects.get(pk=birth.pk).state == S.RECEIVED


@pytest.mark.django_db(transaction=True)
def test_a_warm_connection_is_not_health_checked_before_every_task(monkeypatch):
    """Django checks a kept connection (``SELECT 1``) before each task; within
    WARM_CONNECTION_SECONDS of the previous task's end it is taken as healthy, after a
    longer pause, or after an error, it is checked again."""
    from django.db import connections

    from onething import celery as worker

    wrapper = connections["default"]

    task = SimpleNamespace(request=SimpleNamespace(is_eager=False))
    wrapper.ensure_connection()
    monkeypatch.setattr(wrapper, "close_at", None)  # kept (CONN_MAX_AGE), as on PostgreSQL
    monkeypatch.setattr(wrapper, "health_check_enabled", True)
    worker._note_task_end(task=task)
    worker._close_old_connections(task=task)
    assert wrapper.connection is not None and wrapper.health_check_done
    worker._last_task_end[0] -= 10 * worker.WARM_CONNECTION_SECONDS
    worker._close_old_connections(task=task)
    assert not wrapper.health_check_done  # checked before the next statement
    worker._note_task_end(task=task)
    monkeypatch.setattr(wrapper, "errors_occurred", True)
    monkeypatch.setattr(wrapper, "is_usable", lambda: False)
    closed = []
    monkeypatch.setattr(wrapper, "close", lambda: closed.append(1))
    worker._close_old_connections(task=task)
    assert closed and not wrapper.health_check_done  # an error since: dropped, not trusted
