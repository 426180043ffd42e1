"""Working-day calendar (工作日历): Chinese statutory holidays (法定节假日) and make-up
working days (调休上班), so that committed time limits (承诺时限) can be counted in
working days.

Only exceptions are stored, per year: a ``holiday`` is a weekday that is off and a
``workday`` is a weekend day that is worked. Every other weekday is a working day and
every other weekend day is off — but only for years that have a ``CalendarYear`` row.
An exact calculation that touches a year without one raises ``NoScheduleForYear``; the
deadlines that must be set anyway (``services.due_after``) count such a year as plain
weekends and are stored as provisional (暂定), recomputed when the year is entered.
Administrators are warned from 60 days before the last scheduled day
(``selectors.schedule_warning``).

Years 2004–2026 are seeded from the ``chinesecalendar`` package by a data migration;
later years are entered by administrators (the State Council publishes each year's
schedule in November) through the admin page “录入年度安排” or ``set_year_schedule``.
"""
