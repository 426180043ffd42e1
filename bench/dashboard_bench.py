"""Benchmark: the management dashboard (一体管理) and the case lookup by number on
1,000,000 cases with four item cases each.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/onething \\
    .venv/bin/python bench/dashboard_bench.py --cases 1000000

What it does, all on this machine:

1. creates its own database (``--db-name``, dropped and recreated on the server of
   DATABASE_URL, as bench/dispatch_bench.py does), migrates it and loads the demo
   (bundles, departments, centres, accounts);
2. seeds ``--cases`` cases in SQL (``INSERT ... SELECT generate_series``, in chunks):
   spread over the last 365 days, every demo bundle, both centres, 70 % online; four item
   cases each (the first four items of the bundle), two case materials each, ratings on
   10 % of the concluded cases and a rectification for every bad one. Cases older than 30
   days are concluded; newer ones are processing with item cases in every state,
   including dead-lettered, stuck and silent ones. The dashboard's summary ledgers are
   kept by their triggers during the seed, as in production; then VACUUM ANALYZE;
3. times every dashboard page through django.test.Client logged in as an administrator
   (``--repeat`` times after one warm-up request), without a filter (all time), with the
   last 30 days and one bundle, and with one department and one centre; every CSV export
   without a filter; then the case lookup by number as the citizen (apply.selectors.case_of)
   and as the clerk (intake.selectors.case_for_clerk) on ``--lookups`` random numbers;
4. prints p50 and p95 of each and "met" or "MISSED" against the targets (p95 < 300 ms
   per dashboard view, p95 < 10 ms per case lookup), and drops its database unless
   ``--keep-db``.

Exit status: 0 when the run completed (whether or not the targets were met, unless
``--require-target``), 1 for a missed target with ``--require-target``, 2 for an error.
"""

import argparse
import base64
import contextlib
import io
import os
import random
import re
import secrets
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dispatch_bench import (  # noqa: E402
    BenchError,
    Targets,
    bench_main,
    drop_database,
    percentile,
    postgres_target,
    recreate_database,
)

VIEW_TARGET_MS = 300.0
LOOKUP_TARGET_MS = 10.0
CHUNK = 250_000
DAYS = 365
RECENT_DAYS = 30


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Dashboard views and case lookup on a seeded database of many cases.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Needs DATABASE_URL=postgres://... (see the module docstring).",
    )
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases to seed (default 1000000)")
    parser.add_argument("--repeat", type=int, default=10, help="timed requests per view and filter (default 10)")
    parser.add_argument("--lookups", type=int, default=200, help="timed case lookups per kind (default 200)")
    parser.add_argument("--db-name", default="onething_dashboard_bench", help="database created for the run")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--reuse-db", action="store_true", help="time an existing --keep-db database, no seeding")
    parser.add_argument("--require-target", action="store_true", help="exit with 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.repeat < 1 or args.lookups < 1:
        parser.error("--cases, --repeat and --lookups must be at least 1")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.db_name):
        parser.error("--db-name: lower-case letters, digits and underscores only")
    return args


def targets_from_environment(db_name: str) -> Targets:
    database_url, maintenance = postgres_target(db_name)
    return Targets(database_url=database_url, maintenance=maintenance, db_name=db_name, broker_url="")


def setup_django(database_url: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "onething.settings",
            "DATABASE_URL": database_url,
            "DEBUG": "false",  # no query log
            "LOG_LEVEL": "WARNING",
            "CONN_MAX_AGE": "600",
        }
    )
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # required with DEBUG off
    # so are a data hub key that is not the demo one and the key of the secrets at rest
    if os.environ.get("DATAHUB_KEY", "demo-datahub-key") == "demo-datahub-key":
        os.environ["DATAHUB_KEY"] = secrets.token_urlsafe(32)
    os.environ.setdefault("SECRETS_ENCRYPTION_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())
    import django

    django.setup()
    from django.conf import settings

    # production (DEBUG off) serves hashed static names from collectstatic's manifest;
    # the bench renders pages without having run collectstatic
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def prepare_catalogue() -> None:
    from django.core.management import call_command

    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):
        call_command("migrate", verbosity=0, interactive=False, stdout=quiet)
        call_command("load_demo", verbosity=0, stdout=quiet)


# --- seeding ---------------------------------------------------------------------------------

CASES_SQL = """
INSERT INTO cases_case (number, version_id, applicant_id, channel, state, answers, data, field_count,
    prefilled_count, first_time_right, idempotency_key, centre_id, owner_id, accepted_at, due_date,
    refusal_reason, deferral_overdue, concluded_at, submitted_at, updated_at)
SELECT 'BENCH' || lpad(g::text, 9, '0'),
       (%(versions)s::bigint[])[1 + g %% %(nv)s],
       %(applicant)s,
       CASE WHEN (g * 7) %% 10 < 7 THEN 'online' ELSE 'window' END,
       CASE WHEN s.at < now() - %(recent)s * interval '1 day' THEN 'concluded' ELSE 'processing' END,
       '{}'::jsonb, '{}'::jsonb, 20,
       CASE WHEN (g * 7) %% 10 < 7 THEN 12 + (g %% 9) ELSE 0 END,
       (g * 13) %% 100 >= 6,
       'bench-' || g,
       (%(centres)s::bigint[])[1 + (g / 3) %% %(nc)s],
       NULL, s.at + interval '1 hour', (s.at + interval '20 days')::date, '', false,
       CASE WHEN s.at < now() - %(recent)s * interval '1 day' THEN s.at + interval '12 days' END,
       s.at, s.at
FROM generate_series(%(first)s, %(last)s) AS g,
     LATERAL (SELECT now() - (g::float8 / %(total)s) * %(days)s * interval '1 day'
                     - (g %% 86400) * interval '1 second' AS at) AS s
"""

ITEMS_SQL = """
INSERT INTO processing_itemcase (case_id, item_code, item_name, department_id, state, upstream, data, materials,
    committed_days, idempotency_key, reference, result, certificate, reason, supplement, attempts, last_error,
    state_changed_at, dispatched_at, concluded_at, due_date, paused_since, paused_working_days, time_status)
SELECT c.id, it.code, it.name, it.department_id, x.state, '[]'::jsonb, '{}'::jsonb, '[]'::jsonb,
       it.days, 'bench-' || c.id || '-' || it.k, CASE WHEN x.h = 97 THEN 'bench-silent' ELSE '' END,
       '{}'::jsonb, '{}'::jsonb, '', '{}'::jsonb,
       CASE WHEN x.state = 'dead_letter' THEN 5 ELSE 1 END,
       CASE WHEN x.state = 'dead_letter' THEN 'department system unreachable (bench)' ELSE '' END,
       CASE WHEN c.state = 'concluded' THEN c.submitted_at + interval '10 days'
            WHEN x.h IN (97, 98, 99) THEN c.submitted_at + interval '1 hour'
            ELSE now() - (x.h * 2) * interval '1 second' END,
       c.submitted_at + interval '1 hour',
       CASE WHEN x.state IN ('approved', 'rejected') THEN c.submitted_at + interval '10 days' END,
       (c.submitted_at + interval '15 days')::date, NULL, 0,
       CASE WHEN x.h %% 20 = 1 THEN 'overdue' WHEN x.h %% 10 = 2 THEN 'warning' ELSE 'normal' END
FROM cases_case c
JOIN bench_items it ON it.version_id = c.version_id,
LATERAL (SELECT ((c.id * 31 + it.k * 17) %% 100)::int AS h) AS hh,
LATERAL (SELECT hh.h AS h, CASE
    WHEN c.state = 'concluded' THEN CASE WHEN hh.h < 3 THEN 'rejected' ELSE 'approved' END
    WHEN hh.h = 99 THEN 'dead_letter'
    WHEN hh.h = 98 THEN 'dispatching'
    WHEN hh.h = 97 THEN 'received'
    WHEN hh.h < 5 THEN 'waiting'
    WHEN hh.h < 40 THEN 'in_progress'
    WHEN hh.h < 60 THEN 'received'
    WHEN hh.h < 70 THEN 'supplement_requested'
    ELSE 'approved' END AS state) AS x
WHERE c.id > %(after)s
"""

MATERIALS_SQL = """
INSERT INTO cases_casematerial (case_id, key, name, source, upload_id, licence_number, licence_holder, needed_by)
SELECT c.id, m.key, m.name,
       CASE WHEN m.key = 'birth-record' THEN (ARRAY['elicence', 'datahub', 'upload'])[1 + c.id %% 3]
            ELSE CASE c.id %% 10 WHEN 0 THEN 'deferred' WHEN 1 THEN 'pledged' ELSE 'upload' END END,
       NULL, '', '', '[]'::jsonb
FROM cases_case c, (VALUES ('birth-record', '出生记录'), ('application-form', '申请表')) AS m(key, name)
WHERE c.id > %(after)s
"""

RATINGS_SQL = """
INSERT INTO oversight_rating (case_id, target, department_id, centre_id, level, comment, rater_id, submitted_at,
    updated_at, edit_until)
SELECT c.id, 'department', i.department_id, NULL,
       CASE WHEN (c.id / 10 * 37) %% 100 < 55 THEN 5 WHEN (c.id / 10 * 37) %% 100 < 82 THEN 4
            WHEN (c.id / 10 * 37) %% 100 < 92 THEN 3 WHEN (c.id / 10 * 37) %% 100 < 97 THEN 2 ELSE 1 END,
       '', c.applicant_id,
       c.concluded_at + interval '1 day', c.concluded_at + interval '1 day', c.concluded_at + interval '8 days'
FROM cases_case c JOIN processing_itemcase i ON i.case_id = c.id AND i.idempotency_key = 'bench-' || c.id || '-1'
WHERE c.state = 'concluded' AND c.id %% 10 = 0 AND c.id > %(after)s
"""

RECTIFICATIONS_SQL = """
INSERT INTO oversight_rectification (rating_id, case_id, party, department_id, centre_id, state, reason, opened_at,
    opened_on, deadline, deadline_problem, contacted_at, contacted_by_id, contact_note, contact_late, response,
    responded_at, responded_by_id, rounds, citizen_reason, closed_at, overdue, overdue_at)
SELECT r.id, r.case_id, 'department', r.department_id, NULL,
       CASE WHEN r.id %% 20 = 0 THEN 'open' WHEN r.id %% 20 = 1 THEN 'responded' ELSE 'confirmed' END,
       '', r.submitted_at, r.submitted_at::date, (r.submitted_at + interval '7 days')::date, '', NULL, NULL, '', false,
       '', NULL, NULL, 0, '', NULL, r.id %% 40 = 0, NULL
FROM oversight_rating r
WHERE r.level <= 2 AND r.case_id > %(after)s
"""


def _bench_items(cursor) -> int:
    """A temporary table of four items per published bundle version (a bundle with fewer
    items repeats them under other codes)."""
    from onething.catalog.models import BundleItem, BundleVersion

    cursor.execute(
        "CREATE TEMP TABLE bench_items (version_id bigint, k int, code text, name text, department_id bigint, days int)"
    )
    rows = []
    for version in BundleVersion.objects.filter(state=BundleVersion.State.PUBLISHED):
        items = list(BundleItem.objects.filter(version=version).select_related("item").order_by("order", "id"))
        for k in range(1, 5):
            item = items[(k - 1) % len(items)].item
            code = item.code if k <= len(items) else f"{item.code}-{k}"
            rows.append((version.pk, k, code, item.name, item.department_id, item.committed_days))
    cursor.executemany("INSERT INTO bench_items VALUES (%s, %s, %s, %s, %s, %s)", rows)
    return len(rows)


def seed(count: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from onething.catalog.models import BundleVersion
    from onething.intake.models import ServiceCentre
    from services.datahub.demo_identities import MOTHER

    versions = list(
        BundleVersion.objects.filter(state=BundleVersion.State.PUBLISHED).order_by("pk").values_list("pk", flat=True)
    )
    centres = list(ServiceCentre.objects.order_by("code").values_list("pk", flat=True))
    applicant = get_user_model().objects.get(username=MOTHER.id_number)
    started = time.monotonic()
    with connection.cursor() as cursor:
        _bench_items(cursor)
        for first in range(1, count + 1, CHUNK):
            last = min(count, first + CHUNK - 1)
            params = {
                "versions": versions,
                "nv": len(versions),
                "centres": centres,
                "nc": len(centres),
                "applicant": applicant.pk,
                "first": first,
                "last": last,
                "total": count,
                "days": DAYS,
                "recent": RECENT_DAYS,
            }
            with transaction.atomic():
                cursor.execute("SELECT coalesce(max(id), 0) FROM cases_case")
                ids = {"after": cursor.fetchone()[0]}
                cursor.execute(CASES_SQL, params)
                cursor.execute(ITEMS_SQL, ids)
                cursor.execute(MATERIALS_SQL, ids)
                cursor.execute(RATINGS_SQL, ids)
                cursor.execute(RECTIFICATIONS_SQL, ids)
            print(f"  seeded {last:>9,} cases ({time.monotonic() - started:6.1f} s)", flush=True)
        seeded = time.monotonic() - started
        cursor.execute("SELECT dashboard_compact()")
        for table in ["cases_case", "processing_itemcase", "cases_casematerial", "oversight_rating",
                      "oversight_rectification", "dashboard_case_ledger", "dashboard_item_ledger"]:  # fmt: skip
            cursor.execute(f"VACUUM ANALYZE {table}")
        counts = {}
        for table in ["cases_case", "processing_itemcase", "cases_casematerial", "oversight_rating",
                      "oversight_rectification", "dashboard_case_ledger", "dashboard_item_ledger"]:  # fmt: skip
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    return {"seconds": seeded, "total_seconds": time.monotonic() - started, "counts": counts}


# --- timing ----------------------------------------------------------------------------------


def refresh_polled() -> float:
    """What the reconciliation's polls do all day: an item case a department is working on
    whose poll finds no change gets a fresh ``state_changed_at``; only the seeded "silent"
    ones (their department does not answer) stay old. Run right before the timing, so
    that the attention page sees a live system's proportions, not a seed minutes old."""
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE processing_itemcase SET state_changed_at = now() - (id % 120) * interval '1 second' "
            "WHERE state IN ('received', 'in_progress') AND reference <> 'bench-silent'"
        )
        cursor.execute("VACUUM ANALYZE processing_itemcase")
    return time.monotonic() - started


def _timed(call, repeat: int) -> list[float]:
    call()  # warm-up: compiled catalogue, connection, template cache
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def time_views(repeat: int) -> list[tuple[str, list[float], float]]:
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from onething.catalog.models import Bundle, Department
    from onething.intake.models import ServiceCentre
    from onething.operations.management.commands.load_demo import ADMIN_USERNAME
    from onething.oversight.csv_export import TABLES

    client = Client()
    client.force_login(get_user_model().objects.get(username=ADMIN_USERNAME))
    today = timezone.localdate()
    bundle = Bundle.objects.get(code="child-birth")
    department = Department.objects.filter(item_cases__isnull=False).order_by("code").first()
    centre = ServiceCentre.objects.order_by("code").first()
    variants = {
        "no filter": {},
        "30 days + bundle": {
            "from": (today - timedelta(days=30)).isoformat(),
            "to": today.isoformat(),
            "bundle": bundle.pk,
        },
        "department + centre": {"department": department.pk, "centre": centre.pk},
    }
    results = []
    # the attention page first, right after refresh_polled: its "silent" figure depends on
    # how long ago the department was last heard from
    for name in ["dashboard-attention", "dashboard", "dashboard-items", "dashboard-ratings"]:
        for label, query in variants.items():
            url = reverse(f"oversight:{name}") + ("?" + urlencode(query) if query else "")

            def get(url=url):
                response = client.get(url)
                if response.status_code != 200:
                    raise BenchError(f"{url} answered {response.status_code}")

            results.append((f"{reverse(f'oversight:{name}')} · {label}", _timed(get, repeat), VIEW_TARGET_MS))
    for table in sorted(TABLES, key=lambda name: not name.startswith("attention")):
        url = reverse("oversight:dashboard-export", args=[table])

        def export(url=url):
            response = client.get(url)
            if response.status_code != 200:
                raise BenchError(f"{url} answered {response.status_code}")

        results.append((f"export {table} · no filter", _timed(export, max(3, repeat // 2)), VIEW_TARGET_MS))
    return results


def time_lookups(count: int) -> list[tuple[str, list[float], float]]:
    from django.contrib.auth import get_user_model

    from onething.apply.selectors import case_of
    from onething.cases.models import Case
    from onething.intake.models import Clerk
    from onething.intake.selectors import case_for_clerk
    from services.datahub.demo_identities import MOTHER

    citizen = get_user_model().objects.get(username=MOTHER.id_number)
    clerk = Clerk.objects.select_related("centre", "user").order_by("user__username").first()
    top = Case.objects.order_by("-pk").values_list("pk", flat=True).first()
    rng = random.Random(7)
    picks = list(
        Case.objects.filter(pk__in=[rng.randint(1, top) for _ in range(count * 3)]).values_list("number", "centre_id")
    )
    numbers = [number for number, _ in picks][:count]
    clerk_numbers = [number for number, centre in picks if centre == clerk.centre_id][:count]

    def timed_each(numbers, call) -> list[float]:
        call(numbers[0])
        times = []
        for number in numbers:
            started = time.perf_counter()
            case = call(number)
            times.append((time.perf_counter() - started) * 1000)
            if case.number != number:
                raise BenchError(f"lookup of {number} found {case.number}")
        return times

    return [
        (
            "case lookup · citizen (apply.selectors.case_of)",
            timed_each(numbers, lambda n: case_of(user=citizen, number=n)),
            LOOKUP_TARGET_MS,
        ),
        (
            "case lookup · clerk (intake.selectors.case_for_clerk)",
            timed_each(clerk_numbers, lambda n: _materialised(case_for_clerk(clerk=clerk, number=n))),
            LOOKUP_TARGET_MS,
        ),
    ]


def _materialised(case):
    """case_for_clerk prefetches materials, checks and corrections: the lookup includes them."""
    list(case.materials.all())
    return case


def report(args, seeded: dict | None, results: list[tuple[str, list[float], float]]) -> bool:
    print()
    print(f"dashboard benchmark: {args.cases:,} cases, {os.cpu_count()} CPU(s), {args.repeat} timed requests per view")
    if seeded:
        counts = seeded["counts"]
        print(
            f"  seeded in {seeded['seconds']:.1f} s (with VACUUM ANALYZE {seeded['total_seconds']:.1f} s): "
            + ", ".join(f"{table} {n:,}" for table, n in counts.items())
        )
    width = max(len(name) for name, _, _ in results)
    all_met = True
    for name, times, target in results:
        p50, p95 = percentile(times, 0.50), percentile(times, 0.95)
        met = p95 < target
        all_met &= met
        print(
            f"  {name:<{width}}  p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  "
            f"target p95 < {target:.0f} ms: {'met' if met else 'MISSED'}"
        )
    print(f"result: {'all targets met' if all_met else 'MISSED'}")
    return all_met


def run(args: argparse.Namespace) -> int:
    targets = targets_from_environment(args.db_name)
    created_db = False
    try:
        if not args.reuse_db:
            recreate_database(targets)
            created_db = True
        print(f"database {targets.db_name}", flush=True)
        setup_django(targets.database_url)
        seeded = None
        if not args.reuse_db:
            started = time.monotonic()
            prepare_catalogue()
            print(f"migrated and loaded the demo in {time.monotonic() - started:.1f} s", flush=True)
            seeded = seed(args.cases)
        print(f"refreshed the polled item cases in {refresh_polled():.1f} s", flush=True)
        results = time_views(args.repeat) + time_lookups(args.lookups)
        met = report(args, seeded, results)
        return 1 if args.require_target and not met else 0
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django may not be set up yet
            pass
        if created_db and not args.keep_db:
            drop_database(targets)


def main(argv: list[str] | None = None) -> int:
    return bench_main("dashboard_bench", parse_args, run, argv)


if __name__ == "__main__":
    sys.exit(main())
