"""Item cases in dependency order, fan-in, cancellation, supplements, dead letters and
reconciliation, driven through the services with the department service as a real HTTP
server (the broker is not involved here: tests call the services the tasks call)."""

import time

import pytest

from onething.cases.models import Case
from onething.operations.management.commands.load_demo import ADMIN_USERNAME
from onething.processing import services
from onething.processing.adapters.base import DepartmentStatus
from onething.processing.errors import TransientDispatchError
from onething.processing.models import ItemCase
from tests.processing.conftest import accepted_case

S = ItemCase.State
pytestmark = pytest.mark.django_db


def states(case) -> dict[str, str]:
    return dict(ItemCase.objects.filter(case=case).values_list("item_code", "state"))


def dispatch_ready(case) -> None:
    for pk in ItemCase.objects.filter(case=case, state=S.READY).values_list("pk", flat=True):
        assert services.dispatch(item_case_id=pk) == "dispatched"


def settle(case, timeout=20.0) -> None:
    """Poll the department service until every item case has concluded (callbacks cannot
    reach this test's database, so polling stands in for them)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dispatch_ready(case)
        open_cases = ItemCase.objects.filter(case=case, state__in=[S.RECEIVED, S.IN_PROGRESS])
        for item_case in open_cases.select_related("department__endpoint", "case"):
            services.poll(item_case=item_case)
        if all(ic.is_final for ic in ItemCase.objects.filter(case=case)):
            return
        time.sleep(0.1)
    raise AssertionError(f"not settled: {states(case)}")


def test_split_projects_data_and_orders_by_dependency(wired_demo, mother):
    case = accepted_case(mother)
    assert case.state == Case.State.PROCESSING
    item_cases = {ic.item_code: ic for ic in ItemCase.objects.filter(case=case)}
    assert item_cases["birth-certificate-issue"].state == S.READY
    household = item_cases["newborn-household-registration"]
    assert household.state == S.WAITING and household.upstream == ["birth-certificate-issue"]
    assert household.data["mother_id_number"] == mother.id_number  # projected through data elements
    assert "birth_cert_no" not in household.data


def test_child_birth_goes_to_the_end_with_results_flowing_downstream(wired_demo, mother):
    case = accepted_case(mother)
    settle(case)
    case.refresh_from_db()
    assert case.state == Case.State.CONCLUDED
    item_cases = {ic.item_code: ic for ic in ItemCase.objects.filter(case=case)}
    birth, household = item_cases["birth-certificate-issue"], item_cases["newborn-household-registration"]
    assert household.dispatched_at > birth.concluded_at
    assert household.data["birth_cert_no"] == birth.result["certificate_number"]
    assert birth.certificate["number"] and household.result["household_number"]


def test_upstream_rejection_cancels_dependants_and_concludes_partially(wired_demo, mother):
    case = accepted_case(mother)
    birth = ItemCase.objects.get(case=case, item_code="birth-certificate-issue")
    services.dispatch(item_case_id=birth.pk)
    services.apply_status(item_case_id=birth.pk, status=DepartmentStatus(state=S.REJECTED, reason="材料不符"))
    settle(case)
    result = states(case)
    assert result["birth-certificate-issue"] == S.REJECTED
    assert result["newborn-household-registration"] == S.CANCELLED
    household = ItemCase.objects.get(case=case, item_code="newborn-household-registration")
    assert "出生医学证明" in household.reason or "前置事项" in household.reason
    case.refresh_from_db()
    assert case.state == Case.State.PARTIALLY_CONCLUDED


def test_applying_the_same_result_twice_changes_nothing(wired_demo, mother):
    case = accepted_case(mother)
    birth = ItemCase.objects.get(case=case, item_code="birth-certificate-issue")
    services.dispatch(item_case_id=birth.pk)
    approved = DepartmentStatus(state=S.APPROVED, result={"certificate_number": "X1"})
    services.apply_status(item_case_id=birth.pk, status=approved)
    services.apply_status(
        item_case_id=birth.pk, status=DepartmentStatus(state=S.APPROVED, result={"certificate_number": "X2"})
    )
    birth.refresh_from_db()
    assert birth.result == {"certificate_number": "X1"}
    assert services.dispatch(item_case_id=birth.pk) == "skipped"


def test_supplement_pauses_and_resumes(wired_demo, mother):
    case = accepted_case(mother)
    birth = ItemCase.objects.get(case=case, item_code="birth-certificate-issue")
    services.dispatch(item_case_id=birth.pk)
    ask = DepartmentStatus(state=S.SUPPLEMENT, supplement={"message": "请补充分娩记录", "fields": [], "materials": []})
    services.apply_status(item_case_id=birth.pk, status=ask)
    birth.refresh_from_db()
    assert birth.state == S.SUPPLEMENT and birth.paused_since is not None
    from onething.notifications.models import Notification

    assert Notification.objects.filter(case_number=case.number, dedup_key__startswith="supplement:").exists()


def test_transient_failures_retry_then_dead_letter_and_redispatch(wired_demo, mother, settings, monkeypatch):
    from onething.processing.adapters.http import HttpAdapter

    case = accepted_case(mother)
    birth = ItemCase.objects.get(case=case, item_code="birth-certificate-issue")
    settings.DISPATCH_MAX_ATTEMPTS = 2

    def failing(self, **kwargs):
        raise TransientDispatchError("503 from department")

    monkeypatch.setattr(HttpAdapter, "submit", failing)
    assert services.dispatch(item_case_id=birth.pk) == "retry"
    birth.refresh_from_db()
    assert birth.state == S.READY and birth.attempts == 1 and "503" in birth.last_error
    assert services.dispatch(item_case_id=birth.pk) == "dead"
    birth.refresh_from_db()
    assert birth.state == S.DEAD
    monkeypatch.undo()
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.get(username=ADMIN_USERNAME)
    assert services.redispatch(item_case=birth, actor=admin)
    assert services.dispatch(item_case_id=birth.pk) == "dispatched"


def test_permanent_error_dead_letters_at_once(wired_demo, mother, monkeypatch):
    from onething.processing.adapters.http import HttpAdapter
    from onething.processing.errors import PermanentDispatchError

    case = accepted_case(mother)
    birth = ItemCase.objects.get(case=case, item_code="birth-certificate-issue")
    monkeypatch.setattr(HttpAdapter, "submit", lambda self, **kw: (_ for _ in ()).throw(PermanentDispatchError("422")))
    assert services.dispatch(item_case_id=birth.pk) == "dead"


def test_an_oversize_payload_dead_letters_at_once_unsent_and_says_why(wired_demo, mother, settings):
    case = accepted_case(mother)
    birth = ItemCase.objects.get(case=case, item_code="birth-certificate-issue")
    # data over the protocol's body limit (submission refuses it; this is the last line)
    ItemCase.objects.filter(pk=birth.pk).update(data={**birth.data, "note": "字" * 900_000})
    settings.DISPATCH_MAX_ATTEMPTS = 6
    assert services.dispatch(item_case_id=birth.pk) == "dead"
    birth.refresh_from_db()
    assert birth.state == S.DEAD and birth.attempts == 1  # not retried
    assert "payload_too_large" in birth.last_error and "not sent" in birth.last_error
    assert str(settings.DEPARTMENT_MAX_BODY_BYTES) in birth.last_error


def test_reconciliation_resets_a_dispatch_whose_worker_died(wired_demo, mother, settings):
    from datetime import timedelta

    from django.utils import timezone

    case = accepted_case(mother)
    birth = ItemCase.objects.get(case=case, item_code="birth-certificate-issue")
    ItemCase.objects.filter(pk=birth.pk).update(
        state=S.DISPATCHING, state_changed_at=timezone.now() - timedelta(hours=1)
    )
    counts = services.reconcile()
    assert counts["reset"] == 1
    birth.refresh_from_db()
    assert birth.state == S.READY
    # resubmitting with the same idempotency key creates nothing new at the department
    assert services.dispatch(item_case_id=birth.pk) == "dispatched"
    first_reference = ItemCase.objects.get(pk=birth.pk).reference
    ItemCase.objects.filter(pk=birth.pk).update(state=S.READY)
    assert services.dispatch(item_case_id=birth.pk) == "dispatched"
    assert ItemCase.objects.get(pk=birth.pk).reference == first_reference
