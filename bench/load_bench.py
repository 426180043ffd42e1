"""Load benchmark (issue 7): citizens reading notices and submitting child-birth cases through
the REST API against the whole engine on this machine, a reconciliation of every submitted
case, and a bare Django baseline measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/onething \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \\
    .venv/bin/python bench/load_bench.py --users 24 --duration 60

What it does, all on this machine:

1. creates its own database (``--db-name``) and uses its own Redis database (``--redis-db``),
   like bench/dispatch_bench.py whose machinery it reuses; starts the data hub
   (services/datahub, real HTTP, a population large enough to hold ``--users`` mothers of
   newborns) and the department service (``--delay-scale 0``); migrates, loads the demo and
   creates one citizen account per virtual user in bulk: generated mothers of a newborn that
   the hub knows (so prefill and e-licences work as for a real citizen);
2. starts gunicorn on the product's ``onething.wsgi`` (``--web-workers`` sync workers) and
   ``--workers`` Celery workers on every engine queue;
3. every virtual user (a thread of this process, own session) logs in through
   /api/accounts/login/ with CSRF and uploads one PDF once; then, for ``--duration``
   seconds, loops: GET the notice (``--reads`` times), POST a draft (prefilled from the
   hub), PATCH the fields prefill left empty, attach the upload to every material the
   notice says to bring (one request for all of them), POST submit;
4. ``--clerks`` clerk threads (the demo clerks of the centre the cases are routed to, own
   sessions) take each submitted case number as it comes, GET the case through the clerk
   API (/api/intake/cases/{number}/: findings, requirements), and POST accept with the
   checklist a clerk would record (what came online as it came, the rest sighted in
   original); acceptance splits the case and the workers dispatch its items to the
   department service. Clerks work during the load (``--accept during``, default) or only
   after it (``--accept after``: the web tier then serves citizens alone while measured);
5. waits until every case has concluded (reconciliation as beat would run it; item cases of
   workbench departments, if any, approved by the bench as an officer would), then checks
   that every case acknowledged with 201 exists, once, and concluded: "cases lost" must be 0;
6. stops the engine and runs the bare baseline: gunicorn with the same options on
   bench/bare_wsgi.py (a Django view inserting one row per request, nothing else), the same
   generator with as many threads as virtual users, as many requests as cases submitted;
7. prints submissions/s, latencies (p50/p99) per request kind, errors, cases submitted /
   concluded / lost, the bare figures and the ratio, "met" or "MISSED" per target, and the
   CPU seconds of every process (the generator included: it runs on the same two cores).

Exit status: 0 when the run completed (targets met or not, unless ``--require-target``), 1
for a missed target with ``--require-target``, 2 for an error or a lost case.

gunicorn gets this process's environment: ``GUNICORN_CMD_ARGS`` changes its options (e.g. the
worker class), and ``GUNICORN_CMD_ARGS="--config bench/gunicorn_profile.py"
WEB_PROFILE_DIR=<dir>`` profiles every engine web worker (one cProfile file per worker).
"""

import argparse
import http.client
import json
import math
import os
import queue
import re
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dispatch_bench import (  # noqa: E402
    ANSWERS,
    BUNDLE,
    ENGINE_QUEUES,
    BenchError,
    CpuMeter,
    CpuSplit,
    Machine,
    Reconciliation,
    bench_main,
    clean_up,
    engine_environment,
    flush_redis,
    free_port,
    percentile,
    prepare_catalogue,
    print_rows,
    recreate_database,
    setup_django,
    start_datahub,
    start_departments,
    start_web,
    start_workers,
    targets_from_environment,
)

TARGET_SUBMISSIONS = 100.0  # per second
TARGET_P99 = 0.300  # seconds, of the submission request
TARGET_WEB_MS = 40.0  # web CPU per citizen journey (#19)
TARGET_OFFERED = 50.0  # submissions/s offered, at which p99 < TARGET_P99 with 0 errors (#19)
TARGET_FLOOR_SHARE = 0.5  # highest sustained rate at least this share of the engine-side journey floor (#19)
CITIZEN_PASSWORD = "Load-bench-2026"
NOTICE_QUERY = "birth_place=local_hospital&married=true&mother_insured=true"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MOTHERS_PER_3000 = 18  # insured, married, honest mothers of a newborn per 3,000 generated persons (21 seen)
HUB_SEED = 20261128
PACED_GAP = 3.0  # seconds between the closed-loop window and the paced one
PACED_KEPT_UP = 0.95  # the paced window counts as served at this share of the offered rate
KINDS = ["login", "upload", "notice", "draft", "patch", "attach", "submit", "clerk_view", "accept", "bare"]


# --- command line ----------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Citizens submitting cases through the API against the whole engine, with a bare baseline.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Needs DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://... (see the module docstring).",
    )
    add = parser.add_argument
    add("--users", type=int, default=24, help="virtual citizens, each a thread with its own session (default 24)")
    add("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    add("--warmup", type=float, default=5.0, help="unmeasured seconds of load before the window (default 5)")
    add("--reads", type=int, default=1, help="notice reads per submission (default 1)")
    add("--clerks", type=int, default=2, help="clerk threads accepting the cases (default 2)")
    add("--accept", choices=["during", "after"], default="during", help="when clerks accept (default during)")
    add(
        "--bare-requests",
        type=int,
        default=3000,
        help="the bare baseline makes as many requests as cases were submitted, and at least this many (default 3000)",
    )
    add("--web-workers", type=int, default=4, help="gunicorn sync workers, engine and bare (default 4)")
    add("--workers", type=int, default=2, help="Celery worker processes (default 2)")
    add("--concurrency", type=int, default=8, help="pool size of each Celery worker (default 8)")
    add("--reconcile-every", type=float, default=5.0, help="seconds between reconciliation runs (default 5)")
    add("--timeout", type=float, default=None, help="seconds the cases may take to conclude (default 120 + duration)")
    add("--db-name", default="onething_load", help="database created for the run (default %(default)s)")
    add("--redis-db", type=int, default=11, help="Redis database number used for the run, flushed (default 11)")
    add("--worker-log-level", default="WARNING", help="log level of the Celery workers (default WARNING)")
    add("--keep-db", action="store_true", help="do not drop the database at the end")
    add("--keep-logs", action="store_true", help="keep the processes' logs (else kept on errors only)")
    add("--require-target", action="store_true", help="exit with 1 when a target is missed")
    add(
        "--rate",
        type=float,
        default=0.0,
        help="after the closed-loop window, a paced window offering this many journeys/s (default 0: none; #19: 50)",
    )
    add("--rate-duration", type=float, default=None, help="seconds of the paced window (default --duration)")
    args = parser.parse_args(argv)
    if min(args.users, args.clerks, args.web_workers, args.workers, args.concurrency) < 1 or args.reads < 0:
        parser.error("--users, --clerks, --web-workers, --workers and --concurrency must be at least 1")
    if args.duration <= 0:
        parser.error("--duration must be positive")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.db_name):
        parser.error("--db-name: lower-case letters, digits and underscores only")
    if args.rate < 0:
        parser.error("--rate must not be negative")
    if args.rate_duration is None:
        args.rate_duration = args.duration
    if args.timeout is None:
        args.timeout = 120.0 + args.duration + (args.rate_duration if args.rate else 0.0)
    return args


# --- the load generator ----------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    started: float  # time.monotonic() when the request was sent
    seconds: float
    status: int  # 0: no answer (connection error, timeout)
    error: bool = False  # not the expected answer


class Recorder:
    """Latencies and failures of every request, shared by the generator's threads."""

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def add(self, sample: Sample, error: str | None = None) -> None:
        sample.error = bool(error)
        with self._lock:  # list.append is atomic, but errors and samples go together
            self.samples.append(sample)
            if error:
                self.errors.append(error)

    def of(self, kind: str, until: float | None = None) -> list[Sample]:
        return [s for s in self.samples if s.kind == kind and (until is None or s.started + s.seconds <= until)]


class RequestFailed(Exception):
    """A request answered with an unexpected status (or not at all); recorded already."""


class Session:
    """One user's HTTP client: http.client (the cheapest client in the standard library: the
    generator shares the two cores with what it measures), cookies, the CSRF header."""

    def __init__(self, port: int, recorder: Recorder) -> None:
        self.port = port
        self.recorder = recorder
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(
        self,
        kind: str,
        method: str,
        path: str,
        body=None,
        *,
        expect: int | tuple[int, ...] = 200,
        content_type: str = "",
    ):
        headers = {"Accept": "application/json"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if "csrftoken" in self.cookies and method != "GET":
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        if body is not None and not content_type:
            body, content_type = json.dumps(body).encode(), "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        started = time.monotonic()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.conn.close()
            self.recorder.add(Sample(kind, started, time.monotonic() - started, 0), f"{kind} {path}: {error!r}")
            raise RequestFailed(kind) from error
        seconds = time.monotonic() - started
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.will_close:
            self.conn.close()  # gunicorn's sync workers close after each response; reconnect next time
        expected = (expect,) if isinstance(expect, int) else expect
        error = None if response.status in expected else f"{kind} {path}: {response.status} {payload[:300]!r}"
        self.recorder.add(Sample(kind, started, seconds, response.status), error)
        if error:
            raise RequestFailed(kind)
        return json.loads(payload) if payload else None

    def login(self, username: str, password: str) -> None:
        self.call("login", "GET", "/api/accounts/csrf/")
        self.call("login", "POST", "/api/accounts/login/", {"identity": username, "password": password})

    def upload(self, name: str) -> int:
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                "Content-Type: application/pdf\r\n\r\n"
            ).encode()
            + PDF
            + f"\r\n--{boundary}--\r\n".encode()
        )
        answer = self.call(
            "upload",
            "POST",
            "/api/uploads/",
            body,
            expect=201,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        return answer["id"]


@dataclass
class Plan:
    """What every virtual citizen does; the values come from the engine's own form."""

    port: int
    deadline: float = 0.0
    reads: int = 1
    fill: dict = field(default_factory=dict)  # example value of every field of the merged form
    submitted: "queue.Queue[str | None]" = field(default_factory=queue.Queue)  # case numbers, for the clerks
    numbers: list[str] = field(default_factory=list)  # acknowledged with 201
    rate: float = 0.0  # journeys/s offered in the paced window (0: none)
    paced_start: float = 0.0
    paced_end: float = 0.0
    slots: int = 0  # journeys handed out in the paced window
    lags: list[float] = field(default_factory=list)  # seconds each paced journey started after its slot
    slot_lock: threading.Lock = field(default_factory=threading.Lock)

    def next_start(self) -> float | None:
        """When a citizen starts its next journey: now in the closed loop, its slot in the paced
        window (one every 1/rate seconds, whichever citizen is free), None when the load is over."""
        now = time.monotonic()
        if now < self.deadline:
            return now
        if self.rate <= 0:
            return None
        with self.slot_lock:
            slot = self.paced_start + self.slots / self.rate
            self.slots += 1
        return slot if slot < self.paced_end else None


def citizen(plan: Plan, username: str, recorder: Recorder, ready: threading.Barrier, go: threading.Event) -> None:
    """One virtual citizen: log in and upload once, then read, fill and submit until the deadline."""
    session = Session(plan.port, recorder)
    try:
        session.login(username, CITIZEN_PASSWORD)
        upload_id = session.upload(f"{username}.pdf")
    except RequestFailed:
        ready.abort()
        return
    ready.wait()
    go.wait()
    while (start := plan.next_start()) is not None:
        time.sleep(max(0.0, start - time.monotonic()))
        if plan.rate and start >= plan.paced_start:
            plan.lags.append(time.monotonic() - start)  # every citizen was busy: the schedule slips
        try:
            notice = None
            for _ in range(plan.reads):
                notice = session.call("notice", "GET", f"/api/bundles/{BUNDLE}/notice/?{NOTICE_QUERY}")
            # 200: the open draft a failed iteration left is resumed (one open draft per bundle)
            draft = session.call(
                "draft", "POST", "/api/drafts/", {"bundle": BUNDLE, "answers": ANSWERS}, expect=(200, 201)
            )
            draft_path = f"/api/drafts/{draft['id']}/"
            missing = {key: value for key, value in plan.fill.items() if key not in draft["data"]}
            session.call("patch", "PATCH", draft_path, {"data": missing})
            lines = [
                {"key": material["key"], "upload": upload_id}
                for material in (notice or {}).get("materials", [])
                if material.get("shared") is None and material["key"] not in draft["materials"]
            ]
            if lines:  # every material in one request
                session.call("attach", "POST", f"{draft_path}materials/", lines)
            case = session.call("submit", "POST", f"{draft_path}submit/", expect=201)
        except RequestFailed:
            continue  # recorded; the next iteration starts afresh
        plan.numbers.append(case["number"])
        plan.submitted.put(case["number"])


def clerk(
    plan: Plan,
    username: str,
    password: str,
    recorder: Recorder,
    accepted: list[str],
    ready: threading.Barrier,
    go: threading.Event,
) -> None:
    """One clerk: open each submitted case through the clerk API and accept it."""
    session = Session(plan.port, recorder)
    try:
        session.login(username, password)
    except RequestFailed:
        ready.abort()
        return
    ready.wait()
    go.wait()
    while True:
        number = plan.submitted.get()
        if number is None:
            return
        try:
            detail = session.call("clerk_view", "GET", f"/api/intake/cases/{number}/")
            checklist = {m["key"]: {"outcome": outcome_of(m["source"])} for m in detail["materials"]}
            for requirement in detail["requirements"]:
                if requirement["required"] and requirement["key"] not in checklist:
                    checklist[requirement["key"]] = {"outcome": "original_sighted"}
            session.call("accept", "POST", f"/api/intake/cases/{number}/accept/", {"checklist": checklist})
        except RequestFailed:
            continue  # recorded; the case stays submitted and the reconciliation reports it
        accepted.append(number)


def outcome_of(source: str) -> str:
    """The checklist outcome of a material that came online (intake.services.SOURCE_TO_OUTCOME)."""
    return "uploaded" if source == "upload" else source


def bare_user(port: int, path: str, count: "queue.Queue[int]", recorder: Recorder) -> None:
    session = Session(port, recorder)
    while True:
        try:
            index = count.get_nowait()
        except queue.Empty:
            return
        try:
            session.call("bare", "POST", path, {"n": index, "bundle": BUNDLE}, expect=201)
        except RequestFailed:
            pass


# --- setting up ------------------------------------------------------------------------------


def hub_population(users: int) -> int:
    return 3000 * max(1, math.ceil(users / MOTHERS_PER_3000))


def newborn_mothers(persons: int, as_of: date, count: int) -> list[dict]:
    """Generated mothers of a newborn, married, insured and honest: the situation of ANSWERS.
    The hub's data is a pure function of seed, as-of date and size, so this is what it serves."""
    from services.datahub.demo_identities import MOTHER
    from services.datahub.generator import generate

    data = generate(HUB_SEED, as_of, persons=persons)
    mothers = []
    for person in data.persons.values():
        if person["household_number"] is not None:
            continue  # newborns have no household registration yet
        for parent_id in person["parents"]:
            parent = data.persons[parent_id]
            fit = parent["marital_status"] == "married" and parent["insured"] and not parent["dishonest"]
            if parent["gender"] == "female" and fit and parent["id_number"] != MOTHER.id_number:
                mothers.append(parent)
    if len(mothers) < count:
        raise BenchError(f"the data hub of {persons} persons holds {len(mothers)} fitting mothers, {count} needed")
    return mothers[:count]


def create_citizens(mothers: list[dict]) -> list[str]:
    """One verified citizen account per mother, in bulk (one password hash for all)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    password = make_password(CITIZEN_PASSWORD)
    users = [
        get_user_model()(
            username=m["id_number"],
            id_number=m["id_number"],
            full_name=m["name"],
            mobile=m["mobile"] or "",
            role="citizen",
            real_name_verified=True,
            password=password,
        )
        for m in mothers
    ]
    get_user_model().objects.bulk_create(users)
    return [user.username for user in users]


def form_values() -> dict:
    from onething.apply.selectors import form_for
    from onething.catalog import situations
    from onething.catalog.selectors import published_version
    from onething.notice.selectors import compiled_version

    version = published_version(bundle_code=BUNDLE)
    answers, errors = situations.check_answers(compiled_version(version=version).questions, ANSWERS)
    if errors:
        raise BenchError(f"the answers are not valid for {BUNDLE}: {errors}")
    return {f.key: f.example() for f in form_for(version=version, answers=answers).fields}


def routed_clerks() -> list[tuple[str, str]]:
    """(username, password) of the clerks of the centre child-birth cases are routed to."""
    from onething.catalog.models import Bundle
    from onething.intake.models import Clerk
    from onething.intake.selectors import responsible_centre
    from onething.operations.management.commands.load_demo import CLERK_PASSWORD

    centre = responsible_centre(bundle=Bundle.objects.get(code=BUNDLE))
    names = list(
        Clerk.objects.filter(centre=centre).order_by("user__username").values_list("user__username", flat=True)
    )
    if not names:
        raise BenchError(f"no clerk at the centre {centre} that receives {BUNDLE} cases")
    return [(name, CLERK_PASSWORD) for name in names]


# --- the runs --------------------------------------------------------------------------------


@dataclass
class LoadFigures:
    users: int
    duration: float
    recorder: Recorder
    numbers: list[str]
    accepted: list[str]
    window_start: float  # after the warm-up
    window_end: float  # window_start + duration
    cpu: str  # CpuMeter summary of the window
    cpu_seconds: dict[str, float]
    after_window: CpuMeter  # started when the window closed
    rate: float = 0.0  # offered journeys/s in the paced window (0: no paced window)
    paced_start: float = 0.0
    paced_end: float = 0.0
    paced_cpu: str = ""
    paced_cpu_seconds: dict[str, float] = field(default_factory=dict)
    lags: list[float] = field(default_factory=list)  # of the paced journeys' starts behind their slots

    def in_paced_window(self, kind: str) -> list[Sample]:
        """Requests sent in the paced window, however late their answer came."""
        return [s for s in self.recorder.of(kind) if self.paced_start <= s.started < self.paced_end]

    def in_window(self, kind: str) -> list[Sample]:
        """Requests sent in the measured window and answered before its end."""
        return [s for s in self.recorder.of(kind, until=self.window_end) if s.started >= self.window_start]

    @property
    def submissions_per_second(self) -> float:
        return len([s for s in self.in_window("submit") if s.status == 201]) / self.duration


def run_load(args: argparse.Namespace, port: int, usernames: list[str], fill: dict, machine: Machine) -> LoadFigures:
    """Log everyone in (outside the clock: a login is a deliberately slow password hash), run
    ``--warmup`` seconds unmeasured (gunicorn workers load code on their first requests), then
    measure ``--duration`` seconds; CPU is counted over exactly that window."""
    recorder = Recorder()
    plan = Plan(port=port, reads=args.reads, fill=fill)
    clerk_accounts = routed_clerks()
    ready = threading.Barrier(len(usernames) + args.clerks + 1)
    go, clerks_go = threading.Event(), threading.Event()
    accepted: list[str] = []
    citizens = [
        threading.Thread(target=citizen, args=(plan, name, recorder, ready, go), daemon=True, name=f"citizen-{i}")
        for i, name in enumerate(usernames)
    ]
    clerks = [
        threading.Thread(
            target=clerk,
            args=(plan, *clerk_accounts[i % len(clerk_accounts)], recorder, accepted, ready, clerks_go),
            daemon=True,
            name=f"clerk-{i}",
        )
        for i in range(args.clerks)
    ]
    for thread in citizens + clerks:
        thread.start()
    try:
        ready.wait(timeout=120 + len(usernames))  # everyone logged in, every citizen uploaded
    except threading.BrokenBarrierError:
        raise BenchError(f"virtual users could not log in or upload: {recorder.errors[:3]}") from None
    window_start = time.monotonic() + args.warmup
    plan.deadline = window_start + args.duration
    if args.rate:  # the closed loop's last journeys end before the first paced one starts
        plan.rate, plan.paced_start = args.rate, plan.deadline + PACED_GAP
        plan.paced_end = plan.paced_start + args.rate_duration
    go.set()
    if args.accept == "during":
        clerks_go.set()
    time.sleep(args.warmup)
    meter = CpuMeter(machine)
    while time.monotonic() < plan.deadline:
        machine.check_alive()
        time.sleep(min(0.2, max(0.0, plan.deadline - time.monotonic())))
    cpu = meter.summary()
    cpu_shares = meter_shares(meter)
    paced_cpu, paced_shares = "", {}
    if args.rate:
        time.sleep(max(0.0, plan.paced_start - time.monotonic()))
        paced_meter = CpuMeter(machine)
        while time.monotonic() < plan.paced_end:
            machine.check_alive()
            time.sleep(min(0.2, max(0.0, plan.paced_end - time.monotonic())))
        paced_cpu, paced_shares = paced_meter.summary(), meter_shares(paced_meter)
    after = CpuMeter(machine)  # the last journeys, the clerks' backlog, the fan-out: until conclusion
    while any(t.is_alive() for t in citizens):
        machine.check_alive()
        time.sleep(0.2)
    print(
        f"load done: {len(plan.numbers)} cases submitted ({args.warmup:.0f} s warm-up, "
        f"{args.duration:.0f} s measured), {len(recorder.errors)} error(s); clerks accepting the rest",
        flush=True,
    )
    clerks_go.set()
    for _ in clerks:
        plan.submitted.put(None)
    for thread in clerks:
        while thread.is_alive():
            machine.check_alive()
            thread.join(timeout=0.5)
    return LoadFigures(
        users=len(usernames),
        duration=args.duration,
        recorder=recorder,
        numbers=list(plan.numbers),
        accepted=list(accepted),
        window_start=window_start,
        window_end=plan.deadline,
        cpu=cpu,
        cpu_seconds=cpu_shares,
        after_window=after,
        rate=args.rate,
        paced_start=plan.paced_start,
        paced_end=plan.paced_end,
        paced_cpu=paced_cpu,
        paced_cpu_seconds=paced_shares,
        lags=list(plan.lags),
    )


def meter_shares(meter: CpuMeter) -> dict[str, float]:
    """CPU seconds per process group since the meter started (as in its summary)."""
    now = meter._snapshot()
    return {name: now[name] - meter.start.get(name, 0.0) for name in now}


def approve_workbench_items(case_numbers: list[str]) -> int:
    """Approve the item cases of workbench departments, as their officers would (none for
    the child-birth demo, whose departments all have a system)."""
    from onething.processing import services as processing
    from onething.processing.adapters.base import DepartmentStatus
    from onething.processing.models import ItemCase

    waiting = ItemCase.objects.filter(
        case__number__in=case_numbers,
        department__endpoint__adapter="workbench",
        state__in=[ItemCase.State.RECEIVED, ItemCase.State.IN_PROGRESS],
    ).values_list("pk", flat=True)
    for item_case_id in waiting:
        processing.apply_status(item_case_id=item_case_id, status=DepartmentStatus(state=ItemCase.State.APPROVED))
    return len(waiting)


FINAL_CASE_STATES = ("concluded", "partially_concluded")


def wait_until_concluded(numbers: list[str], timeout: float, reconcile_every: float, machine: Machine):
    """Poll until every acknowledged case has concluded; the reconciliation runs meanwhile."""
    from onething.cases.models import Case
    from onething.processing.models import ItemCase

    reconciliation = Reconciliation()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        machine.check_alive()
        approve_workbench_items(numbers)
        open_cases = Case.objects.filter(number__in=numbers).exclude(state__in=FINAL_CASE_STATES).count()
        if open_cases == 0:
            return reconciliation
        dead = ItemCase.objects.filter(case__number__in=numbers, state=ItemCase.State.DEAD)
        if dead.exists():
            first = dead.first()
            raise BenchError(
                f"{dead.count()} item case(s) dead-lettered, e.g. {first.idempotency_key}: {first.last_error}"
            )
        reconciliation.maybe_run(reconcile_every)
        time.sleep(0.5)
    states = count_by(Case.objects.filter(number__in=numbers).values_list("state", flat=True))
    raise BenchError(f"cases not concluded after {timeout:.0f} s: cases by state {states}; logs in {machine.log_dir}")


def count_by(values) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


@dataclass
class Ledger:
    """The reconciliation of what the citizens were told against what the database holds."""

    acknowledged: int  # submits answered 201 (distinct case numbers)
    found: int  # of those, cases in the database
    concluded: int  # of those, concluded fully or partially
    unacknowledged: int  # cases of the virtual citizens that no 201 announced (a lost answer)
    states: dict[str, int]
    conclude_seconds: float  # last submission to last conclusion

    @property
    def lost(self) -> int:
        return self.acknowledged - self.found


def reconcile_cases(numbers: list[str], usernames: list[str]) -> Ledger:
    from django.db.models import Max

    from onething.cases.models import Case

    distinct = set(numbers)
    if len(distinct) != len(numbers):
        raise BenchError(f"{len(numbers) - len(distinct)} case number(s) acknowledged twice")
    ours = Case.objects.filter(applicant__username__in=usernames)
    found = ours.filter(number__in=distinct)
    last = ours.aggregate(submitted=Max("submitted_at"), concluded=Max("concluded_at"))
    span = (last["concluded"] - last["submitted"]).total_seconds() if last["concluded"] and last["submitted"] else 0.0
    return Ledger(
        acknowledged=len(distinct),
        found=found.count(),
        concluded=found.filter(state__in=FINAL_CASE_STATES).count(),
        unacknowledged=ours.exclude(number__in=distinct).count(),
        states=count_by(ours.values_list("state", flat=True)),
        conclude_seconds=span,
    )


@dataclass
class BareFigures:
    requests: int
    seconds: float
    recorder: Recorder
    rows: int

    @property
    def per_second(self) -> float:
        return len([s for s in self.recorder.of("bare") if s.status == 201]) / self.seconds


def run_bare(users: int, port: int, requests: int, database_url: str) -> BareFigures:
    """The same generator (``users`` threads) posting ``requests`` times to the bare view."""
    import psycopg

    from bench.bare_wsgi import BARE_PATH, BARE_TABLE

    recorder = Recorder()
    warm = Session(port, recorder)
    for _ in range(20):  # every gunicorn worker answers once before the clock starts
        warm.call("bare", "POST", BARE_PATH, {"warm": True}, expect=201)
    recorder.samples.clear()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {BARE_TABLE}")
    todo: queue.Queue[int] = queue.Queue()
    for index in range(requests):
        todo.put(index)
    threads = [
        threading.Thread(target=bare_user, args=(port, BARE_PATH, todo, recorder), daemon=True) for _ in range(users)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    with psycopg.connect(database_url, autocommit=True) as conn:
        (rows,) = conn.execute(f"SELECT count(*) FROM {BARE_TABLE}").fetchone()
    return BareFigures(requests=requests, seconds=seconds, recorder=recorder, rows=rows)


# --- report ----------------------------------------------------------------------------------


def latency(samples: list[Sample]) -> str:
    if not samples:
        return "(none)"
    values = [s.seconds * 1000 for s in samples]
    return (
        f"p50 {percentile(values, 0.50):6.1f} ms  p99 {percentile(values, 0.99):6.1f} ms  "
        f"max {max(values):7.1f} ms  n={len(values)}"
    )


def per_submission(load: LoadFigures) -> str:
    """Where a submission's CPU went, in the measured window (everything the machine did,
    clerks' acceptance and the workers' fan-out included when they ran during the load)."""
    count = len([s for s in load.in_window("submit") if s.status == 201])
    if not count:
        return "(no submission)"
    used = sorted(load.cpu_seconds.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{name} {seconds * 1000 / count:.1f}" for name, seconds in used if seconds > 0)


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def issue19_rows(
    args, load: LoadFigures, ledger: Ledger, bare: BareFigures, bare_split: CpuSplit | None, journey_requests: int
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]], list[bool]]:
    """Issue 19: CPU per journey, engine side apart from the harness; the journey floor on the engine side;
    the targets. Returns (figure rows, target rows, verdicts)."""
    cores = os.cpu_count() or 1
    journeys = len([s for s in load.in_window("submit") if s.status == 201])
    rows: list[tuple[str, str, str]] = []
    targets: list[tuple[str, str, str]] = []
    verdicts: list[bool] = []
    web_ms = load.cpu_seconds.get("web", 0.0) * 1000 / journeys if journeys else float("inf")
    if journeys:
        split = CpuSplit.of(load.cpu_seconds)
        rows.append(
            (
                "CPU/journey",
                f"{split.engine_seconds * 1000 / journeys:6.1f} ms",
                split.per_unit(journeys)
                + f"; {journeys} journeys in the window"
                + (" (the clerks' view and accept included)" if args.accept == "during" else ""),
            )
        )
    floor_rate = 0.0
    if bare_split is not None and bare.requests:
        served = len([s for s in bare.recorder.of("bare") if s.status == 201]) or 1
        bare_ms = bare_split.engine_seconds * 1000 / served
        floor_rate = cores * 1000 / (bare_ms * journey_requests)
        rows += [
            ("bare CPU/request", f"{bare_ms:6.1f} ms", bare_split.per_unit(served)),
            (
                "engine-side journey floor/s",
                f"{floor_rate:8.1f}",
                f"{cores} core(s) / ({journey_requests} requests x {bare_ms:.1f} ms of engine-side CPU per bare "
                "request): the journey floor with the harness (generator, data hub, departments) left out",
            ),
        ]
    web_met = web_ms <= TARGET_WEB_MS
    verdicts.append(web_met)
    targets.append(
        (
            "target web CPU/journey",
            f"{web_ms:6.1f} ms" if journeys else "n/a",
            f"web CPU in the window / citizen journeys; target <= {TARGET_WEB_MS:.0f} ms: {verdict(web_met)}",
        )
    )
    if load.rate:
        paced = [s for s in load.in_paced_window("submit") if s.status == 201]
        all_paced = [s for kind in KINDS for s in load.in_paced_window(kind) if kind not in ("login", "upload", "bare")]
        errors = len([s for s in all_paced if s.error])
        span = load.paced_end - load.paced_start
        p99 = percentile([s.seconds for s in paced], 0.99) if paced else float("inf")
        achieved = len(paced) / span
        kept_up = achieved >= PACED_KEPT_UP * load.rate  # else the offered load was not served: the p99 says little
        paced_met = p99 < TARGET_P99 and errors == 0 and load.rate >= TARGET_OFFERED and kept_up
        late = (
            f"; journeys started behind schedule p50 {percentile(load.lags, 0.5):.2f} s, max {max(load.lags):.2f} s"
            if load.lags
            else ""
        )
        verdicts.append(paced_met)
        rows += [
            (
                "paced window",
                f"{load.rate:6.1f}/s",
                f"offered for {span:.0f} s; {achieved:.1f} submissions/s achieved, {errors} error(s); "
                + latency(paced)
                + late,
            ),
            ("paced window CPU", "", load.paced_cpu),
        ]
        if paced:
            paced_split = CpuSplit.of(load.paced_cpu_seconds)
            rows.append(("CPU/journey (paced)", "", paced_split.per_unit(len(paced))))
        targets.append(
            (
                f"target p99 at {TARGET_OFFERED:.0f}/s",
                f"{p99 * 1000:6.1f} ms" if paced else "n/a",
                f"offered {load.rate:.1f}/s, achieved {achieved:.1f}/s, {errors} error(s); target p99 < "
                f"{TARGET_P99 * 1000:.0f} ms with 0 errors at >= {TARGET_OFFERED:.0f}/s offered and served "
                f"(achieved >= {PACED_KEPT_UP:.0%} of offered): {verdict(paced_met)}",
            )
        )
    else:
        targets.append(
            (f"target p99 at {TARGET_OFFERED:.0f}/s", "n/a", f"no paced window (--rate {TARGET_OFFERED:.0f})")
        )
    if floor_rate:
        share = load.submissions_per_second / floor_rate
        share_met = share >= TARGET_FLOOR_SHARE
        verdicts.append(share_met)
        targets.append(
            (
                "target sustained rate",
                f"{share:8.2f}",
                f"x engine-side journey floor ({load.submissions_per_second:.1f} / {floor_rate:.1f}/s); "
                f"target >= {TARGET_FLOOR_SHARE:.2f} x: {verdict(share_met)}",
            )
        )
    verdicts.append(ledger.lost == 0)
    targets.append(("target cases lost", f"{ledger.lost:8d}", f"target 0: {verdict(ledger.lost == 0)}"))
    return rows, targets, verdicts


def report(
    args,
    load: LoadFigures,
    ledger: Ledger,
    bare: BareFigures,
    recon: Reconciliation,
    cpu: dict,
    bare_split: CpuSplit | None = None,
) -> bool:
    submissions = load.submissions_per_second
    submit_samples = [s for s in load.in_window("submit") if s.status == 201]
    p99 = percentile([s.seconds for s in submit_samples], 0.99) if submit_samples else float("inf")
    rate_met, p99_met = submissions >= TARGET_SUBMISSIONS, p99 < TARGET_P99
    all_requests = [s for s in load.recorder.samples if load.window_start <= s.started < load.window_end]
    ratio = submissions / bare.per_second if bare.per_second else 0.0
    journey_requests = args.reads + 4  # notice read(s), draft, patch, attach, submit
    rows19, targets19, verdicts19 = issue19_rows(args, load, ledger, bare, bare_split, journey_requests)
    print()
    print(
        f"load benchmark: {load.users} citizens, {args.duration:.0f} s, {args.reads} notice read(s) per submission, "
        f"{args.clerks} clerk(s) accepting {args.accept} the load; gunicorn {args.web_workers} sync workers, "
        f"{args.workers} Celery worker(s) x {args.concurrency}; {os.cpu_count()} CPU(s)"
    )
    rows = [
        ("submissions/s", f"{submissions:8.1f}", f"target >= {TARGET_SUBMISSIONS:.0f}/s: {verdict(rate_met)}"),
        (
            "submit p99",
            f"{p99 * 1000:6.1f} ms" if submit_samples else "n/a",
            f"target < {TARGET_P99 * 1000:.0f} ms: {verdict(p99_met)}",
        ),
        ("requests/s (all kinds)", f"{len(all_requests) / args.duration:8.1f}", "in the load window"),
    ]
    for kind in ["notice", "draft", "patch", "attach", "submit", "clerk_view", "accept"]:
        samples = load.in_window(kind)
        if samples:
            rows.append((f"  {kind}", "", latency(samples)))
    for kind in ["login", "upload"]:  # before the clock, once per user
        rows.append((f"  {kind} (unmeasured)", "", latency(load.recorder.of(kind))))
    rows += [
        ("errors", f"{len(load.recorder.errors):8d}", "; ".join(load.recorder.errors[:3])),
        ("cases submitted", f"{ledger.acknowledged:8d}", "acknowledged with 201"),
        (
            "cases concluded",
            f"{ledger.concluded:8d}",
            f"states {ledger.states}; last submission to last conclusion {ledger.conclude_seconds:.1f} s",
        ),
        ("cases lost", f"{ledger.lost:8d}", "acknowledged but not in the database (must be 0)"),
        ("cases unacknowledged", f"{ledger.unacknowledged:8d}", "in the database without a 201 (answer lost)"),
        ("reconcile", "", recon.summary()),
        (
            "bare baseline req/s",
            f"{bare.per_second:8.1f}",
            f"{bare.rows} rows by {bare.requests} requests in {bare.seconds:.2f} s, "
            f"{len(bare.recorder.errors)} error(s)",
        ),
        ("  bare", "", latency(bare.recorder.of("bare"))),
        (
            "journey floor/s",
            f"{bare.per_second / journey_requests:8.1f}",
            f"bare req/s / {journey_requests} requests per citizen journey: the most this machine could "
            "submit if every request cost one bare INSERT (no data hub, no validation)",
        ),
        ("ratio", f"{ratio:8.2f}", "submissions/s per bare request/s"),
        (
            "ratio per request",
            f"{len(all_requests) / args.duration / bare.per_second if bare.per_second else 0.0:8.2f}",
            "engine requests/s (all kinds) per bare request/s",
        ),
        ("load window", "", cpu["load"]),
        ("CPU ms per submission", "", per_submission(load)),
        ("after the window", "", cpu["conclude"]),
        ("bare phase", "", cpu["bare"]),
        *rows19,
        *targets19,
    ]
    print_rows(rows)
    met = rate_met and p99_met
    print(
        f"result: submissions/s {verdict(rate_met)}, p99 {verdict(p99_met)}; cases lost {ledger.lost}; "
        f"bare {bare.per_second:.1f} req/s; #19 targets: {sum(verdicts19)} of {len(targets19)} met"
    )
    return met


# --- main ------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    from services.datahub.clock import data_epoch

    targets = targets_from_environment(args.db_name, args.redis_db)
    work_dir = Path(tempfile.mkdtemp(prefix="load-bench-"))
    machine = Machine(log_dir=work_dir)
    created_db = completed = False
    try:
        flush_redis(targets.broker_url)
        print(f"database {targets.db_name}, Redis {targets.broker_url}, logs in {work_dir}", flush=True)
        recreate_database(targets)
        created_db = True
        as_of, persons = data_epoch(), hub_population(args.users)
        hub_options = ["--seed", str(HUB_SEED), "--as-of", as_of.isoformat(), "--persons", str(persons)]
        datahub_url = start_datahub(machine, work_dir / "datahub", hub_options)
        department_url = start_departments(machine, work_dir / "departments")
        web_port = free_port()
        machine.env = engine_environment(
            targets,
            work_dir,
            web_port=web_port,
            datahub_url=datahub_url,
            department_url=department_url,
            SECURE_COOKIES="0",  # plain HTTP on localhost: no TLS proxy in front
        )
        setup_django(machine)
        started = time.monotonic()
        prepare_catalogue()
        usernames = create_citizens(newborn_mothers(persons, as_of, args.users))
        fill = form_values()
        print(
            f"migrated, loaded the demo and {len(usernames)} citizens in {time.monotonic() - started:.1f} s "
            f"(data hub {datahub_url}, {persons} persons)",
            flush=True,
        )
        from django.db import connections

        connections.close_all()
        web = start_web(machine, web_port, workers=args.web_workers)
        workers = start_workers(machine, args, kind="engine", queues=ENGINE_QUEUES)
        print(f"department service {department_url}, web :{web_port}, {args.workers} engine worker(s)", flush=True)
        load = run_load(args, web_port, usernames, fill, machine)
        cpu = {"load": load.cpu}
        recon = wait_until_concluded(load.numbers, args.timeout, args.reconcile_every, machine)
        cpu["conclude"] = load.after_window.summary()
        ledger = reconcile_cases(load.numbers, usernames)
        print(f"{ledger.concluded} of {ledger.acknowledged} cases concluded", flush=True)

        connections.close_all()
        machine.stop([*workers, web])
        with connections["default"].cursor() as cursor:
            from bench.bare_wsgi import create_table

            create_table(cursor)
        connections.close_all()
        bare_port = free_port()
        bare_web = start_web(machine, bare_port, workers=args.web_workers, app="bench.bare_wsgi", name="bare-web")
        bare_cpu = CpuMeter(machine)
        bare = run_bare(load.users, bare_port, max(args.bare_requests, ledger.acknowledged), targets.database_url)
        bare_split = CpuSplit.of(bare_cpu.used())
        cpu["bare"] = bare_cpu.summary()
        machine.stop([bare_web])
        met = report(args, load, ledger, bare, recon, cpu, bare_split)
        completed = True
        if ledger.lost or ledger.concluded != ledger.acknowledged:
            print("load_bench: cases lost or not concluded", file=sys.stderr)
            return 2
        return 1 if args.require_target and not met else 0
    finally:
        clean_up(machine, targets, drop_db=created_db and not args.keep_db, keep_logs=args.keep_logs or not completed)


def main(argv: list[str] | None = None) -> int:
    return bench_main("load_bench", parse_args, run, argv)


if __name__ == "__main__":
    sys.exit(main())
