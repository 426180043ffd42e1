"""Seed the working-day calendar from the chinesecalendar package (idempotent)."""

from django.core.management.base import BaseCommand

from onething.workdays.models import CalendarDay, CalendarYear
from onething.workdays.seed import seed_from_package
from onething.workdays.services import calendar_changed


class Command(BaseCommand):
    help = (
        "Add the years the chinesecalendar package knows and the database lacks; years entered by "
        "administrators are never touched. 从 chinesecalendar 补充缺少的年度节假日安排。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--refresh",
            action="store_true",
            help="also rewrite years that came from the package 同时按数据包重写来源为数据包的年份",
        )

    def handle(self, *args, refresh: bool, **options):
        created, refreshed = seed_from_package(CalendarYear, CalendarDay, refresh=refresh)
        calendar_changed()
        created_text = ", ".join(map(str, created)) or "-"
        refreshed_text = ", ".join(map(str, refreshed)) or "-"
        if options["verbosity"] > 0:
            self.stdout.write(f"created 新增: {created_text}; refreshed 重写: {refreshed_text}")
