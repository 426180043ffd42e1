"""The dashboard pages and CSV exports: who may see what (the access matrix), forced
filters, the CSV file (BOM, content) and the audit event of every export."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from onething.audit.models import AuditEvent
from onething.operations.management.commands.load_demo import ADMIN_USERNAME
from tests.oversight.dashboard_fixtures import build_world

pytestmark = pytest.mark.django_db

PAGES = [
    "oversight:dashboard",
    "oversight:dashboard-items",
    "oversight:dashboard-attention",
    "oversight:dashboard-ratings",
]
CASE_LEVEL_TABLES = ["cases_over_time", "quality", "reductions"]
ITEM_TABLES = [
    "item_states",
    "time_limits",
    "attention",
    "attention_oldest",
    "ratings",
    "recent_bad_ratings",
    "rectifications",
    "rectifications_urgent",
]


@pytest.fixture
def world(demo_bundles):
    return build_world()


def _user(username):
    return get_user_model().objects.get(username=username)


def _officer_of(department):
    from onething.processing.models import Officer

    user = get_user_model().objects.create_user(
        username=f"officer-dash-{department.code}", password="x", role="officer"
    )
    Officer.objects.create(user=user, department=department)
    return user


@pytest.fixture
def people(world):
    from services.datahub.demo_identities import MOTHER

    return {
        "admin": _user(ADMIN_USERNAME),
        "citizen": _user(MOTHER.id_number),
        "clerk": _user("clerk-xuhui"),
        "officer_p": _officer_of(world.dept_p),
        "officer_q": _officer_of(world.dept_q),
        "staff_without_role": get_user_model().objects.create_user(username="nobody", password="x", role="clerk"),
    }


def _get(client, user, url):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url)


def test_anonymous_goes_to_login_everywhere(client, world):
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login" in response["Location"], name
    for table in CASE_LEVEL_TABLES + ITEM_TABLES:
        response = client.get(reverse("oversight:dashboard-export", args=[table]))
        assert response.status_code == 302 and "/login" in response["Location"], table
    assert not AuditEvent.objects.filter(action="oversight.export").exists()


def test_access_matrix(client, people):
    """Every page and export for every kind of user."""
    expected_pages = {
        "citizen": [403, 403, 403, 403],
        "staff_without_role": [403, 403, 403, 403],  # role clerk but no centre: refused
        "admin": [200, 200, 200, 200],
        "clerk": [200, 200, 200, 200],
        "officer_p": [302, 200, 200, 200],  # the case-level overview sends officers to item cases
        "officer_q": [302, 200, 200, 200],
    }
    for who, statuses in expected_pages.items():
        for name, status in zip(PAGES, statuses, strict=True):
            response = _get(client, people[who], reverse(name))
            assert response.status_code == status, (who, name, response.status_code)
            if status == 302:
                assert response["Location"] == reverse("oversight:dashboard-items")
    for who in expected_pages:
        for table in CASE_LEVEL_TABLES + ITEM_TABLES:
            response = _get(client, people[who], reverse("oversight:dashboard-export", args=[table]))
            if who in {"citizen", "staff_without_role"}:
                expected = 403
            elif who.startswith("officer") and table in CASE_LEVEL_TABLES:
                expected = 403
            else:
                expected = 200
            assert response.status_code == expected, (who, table, response.status_code)
    assert _get(client, people["admin"], reverse("oversight:dashboard-export", args=["nope"])).status_code == 404


def _csv(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_officer_sees_only_own_department(client, world, people):
    response = _get(
        client, people["officer_p"], reverse("oversight:dashboard-items") + f"?department={world.dept_q.pk}"
    )
    page = response.content.decode()
    assert world.dept_p.name in page and "scope-note" in page
    rows = _csv(
        _get(
            client,
            people["officer_p"],
            reverse("oversight:dashboard-export", args=["item_states"]) + f"?department={world.dept_q.pk}",
        )
    )
    assert [row[0] for row in rows[1:]] == [world.dept_p.name]
    assert rows[1][-1] == "3"  # P: received, dispatching, dead letter
    rows_q = _csv(_get(client, people["officer_q"], reverse("oversight:dashboard-export", args=["attention_oldest"])))
    assert {(row[0], row[2]) for row in rows_q[1:]} == {("DASH-c3", world.dept_q.name)}  # Q's silent item only
    rows_p = _csv(_get(client, people["officer_p"], reverse("oversight:dashboard-export", args=["attention_oldest"])))
    assert sorted(row[0] for row in rows_p[1:]) == ["DASH-c2", "DASH-c3"]


def test_clerk_sees_only_own_centre(client, world, people):
    rows = _csv(
        _get(
            client,
            people["clerk"],
            reverse("oversight:dashboard-export", args=["quality"]) + f"?centre={world.centre_h.pk}",
        )
    )
    assert rows[-1][0] == "合计" and rows[-1][1] == "1"  # only c2 was submitted at Xuhui
    page = _get(client, people["clerk"], reverse("oversight:dashboard")).content.decode()
    assert world.centre_x.name in page and 'id="total-cases">1<' in page
    assert world.centre_h.name not in page  # the centre choice offers the clerk's own centre only


def test_admin_pages_show_charts_tables_and_no_personal_data(client, world, people):
    from services.datahub.demo_identities import MOTHER

    for name in PAGES:
        page = _get(client, people["admin"], reverse(name)).content.decode()
        assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in page, name
        assert "<table" in page and "导出 CSV" in page, name
        assert MOTHER.id_number not in page and "dash-c1" not in page  # no ID numbers, no usernames
    overview = _get(client, people["admin"], reverse("oversight:dashboard")).content.decode()
    assert 'id="total-cases">3<' in overview
    attention = _get(client, people["admin"], reverse("oversight:dashboard-attention")).content.decode()
    assert 'id="total-dead">1<' in attention and 'id="total-stuck">1<' in attention


def test_export_csv_content_and_audit_event(client, world, people):
    url = (
        reverse("oversight:dashboard-export", args=["quality"])
        + f"?bundle={world.bundle_a.pk}&from=2026-03-01&to=2026-03-31"
    )
    response = _get(client, people["admin"], url)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="oversight-quality-')
    rows = _csv(response)
    assert rows[0][:2] == ["一件事", "办件数"]
    assert rows[1][:5] == [world.bundle_a.name, "2", "20", "13", "65.0%"]
    assert rows[1][5] == "未达标"
    assert rows[-1][:2] == ["合计", "2"]
    event = AuditEvent.objects.get(action="oversight.export")
    assert event.actor == people["admin"]
    assert event.after["table"] == "quality" and event.after["rows"] == 2
    assert event.after["filters"]["bundle_id"] == world.bundle_a.pk
    assert event.after["filters"]["date_from"] == "2026-03-01" and event.after["filters"]["date_to"] == "2026-03-31"
    officer_export = _get(client, people["officer_q"], reverse("oversight:dashboard-export", args=["time_limits"]))
    assert officer_export.status_code == 200
    last = AuditEvent.objects.filter(action="oversight.export").order_by("-id").first()
    assert last.actor == people["officer_q"] and last.after["filters"]["department_id"] == world.dept_q.pk
    refused = _get(client, people["officer_q"], reverse("oversight:dashboard-export", args=["quality"]))
    assert refused.status_code == 403
    assert AuditEvent.objects.filter(action="oversight.export").count() == 2


def test_csv_cells_that_look_like_formulas_are_defused():
    from onething.oversight.csv_export import Table, to_csv

    text = to_csv(Table("t", "t", ["a", "b", "c"], [["=HYPERLINK(1)", "-5", "-x"]]))
    assert text.splitlines()[1] == "'=HYPERLINK(1),-5,'-x"


def test_bad_filters_are_named_and_ignored(client, world, people):
    page = _get(client, people["admin"], reverse("oversight:dashboard") + "?from=yesterday&bundle=abc").content.decode()
    assert 'id="filter-problems"' in page and 'id="total-cases">3<' in page
