"""The benchmarks' accounting (issue 19), without running them: the engine-side/harness split of
CPU, the SQL counted from a PostgreSQL server log, the paced window's schedule."""

import time

from bench.dispatch_bench import CpuSplit, SqlCounter, Targets
from bench.load_bench import Plan

LOG = """\
2026-12-08 02:11:09.397 UTC [17181] postgres@onething_x LOG:  statement: SELECT 1
2026-12-08 02:11:09.398 UTC [17181] postgres@onething_x LOG:  statement: BEGIN
2026-12-08 02:11:09.399 UTC [17182] postgres@onething_x LOG:  statement: INSERT INTO "a" VALUES (1)
2026-12-08 02:11:09.400 UTC [17181] postgres@onething_x LOG:  statement: UPDATE "b" SET x = 1
2026-12-08 02:11:09.401 UTC [17181] postgres@onething_x LOG:  statement: SAVEPOINT "s1"
2026-12-08 02:11:09.402 UTC [17181] postgres@onething_x LOG:  statement: SELECT * FROM "c"
\tWHERE y = 2
2026-12-08 02:11:09.403 UTC [17181] postgres@onething_x LOG:  statement: ROLLBACK TO SAVEPOINT "s1"
2026-12-08 02:11:09.404 UTC [17181] postgres@onething_x LOG:  statement: RELEASE SAVEPOINT "s1"
2026-12-08 02:11:09.405 UTC [17181] postgres@onething_x LOG:  statement: COMMIT
2026-12-08 02:11:09.406 UTC [17190] postgres@other_db LOG:  statement: SELECT 2
2026-12-08 02:11:09.407 UTC [17182] postgres@onething_x LOG:  execute <unnamed>: SELECT 3
2026-12-08 02:11:09.408 UTC [17182] postgres@onething_x LOG:  duration: 0.1 ms
"""


def test_sql_counted_per_backend_from_the_server_log(tmp_path):
    log = tmp_path / "postgresql.log"
    log.write_text("2026-12-08 02:00:00.000 UTC [1] postgres@onething_x LOG:  statement: SELECT 0\n")
    counter = SqlCounter.__new__(SqlCounter)
    counter.targets = Targets(database_url="", maintenance={}, db_name="onething_x", broker_url="")
    counter.log, counter.offset = log, log.stat().st_size  # what came before the start is not counted
    with log.open("a") as out:
        out.write(LOG)
    statements, transactions = counter._count_log()
    # SELECT 1, INSERT, UPDATE, SELECT c, SELECT 3; the other database's and the BEGIN/COMMIT/SAVEPOINTs not
    assert statements == 5
    # SELECT 1, INSERT and SELECT 3 each alone (autocommit), and one BEGIN … COMMIT block
    assert transactions == 4 and counter.blocks == 1


def test_cpu_split_engine_side_and_harness():
    used = {
        "web": 2.0,
        "workers": 1.0,
        "postgres*": 0.5,
        "redis*": 0.1,
        "department": 0.7,
        "datahub": 0.2,
        "bench": 0.3,
    }
    split = CpuSplit.of(used, {"acceptance split": 0.4})
    assert round(split.engine_seconds, 6) == 3.6 and round(split.harness_seconds, 6) == 1.2
    text = split.per_unit(100)
    assert text.startswith("engine side 36.0 ms (web 20.0, workers 10.0, postgres* 5.0, redis* 1.0)")
    assert "harness 12.0 ms (department 7.0, bench 3.0, datahub 2.0)" in text
    assert text.endswith("; acceptance split 4.0 ms")


def test_paced_window_hands_out_one_slot_per_interval():
    now = time.monotonic()
    plan = Plan(port=0, deadline=now - 1, rate=10.0, paced_start=now + 5, paced_end=now + 6)
    slots = []
    while (slot := plan.next_start()) is not None:
        slots.append(slot - plan.paced_start)
    assert [round(s, 3) for s in slots] == [n / 10 for n in range(10)]
    closed = Plan(port=0, deadline=now + 60)
    assert closed.next_start() is not None  # the closed loop: start now
    assert Plan(port=0, deadline=now - 1).next_start() is None  # no paced window: done
