"""The audit log pages (/oversight/audit/): who sees what, the search, keyset paging,
masking of personal data, the CSV export (itself audited)."""

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from onething.audit import services as audit
from onething.audit.models import AuditEvent
from onething.cases.models import Case
from onething.catalog.models import Department
from onething.intake.models import Clerk, ServiceCentre
from onething.oversight import audit_selectors as selectors
from onething.processing.models import ItemCase, Officer

MOTHER_ID = "310104199203150469"
MOTHER_MOBILE = "13916880001"
SEARCH = reverse("oversight:audit")
EXPORT = reverse("oversight:audit-export")


def _user(username: str, role: str, **extra):
    return get_user_model().objects.create_user(username=username, password="Pass-2026-x", role=role, **extra)


def _case(version, applicant, number: str, *, centre, department) -> Case:
    case = Case.objects.create(
        number=number, version=version, applicant=applicant, centre=centre, state="processing", idempotency_key=number
    )
    ItemCase.objects.create(
        case=case,
        item_code="t-birth",
        item_name="出生医学证明",
        department=department,
        state="in_progress",
        committed_days=5,
        idempotency_key=f"{number}:t-birth",
    )
    return case


@pytest.fixture
def world(published_sample):
    """Two centres, two departments (P = health, Q = police), a case of each, their events,
    one event of administration (no case) and one user per role."""
    health, police = Department.objects.get(code="health"), Department.objects.get(code="police")
    east = ServiceCentre.objects.create(code="t-east", name="东区中心")
    west = ServiceCentre.objects.create(code="t-west", name="西区中心")
    mother = _user(MOTHER_ID, "citizen", full_name="王小红", id_number=MOTHER_ID, mobile=MOTHER_MOBILE)
    users = {
        "citizen": mother,
        "clerk": _user("clerk-east", "clerk", full_name="窗口甲"),
        "officer_p": _user("officer-health", "officer", full_name="卫健经办"),
        "officer_q": _user("officer-police", "officer", full_name="公安经办"),
        "admin": _user("admin-1", "admin", full_name="管理员"),
        "officer_without_record": _user("officer-none", "officer"),
    }
    Clerk.objects.create(user=users["clerk"], centre=east)
    Officer.objects.create(user=users["officer_p"], department=health)
    Officer.objects.create(user=users["officer_q"], department=police)
    case_p = _case(published_sample, mother, "T-BIRTH-20261120-0001", centre=east, department=health)
    case_q = _case(published_sample, mother, "T-BIRTH-20261121-0002", centre=west, department=police)
    events = {
        "p_submitted": audit.record(
            action="case.submitted",
            actor=mother,
            case_number=case_p.number,
            obj=case_p,
            after={"state": "submitted", "data": {"mother_name": "王小红", "mother_id_number": MOTHER_ID}},
            note=f"申请人 {MOTHER_ID} 手机 {MOTHER_MOBILE}",
        ),
        "p_accepted": audit.record(
            action="case.accepted",
            actor=users["clerk"],
            case_number=case_p.number,
            obj=case_p,
            before={"state": "submitted"},
            after={"state": "accepted"},
        ),
        "q_approved": audit.record(
            action="item_case.approved",
            actor=users["officer_q"],
            case_number=case_q.number,
            after={"state": "approved", "certificate": {"holder_name": "王小宝", "number": "CERT-1"}},
        ),
        "admin_change": audit.record(
            action="admin.change",
            actor=users["admin"],
            obj=health,
            before={"name": "卫健委"},
            after={"name": "卫生健康委"},
        ),
    }
    return {"users": users, "cases": {"p": case_p, "q": case_q}, "events": events}


def _shown(response) -> set[int]:
    return {row["id"] for row in response.context["page"].rows}


def _login(client, world, who):
    if who != "anonymous":
        client.force_login(world["users"][who])
    return client


# --- who sees what ----------------------------------------------------------------------------

VISIBLE = {
    "clerk": {"p_submitted", "p_accepted"},
    "officer_p": {"p_submitted", "p_accepted"},
    "officer_q": {"q_approved"},
    "admin": {"p_submitted", "p_accepted", "q_approved", "admin_change"},
}


@pytest.mark.parametrize("who", ["anonymous", "citizen", "officer_without_record"])
def test_people_without_a_part_of_the_log_get_nothing(client, world, who):
    _login(client, world, who)
    event = world["events"]["p_submitted"]
    exports_before = AuditEvent.objects.filter(action="oversight.export").count()
    for url in (SEARCH, EXPORT, reverse("oversight:audit-event", args=[event.pk])):
        response = client.get(url)
        if who == "anonymous":
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            assert response.status_code == 403
    assert AuditEvent.objects.filter(action="oversight.export").count() == exports_before


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_each_role_sees_its_part_only(client, world, who):
    _login(client, world, who)
    expected = {world["events"][name].pk for name in VISIBLE[who]}
    if who == "admin":  # everything, including the publication of the sample bundle
        expected |= set(AuditEvent.objects.filter(action="catalog.version_published").values_list("pk", flat=True))
    response = client.get(SEARCH)
    assert response.status_code == 200
    assert _shown(response) == expected
    for name, event in world["events"].items():
        detail = client.get(reverse("oversight:audit-event", args=[event.pk]))
        assert detail.status_code == (200 if name in VISIBLE[who] else 404), name
    export = client.get(EXPORT)
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert {int(row[0]) for row in rows[1:]} == expected


def test_an_officer_cannot_reach_another_departments_case_by_searching(client, world):
    client.force_login(world["users"]["officer_q"])
    response = client.get(SEARCH, {"case": world["cases"]["p"].number})
    assert _shown(response) == set()


# --- search -----------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, world):
    client.force_login(world["users"]["admin"])
    return client


def test_search_by_exact_and_prefix_case_number(admin_client, world):
    events, case_p = world["events"], world["cases"]["p"]
    exact = admin_client.get(SEARCH, {"case": case_p.number.lower()})
    assert _shown(exact) == {events["p_submitted"].pk, events["p_accepted"].pk}
    prefix = admin_client.get(SEARCH, {"case": "T-BIRTH-202611"})
    assert _shown(prefix) == {events["p_submitted"].pk, events["p_accepted"].pk, events["q_approved"].pk}
    assert _shown(admin_client.get(SEARCH, {"case": "T-BIRTH-20261120-000"})) == exact_ids(events, "p")
    # a complete number is exact: it does not find a longer number that starts with it
    assert _shown(admin_client.get(SEARCH, {"case": "T-BIRTH-20261120-00011"})) == set()


def exact_ids(events, which):
    return {e.pk for name, e in events.items() if name.startswith(f"{which}_")}


def test_search_by_actor_username_name_or_system(admin_client, world):
    events = world["events"]
    assert _shown(admin_client.get(SEARCH, {"actor": "clerk-east"})) == {events["p_accepted"].pk}
    assert _shown(admin_client.get(SEARCH, {"actor": "公安"})) == {events["q_approved"].pk}
    assert _shown(admin_client.get(SEARCH, {"actor": MOTHER_ID})) == {events["p_submitted"].pk}
    system = audit.record(action="case.processing", case_number="T-BIRTH-20261120-0001")
    assert _shown(admin_client.get(SEARCH, {"actor": "系统", "case": "T-BIRTH"})) == {system.pk}


def test_search_by_action_exact_or_family(admin_client, world):
    events = world["events"]
    assert _shown(admin_client.get(SEARCH, {"action": "case.accepted"})) == {events["p_accepted"].pk}
    family = {events["p_submitted"].pk, events["p_accepted"].pk}
    assert _shown(admin_client.get(SEARCH, {"action": "case."})) == family
    assert _shown(admin_client.get(SEARCH, {"action": "case"})) == family  # not item_case.*
    assert _shown(admin_client.get(SEARCH, {"action": "admin.*"})) == {events["admin_change"].pk}


def test_search_by_date_range(admin_client, world, monkeypatch):
    shanghai = ZoneInfo("Asia/Shanghai")
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 11, 1, 23, 30, tzinfo=shanghai))
    late = audit.record(action="case.accepted", case_number="T-X-20261101-0001")
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 11, 2, 0, 30, tzinfo=shanghai))
    next_day = audit.record(action="case.accepted", case_number="T-X-20261102-0001")
    monkeypatch.undo()
    day = {"date_from": "2026-11-01", "date_to": "2026-11-01"}
    assert _shown(admin_client.get(SEARCH, day)) == {late.pk}
    assert _shown(admin_client.get(SEARCH, {"date_from": "2026-11-02", "date_to": "2026-11-02"})) == {next_day.pk}
    assert _shown(admin_client.get(SEARCH, {"date_to": "2026-11-02"})) == {late.pk, next_day.pk}
    wrong = admin_client.get(SEARCH, {"date_from": "2026-11-03", "date_to": "2026-11-01"})
    assert wrong.status_code == 200 and wrong.context["form"].errors["date_to"]


def test_keyset_pages_newest_first_with_ties(world, monkeypatch):
    """Events written in the same instant still page in a stable order (by id)."""
    instant = datetime(2026, 11, 5, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    monkeypatch.setattr(timezone, "now", lambda: instant)
    made = [audit.record(action="item_case.dispatched", case_number=f"T-P-20261105-{i:04d}") for i in range(7)]
    monkeypatch.undo()
    scope = selectors.AuditScope(kind="all")
    filters = selectors.AuditFilters(case="T-P-")
    first = selectors.search_page(scope=scope, filters=filters, size=3)
    assert [e.pk for e in first.events] == [e.pk for e in reversed(made)][:3]
    assert first.newer is None and first.older == first.events[-1].pk
    second = selectors.search_page(scope=scope, filters=filters, older_than=first.older, size=3)
    third = selectors.search_page(scope=scope, filters=filters, older_than=second.older, size=3)
    assert [e.pk for e in second.events] == [e.pk for e in reversed(made)][3:6]
    assert [e.pk for e in third.events] == [made[0].pk] and third.older is None
    back = selectors.search_page(scope=scope, filters=filters, newer_than=second.newer, size=3)
    assert [e.pk for e in back.events] == [e.pk for e in first.events] and back.newer is None


def test_the_page_links_to_older_and_newer_pages(admin_client, world):
    for i in range(selectors.PAGE_SIZE + 5):
        audit.record(action="item_case.dispatched", case_number=f"T-PAGE-20261105-{i:04d}")
    first = admin_client.get(SEARCH, {"case": "T-PAGE"})
    assert len(first.context["page"].rows) == selectors.PAGE_SIZE
    older = first.context["page"].older
    assert f"case=T-PAGE&amp;older={older}" in first.content.decode()
    second = admin_client.get(SEARCH, {"case": "T-PAGE", "older": older})
    assert len(second.context["page"].rows) == 5
    assert second.context["page"].older is None and second.context["page"].newer is not None


# --- masking ------------------------------------------------------------------------------------


def test_listings_mask_id_numbers_mobiles_and_citizens_names(admin_client, world):
    html = admin_client.get(SEARCH).content.decode()
    assert MOTHER_ID not in html and MOTHER_MOBILE not in html
    assert "王小红" not in html and "王小宝" not in html
    assert "3101**********0469" in html and "139****0001" in html
    assert "王**" in html  # the name under mother_name and the citizen actor
    assert "clerk-east" in html or "窗口甲" in html  # staff are named

    export = admin_client.get(EXPORT).content.decode("utf-8-sig")
    assert MOTHER_ID not in export and MOTHER_MOBILE not in export and "王小红" not in export


def test_the_detail_is_raw_for_administrators_and_masked_for_others(client, world):
    event = world["events"]["p_submitted"]
    url = reverse("oversight:audit-event", args=[event.pk])
    client.force_login(world["users"]["admin"])
    raw = client.get(url).content.decode()
    assert MOTHER_ID in raw and "王小红" in raw
    client.force_login(world["users"]["clerk"])
    masked = client.get(url).content.decode()
    assert MOTHER_ID not in masked and "王小红" not in masked and "3101**********0469" in masked


def test_the_recursive_masker():
    value = {
        "mother_name": "王小红",
        "item_name": "出生医学证明",
        "materials": [{"key": "birth_cert", "name": "出生医学证明"}],
        "people": [{"father_id_number": "A1234567"}, f"call {MOTHER_MOBILE}"],
        "address": "上海市黄浦区南京东路300号",
        "order": "20261128000000000001",  # 20 digits: not an ID number
        "count": 3,
    }
    masked = selectors.mask_json(value)
    assert masked["mother_name"] == "王**"
    assert masked["item_name"] == "出生医学证明"
    assert masked["materials"] == [{"key": "birth_cert", "name": "出生医学证明"}]
    assert masked["people"] == [{"father_id_number": "******67"}, "call 139****0001"]
    assert masked["address"] == "上海市黄浦区****"
    assert masked["order"] == "20261128000000000001" and masked["count"] == 3
    assert selectors.mask_text(f"x{MOTHER_ID.lower()}y") == f"x{MOTHER_ID}y"  # inside a word: left alone
    assert selectors.mask_text(f"证件 {MOTHER_ID[:-1]}X。") == "证件 3101**********046X。"


# --- the export -----------------------------------------------------------------------------------


def test_the_export_is_audited_with_its_filters_and_row_count(client, world):
    officer = world["users"]["officer_p"]
    client.force_login(officer)
    response = client.get(EXPORT, {"action": "case.", "date_from": date(2026, 1, 1).isoformat()})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["ID", "时间", "操作人", "动作"] and len(rows) == 3
    event = AuditEvent.objects.get(action="oversight.export")
    assert event.actor == officer
    assert event.after == {"table": "audit_log", "filters": {"action": "case.", "date_from": "2026-01-01"}, "rows": 2}


def test_export_cells_cannot_become_spreadsheet_formulas(admin_client, world):
    audit.record(action="case.returned", case_number="T-F-20261101-0001", note='=HYPERLINK("http://x")')
    content = admin_client.get(EXPORT, {"case": "T-F-20261101-0001"}).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in content


def test_names_of_parties_the_engine_never_heard_of_are_masked_its_own_things_are_not():
    """Parties are bundle data (docs/definition-format.md): the masker cannot list them, so
    every ``…_name`` / ``….name`` is a person's but the engine's own things'."""
    masked = selectors.mask_json(
        {
            "ward.name": "李小宝",
            "grandparent_name": "李大山",
            "full_name": "王小红",
            "item_name": "出生医学证明",
            "department_name": "卫健委",
            "name": "出生医学证明",
        }
    )
    assert masked["ward.name"] == "李**" and masked["grandparent_name"] == "李**" and masked["full_name"] == "王**"
    assert masked["item_name"] == "出生医学证明" and masked["department_name"] == "卫健委"
    assert masked["name"] == "出生医学证明"
