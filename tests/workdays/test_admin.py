"""The calendar admin: the year list, the “录入年度安排” page and the validated inline."""

from datetime import date

import pytest
from django.urls import reverse

from onething.workdays.forms import parse_schedule_lines
from onething.workdays.models import CalendarDay, CalendarYear
from onething.workdays.services import NoScheduleForYear, add_working_days, is_working_day

ENTER_URL = "admin:workdays_calendaryear_enter"

HOLIDAY_TEXT = """
# 测试用安排（非真实通知）
2027-01-01 元旦
2027-02-05..2027-02-13 春节
"""
WORKDAY_TEXT = "2027-02-20 春节调休\n"


def enter(admin_client, **override):
    data = {"year": "2027", "note": "测试用安排（非真实通知）", "holidays": HOLIDAY_TEXT, "workdays": WORKDAY_TEXT}
    return admin_client.post(reverse(ENTER_URL), {**data, **override})


# --- Parsing -------------------------------------------------------------------------------


def test_parse_ranges_skip_weekends_in_holiday_ranges():
    entries, problems = parse_schedule_lines(HOLIDAY_TEXT, label="法定节假日", skip_weekends_in_ranges=True)
    assert problems == []
    assert entries == [
        (date(2027, 1, 1), "元旦"),
        (date(2027, 2, 5), "春节"),  # Friday; Saturday 6 and Sunday 7 are off anyway
        *[(date(2027, 2, day), "春节") for day in range(8, 13)],  # Monday .. Friday; Saturday 13 left out
    ]


def test_parse_accepts_other_separators_and_keeps_single_weekend_dates():
    text = "2027/10/1 ~ 2027/10/3 国庆节\n2027-10-04至2027-10-05　国庆节\n2027-10-09 国庆节调休"
    entries, problems = parse_schedule_lines(text, label="x", skip_weekends_in_ranges=True)
    assert problems == []
    assert [day.isoformat() for day, _ in entries] == ["2027-10-01", "2027-10-04", "2027-10-05", "2027-10-09"]
    workdays, _ = parse_schedule_lines("2027-09-25..2027-09-26 国庆节调休", label="x", skip_weekends_in_ranges=False)
    assert [day for day, _ in workdays] == [date(2027, 9, 25), date(2027, 9, 26)]


def test_parse_reports_every_bad_line():
    text = "\n".join(
        [
            "2027-01-01 元旦",
            "元旦 2027-01-01",
            "2027-02-30 春节",
            "2027-02-10..2027-02-01 春节",
            "2027-03-01",
            "2027-01-01..2027-03-01 长假",
        ]
    )
    entries, problems = parse_schedule_lines(text, label="法定节假日", skip_weekends_in_ranges=True)
    assert entries == [(date(2027, 1, 1), "元旦")]
    assert problems == [
        "法定节假日第 2 行“元旦 2027-01-01”无法识别（格式：“2027-01-01 元旦”或“2027-02-06..2027-02-14 春节”）",
        "法定节假日第 3 行“2027-02-30 春节”中的日期不存在",
        "法定节假日第 4 行“2027-02-10..2027-02-01 春节”的结束日期早于开始日期",
        "法定节假日第 5 行“2027-03-01”缺少名称（格式：“2027-01-01 元旦”或“2027-02-06..2027-02-14 春节”）",
        "法定节假日第 6 行“2027-01-01..2027-03-01 长假”的范围超过 31 天，请检查",
    ]


# --- The year list -------------------------------------------------------------------------


def test_year_list_shows_source_and_counts_and_links_to_the_entry_page(admin_client):
    response = admin_client.get(reverse("admin:workdays_calendaryear_changelist"))
    assert response.status_code == 200
    content = response.content.decode()
    assert reverse(ENTER_URL) in content
    assert "录入年度安排" in content
    row = next(year for year in response.context["cl"].result_list if year.year == 2026)
    assert (row.holiday_total, row.workday_total) == (19, 6)
    assert "chinesecalendar 数据包" in content
    assert admin_client.get(reverse("admin:workdays_calendaryear_changelist"), {"q": "2026"}).status_code == 200


def test_a_seeded_year_opens_with_its_days_inline(admin_client):
    year = CalendarYear.objects.get(year=2026)
    response = admin_client.get(reverse("admin:workdays_calendaryear_change", args=[year.pk]))
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.initial_form_count() == 25
    assert "春节调休" in response.content.decode()


def test_day_list_is_read_only(admin_client):
    response = admin_client.get(reverse("admin:workdays_calendarday_changelist"), {"q": "春节调休"})
    assert response.status_code == 200
    assert "2026年2月14日" in response.content.decode()
    assert admin_client.get(reverse("admin:workdays_calendarday_add")).status_code == 403


# --- The entry page ------------------------------------------------------------------------


def test_entry_page_renders(admin_client):
    response = admin_client.get(reverse(ENTER_URL))
    assert response.status_code == 200
    content = response.content.decode()
    assert "录入年度安排" in content
    assert "法定节假日（放假）" in content
    assert "调休上班日" in content


@pytest.mark.django_db
def test_entry_page_enters_2027(admin_client):
    with pytest.raises(NoScheduleForYear):
        add_working_days(start=date(2026, 12, 31), days=1)

    response = enter(admin_client)

    year = CalendarYear.objects.get(year=2027)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:workdays_calendaryear_change", args=[year.pk])
    assert (year.source, year.note) == ("admin", "测试用安排（非真实通知）")
    assert list(year.days.values_list("date", "kind")) == [
        (date(2027, 1, 1), "holiday"),
        (date(2027, 2, 5), "holiday"),
        *[(date(2027, 2, day), "holiday") for day in range(8, 13)],
        (date(2027, 2, 20), "workday"),
    ]
    assert add_working_days(start=date(2026, 12, 31), days=1) == date(2027, 1, 4)


@pytest.mark.django_db
def test_entry_page_shows_every_problem_and_saves_nothing(admin_client):
    response = enter(
        admin_client,
        holidays="2027-01-01 元旦\n2027-01-03 元旦\n2026-12-31 元旦\n2027-02-08 春节\n不是日期 春节",
        workdays="2027-01-06 元旦调休\n2027-02-08 春节调休",
    )
    assert response.status_code == 200
    problems = response.context["problems"]
    assert len(problems) == 6
    assert problems[0].startswith("法定节假日第 5 行“不是日期 春节”无法识别")
    content = response.content.decode()
    for expected in (
        "安排有 6 个问题，未保存",
        "2027-01-03（星期日）本来就休息",
        "2026-12-31（星期四）不在 2027 年内",
        "2027-01-06（星期三）本来就是工作日",
        "2027-02-08（星期一）同时出现在法定节假日和调休上班日中",
    ):
        assert expected in content
    assert not CalendarYear.objects.filter(year=2027).exists()


@pytest.mark.django_db
def test_entry_page_replaces_a_year_only_when_asked(admin_client):
    enter(admin_client)
    response = enter(admin_client, holidays="2027-01-01 元旦")
    assert response.status_code == 200
    assert response.context["problems"] == ["2027 年已有安排；确需替换请勾选“替换该年已有的安排”"]
    assert not is_working_day(day=date(2027, 2, 8))

    response = enter(admin_client, holidays="2027-01-01 元旦", replace="on")
    assert response.status_code == 302
    assert is_working_day(day=date(2027, 2, 8))


@pytest.mark.django_db
def test_entry_page_requires_the_year_and_the_note(admin_client):
    response = enter(admin_client, year="", note="")
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"year", "note"}


# --- Editing a year with its inline days ---------------------------------------------------


def inline_post(year: CalendarYear, rows: list[dict], **extra) -> dict:
    """The change form's POST data for ``year`` with ``rows`` as its inline days."""
    existing = list(year.days.order_by("date"))
    data = {
        "year": str(year.year),
        "note": year.note,
        "days-TOTAL_FORMS": str(len(rows)),
        "days-INITIAL_FORMS": str(len(existing)),
        "days-MIN_NUM_FORMS": "0",
        "days-MAX_NUM_FORMS": "1000",
        **extra,
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"days-{index}-{key}"] = value
        data[f"days-{index}-year"] = str(year.pk)
        if index < len(existing):
            data[f"days-{index}-id"] = str(existing[index].pk)
    return data


def existing_rows(year: CalendarYear) -> list[dict]:
    return [{"date": day.date.isoformat(), "kind": day.kind, "name": day.name} for day in year.days.order_by("date")]


@pytest.mark.django_db
def test_inline_edits_go_through_the_same_validation(admin_client, schedule_2027):
    rows = [
        *existing_rows(schedule_2027),
        {"date": "2027-01-03", "kind": "holiday", "name": "元旦"},  # a Sunday
        {"date": "2027-01-06", "kind": "workday", "name": "元旦调休"},  # a Wednesday
        {"date": "2028-01-03", "kind": "holiday", "name": "元旦"},  # another year
    ]
    url = reverse("admin:workdays_calendaryear_change", args=[schedule_2027.pk])
    response = admin_client.post(url, inline_post(schedule_2027, rows))
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert list(errors) == [
        "2027-01-03（星期日）本来就休息，不能录入为法定节假日“元旦”（法定节假日只录入放假的周一至周五）",
        "2028-01-03（星期一）不在 2027 年内（法定节假日“元旦”）",
        "2027-01-06（星期三）本来就是工作日，不能录入为调休上班日“元旦调休”（调休上班日只录入需要上班的周六、周日）",
    ]
    assert not CalendarDay.objects.filter(date__in=[date(2027, 1, 3), date(2027, 1, 6), date(2028, 1, 3)]).exists()


@pytest.mark.django_db
def test_inline_edit_of_a_seeded_year_is_saved_and_seen(admin_client):
    year = CalendarYear.objects.get(year=2026)
    assert is_working_day(day=date(2026, 3, 2))
    rows = [*existing_rows(year), {"date": "2026-03-02", "kind": "holiday", "name": "测试假日"}]
    url = reverse("admin:workdays_calendaryear_change", args=[year.pk])
    response = admin_client.post(url, inline_post(year, rows))
    assert response.status_code == 302, response.context and response.context["errors"]
    assert not is_working_day(day=date(2026, 3, 2))
    assert CalendarYear.objects.get(year=2026).source == "admin"


@pytest.mark.django_db
def test_a_year_without_holidays_cannot_be_added_in_the_admin(admin_client):
    data = {
        "year": "2027",
        "note": "",
        "days-TOTAL_FORMS": "0",
        "days-INITIAL_FORMS": "0",
        "days-MIN_NUM_FORMS": "0",
        "days-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post(reverse("admin:workdays_calendaryear_add"), data)
    assert response.status_code == 200
    assert not CalendarYear.objects.filter(year=2027).exists()
    with pytest.raises(NoScheduleForYear):
        is_working_day(day=date(2027, 1, 4))
