"""The dashboard's figures against hand-built cases (tests/oversight/dashboard_fixtures.py):
every expected number below is counted by hand from that fixture. On PostgreSQL the
figures come from the trigger-maintained ledgers; the last tests check the ledgers
against direct counts after every kind of change."""

from datetime import date

import pytest
from django.db import connection

from onething.oversight import dashboard_selectors as sel
from tests.oversight.dashboard_fixtures import D1, D2, D3, build_world, make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(demo_bundles):
    return build_world()


def test_cases_over_time_by_week_and_day(world):
    weekly = sel.cases_over_time(sel.Filters(period="week"))
    assert weekly.periods == [D1, date(2026, 3, 9)]
    rows = {(r["period"], r["bundle_id"]): (r["online"], r["window"], r["total"]) for r in weekly.rows}
    assert rows == {(D1, world.bundle_a.pk): (1, 1, 2), (date(2026, 3, 9), world.bundle_b.pk): (1, 0, 1)}
    assert weekly.totals_by_channel == {"online": 2, "window": 1}
    daily = sel.cases_over_time(sel.Filters(period="day"))
    assert daily.periods == [D1, D2, D3]


def test_quality_rates_and_targets(world):
    rows = {r["bundle_id"]: r for r in sel.quality(sel.Filters())}
    a = rows[world.bundle_a.pk]
    assert (a["cases"], a["fields"], a["prefilled"], a["first_time_right"]) == (2, 20, 13, 1)
    assert a["prefill_rate"] == pytest.approx(0.65) and not a["prefill_met"]
    assert a["first_time_right_rate"] == pytest.approx(0.5) and not a["first_time_right_met"]
    b = rows[world.bundle_b.pk]
    assert b["prefill_rate"] == 1.0 and b["prefill_met"] and b["first_time_right_met"]
    total = rows[None]
    assert (total["cases"], total["fields"], total["prefilled"], total["first_time_right"]) == (3, 24, 17, 2)


def test_reductions_achieved_beside_planned(world):
    rows = {r["bundle_id"]: r for r in sel.reductions(sel.Filters())}
    a = rows[world.bundle_a.pk]
    assert (a["cases"], a["online"], a["window"], a["shared"], a["deferred"], a["pledged"]) == (2, 1, 1, 2, 1, 1)
    assert a["trips_made"] == 1
    assert "→" in a["planned_materials"] and "→" in a["planned_trips"]
    planned = sel.planned_reductions([world.bundle_a.pk])[world.bundle_a.pk]
    assert a["trips_avoided_at_least"] == 2 * planned["trips"]["separate"]["min"] - 1
    assert rows[world.bundle_b.pk]["shared"] == 1


def test_item_states_and_time_limits(world):
    states = sel.item_states(sel.Filters())
    by_department = {
        r["department_id"]: dict(zip([s for s, _ in states["states"]], r["counts"], strict=True))
        for r in states["rows"]
    }
    p, q = world.dept_p.pk, world.dept_q.pk
    assert by_department[p] == {"received": 1, "dispatching": 1, "dead_letter": 1} | {
        s: 0 for s, _ in states["states"] if s not in {"received", "dispatching", "dead_letter"}
    }
    assert by_department[q]["received"] == 1 and by_department[q]["approved"] == 1
    assert by_department[q]["in_progress"] == 1
    assert states["total"] == 6
    limits = {r["department_id"]: r for r in sel.time_limits(sel.Filters())}
    # P: only the received item is with the department (dispatching / dead letter are not)
    assert (limits[p]["normal"], limits[p]["warning"], limits[p]["overdue"], limits[p]["total"]) == (1, 0, 0, 1)
    assert (limits[q]["normal"], limits[q]["warning"], limits[q]["overdue"], limits[q]["total"]) == (1, 1, 1, 3)
    assert limits[q]["on_time_rate"] == pytest.approx(1 / 3)


def test_attention_dead_stuck_and_silent(world):
    found = sel.attention(sel.Filters())
    assert found["totals"] == {"dead_letter": 1, "stuck": 1, "silent": 1}
    assert sorted((r["case_number"], r["kind"]) for r in found["oldest"]) == [
        ("DASH-c2", "dead_letter"),
        ("DASH-c3", "silent"),
        ("DASH-c3", "stuck"),
    ]
    assert found["oldest"][0]["kind"] == "silent"  # the oldest first
    only_p = sel.attention(sel.Filters(department_id=world.dept_p.pk))
    assert only_p["totals"] == {"dead_letter": 1, "stuck": 1, "silent": 0}


def test_filters_date_bundle_centre_department(world):
    in_week_one = sel.Filters(date_from=D1, date_to=D2)
    assert sel.quality(in_week_one)[-1]["cases"] == 2
    assert sel.item_states(in_week_one)["total"] == 4
    assert sel.quality(sel.Filters(date_from=D2, date_to=D2))[-1]["cases"] == 1
    assert sel.quality(sel.Filters(bundle_id=world.bundle_b.pk))[-1]["cases"] == 1
    assert sel.quality(sel.Filters(centre_id=world.centre_x.pk))[-1]["cases"] == 1
    only_q = sel.item_states(sel.Filters(department_id=world.dept_q.pk))
    assert [r["department_id"] for r in only_q["rows"]] == [world.dept_q.pk] and only_q["total"] == 3
    centre_h_q = sel.item_states(sel.Filters(centre_id=world.centre_h.pk, department_id=world.dept_q.pk))
    assert centre_h_q["total"] == 2
    assert sel.attention(sel.Filters(centre_id=world.centre_x.pk))["totals"] == {
        "dead_letter": 1,
        "stuck": 0,
        "silent": 0,
    }
    nothing = sel.Filters(date_from=date(2025, 1, 1), date_to=date(2025, 1, 2))
    assert sel.quality(nothing) == [sel.quality(nothing)[-1]] and sel.quality(nothing)[-1]["cases"] == 0
    assert sel.item_states(nothing)["rows"] == []


def test_viewer_scope_forces_filters(world):
    officer = sel.Viewer(kind="officer", department_id=world.dept_p.pk)
    clerk = sel.Viewer(kind="clerk", centre_id=world.centre_h.pk)
    query = {"department": str(world.dept_q.pk), "centre": str(world.centre_x.pk), "from": "bad", "period": "day"}
    filters, problems = sel.filters_from_query(query, officer)
    assert filters.department_id == world.dept_p.pk and filters.centre_id == world.centre_x.pk
    assert problems == ["from"] and filters.period == "day"
    filters, _ = sel.filters_from_query(query, clerk)
    assert filters.centre_id == world.centre_h.pk and filters.department_id == world.dept_q.pk
    swapped, _ = sel.filters_from_query({"from": "2026-03-10", "to": "2026-03-01"}, sel.Viewer(kind="admin"))
    assert (swapped.date_from, swapped.date_to) == (date(2026, 3, 1), date(2026, 3, 10))


def _rating(case, *, target, level, department=None, centre=None, days_ago=0):
    from datetime import timedelta

    from django.utils import timezone

    from onething.oversight.models import Rating

    rating = Rating.objects.create(
        case=case,
        target=target,
        level=level,
        department=department,
        centre=centre,
        rater=case.applicant,
        edit_until=timezone.now() + timedelta(days=7),
    )
    Rating.objects.filter(pk=rating.pk).update(submitted_at=timezone.now() - timedelta(days=days_ago))
    return rating


def test_ratings_and_open_rectifications(world):
    from django.utils import timezone

    from onething.oversight.models import Rectification

    c1, c2 = world.cases["c1"], world.cases["c2"]
    _rating(c1, target="case", level=5)
    bad = _rating(c1, target="department", level=2, department=world.dept_p)
    _rating(c2, target="department", level=4, department=world.dept_q, days_ago=40)
    _rating(c2, target="window", level=1, centre=world.centre_x)
    today = timezone.localdate()
    Rectification.objects.create(
        rating=bad, case=c1, party="department", department=world.dept_p, opened_on=today, overdue=True
    )
    Rectification.objects.create(
        rating=bad, case=c1, party="department", department=world.dept_p, opened_on=today, state="confirmed"
    )
    given = sel.ratings(sel.Filters())
    rows = {r["target"]: r for r in given["rows"]}
    assert rows["case"]["counts"] == [1, 0, 0, 0, 0] and rows["case"]["average"] == 5
    assert rows["department"]["counts"] == [0, 1, 0, 1, 0] and rows["department"]["satisfied_rate"] == 0.5
    assert given["total"] == 4
    from datetime import timedelta

    recent = sel.ratings(sel.Filters(date_from=today - timedelta(days=10), date_to=today))
    assert recent["total"] == 3  # the one given 40 days ago is outside
    only_p = sel.ratings(sel.Filters(department_id=world.dept_p.pk))
    assert only_p["total"] == 1 and {r["target"]: r["total"] for r in only_p["rows"]}["department"] == 1
    assert sel.ratings(sel.Filters(centre_id=world.centre_x.pk))["total"] == 2
    bad_ones = [(r["case_number"], r["level"], r["rectification"]) for r in given["recent_bad"]]
    assert bad_ones == [("DASH-c2", "非常不满意", ""), ("DASH-c1", "不满意", "群众已确认，整改办结")]
    assert [r["case_number"] for r in only_p["recent_bad"]] == ["DASH-c1"]
    open_ = sel.open_rectifications(sel.Filters())
    assert (open_["total"], open_["overdue"]) == (1, 1)
    assert open_["urgent"][0]["case_number"] == "DASH-c1"
    assert sel.open_rectifications(sel.Filters(department_id=world.dept_q.pk))["total"] == 0


# --- the PostgreSQL ledgers agree with direct counts ------------------------------------------

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the summary ledgers are PostgreSQL only")


def _both(filters):
    def norm_cases(rows):
        return sorted(
            (r["day"], r["bundle_id"], r["channel"], *[r[k] for k in sel.CASE_VALUES])
            for r in rows
            if any(r[k] for k in sel.CASE_VALUES)
        )

    def norm_items(rows):
        return sorted((r["department_id"], r["state"], r["time_status"], r["n"]) for r in rows if r["n"])

    return (
        (norm_cases(sel.case_day_rows(filters)), norm_cases(sel.case_day_rows(filters, direct=True))),
        (norm_items(sel.item_rows(filters)), norm_items(sel.item_rows(filters, direct=True))),
    )


def _assert_agree(world):
    for filters in [
        sel.Filters(),
        sel.Filters(date_from=D2, date_to=D3),
        sel.Filters(bundle_id=world.bundle_a.pk, centre_id=world.centre_h.pk),
        sel.Filters(department_id=world.dept_q.pk),
    ]:
        (ledger_cases, direct_cases), (ledger_items, direct_items) = _both(filters)
        assert ledger_cases == direct_cases, filters
        assert ledger_items == direct_items, filters


@postgres_only
def test_ledgers_match_direct_counts_through_changes(world):
    from onething.cases.models import Case, CaseMaterial
    from onething.processing.models import ItemCase

    _assert_agree(world)
    assert sel.item_states(sel.Filters())["total"] == 6
    # state and time-status changes, one by one and in bulk
    ItemCase.objects.filter(pk=world.items["1p"].pk).update(state="approved", time_status="warning")
    ItemCase.objects.filter(case=world.cases["c2"]).update(time_status="overdue")
    _assert_agree(world)
    # a case moves centre and day: its item cases and materials move with it
    Case.objects.filter(pk=world.cases["c1"].pk).update(
        centre=world.centre_x, submitted_at=world.cases["c2"].submitted_at
    )
    _assert_agree(world)
    # a deferred material is supplied; a material added; one removed
    CaseMaterial.objects.filter(case=world.cases["c2"], source="deferred").update(source="upload")
    CaseMaterial.objects.create(case=world.cases["c3"], key="extra", name="额外", source="datahub")
    CaseMaterial.objects.filter(case=world.cases["c1"], source="elicence").delete()
    make_item(world, "3r", case=world.cases["c3"], department=world.dept_q, state="ready")
    _assert_agree(world)
    sel.summary_compact()
    _assert_agree(world)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM dashboard_item_ledger")
        compacted_rows = cursor.fetchone()[0]
    assert compacted_rows <= ItemCase.objects.count()
    # a case deleted with everything on it
    world.cases["c2"].delete()
    _assert_agree(world)
    sel.summary_rebuild()
    _assert_agree(world)
    assert sel.quality(sel.Filters())[-1]["cases"] == 2


@postgres_only
def test_ledgers_follow_a_truncate_of_their_sources(world):
    """Row triggers do not see TRUNCATE (a test flush, a data reset): a statement trigger
    recomputes the ledgers from what remains."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending in this test's transaction
        cursor.execute("TRUNCATE processing_itemcase CASCADE")
    _assert_agree(world)
    assert sel.item_states(sel.Filters())["total"] == 0
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE cases_case CASCADE")
        cursor.execute("SELECT coalesce(sum(cases), 0) FROM dashboard_case_ledger")
        assert cursor.fetchone()[0] == 0
    _assert_agree(world)


def test_attention_counts_are_capped_per_state(world, monkeypatch):
    make_item(world, "2r", case=world.cases["c2"], department=world.dept_q, state="dead_letter", age_seconds=500)
    assert sel.attention(sel.Filters())["totals"]["dead_letter"] == 2
    monkeypatch.setattr(sel, "ATTENTION_CAP", 1)
    capped = sel.attention(sel.Filters())
    assert capped["capped"] and capped["totals"] == {"dead_letter": 1, "stuck": 1, "silent": 1}
    assert [row["case_number"] for row in capped["oldest"] if row["kind"] == "dead_letter"] == ["DASH-c2"]
