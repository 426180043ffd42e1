"""Admin for the working-day calendar (工作日历).

A year is edited with its days inline; the inline formset is checked with
``services.schedule_problems``, the same rules as ``set_year_schedule``. The page
“录入年度安排” takes the State Council's schedule as lines of text and calls
``set_year_schedule``. Days are listed read-only on their own for searching.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from onething.audit.admin import AuditedModelAdmin
from onething.workdays.forms import YearScheduleForm
from onething.workdays.models import CalendarDay, CalendarYear
from onething.workdays.services import ScheduleInvalid, recompute_provisional, schedule_problems, set_year_schedule


class CalendarDayFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        holidays, workdays = [], []
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            entry = (data["date"], data["name"])
            (holidays if data["kind"] == CalendarDay.Kind.HOLIDAY else workdays).append(entry)
        problems = schedule_problems(year=self.instance.year, holidays=holidays, workdays=workdays)
        if problems:
            raise ValidationError(problems)


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    formset = CalendarDayFormSet
    fields = ("date", "kind", "name")
    extra = 0


@admin.register(CalendarYear)
class CalendarYearAdmin(AuditedModelAdmin):
    list_display = ("year", "source", "holiday_count", "workday_count", "note", "updated")
    list_filter = ("source",)
    search_fields = ("year", "note")
    readonly_fields = ("source", "created", "updated")
    fields = ("year", "note", "source", "created", "updated")
    inlines = [CalendarDayInline]
    change_list_template = "admin/workdays/calendaryear/change_list.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                holiday_total=Count("days", filter=Q(days__kind=CalendarDay.Kind.HOLIDAY)),
                workday_total=Count("days", filter=Q(days__kind=CalendarDay.Kind.WORKDAY)),
            )
        )

    @admin.display(description="放假工作日数", ordering="holiday_total")
    def holiday_count(self, obj: CalendarYear) -> int:
        return obj.holiday_total

    @admin.display(description="调休上班日数", ordering="workday_total")
    def workday_count(self, obj: CalendarYear) -> int:
        return obj.workday_total

    def save_model(self, request, obj, form, change):
        if not change or form.has_changed():
            obj.source = CalendarYear.Source.ADMIN
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        year = form.instance
        if year.source != CalendarYear.Source.ADMIN and any(formset.has_changed() for formset in formsets):
            year.source = CalendarYear.Source.ADMIN
            year.save(update_fields=["source", "updated"])
        if any(formset.has_changed() for formset in formsets) or not change:
            recomputed = recompute_provisional(year=year.year)  # in the admin's transaction
            if recomputed:
                self.message_user(request, f"已重算 {recomputed} 个办件的暂定期限。", messages.INFO)

    def get_urls(self):
        custom = [
            path("enter/", self.admin_site.admin_view(self.enter_view), name="workdays_calendaryear_enter"),
        ]
        return custom + super().get_urls()

    def enter_view(self, request):
        """录入年度安排: a year and two text areas; every problem at once, or the year saved."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        problems: list[str] = []
        if request.method == "POST":
            form = YearScheduleForm(request.POST)
            if form.is_valid():
                holidays, workdays, problems = form.schedule()
                if not problems:
                    try:
                        row = set_year_schedule(
                            year=form.cleaned_data["year"],
                            holidays=holidays,
                            workdays=workdays,
                            note=form.cleaned_data["note"],
                        )
                    except ScheduleInvalid as invalid:
                        problems = invalid.problems
                    else:
                        summary = f"{len(holidays)} 个放假工作日，{len(workdays)} 个调休上班日"
                        if row.recomputed_cases:
                            summary += f"；已重算 {row.recomputed_cases} 个办件的暂定期限"
                        self.log_change(request, row, f"录入年度安排：{summary}")
                        self.message_user(request, f"已录入 {row.year} 年节假日安排：{summary}。", messages.SUCCESS)
                        return HttpResponseRedirect(reverse("admin:workdays_calendaryear_change", args=[row.pk]))
        else:
            form = YearScheduleForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "录入年度安排",
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "form": form,
            "problems": problems,
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/workdays/calendaryear/enter.html", context)


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedModelAdmin):
    """Read-only list for searching; days are edited with their year."""

    list_display = ("date", "kind", "name", "year")
    list_filter = ("kind", "year")
    search_fields = ("name", "date")
    date_hierarchy = "date"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
