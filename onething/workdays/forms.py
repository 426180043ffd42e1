"""The admin's “录入年度安排” form: a year's schedule typed as lines of text.

One line per date or date range, then the name::

    2027-01-01 元旦
    2027-02-06..2027-02-14 春节

A holiday range is copied from the State Council's notice as printed (“2月6日至14日放假调休，
共9天”): its Saturdays and Sundays are off anyway and are left out. Single dates are taken
as written, so a single weekend date among the holidays is reported as a problem.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from django import forms

from onething.workdays.models import MAX_YEAR, MIN_YEAR, CalendarYear
from onething.workdays.services import schedule_problems

MAX_RANGE_DAYS = 31
_DATE = r"\d{4}[-/]\d{1,2}[-/]\d{1,2}"
_LINE = re.compile(rf"^(?P<first>{_DATE})(?:\s*(?:\.\.|~|～|至|—|–)\s*(?P<last>{_DATE}))?(?:\s+(?P<name>.*))?$")
FORMAT_HINT = "格式：“2027-01-01 元旦”或“2027-02-06..2027-02-14 春节”"


def _parse_date(text: str) -> date:
    year, month, day = (int(part) for part in re.split(r"[-/]", text))
    return date(year, month, day)


def parse_schedule_lines(
    text: str, *, label: str, skip_weekends_in_ranges: bool
) -> tuple[list[tuple[date, str]], list[str]]:
    """Parse one text area into ``(entries, problems)``; every bad line is reported.

    Blank lines and lines starting with ``#`` are ignored. ``label`` names the text area in
    problems (e.g. "法定节假日").
    """
    entries: list[tuple[date, str]] = []
    problems: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.replace("\u3000", " ").strip()
        if not line or line.startswith("#"):
            continue
        where = f"{label}第 {number} 行“{line}”"
        match = _LINE.match(line)
        if not match:
            problems.append(f"{where}无法识别（{FORMAT_HINT}）")
            continue
        name = (match["name"] or "").strip()
        if not name:
            problems.append(f"{where}缺少名称（{FORMAT_HINT}）")
            continue
        try:
            first = _parse_date(match["first"])
            last = _parse_date(match["last"]) if match["last"] else first
        except ValueError:
            problems.append(f"{where}中的日期不存在")
            continue
        if last < first:
            problems.append(f"{where}的结束日期早于开始日期")
            continue
        if (last - first).days >= MAX_RANGE_DAYS:
            problems.append(f"{where}的范围超过 {MAX_RANGE_DAYS} 天，请检查")
            continue
        days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
        if match["last"] and skip_weekends_in_ranges:
            days = [day for day in days if day.weekday() < 5]
        entries += [(day, name) for day in days]
    return entries, problems


class YearScheduleForm(forms.Form):
    year = forms.IntegerField(label="年份", min_value=MIN_YEAR, max_value=MAX_YEAR)
    note = forms.CharField(
        label="公布依据",
        max_length=CalendarYear._meta.get_field("note").max_length,
        help_text="国务院办公厅通知的标题和文号，如：国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕×号）",
    )
    holidays = forms.CharField(
        label="法定节假日（放假）",
        widget=forms.Textarea(
            attrs={"rows": 10, "cols": 60, "placeholder": "2027-01-01 元旦\n2027-02-06..2027-02-14 春节"}
        ),
        help_text="每行一个日期或日期范围加名称。范围按通知原文填写，其中的周六、周日本来就休息，自动略去；"
        "单独一行的日期必须是周一至周五。",
    )
    workdays = forms.CharField(
        label="调休上班日",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60, "placeholder": "2027-02-20 春节调休"}),
        help_text="每行一个需要上班的周六或周日加名称，如“2027-02-20 春节调休”。",
    )
    replace = forms.BooleanField(label="替换该年已有的安排", required=False)

    def schedule(self) -> tuple[list[tuple[date, str]], list[tuple[date, str]], list[str]]:
        """``(holidays, workdays, problems)`` for a bound, valid form: parse problems and
        schedule problems together, so the administrator sees every problem at once."""
        data = self.cleaned_data
        holidays, holiday_problems = parse_schedule_lines(
            data["holidays"], label="法定节假日", skip_weekends_in_ranges=True
        )
        workdays, workday_problems = parse_schedule_lines(
            data["workdays"], label="调休上班日", skip_weekends_in_ranges=False
        )
        problems = holiday_problems + workday_problems
        problems += schedule_problems(year=data["year"], holidays=holidays, workdays=workdays)
        if not data["replace"] and CalendarYear.objects.filter(year=data["year"]).exists():
            problems.append(f"{data['year']} 年已有安排；确需替换请勾选“替换该年已有的安排”")
        return holidays, workdays, problems
