"""The case page's status stepper (已提交 → 预审 → 已受理 → 办理中 → 出证 → 办结) for every state
of a case and its item cases, and each item's timeline in plain words."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import translation

from onething.cases.models import Case
from onething.processing.models import ItemCase
from onething.tracking.selectors import STAGE_KEYS, case_stage, case_stepper
from tests.processing.conftest import accepted_case

C, S = Case.State, ItemCase.State
AT = datetime(2026, 11, 16, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _chinese():
    """The words in Chinese, whatever language an earlier test's request left active."""
    with translation.override("zh-hans"):
        yield


def _case(state, **fields):
    return Case(state=state, submitted_at=AT, **fields)


def _items(*states):
    return [ItemCase(state=state, concluded_at=AT if state in {S.APPROVED, S.REJECTED} else None) for state in states]


@pytest.mark.parametrize(
    ("state", "items", "stage", "standing"),
    [
        (C.SUBMITTED, (), "prereview", "current"),
        (C.RETURNED, (), "prereview", "attention"),
        (C.REFUSED, (), "prereview", "stopped"),
        (C.ACCEPTED, (), "processing", "current"),
        (C.PROCESSING, (S.READY, S.RECEIVED), "processing", "current"),
        (C.PROCESSING, (S.IN_PROGRESS, S.SUPPLEMENT), "processing", "attention"),
        (C.PROCESSING, (S.APPROVED, S.DEAD), "processing", "current"),
        (C.PROCESSING, (S.APPROVED, S.REJECTED, S.CANCELLED), "results", "current"),
        (C.CONCLUDED, (S.APPROVED,), "concluded", "done"),
        (C.PARTIALLY_CONCLUDED, (S.APPROVED, S.REJECTED), "concluded", "done"),
    ],
)
def test_every_state_has_its_stage(state, items, stage, standing):
    assert case_stage(case=_case(state), item_cases=_items(*items)) == (stage, standing)
    steps = case_stepper(case=_case(state, accepted_at=AT, concluded_at=AT), item_cases=_items(*items))
    assert [s.key for s in steps] == list(STAGE_KEYS)
    assert [s.key for s in steps if s.current] == [stage]  # exactly one aria-current
    at = STAGE_KEYS.index(stage)
    assert all(s.status == "done" for s in steps[:at])  # the stages before are ticked
    assert all(s.status == "todo" for s in steps[at + 1 :])  # the ones after not reached
    assert steps[at].status == standing and steps[at].note


def test_the_stepper_says_plainly_what_went_wrong():
    refused = case_stepper(case=_case(C.REFUSED), item_cases=[])
    assert refused[1].note == "不予受理，办理到此结束" and refused[1].status_text == "已终止"
    returned = case_stepper(case=_case(C.RETURNED), item_cases=[])
    assert "退回补正" in returned[1].note and returned[1].status_text == "需要您处理"
    partial = case_stepper(case=_case(C.PARTIALLY_CONCLUDED, concluded_at=AT), item_cases=_items(S.REJECTED))
    assert "部分事项不予批准" in partial[-1].note
    held = case_stepper(case=_case(C.PROCESSING), item_cases=_items(S.APPROVED), deferrals=["a deferral"])
    assert held[4].current and "容缺材料" in held[4].note


def test_a_submitted_case_page_shows_the_stepper_at_pre_review(wired_demo, mother, client):
    case = accepted_case(mother)
    Case.objects.filter(pk=case.pk).update(state=C.SUBMITTED, accepted_at=None)  # as it was before acceptance
    ItemCase.objects.filter(case=case).delete()
    client.force_login(mother)
    html = client.get(reverse("apply:case", args=[case.number])).content.decode()
    assert html.count('aria-current="step"') == 1
    assert 'data-stage="prereview" data-status="current" aria-current="step"' in html
    assert 'data-stage="submitted" data-status="done"' in html
    assert "等待窗口工作人员预审" in html


def test_an_accepted_case_shows_processing_and_each_items_timeline(wired_demo, mother, client):
    from tests.issuance.test_issuance import conclude
    from tests.processing.test_flow import dispatch_ready

    case = accepted_case(mother)
    dispatch_ready(case)
    client.force_login(mother)
    html = client.get(reverse("apply:case", args=[case.number])).content.decode()
    assert 'data-stage="processing" data-status="current" aria-current="step"' in html
    assert 'data-stage="accepted" data-status="done"' in html
    assert "已交给办理部门，部门已接收" in html and "承诺办结日期：" in html
    assert html.count('class="item-case"') == ItemCase.objects.filter(case=case).count()
    assert "dispatched" not in html and "data-state" not in html  # the applicant never sees internals

    conclude(case)
    html = client.get(reverse("apply:case", args=[case.number])).content.decode()
    assert "准予办理" in html
    assert 'data-stage="concluded" data-status="done" aria-current="step"' in html


def test_a_rejection_shows_its_reason_in_the_timeline(wired_demo, mother, client):
    from onething.processing import services as processing
    from onething.processing.adapters.base import DepartmentStatus
    from tests.processing.test_flow import dispatch_ready

    case = accepted_case(mother)
    dispatch_ready(case)
    item_case = ItemCase.objects.filter(case=case, state__in=[S.RECEIVED, S.IN_PROGRESS]).first()
    processing.apply_status(
        item_case_id=item_case.pk, status=DepartmentStatus(state=S.REJECTED, reason="出生地址与户籍不一致")
    )
    client.force_login(mother)
    html = client.get(reverse("apply:case", args=[case.number])).content.decode()
    assert "不予批准" in html and "出生地址与户籍不一致" in html
