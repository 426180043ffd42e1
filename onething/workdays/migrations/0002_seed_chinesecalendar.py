"""Seed 2004–2026 from the chinesecalendar package, so every fresh database (tests
included) has the calendar without an extra step. Later years are entered by
administrators; ``manage.py seed_workdays`` adds years from a newer package."""

from django.db import migrations


def seed(apps, schema_editor):
    from onething.workdays.seed import seed_from_package

    seed_from_package(apps.get_model("workdays", "CalendarYear"), apps.get_model("workdays", "CalendarDay"))


def unseed(apps, schema_editor):
    apps.get_model("workdays", "CalendarYear").objects.filter(source="chinesecalendar").delete()


class Migration(migrations.Migration):
    dependencies = [("workdays", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
