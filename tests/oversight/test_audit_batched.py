"""audit.batched(): the events of a block in one INSERT, in the order recorded, inside the
caller's transaction; none when the block fails; refused outside a transaction."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from onething.audit import services as audit
from onething.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_events_of_a_block_go_in_one_insert_in_order():
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        with audit.batched():
            for n in range(3):
                audit.record(action=f"test.step{n}", case_number="T-1", after={"n": n})
            assert not AuditEvent.objects.filter(case_number="T-1").exists()  # not yet written
        inserts = [q for q in captured.captured_queries if q["sql"].startswith('INSERT INTO "oversight_auditevent"')]
    assert len(inserts) == 1
    assert list(AuditEvent.objects.filter(case_number="T-1").order_by("id").values_list("action", flat=True)) == [
        "test.step0",
        "test.step1",
        "test.step2",
    ]


def test_a_failed_block_writes_nothing_and_nested_blocks_join():
    with pytest.raises(RuntimeError), transaction.atomic(), audit.batched():
        audit.record(action="test.lost", case_number="T-2")
        raise RuntimeError("the change failed")
    assert not AuditEvent.objects.filter(case_number="T-2").exists()
    with transaction.atomic(), audit.batched():
        with audit.batched():
            audit.record(action="test.inner", case_number="T-3")
        assert not AuditEvent.objects.filter(case_number="T-3").exists()  # written by the outer block
    assert AuditEvent.objects.filter(case_number="T-3").count() == 1
    audit.record(action="test.after", case_number="T-3")  # outside a block: at once, as before
    assert AuditEvent.objects.filter(case_number="T-3").count() == 2


@pytest.mark.django_db(transaction=True)
def test_refused_outside_a_transaction():
    with pytest.raises(RuntimeError, match="needs a transaction"), audit.batched():
        pass
