"""Reads of the management dashboard (一体管理): who may see what, the filters, and every
panel's figures.

Counts of cases and item cases come from one of two sources that must agree:

- on PostgreSQL, the summary ledgers kept exact by triggers (migration
  processing/0002_dashboard_summaries): a few thousand rows instead of millions;
- anywhere else (SQLite in development), or with ``direct=True``, the source tables.

Both return the same "day rows" (cases) and "item rows" (item cases) and every panel is
computed from those in Python, so one set of tests checks both paths. Dead-lettered and
stuck item cases, ratings and rectifications are read live from their tables (small sets,
indexed). The date range selects cases by their submission day (Asia/Shanghai), and item
cases by their case's submission day; ratings by the day they were given; open
rectifications whatever their date.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from onething.cases.models import Case, CaseMaterial
from onething.catalog.models import Bundle, BundleVersion, DataElement, Department
from onething.intake.models import Clerk, ServiceCentre
from onething.notice.selectors import compiled_version
from onething.oversight.models import CLOSED_RECTIFICATION_STATES, Rating, Rectification
from onething.processing.models import ItemCase, Officer

S = ItemCase.State
T = ItemCase.TimeStatus
PREFILL_TARGET = 0.70
FIRST_TIME_RIGHT_TARGET = 0.90
LIST_LIMIT = 100
#: Item cases the department has or had in hand: their time limit runs or ran.
TIMED_STATES = [S.RECEIVED, S.IN_PROGRESS, S.SUPPLEMENT, S.APPROVED, S.REJECTED]
SHARED_SOURCES = {CaseMaterial.Source.ELICENCE, CaseMaterial.Source.DATAHUB}


# --- who sees what ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """What one user may see. ``centre_id`` / ``department_id`` are forced filters."""

    kind: str  # "admin" | "clerk" | "officer"
    centre_id: int | None = None
    department_id: int | None = None
    label: str = ""

    @property
    def sees_case_panels(self) -> bool:
        """Case-level panels (channels, prefill, first-time-right, reductions) describe the
        application and intake, not a department's work: administrators and clerks only."""
        return self.kind in {"admin", "clerk"}


def viewer_of(user) -> Viewer | None:
    """The user's dashboard access, or None (citizens, enterprises, anyone without a
    clerk or officer record: refused). Administrators: role admin or superuser."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser or user.role == user.Role.ADMIN:
        return Viewer(kind="admin")
    if user.role == user.Role.CLERK:
        clerk = Clerk.objects.filter(user=user).select_related("centre").first()
        if clerk:
            return Viewer(kind="clerk", centre_id=clerk.centre_id, label=clerk.centre.name)
    if user.role == user.Role.OFFICER:
        officer = Officer.objects.filter(user=user).select_related("department").first()
        if officer:
            return Viewer(kind="officer", department_id=officer.department_id, label=officer.department.name)
    return None


# --- filters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    date_from: date | None = None
    date_to: date | None = None
    bundle_id: int | None = None
    department_id: int | None = None
    centre_id: int | None = None
    period: str = "week"  # "day" | "week"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the audit event of an export."""
        return {key: (value.isoformat() if isinstance(value, date) else value) for key, value in asdict(self).items()}


def filters_from_query(query, viewer: Viewer) -> tuple[Filters, list[str]]:
    """Read the GET filters; a bad value is ignored and named in the returned problems.
    The viewer's forced centre or department replaces whatever was asked for."""
    problems: list[str] = []

    def day(name: str) -> date | None:
        raw = (query.get(name) or "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            problems.append(name)
            return None

    def number(name: str) -> int | None:
        raw = (query.get(name) or "").strip()
        if not raw:
            return None
        if raw.isdigit() and len(raw) < 12:
            return int(raw)
        problems.append(name)
        return None

    date_from, date_to = day("from"), day("to")
    if date_from and date_to and date_from > date_to:
        date_from, date_to = date_to, date_from
    period = query.get("period") or "week"
    if period not in {"day", "week"}:
        problems.append("period")
        period = "week"
    filters = Filters(
        date_from=date_from,
        date_to=date_to,
        bundle_id=number("bundle"),
        department_id=number("department"),
        centre_id=number("centre"),
        period=period,
    )
    return scoped(filters, viewer), problems


def scoped(filters: Filters, viewer: Viewer) -> Filters:
    if viewer.kind == "clerk":
        return replace(filters, centre_id=viewer.centre_id)
    if viewer.kind == "officer":
        return replace(filters, department_id=viewer.department_id)
    return filters


def filter_choices(viewer: Viewer) -> dict[str, list]:
    """Options of the filter form (a forced filter offers only its own value)."""
    departments = Department.objects.order_by("code")
    centres = ServiceCentre.objects.order_by("code")
    if viewer.department_id:
        departments = departments.filter(pk=viewer.department_id)
    if viewer.centre_id:
        centres = centres.filter(pk=viewer.centre_id)
    return {
        "bundles": list(Bundle.objects.order_by("code").values_list("pk", "name")),
        "departments": list(departments.values_list("pk", "name")),
        "centres": list(centres.values_list("pk", "name")),
    }


def _bounds(filters: Filters) -> tuple[datetime | None, datetime | None]:
    """The date range as aware datetimes: [start of date_from, start of the day after date_to)."""
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(filters.date_from, time.min), zone) if filters.date_from else None
    end = (
        timezone.make_aware(datetime.combine(filters.date_to + timedelta(days=1), time.min), zone)
        if filters.date_to
        else None
    )
    return start, end


def _case_filter(filters: Filters, prefix: str = "") -> Q:
    start, end = _bounds(filters)
    q = Q()
    if start:
        q &= Q(**{f"{prefix}submitted_at__gte": start})
    if end:
        q &= Q(**{f"{prefix}submitted_at__lt": end})
    if filters.bundle_id:
        q &= Q(**{f"{prefix}version__bundle_id": filters.bundle_id})
    if filters.centre_id:
        q &= Q(**{f"{prefix}centre_id": filters.centre_id})
    return q


def _ledger_where(filters: Filters, *, department: bool) -> tuple[str, list]:
    clauses, params = [], []
    if filters.date_from:
        clauses.append("day >= %s")
        params.append(filters.date_from)
    if filters.date_to:
        clauses.append("day <= %s")
        params.append(filters.date_to)
    if filters.bundle_id:
        clauses.append("bundle_id = %s")
        params.append(filters.bundle_id)
    if filters.centre_id:
        clauses.append("centre_id = %s")
        params.append(filters.centre_id)
    if department and filters.department_id:
        clauses.append("department_id = %s")
        params.append(filters.department_id)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def ledger_available() -> bool:
    """The summary ledgers exist on PostgreSQL once migrated (processing 0002)."""
    return connection.vendor == "postgresql"


@contextmanager
def without_jit():
    """PostgreSQL compiles a query whose estimated cost passes jit_above_cost: tens of
    milliseconds per query, more than these indexed reads take. Off for the dashboard's
    live reads only (SET LOCAL, inside their own transaction)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield


# --- the two sources: day rows (cases) and item rows ------------------------------------------

CASE_VALUES = ("cases", "fields", "prefilled", "first_time_right", "shared", "deferred", "pledged")


def case_day_rows(filters: Filters, *, direct: bool = False) -> list[dict]:
    """Per submission day, bundle and channel: cases, form fields, prefilled fields,
    first-time-right cases, and materials from shared data / deferred / pledged."""
    if ledger_available() and not direct:
        where, params = _ledger_where(filters, department=False)
        sums = ", ".join(f"sum({name})" for name in CASE_VALUES)
        nonzero = " OR ".join(f"sum({name}) <> 0" for name in CASE_VALUES)
        sql = (
            f"SELECT day, bundle_id, channel, {sums} FROM dashboard_case_ledger{where} "
            f"GROUP BY day, bundle_id, channel HAVING {nonzero}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [
                {
                    "day": row[0],
                    "bundle_id": row[1],
                    "channel": row[2],
                    **dict(zip(CASE_VALUES, map(int, row[3:]), strict=True)),
                }
                for row in cursor.fetchall()
            ]
    rows: dict[tuple, dict] = {}

    def slot(day, bundle_id, channel) -> dict:
        return rows.setdefault(
            (day, bundle_id, channel),
            {"day": day, "bundle_id": bundle_id, "channel": channel} | dict.fromkeys(CASE_VALUES, 0),
        )

    cases = (
        Case.objects.filter(_case_filter(filters))
        .annotate(day=TruncDate("submitted_at"))
        .values("day", "version__bundle_id", "channel")
        .annotate(
            n=Count("id"),
            f=Sum("field_count"),
            p=Sum("prefilled_count"),
            r=Count("id", filter=Q(first_time_right=True)),
        )
        .order_by()
    )
    for row in cases:
        entry = slot(row["day"], row["version__bundle_id"], row["channel"])
        entry.update(cases=row["n"], fields=row["f"] or 0, prefilled=row["p"] or 0, first_time_right=row["r"])
    materials = (
        CaseMaterial.objects.filter(_case_filter(filters, "case__"))
        .annotate(day=TruncDate("case__submitted_at"))
        .values("day", "case__version__bundle_id", "case__channel")
        .annotate(
            shared=Count("id", filter=Q(source__in=SHARED_SOURCES)),
            deferred=Count("id", filter=Q(source=CaseMaterial.Source.DEFERRED)),
            pledged=Count("id", filter=Q(source=CaseMaterial.Source.PLEDGED)),
        )
        .order_by()
    )
    for row in materials:
        if row["shared"] or row["deferred"] or row["pledged"]:
            entry = slot(row["day"], row["case__version__bundle_id"], row["case__channel"])
            entry.update(shared=row["shared"], deferred=row["deferred"], pledged=row["pledged"])
    return list(rows.values())


def item_rows(filters: Filters, *, direct: bool = False) -> list[dict]:
    """Item cases per department, state and time status."""
    if ledger_available() and not direct:
        where, params = _ledger_where(filters, department=True)
        sql = (
            f"SELECT department_id, state, time_status, sum(n) FROM dashboard_item_ledger{where} "
            "GROUP BY department_id, state, time_status HAVING sum(n) <> 0"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [{"department_id": d, "state": s, "time_status": t, "n": int(n)} for d, s, t, n in cursor.fetchall()]
    items = ItemCase.objects.filter(_case_filter(filters, "case__"))
    if filters.department_id:
        items = items.filter(department_id=filters.department_id)
    return list(items.values("department_id", "state", "time_status").annotate(n=Count("id")).order_by())


def summary_compact() -> None:
    """Fold the ledgers' delta rows into one row per key (periodic task; safe while
    writers run: rows they add meanwhile are kept)."""
    if ledger_available():
        with connection.cursor() as cursor:
            cursor.execute("SELECT dashboard_compact()")


def summary_rebuild() -> None:
    """Recompute the ledgers from the source tables (after a restore or a change of
    TIME_ZONE). Blocks writes to cases and item cases while it runs."""
    if ledger_available():
        with connection.cursor() as cursor:
            cursor.execute("SELECT dashboard_rebuild()")


# --- names -------------------------------------------------------------------------------------


def _names(model, ids) -> dict[int, str]:
    return dict(model.objects.filter(pk__in=set(ids)).values_list("pk", "name"))


def period_start(day: date, period: str) -> date:
    return day - timedelta(days=day.weekday()) if period == "week" else day


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- panel: cases by bundle and channel over time ---------------------------------------------


@dataclass
class CasesOverTime:
    periods: list[date]
    bundles: list[tuple[int, str]]
    # one row per period and bundle: online, window, total
    rows: list[dict] = field(default_factory=list)
    totals_by_channel: dict[str, int] = field(default_factory=dict)
    total: int = 0


def cases_over_time(filters: Filters, day_rows: list[dict] | None = None) -> CasesOverTime:
    day_rows = case_day_rows(filters) if day_rows is None else day_rows
    counts: dict[tuple[date, int], dict[str, int]] = defaultdict(lambda: {"online": 0, "window": 0})
    for row in day_rows:
        if row["cases"]:
            counts[(period_start(row["day"], filters.period), row["bundle_id"])][row["channel"]] += row["cases"]
    names = _names(Bundle, [bundle for _, bundle in counts])
    bundles = sorted(names.items(), key=lambda kv: kv[1])
    periods = sorted({p for p, _ in counts})
    rows = []
    for period in periods:
        for bundle_id, name in bundles:
            found = counts.get((period, bundle_id))
            if found:
                rows.append(
                    {
                        "period": period,
                        "bundle_id": bundle_id,
                        "bundle": name,
                        "online": found["online"],
                        "window": found["window"],
                        "total": found["online"] + found["window"],
                    }
                )
    totals = {"online": sum(r["online"] for r in rows), "window": sum(r["window"] for r in rows)}
    return CasesOverTime(
        periods=periods, bundles=bundles, rows=rows, totals_by_channel=totals, total=sum(totals.values())
    )


# --- panel: prefill and first-time-right ------------------------------------------------------


def quality(filters: Filters, day_rows: list[dict] | None = None) -> list[dict]:
    """Per bundle and overall: prefill rate (Σ prefilled fields / Σ form fields) and
    first-time-right rate (cases right first time / cases), against Shanghai's targets.
    Right first time (``Case.first_time_right``): submitted without a failed attempt and
    with no required material missing, and neither returned for correction nor refused
    (docs/dashboard.md). The last row (bundle_id None) is the total."""
    day_rows = case_day_rows(filters) if day_rows is None else day_rows
    sums: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(("cases", "fields", "prefilled", "ftr"), 0))
    for row in day_rows:
        slot = sums[row["bundle_id"]]
        slot["cases"] += row["cases"]
        slot["fields"] += row["fields"]
        slot["prefilled"] += row["prefilled"]
        slot["ftr"] += row["first_time_right"]
    names = _names(Bundle, sums)
    result = []
    entries = [(pk, names.get(pk, str(pk)), s) for pk, s in sums.items() if s["cases"]]
    total = {key: sum(s[key] for _, _, s in entries) for key in ("cases", "fields", "prefilled", "ftr")}
    for pk, name, s in [*sorted(entries, key=lambda e: e[1]), (None, "", total)]:
        prefill, ftr = _share(s["prefilled"], s["fields"]), _share(s["ftr"], s["cases"])
        result.append(
            {
                "bundle_id": pk,
                "bundle": name,
                "cases": s["cases"],
                "fields": s["fields"],
                "prefilled": s["prefilled"],
                "prefill_rate": prefill,
                "prefill_met": prefill is not None and prefill > PREFILL_TARGET,
                "first_time_right": s["ftr"],
                "first_time_right_rate": ftr,
                "first_time_right_met": ftr is not None and ftr > FIRST_TIME_RIGHT_TARGET,
            }
        )
    return result


# --- panel: prefill by data source and field ("which data to share next") --------------------

#: The prefill-by-field table reads the latest this many cases in the filters (a bounded
#: read: a walk of the submission-time index that stops there, whatever the table's size).
PREFILL_SAMPLE = 2_000
#: The source column of fields no source prefilled.
NOT_PREFILLED = "—"


def prefill_by_field(filters: Filters, *, sample: int = PREFILL_SAMPLE) -> dict:
    """Per data source and data-element key, over the latest ``sample`` cases in the
    filters, those of them that recorded their fields (``Case.field_sources``; older cases
    hold ``{}`` and are skipped here, not in SQL, so the read stays bounded): how many cases asked
    the field, how many had it prefilled by that source, and the rate. A field no source
    filled in any of them has one row with source ``NOT_PREFILLED``. Sorted by how many
    cases the applicant typed it in (asked - prefilled), most first, then by the rate:
    the frequently asked, least prefilled fields — the data to share next — come first."""
    with without_jit():
        latest = (
            Case.objects.filter(_case_filter(filters))
            .order_by("-submitted_at", "-id")
            .values_list("field_sources", flat=True)
        )
        read = list(latest[: sample + 1])
    capped = len(read) > sample
    rows = [sources for sources in read[:sample] if sources]
    asked: dict[str, int] = defaultdict(int)
    filled: dict[tuple[str, str], int] = defaultdict(int)
    for sources in rows:
        for key, source in sources.items():
            asked[key] += 1
            if source is not None:
                filled[(source, key)] += 1
    labels = dict(DataElement.objects.filter(key__in=list(asked)).values_list("key", "label"))
    per_key: dict[str, int] = defaultdict(int)
    for (_source, key), n in filled.items():
        per_key[key] += n
    entries = [(source, key, n) for (source, key), n in filled.items()]
    entries += [(NOT_PREFILLED, key, 0) for key in asked if not per_key[key]]
    table = [
        {
            "source": source,
            "key": key,
            "label": labels.get(key, ""),
            "asked": asked[key],
            "prefilled": n,
            "typed": asked[key] - per_key[key],
            "rate": n / asked[key],
        }
        for source, key, n in entries
    ]
    table.sort(key=lambda r: (-r["typed"], r["rate"], r["source"], r["key"]))
    sources: dict[str, int] = defaultdict(int)
    for r in table:
        sources[r["source"]] += r["prefilled"]
    return {
        "rows": table,
        "cases": len(rows),
        "read": min(len(read), sample),
        "capped": capped,
        "by_source": dict(sources),
    }


# --- panel: the four reductions achieved ------------------------------------------------------


def planned_reductions(bundle_ids) -> dict[int, dict]:
    """The notice engine's figures for each bundle's published version (min–max over its
    situations): what the bundle promises, separate vs bundle."""
    versions = BundleVersion.objects.filter(bundle_id__in=set(bundle_ids), state=BundleVersion.State.PUBLISHED)
    return {v.bundle_id: compiled_version(version=v).reductions_overview for v in versions}


def reductions(filters: Filters, day_rows: list[dict] | None = None) -> list[dict]:
    """Per bundle: what real cases achieved beside what the bundle plans.

    - materials not asked for: case materials that came from shared data (e-licence or
      data hub) instead of the applicant; deferred (容缺) and pledged (告知承诺) ones were
      not brought at application either, but are still owed;
    - trips: an online case made no trip to apply, a window case one; done separately the
      items need at least the planned "separate" trips (the minimum over situations), so
      trips avoided >= cases x that minimum - window cases."""
    day_rows = case_day_rows(filters) if day_rows is None else day_rows
    sums: dict[int, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("cases", "online", "window", "shared", "deferred", "pledged"), 0)
    )
    for row in day_rows:
        slot = sums[row["bundle_id"]]
        slot["cases"] += row["cases"]
        slot[row["channel"]] += row["cases"]
        for key in ("shared", "deferred", "pledged"):
            slot[key] += row[key]
    names = _names(Bundle, sums)
    planned = planned_reductions(sums)
    result = []
    for pk, s in sorted(sums.items(), key=lambda kv: names.get(kv[0], "")):
        if not s["cases"]:
            continue
        plan = planned.get(pk, {})
        materials, trips = plan.get("materials", {}), plan.get("trips", {})
        separate_trips = trips.get("separate", {}).get("min")
        result.append(
            {
                "bundle_id": pk,
                "bundle": names.get(pk, str(pk)),
                **s,
                "shared_per_case": s["shared"] / s["cases"],
                "planned_materials": _range(materials),
                "planned_trips": _range(trips),
                "trips_made": s["window"],
                "trips_avoided_at_least": (
                    max(0, s["cases"] * separate_trips - s["window"]) if separate_trips is not None else None
                ),
            }
        )
    return result


def _range(metric: dict) -> str:
    """ "9 → 2" or "8–9 → 2–3" (separate → bundle); "" when unknown."""
    if not metric:
        return ""

    def one(side: dict) -> str:
        low, high = side.get("min"), side.get("max")
        return f"{low}" if low == high else f"{low}–{high}"

    return f"{one(metric['separate'])} → {one(metric['bundle'])}"


# --- panels: item cases by department and state; time limits ----------------------------------


def _department_names(rows: list[dict]) -> list[tuple[int, str]]:
    names = _names(Department, [row["department_id"] for row in rows])
    return sorted(names.items(), key=lambda kv: kv[1])


def item_states(filters: Filters, rows: list[dict] | None = None) -> dict:
    """Department x state counts (states in the machine's order)."""
    rows = item_rows(filters) if rows is None else rows
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(S.values, 0))
    for row in rows:
        counts[row["department_id"]][row["state"]] += row["n"]
    departments = _department_names(rows)
    used = [state for state in S.values if any(counts[d][state] for d, _ in departments)]
    table = [
        {
            "department_id": pk,
            "department": name,
            "counts": [counts[pk][s] for s in used],
            "total": sum(counts[pk].values()),
        }
        for pk, name in departments
        if sum(counts[pk].values())
    ]
    return {"states": [(s, S(s).label) for s in used], "rows": table, "total": sum(r["total"] for r in table)}


def time_limits(filters: Filters, rows: list[dict] | None = None) -> list[dict]:
    """Per department, item cases that are or were with the department (received, in
    progress, supplement, approved, rejected) by time status: on time (normal), warning,
    overdue; the on-time share."""
    rows = item_rows(filters) if rows is None else rows
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(T.values, 0))
    for row in rows:
        if row["state"] in TIMED_STATES:
            counts[row["department_id"]][row["time_status"]] += row["n"]
    result = []
    for pk, name in _department_names(rows):
        c = counts.get(pk)
        if not c or not sum(c.values()):
            continue
        total = sum(c.values())
        result.append(
            {
                "department_id": pk,
                "department": name,
                "normal": c[T.NORMAL],
                "warning": c[T.WARNING],
                "overdue": c[T.OVERDUE],
                "total": total,
                "on_time_rate": c[T.NORMAL] / total,
            }
        )
    return result


# --- panel: dead-lettered and stuck item cases (live) -----------------------------------------


def attention_querysets(filters: Filters, *, now: datetime | None = None) -> dict[str, dict[str, QuerySet[ItemCase]]]:
    """Item cases needing a person, by kind: dead_letter (dispatch gave up), stuck (ready
    or dispatching for longer than RECONCILE_STALE_SECONDS: a lost message or worker),
    silent (received or in progress with no word from the department, neither callback
    nor successful poll, for longer than POLL_AFTER_SECONDS). The definitions of
    processing.services.reconcile. One query per kind and state, each a range of the index
    on (state, state_changed_at): an OR of the conditions, or an IN list, makes PostgreSQL
    read every item case in progress. The filters are applied by :func:`attention`."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.RECONCILE_STALE_SECONDS)
    silent = now - timedelta(seconds=settings.POLL_AFTER_SECONDS)
    base = ItemCase.objects.all()
    return {
        "dead_letter": {S.DEAD: base.filter(state=S.DEAD)},
        "stuck": {state: base.filter(state=state, state_changed_at__lt=stale) for state in (S.READY, S.DISPATCHING)},
        "silent": {
            state: base.filter(state=state, state_changed_at__lt=silent) for state in (S.RECEIVED, S.IN_PROGRESS)
        },
    }


ATTENTION_KINDS = ("dead_letter", "stuck", "silent")
#: Counted exactly up to this many per state (then shown as "at least").
ATTENTION_CAP = 20_000


def attention(filters: Filters, *, now: datetime | None = None) -> dict:
    """The item cases needing attention are few (a live system re-dispatches and polls):
    read them by index first, then keep those whose case passes the filters (a lookup by
    primary key), rather than let a join with the cases choose a scan of either table."""
    with without_jit():
        return _attention(filters, now=now)


def _attention(filters: Filters, *, now: datetime | None) -> dict:
    kinds = attention_querysets(filters, now=now)
    found, capped = [], False
    for kind, per_state in kinds.items():
        for items in per_state.values():
            # ordered and limited: PostgreSQL then walks (state, state_changed_at) and stops,
            # whatever its statistics (always stale for a moving "now") estimate
            rows = list(
                items.order_by("state_changed_at").values_list("pk", "case_id", "department_id", "state_changed_at")[
                    : ATTENTION_CAP + 1
                ]
            )
            capped |= len(rows) > ATTENTION_CAP
            found += [(at, pk, kind, case_id, department) for pk, case_id, department, at in rows[:ATTENTION_CAP]]
    if filters.department_id:
        found = [entry for entry in found if entry[4] == filters.department_id]
    if filters.date_from or filters.date_to or filters.bundle_id or filters.centre_id:
        allowed = _cases_passing(filters, {entry[3] for entry in found})
        found = [entry for entry in found if entry[3] in allowed]
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ATTENTION_KINDS, 0))
    for _at, _pk, kind, _case, department_id in found:
        counts[department_id][kind] += 1
    first = sorted(found, key=lambda entry: entry[:2])[:LIST_LIMIT]
    loaded = ItemCase.objects.select_related("case", "department").in_bulk([entry[1] for entry in first])
    oldest = [(kind, loaded[pk]) for _at, pk, kind, _case, _dept in first if pk in loaded]
    names = _names(Department, counts)
    table = [
        {"department_id": pk, "department": names.get(pk, str(pk)), **c, "total": sum(c.values())}
        for pk, c in sorted(counts.items(), key=lambda kv: names.get(kv[0], ""))
    ]
    now = now or timezone.now()
    listing = [
        {
            "case_number": ic.case.number,
            "item_name": ic.item_name,
            "department": ic.department.name,
            "kind": kind,
            "state": ic.get_state_display(),
            "since": ic.state_changed_at,
            "hours": round((now - ic.state_changed_at).total_seconds() / 3600, 1),
            "attempts": ic.attempts,
            "last_error": ic.last_error[:200],
        }
        for kind, ic in oldest
    ]
    totals = {kind: sum(r[kind] for r in table) for kind in ATTENTION_KINDS}
    return {"rows": table, "totals": totals, "total": sum(totals.values()), "oldest": listing, "capped": capped}


def _cases_passing(filters: Filters, case_ids: set[int]) -> set[int]:
    """The given cases that pass the case filters: read by primary key and checked here
    (a join or a filtered IN list lets the planner pick a scan of the cases)."""
    start, end = _bounds(filters)
    versions = (
        set(BundleVersion.objects.filter(bundle_id=filters.bundle_id).values_list("pk", flat=True))
        if filters.bundle_id
        else None
    )
    conditions = Q()
    if start is not None:
        conditions &= Q(submitted_at__gte=start)
    if end is not None:
        conditions &= Q(submitted_at__lt=end)
    if versions is not None:
        conditions &= Q(version_id__in=versions)
    if filters.centre_id is not None:
        conditions &= Q(centre_id=filters.centre_id)
    ordered = sorted(case_ids)
    cases = Case.objects.filter(conditions)
    if connection.vendor == "postgresql":
        # one array parameter: thousands of IN placeholders cost more to parse than to probe
        return set(cases.extra(where=['"cases_case"."id" = ANY(%s)'], params=[ordered]).values_list("pk", flat=True))
    passing: set[int] = set()
    for first in range(0, len(ordered), 5000):  # SQLite's limit on query parameters
        passing.update(cases.filter(pk__in=ordered[first : first + 5000]).values_list("pk", flat=True))
    return passing


# --- panels: ratings and open rectifications (live) -------------------------------------------


def _ratings_queryset(filters: Filters) -> QuerySet[Rating]:
    ratings = Rating.objects.all()
    start, end = _bounds(filters)
    if start:
        ratings = ratings.filter(submitted_at__gte=start)
    if end:
        ratings = ratings.filter(submitted_at__lt=end)
    if filters.bundle_id:
        ratings = ratings.filter(case__version__bundle_id=filters.bundle_id)
    if filters.centre_id:
        ratings = ratings.filter(case__centre_id=filters.centre_id)
    if filters.department_id:  # a department sees the ratings of its own work only
        ratings = ratings.filter(target=Rating.Target.DEPARTMENT, department_id=filters.department_id)
    return ratings


def ratings(filters: Filters) -> dict:
    """Ratings given in the date range, by target and level (5 非常满意 … 1 非常不满意);
    the satisfied share (levels 3–5) and the average level per target."""
    with without_jit():
        return _ratings(filters)


def _ratings(filters: Filters) -> dict:
    counts = {
        (row["target"], row["level"]): row["n"]
        for row in _ratings_queryset(filters).values("target", "level").annotate(n=Count("id")).order_by()
    }
    levels = [(level.value, level.label) for level in Rating.Level]
    table = []
    for target in Rating.Target:
        per_level = [counts.get((target.value, level), 0) for level, _ in levels]
        total = sum(per_level)
        weighted = sum(level * n for (level, _), n in zip(levels, per_level, strict=True))
        table.append(
            {
                "target": target.value,
                "label": target.label,
                "counts": per_level,
                "total": total,
                "average": weighted / total if total else None,
                "satisfied_rate": _share(sum(per_level[:3]), total),
            }
        )
    totals = [sum(row["counts"][i] for row in table) for i in range(len(levels))]
    return {
        "levels": levels,
        "rows": table,
        "totals": totals,
        "total": sum(totals),
        "recent_bad": recent_bad_ratings(filters),
    }


def recent_bad_ratings(filters: Filters) -> list[dict]:
    """The latest 不满意 / 非常不满意 ratings with their case and what became of the
    rectification they opened; no comment and no rater (personal data)."""
    bad = (
        _ratings_queryset(filters)
        .filter(level__lte=Rating.Level.DISSATISFIED)
        .select_related("case", "department", "centre")
        .order_by("-submitted_at", "-id")[:LIST_LIMIT]
    )
    bad = list(bad)
    states = dict(Rectification.State.choices)
    latest: dict[int, str] = {}
    for rating_id, state in (
        Rectification.objects.filter(rating__in=bad).order_by("opened_at", "id").values_list("rating_id", "state")
    ):
        latest[rating_id] = str(states.get(state, state))
    return [
        {
            "case_number": r.case.number,
            "target": r.get_target_display(),
            "rated": str(r.department or r.centre or r.get_target_display()),
            "level": r.get_level_display(),
            "submitted_at": r.submitted_at,
            "rectification": latest.get(r.pk, ""),
        }
        for r in bad
    ]


def open_rectifications(filters: Filters) -> dict:
    """Rectifications not yet closed (confirmed or withdrawn), whatever their date: per
    responsible party, how many and how many overdue; the most urgent first."""
    open_ = Rectification.objects.exclude(state__in=CLOSED_RECTIFICATION_STATES)
    if filters.bundle_id:
        open_ = open_.filter(case__version__bundle_id=filters.bundle_id)
    if filters.centre_id:
        open_ = open_.filter(case__centre_id=filters.centre_id)
    if filters.department_id:
        open_ = open_.filter(department_id=filters.department_id)
    per_party = (
        open_.values("party", "department__name", "centre__name")
        .annotate(n=Count("id"), overdue=Count("id", filter=Q(overdue=True)))
        .order_by("party", "department__name", "centre__name")
    )
    parties = dict(Rectification.Party.choices)
    table = [
        {
            "party": parties.get(row["party"], row["party"]),
            "responsible": row["department__name"] or row["centre__name"] or str(parties.get(row["party"], "")),
            "open": row["n"],
            "overdue": row["overdue"],
        }
        for row in per_party
    ]
    urgent = open_.select_related("case", "department", "centre").order_by("-overdue", "deadline", "opened_at")
    listing = [
        {
            "case_number": r.case.number,
            "responsible": (r.department or r.centre or r.get_party_display()).__str__(),
            "state": r.get_state_display(),
            "opened_on": r.opened_on,
            "deadline": r.deadline,
            "overdue": r.overdue,
        }
        for r in urgent[:LIST_LIMIT]
    ]
    return {
        "rows": table,
        "total": sum(r["open"] for r in table),
        "overdue": sum(r["overdue"] for r in table),
        "urgent": listing,
    }
