"""Background processing: received → in_progress → approved | rejected | supplement_requested, then callbacks.

Delays never occupy a worker: a single scheduler thread keeps a heap of due tasks and hands each to a
bounded thread pool when it is due. Every step is a guarded state change in the store, so running a
step twice (or after a restart, see ``resume``) changes nothing twice.

Randomness is reproducible: processing delays, outcomes and dropped callbacks are drawn from a
generator seeded with ``(seed, department, idempotency key, round)``, so they do not depend on the
order in which concurrent requests happen to arrive.
"""

from __future__ import annotations

import heapq
import itertools
import json
import random
import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from services.protocol.signing import MAX_SKEW_SECONDS, sign_headers

from .config import Config, DepartmentConfig, ItemConfig
from .store import SHANGHAI, Row, Store
from .templates import Context

NONCE_PRUNE_INTERVAL = 60.0


class Scheduler:
    """Runs callables after a delay on a bounded pool of worker threads."""

    def __init__(self, workers: int) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="department-worker")
        self._heap: list[tuple[float, int, Callable[..., Any], tuple[Any, ...]]] = []
        self._counter = itertools.count()
        self._condition = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="department-scheduler", daemon=True)
        self._thread.start()

    def later(self, delay: float, task: Callable[..., Any], *args: Any) -> None:
        """Run ``task(*args)`` on the pool after ``delay`` seconds (at once if ``delay <= 0``)."""
        if delay <= 0:
            self._submit(task, args)
            return
        with self._condition:
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._counter), task, args))
            self._condition.notify()

    def _submit(self, task: Callable[..., Any], args: tuple[Any, ...]) -> None:
        if not self._stopped:
            self.pool.submit(_guarded, task, args)

    def _loop(self) -> None:
        while True:
            with self._condition:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._condition.wait(timeout)
                if self._stopped:
                    return
                _, _, task, args = heapq.heappop(self._heap)
            self._submit(task, args)

    def stop(self) -> None:
        """Drop what is not yet due and wait briefly for running tasks."""
        with self._condition:
            self._stopped = True
            self._condition.notify()
        self.pool.shutdown(wait=False, cancel_futures=True)


def _guarded(task: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """A failing task must not kill the worker or vanish silently."""
    try:
        task(*args)
    except Exception:
        sys.stderr.write(f"department: task {getattr(task, '__name__', task)}{args} failed\n")
        traceback.print_exc()


def _stream(seed: int, department: str, item_case: Row, purpose: str) -> random.Random:
    """A generator private to one item case, one round (supplements so far) and one purpose."""
    return random.Random(f"{seed}:{department}:{item_case['idempotency_key']}:{item_case['supplements']}:{purpose}")


class Processor:
    """Moves item cases through their states and delivers the callbacks."""

    def __init__(self, config: Config, store: Store, seed: int, public_url: str, workers: int = 16) -> None:
        self.config, self.store, self.seed = config, store, seed
        self.public_url = public_url.rstrip("/")
        self.scheduler = Scheduler(workers)
        self._sessions = threading.local()
        self._next_prune = 0.0

    # -- lifecycle -----------------------------------------------------------------------------------

    def resume(self) -> tuple[int, int]:
        """After a (re)start: continue undecided item cases and redeliver pending callbacks."""
        open_cases = self.store.open_item_cases()
        for item_case in open_cases:
            step = self._start if item_case["state"] == "received" else self._decide
            self.scheduler.later(0, step, item_case["department"], item_case["reference"])
        events = self.store.pending_events()
        for event_id in events:
            self.scheduler.later(0, self._deliver, event_id)
        self.scheduler.later(0, self._prune_nonces)
        return len(open_cases), len(events)

    def stop(self) -> None:
        """Stop scheduling; what is pending stays in the store and is resumed on the next start."""
        self.scheduler.stop()

    # -- steps ---------------------------------------------------------------------------------------

    def _delay(self, department: DepartmentConfig, item_case: Row, share: float) -> float:
        low, high = department.delay
        if high <= 0:
            return 0.0
        return _stream(self.seed, department.code, item_case, "delay").uniform(low, high) * share

    def received(self, department: str, item_case: Row) -> None:
        """A new item case was stored: start it after about a third of its processing time."""
        dept = self.config.departments[department]
        self.scheduler.later(self._delay(dept, item_case, 0.3), self._start, department, item_case["reference"])

    def supplemented(self, department: str, item_case: Row) -> None:
        """A supplement arrived (the item case is in_progress again): decide after a new processing time."""
        dept = self.config.departments[department]
        self.scheduler.later(self._delay(dept, item_case, 1.0), self._decide, department, item_case["reference"])

    def _start(self, department: str, reference: str) -> None:
        item_case = self.store.start(department, reference)
        if item_case is not None:
            dept = self.config.departments[department]
            self.scheduler.later(self._delay(dept, item_case, 0.7), self._decide, department, reference)

    def _decide(self, department: str, reference: str) -> None:
        dept = self.config.departments[department]
        rate = dept.failures.drop_callback

        def drop(item_case: Row) -> bool:
            return rate > 0 and _stream(self.seed, department, item_case, f"drop{item_case['events']}").random() < rate

        decided = self.store.decide(department, reference, lambda row, seq: self.decision(dept, row, seq), drop)
        if decided and decided[1] is not None:
            self.scheduler.later(0, self._deliver, decided[1]["event_id"])

    # -- the decision --------------------------------------------------------------------------------

    def decision(self, department: DepartmentConfig, item_case: Row, next_seq: Callable[[str], int]) -> Row:
        """What the department decides for an item case that is in progress."""
        item = department.items.get(item_case["item_code"])
        outcome: Row = {"result": None, "certificate": None, "reason": None, "supplement": None}
        if item is None:  # the item was removed from the configuration since the item case was received
            return {**outcome, "state": "rejected", "reason": "该事项已停止办理。"}
        data = item_case["data"] if isinstance(item_case["data"], dict) else {}
        rng = _stream(self.seed, department.code, item_case, "outcome")
        may_ask = item_case["supplements"] < item.max_supplements
        missing = [name for name in item.required_data if data.get(name) in (None, "", [], {})]
        wants_supplement = item.outcome == "supplement" or rng.random() < item.supplement_rate
        rejects = item.outcome == "reject" or rng.random() < item.reject_rate
        if may_ask and (missing or wants_supplement):
            fields = list(dict.fromkeys([*missing, *item.supplement.fields]))
            materials = list(item.supplement.materials)
            supplement = {"message": item.supplement.message, "fields": fields, "materials": materials}
            return {**outcome, "state": "supplement_requested", "supplement": supplement}
        if missing:
            return {**outcome, "state": "rejected", "reason": f"缺少必要信息：{'、'.join(missing)}。"}
        if rejects:
            return {**outcome, "state": "rejected", "reason": item.reject_reason}
        return {**outcome, "state": "approved", **self._approve(department, item, item_case, data, rng, next_seq)}

    def _approve(
        self,
        department: DepartmentConfig,
        item: ItemConfig,
        item_case: Row,
        data: Row,
        rng: random.Random,
        next_seq: Callable[[str], int],
    ) -> Row:
        context = Context(
            seq=next_seq(f"item/{department.code}/{item.code}"),
            today=datetime.now(SHANGHAI).date(),
            reference=item_case["reference"],
            department=department.code,
            item=item.code,
            data=data,
            rng=rng,
        )
        spec = item.certificate
        if spec:
            context.certificate["number"] = spec.number.render(context)
        for name, template in item.outputs.items():
            context.result[name] = template.render(context)
        certificate = None
        if spec:
            number = context.certificate["number"]
            optional = {
                key: template.render(context) or None if template else None
                for key, template in (
                    ("holder", spec.holder),
                    ("holder_name", spec.holder_name),
                    ("valid_until", spec.valid_until),
                )
            }
            certificate = {
                "type": spec.type,
                "title": spec.title,
                "number": number,
                "issuer": department.name,
                "issue_date": context.today.isoformat(),
                **optional,
                "data": dict(context.result),
                "labels": {name: item.labels[name] for name in context.result if name in item.labels},
                "pdf_url": f"{self.public_url}/departments/{department.code}/v1/certificates/{number}.pdf",
            }
        return {"result": dict(context.result), "certificate": certificate}

    # -- callbacks -----------------------------------------------------------------------------------

    def _session(self) -> requests.Session:
        session = getattr(self._sessions, "session", None)
        if session is None:
            session = self._sessions.session = requests.Session()
        return session

    def _deliver(self, event_id: str) -> None:
        event = self.store.event(event_id)
        if event is None or event["status"] != "pending":
            return
        department = self.config.departments.get(event["department"])
        if department is None:
            self.store.record_attempt(event_id, False, "department no longer configured", give_up=True)
            return
        policy = department.callback
        body = json.dumps(event["payload"], ensure_ascii=False).encode("utf-8")
        url = event["callback_url"]
        split = urlsplit(url)
        target = (split.path or "/") + (f"?{split.query}" if split.query else "")
        headers = sign_headers(department.secret, department.code, "POST", target, body)
        headers["Content-Type"] = "application/json; charset=utf-8"
        error = None
        try:
            response = self._session().post(url, data=body, headers=headers, timeout=policy.timeout_seconds)
            if not 200 <= response.status_code < 300:
                error = f"HTTP {response.status_code}"
            response.close()
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        attempts = event["attempts"] + 1
        give_up = error is not None and attempts >= policy.attempts
        self.store.record_attempt(event_id, error is None, error, give_up)
        if error is not None and not give_up:
            self.scheduler.later(policy.backoff_seconds * 2 ** (attempts - 1), self._deliver, event_id)

    # -- housekeeping --------------------------------------------------------------------------------

    def _prune_nonces(self) -> None:
        self.store.prune_nonces(2 * MAX_SKEW_SECONDS)
        self.scheduler.later(NONCE_PRUNE_INTERVAL, self._prune_nonces)
