"""The clerk's queue (我的待办): search by case number, applicant's name or ID number (the
whole number or its masked form only: digits from the hidden middle never match), filters
by bundle, state and overdue, the waiting time of each case, the automatic checks in words,
and the console's own navigation."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from onething.cases.models import Case
from onething.catalog.selectors import published_version
from onething.identity.masking import mask_id_number
from onething.intake import selectors, services
from services.datahub.demo_identities import CITIZEN, MOTHER
from tests.intake.test_console import online_case

pytestmark = pytest.mark.django_db


def user(username):
    return get_user_model().objects.get(username=username)


@pytest.fixture
def cases(demo_bundles, datahub_settings, mother, other_citizen):
    """Three cases of the Huangpu centre: the mother's child-birth case (submitted three
    weeks ago), a second one moved to the citizen and to the dog-registration bundle
    (submitted now), and an accepted one."""
    old = online_case(mother)
    Case.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(days=21))
    dog = online_case(mother)
    Case.objects.filter(pk=dog.pk).update(
        applicant=other_citizen, version=published_version(bundle_code="dog-registration")
    )
    accepted = online_case(mother)
    services.case_accept(case=accepted, clerk=user("clerk-huangpu"))
    return {"old": old.number, "dog": dog.number, "accepted": accepted.number}


@pytest.fixture
def clerk(client):
    client.force_login(user("clerk-huangpu"))
    return client


def numbers(client, **query) -> list[str]:
    """The cases the search finds (posted, as the page's form does)."""
    response = client.post("/console/", query)
    assert response.status_code == 200
    page = response.content.decode()
    table = page[page.index('id="prereview-queue"') :]
    return re.findall(r'<tr data-case="([^"]+)"', table)


def test_default_is_the_prereview_queue_oldest_first(cases, clerk):
    assert numbers(clerk) == [cases["old"], cases["dog"]]


def test_search_by_case_number_part_and_by_name(cases, clerk):
    assert numbers(clerk, q=cases["dog"][-4:].lower(), state="all") == [cases["dog"]]
    assert numbers(clerk, q=CITIZEN.name[:2]) == [cases["dog"]]
    assert set(numbers(clerk, q=MOTHER.name, state="all")) == {cases["old"], cases["accepted"]}


def test_search_by_id_number_whole_or_masked_never_by_hidden_digits(cases, clerk):
    assert numbers(clerk, q=CITIZEN.id_number) == [cases["dog"]]
    assert numbers(clerk, q=CITIZEN.id_number.lower()) == [cases["dog"]]
    assert numbers(clerk, q=mask_id_number(MOTHER.id_number)) == [cases["old"]]
    hidden_middle = MOTHER.id_number[4:14]  # what the masked form hides
    assert numbers(clerk, q=hidden_middle, state="all") == []
    assert numbers(clerk, q=MOTHER.id_number[:10], state="all") == []
    page = clerk.post("/console/", {"q": MOTHER.id_number}).content.decode()
    assert page.count(MOTHER.id_number) == 1 and f'value="{MOTHER.id_number}"' in page  # only in the box
    assert mask_id_number(MOTHER.id_number) in page


def test_id_lookup_rules():
    assert selectors.id_number_lookup("310104199203150469") == {"applicant__id_number": "310104199203150469"}
    assert selectors.id_number_lookup("3101**********0469") == {
        "applicant__id_number__startswith": "3101",
        "applicant__id_number__endswith": "0469",
    }
    assert selectors.id_number_lookup("1992031504") is None
    assert selectors.id_number_lookup("3101*0469") is None


def test_filters_work_as_links_too(cases, clerk):
    page = clerk.get("/console/", {"bundle": "dog-registration"}).content.decode()
    assert cases["dog"] in page and cases["old"] not in page


def test_filters_by_bundle_state_and_overdue(cases, clerk):
    assert numbers(clerk, bundle="dog-registration") == [cases["dog"]]
    assert numbers(clerk, bundle="child-birth") == [cases["old"]]
    assert numbers(clerk, bundle="no-such-bundle") == [cases["old"], cases["dog"]]  # not offered: ignored
    assert numbers(clerk, state="in_progress") == [cases["accepted"]]
    assert set(numbers(clerk, state="all")) == set(cases.values())
    assert numbers(clerk, overdue="on") == [cases["old"]]  # three weeks in pre-review
    Case.objects.filter(number=cases["accepted"]).update(due_date=timezone.localdate() - timedelta(days=1))
    assert numbers(clerk, overdue="on", state="in_progress") == [cases["accepted"]]


def test_each_row_says_how_long_it_waited_and_the_checks_in_words(cases, clerk):
    page = clerk.get("/console/").content.decode()
    old_row = page[page.index(f'<tr data-case="{cases["old"]}"') :]
    old_row = old_row[: old_row.index("</tr>")]
    assert re.search(r"已等待 \d+ 个工作日（预审超时）", old_row) and 'class="overdue"' in page
    new_row = page[page.index(f'<tr data-case="{cases["dog"]}"') :]
    new_row = new_row[: new_row.index("</tr>")]
    assert "不到 1 小时" in new_row and "预审超时" not in new_row
    assert re.search(r'class="verdict (ok|warning|error)">(通过|需核对|不通过)</span>', old_row)
    assert 'class="count error' not in page  # no coloured numbers


def test_waiting_time_in_hours_then_working_days(cases):
    case = Case.objects.get(number=cases["dog"])
    same_day = selectors.waiting_time(case, now=case.submitted_at + timedelta(minutes=20))
    assert same_day.text == "不到 1 小时" and not same_day.overdue
    later = selectors.waiting_time(case, now=case.submitted_at + timedelta(days=14))
    assert later.working_days >= 9 and later.text == f"已等待 {later.working_days} 个工作日" and later.overdue


def test_the_console_navigation_is_the_clerks_own_work(cases, clerk):
    page = clerk.get("/console/").content.decode()
    nav = page[page.index('id="console-nav"') : page.index("</nav>", page.index('id="console-nav"'))]
    assert ["我的待办", "我受理的", "窗口收件", "结果发放"] == re.findall(r">([^<>]+?)(?: <span|</a>)", nav)
    assert re.search(r'id="nav-queue"[^>]*aria-current="page"', nav) and "clerk-huangpu" not in nav
    mine = clerk.get("/console/mine/").content.decode()
    assert cases["accepted"] in mine and cases["old"] not in mine
    assert "王晓明" in page  # the clerk's own name


def test_refusal_is_a_separate_action_confirmed_on_its_own_page(cases, clerk):
    page = clerk.get(f"/console/cases/{cases['old']}/").content.decode()
    actions = page[page.index('id="case-actions"') :]
    actions = actions[: actions.index("</nav>")]
    assert [a for a in ("受理", "退回补正", "不予受理", "转交") if f">{a}</a>" in actions] == [
        "受理",
        "退回补正",
        "不予受理",
        "转交",
    ]
    assert "下一步：确认不予受理" in page
    assert re.search(r'<span class="verdict (ok|warning|error)">(通过|需核对|不通过)</span>', page)


def test_the_queue_pages_by_fifty(cases, clerk, monkeypatch):
    from onething.intake import views

    monkeypatch.setattr(views, "QUEUE_PAGE", 1)
    page = clerk.get("/console/").content.decode()
    assert re.findall(r'<tr data-case="([^"]+)"', page) == [cases["old"]]
    assert 'id="queue-next" href="?state=submitted&amp;page=2"' in page and "第 1–1 件" in page
    page = clerk.get("/console/", {"state": "submitted", "page": "2"}).content.decode()
    assert re.findall(r'<tr data-case="([^"]+)"', page) == [cases["dog"]]
    assert 'id="queue-previous"' in page and 'id="queue-next"' not in page
