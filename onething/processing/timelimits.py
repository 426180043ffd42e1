"""Working-day time limits of item cases: yellow at 80% of the committed limit, red
after it. The pause while a supplement is awaited is not counted."""

from datetime import date

from django.utils import timezone

from onething.processing import transitions
from onething.processing.models import ItemCase

WARNING_SHARE = 0.8
OPEN = [ItemCase.State.RECEIVED, ItemCase.State.IN_PROGRESS]


def time_status(*, item_case: ItemCase, today: date) -> str:
    """normal, warning or overdue for an item case being worked (paused ones keep theirs)."""
    from onething.workdays.services import count_working_days

    if item_case.dispatched_at is None or item_case.due_date is None:
        return item_case.time_status
    if today > item_case.due_date:
        return ItemCase.TimeStatus.OVERDUE
    start = timezone.localtime(item_case.dispatched_at).date()
    # a year without a holiday schedule counts weekends only, like the provisional due date
    used = count_working_days(start=start, end=today).days - item_case.paused_working_days
    limit = max(item_case.committed_days, 1)
    return ItemCase.TimeStatus.WARNING if used >= WARNING_SHARE * limit else ItemCase.TimeStatus.NORMAL


def mark_time_limits(*, today: date | None = None) -> dict[str, int]:
    """Update every open item case's light; notify the department's officers when an item
    case turns yellow or red (once per colour: the notification key names it)."""
    from onething.notifications.services import notify

    today = today or timezone.localdate()
    changed = {"warning": 0, "overdue": 0}
    for item_case in ItemCase.objects.filter(state__in=OPEN).select_related("case", "department"):
        status = time_status(item_case=item_case, today=today)
        if status == item_case.time_status or status == ItemCase.TimeStatus.NORMAL:
            continue
        if transitions.time_light(item_case=item_case, status=status):
            changed[status] += 1
            for officer in item_case.department.officers.select_related("user"):
                notify(
                    recipient=officer.user,
                    subject="办件时限预警" if status == "warning" else "办件已超期",
                    body=f"{item_case.case.number} 的“{item_case.item_name}”承诺办结日期 {item_case.due_date}。",
                    dedup_key=f"time-{status}:{item_case.pk}",
                    case_number=item_case.case.number,
                )
    return changed


# --- provisional due dates, once the year's holiday schedule is entered ----------------------
# Registered with intake (ProcessingConfig.ready): intake recomputes a case's provisional
# dates under one audit event per case, these included.


def _provisional_items(first: date):
    return ItemCase.objects.filter(due_date_provisional=True, due_date__gte=first, dispatched_at__isnull=False)


def provisional_item_case_ids(*, first: date) -> set[int]:
    """The cases with an item case whose provisional due date is on or after ``first``."""
    return set(_provisional_items(first).values_list("case_id", flat=True))


def provisional_item_dates_recompute(*, case, first: date, note) -> None:
    """Each such item case of ``case`` counted again from its dispatch day, its committed
    working days and the working days its time limit was paused; written when ``note``
    (intake.services.NoteDate) says it changed."""
    from onething.workdays.services import due_after

    for item_case in _provisional_items(first).filter(case=case):
        started = timezone.localdate(item_case.dispatched_at)
        new = due_after(start=started, days=item_case.committed_days + item_case.paused_working_days)
        if note(f"item:{item_case.item_code}", item_case.due_date, new):
            ItemCase.objects.filter(pk=item_case.pk).update(due_date=new.day, due_date_provisional=new.provisional)
