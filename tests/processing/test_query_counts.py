"""Issue #19: SQL statements and transactions per item case over its whole fan-out life
(split share, dispatch, callback received + applied, fan-in/release, licence collection),
counted on the engine side of one accepted child-birth case. The department service is the
real HTTP simulator; callbacks come through the signed endpoint (the test client).

Transactions are counted as the database sees them in autocommit: every outermost
``atomic`` that commits, plus every write run outside one (its own implicit transaction).
The ceilings pin today's figures (run with ``-s`` to print the breakdown by step); lower
them as the hot path is cut. Target of #19: 8 statements and 3 transactions per item."""

import json
from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onething.processing.models import ItemCase
from services.protocol import signing
from tests.processing.conftest import accepted_case

pytestmark = pytest.mark.django_db(transaction=True)

WRITES = ("INSERT", "UPDATE", "DELETE")
# ceilings per item case (today's figures on SQLite, and on PostgreSQL unless given below; see the docstring):
# step -> (statements, transactions) per item case, and the whole life's
CEILINGS = {
    "split": (1.0, 0.0),  # inside intake's accepting transaction
    "dispatch": (5.0, 2.0),  # the claim returns what the submission needs: no read after it
    # the conclusion's notice to the applicant includes its in-site message (站内信): one INSERT per case
    "callback + apply + fan-in": (14.0, 1.0),
    "licence collection": (6.0, 1.0),  # one read, one transaction (one UPDATE, one audit event)
}
# lower on PostgreSQL, where a state change and its audit event are one statement (a CTE),
# and so are a callback's nonce, item-case lookup and receipt, and the fan-in lock and siblings
CEILINGS_POSTGRESQL = {"callback + apply + fan-in": (10.0, 1.0)}  # with the in-site message, as above
STATEMENTS_PER_ITEM = 26
TRANSACTIONS_PER_ITEM = 4


class Counter:
    def __init__(self):
        self.statements = 0
        self.transactions = 0
        self.by_step: dict[str, tuple[int, int]] = {}


@contextmanager
def counting(counter: Counter, step: str):
    """Count statements (execute wrapper) and transactions (outermost commits + autocommit
    writes) while ``step`` runs; on-commit callbacks (task sends) are part of the step."""
    transactions = 0
    real_commit = connection.commit

    def commit():
        nonlocal transactions
        transactions += 1
        return real_commit()

    def wrapper(execute, sql, params, many, context):
        nonlocal transactions
        if not connection.in_atomic_block and sql.lstrip().upper().startswith(WRITES):
            transactions += 1
        return execute(sql, params, many, context)

    connection.commit = commit
    try:
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(wrapper):
            yield
    finally:
        del connection.commit
    statements = [
        q["sql"] for q in captured.captured_queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))
    ]
    before = counter.by_step.get(step, (0, 0))
    counter.by_step[step] = (before[0] + len(statements), before[1] + transactions)
    counter.statements += len(statements)
    counter.transactions += transactions


def callback(client, secret: str, item_case: ItemCase, department: str, event_id: str):
    url = f"/api/processing/callbacks/{department}/"
    number = f"N-{item_case.pk}"
    body = {
        "event_id": event_id,
        "reference": item_case.reference,
        "idempotency_key": item_case.idempotency_key,
        "item_case_id": item_case.pk,
        "state": "approved",
        "result": {"certificate_number": number, "household_number": number},
        "certificate": {"type": "certificate", "number": number, "data": {}},
    }
    raw = json.dumps(body).encode()
    headers = signing.sign_headers(secret, department, "POST", url, raw)
    response = client.post(url, raw, content_type="application/json", headers=headers)
    assert response.status_code == 200, response.content


def test_statements_and_transactions_per_item_case(wired_demo, mother, client, settings, monkeypatch):
    from onething.issuance import services as issuance
    from onething.issuance.models import IssuedLicence
    from onething.processing import services

    settings.CELERY_TASK_ALWAYS_EAGER = False
    counter = Counter()
    real_split = services.case_split

    def split(**kwargs):  # the split's share only: it runs inside intake's accepting transaction
        with counting(counter, "split"):
            return real_split(**kwargs)

    monkeypatch.setattr(services, "case_split", split)
    case = accepted_case(mother)
    items = list(ItemCase.objects.filter(case=case).select_related("department__endpoint"))
    n = len(items)
    for _round in range(n):
        ready = list(ItemCase.objects.filter(case=case, state=ItemCase.State.READY).select_related("department"))
        if not ready:
            break
        for item_case in ready:
            with counting(counter, "dispatch"):
                assert services.dispatch(item_case_id=item_case.pk) == "dispatched"
            item_case.refresh_from_db()
            department = item_case.department.code
            with counting(counter, "callback + apply + fan-in"):
                callback(client, wired_demo.secrets[department], item_case, department, f"ev-{item_case.pk}")
    for licence_id in IssuedLicence.objects.filter(case=case).values_list("pk", flat=True):
        with counting(counter, "licence collection"):
            issuance.licence_collect(licence_id=licence_id)
    assert all(ic.is_final for ic in ItemCase.objects.filter(case=case))

    print(f"\nper item case ({n} item cases, {connection.vendor}):")
    for step, (statements, transactions) in counter.by_step.items():
        print(f"  {step:28} {statements / n:6.1f} statements {transactions / n:5.1f} transactions")
    print(f"  {'total':28} {counter.statements / n:6.1f} statements {counter.transactions / n:5.1f} transactions")
    for step, (statements, transactions) in counter.by_step.items():
        ceilings = {**CEILINGS, **(CEILINGS_POSTGRESQL if connection.vendor == "postgresql" else {})}
        most_statements, most_transactions = ceilings[step]
        assert statements / n <= most_statements and transactions / n <= most_transactions, step
    assert counter.statements <= STATEMENTS_PER_ITEM * n
    assert counter.transactions <= TRANSACTIONS_PER_ITEM * n
