"""好差评 and 整改: the rules of onething/oversight/ratings.py."""

# ruff: noqa: F811 (the fixtures imported from ratings_support are parameters of the tests)

from datetime import date, timedelta

import pytest
from django.db import IntegrityError

from onething.audit.models import AuditEvent
from onething.cases.models import Case
from onething.notifications.models import Notification
from onething.oversight import ratings
from onething.oversight.models import Rating, Rectification
from onething.oversight.tasks import mark_overdue_rectifications
from onething.processing.models import ItemCase
from onething.workdays.services import set_year_schedule
from tests.oversight.ratings_support import (  # noqa: F401 (fixtures)
    at,
    case,
    centre,
    concluded_case,
    other_centre,
    people,
    window_case,
)

pytestmark = pytest.mark.django_db
BAD = Rating.Level.DISSATISFIED
# Mon 2026-09-28; 国庆 holiday 1-7 October 2026, Sat 10 October is a make-up working day
MONDAY = at(2026, 9, 28, 10)


def rate(case, citizen, target="department:health", level=BAD, comment="", now=MONDAY):
    return ratings.rating_submit(case=case, citizen=citizen, target=target, level=level, comment=comment, now=now)


# --- targets and ratings ------------------------------------------------------------------


def test_targets_are_the_case_its_departments_and_the_window(case, window_case, published_sample, people):
    assert [t.key for t in ratings.rating_targets(case=case)] == ["case", "department:health", "department:police"]
    assert [t.key for t in ratings.rating_targets(case=window_case)][-1] == "window"
    cancelled = concluded_case(
        published_sample,
        people["citizen_a"],
        items={"health": ItemCase.State.APPROVED, "police": ItemCase.State.CANCELLED},
    )
    assert [t.key for t in ratings.rating_targets(case=cancelled)] == ["case", "department:health"]


def test_one_rating_per_case_and_target(case, people):
    rating = rate(case, people["citizen_a"], level=Rating.Level.SATISFIED, comment="很快")
    assert (rating.level, rating.get_level_display(), rating.comment) == (4, "满意", "很快")
    assert rating.edit_until == MONDAY + timedelta(days=7)
    with pytest.raises(ratings.Refused) as refused:
        rate(case, people["citizen_a"], level=Rating.Level.BASIC)
    assert refused.value.code == "already_rated"
    rate(case, people["citizen_a"], target="case", level=5)
    rate(case, people["citizen_a"], target="department:police", level=5)
    assert Rating.objects.filter(case=case).count() == 3
    with pytest.raises(IntegrityError):  # and the database says so too
        Rating.objects.create(
            case=case,
            target="department",
            department=rating.department,
            level=3,
            rater=people["citizen_a"],
            edit_until=MONDAY,
        )


def test_unknown_target_level_and_long_comment_are_refused(case, window_case, people):
    for kwargs, code in [
        ({"target": "window"}, "unknown_target"),  # an online case has no window intake
        ({"target": "department:nowhere"}, "unknown_target"),
        ({"level": 0}, "invalid_level"),
        ({"level": "x"}, "invalid_level"),
        ({"comment": "差" * 501}, "comment_too_long"),
    ]:
        with pytest.raises(ratings.Refused) as refused:
            rate(case, people["citizen_a"], **kwargs)
        assert refused.value.code == code
    assert not Rating.objects.exists()
    assert rate(window_case, people["citizen_a"], target="window", level=5).centre.code == "t-centre"


def test_only_the_applicant_rates(case, people):
    for who in ("citizen_b", "officer_health", "admin"):
        with pytest.raises(ratings.NotAllowed) as refused:
            rate(case, people[who])
        assert "只有该办件的申请人" in refused.value.message and "Only the applicant" in refused.value.message_en
    assert not Rating.objects.exists()


@pytest.mark.parametrize("state", [Case.State.ACCEPTED, Case.State.PROCESSING, Case.State.REFUSED])
def test_only_concluded_cases_are_rated(published_sample, people, state):
    open_case = concluded_case(published_sample, people["citizen_a"], state=state)
    with pytest.raises(ratings.Refused) as refused:
        rate(open_case, people["citizen_a"])
    assert refused.value.code == "not_concluded"


def test_a_partially_concluded_case_is_rated(published_sample, people):
    partial = concluded_case(
        published_sample,
        people["citizen_a"],
        state=Case.State.PARTIALLY_CONCLUDED,
        items={"health": ItemCase.State.APPROVED, "police": ItemCase.State.REJECTED},
    )
    assert rate(partial, people["citizen_a"], target="department:police", level=1).level == 1


def test_editable_within_the_period_only(case, people, settings):
    settings.RATING_EDIT_DAYS = 3
    rating = rate(case, people["citizen_a"], level=5)
    changed = ratings.rating_update(
        rating=rating, citizen=people["citizen_a"], level=4, comment="改一下", now=MONDAY + timedelta(days=3)
    )
    assert (changed.level, changed.comment) == (4, "改一下")
    with pytest.raises(ratings.Refused) as refused:
        ratings.rating_update(
            rating=rating, citizen=people["citizen_a"], level=3, now=MONDAY + timedelta(days=3, seconds=1)
        )
    assert refused.value.code == "edit_period_over"
    assert "3 天内修改" in refused.value.message and "within 3 days" in refused.value.message_en
    assert Rating.objects.get(pk=rating.pk).level == 4
    with pytest.raises(ratings.NotAllowed):
        ratings.rating_update(rating=rating, citizen=people["citizen_b"], level=1, now=MONDAY)


def test_every_rating_write_is_audited(case, people):
    rating = rate(case, people["citizen_a"], level=5)
    ratings.rating_update(rating=rating, citizen=people["citizen_a"], level=4, now=MONDAY)
    events = AuditEvent.objects.filter(object_type="Rating", object_id=str(rating.pk)).order_by("id")
    assert [e.action for e in events] == ["rating.submitted", "rating.updated"]
    assert events[1].before["level"] == 5 and events[1].after["level"] == 4
    assert events[0].actor == people["citizen_a"] and events[0].case_number == case.number


# --- who must rectify ---------------------------------------------------------------------


def test_good_ratings_open_nothing(case, people):
    for level in (5, 4, 3):
        Rating.objects.all().delete()
        rate(case, people["citizen_a"], level=level)
    assert not Rectification.objects.exists()


def test_a_bad_department_rating_opens_a_rectification_for_that_department(case, people):
    rating = rate(case, people["citizen_a"], level=Rating.Level.VERY_DISSATISFIED, comment="态度差")
    rectification = rating.rectifications.get()
    assert (rectification.party, rectification.department.code, rectification.state) == ("department", "health", "open")
    assert "态度差" in rectification.reason
    assert AuditEvent.objects.filter(action="rectification.opened", object_id=str(rectification.pk)).exists()
    # the health officer is told, nobody else
    told = set(
        Notification.objects.filter(dedup_key__startswith="rectification-opened").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"officer-h"}


def test_a_bad_window_rating_goes_to_the_centre(window_case, people):
    rating = rate(window_case, people["citizen_a"], target="window")
    rectification = rating.rectifications.get()
    assert (rectification.party, rectification.centre.code) == ("centre", "t-centre")
    told = set(
        Notification.objects.filter(dedup_key__startswith="rectification-opened").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"clerk-1"}


def test_a_bad_overall_rating_goes_to_the_departments_at_fault(published_sample, people):
    partial = concluded_case(
        published_sample,
        people["citizen_a"],
        state=Case.State.PARTIALLY_CONCLUDED,
        items={"health": ItemCase.State.APPROVED, "police": ItemCase.State.REJECTED},
    )
    rating = rate(partial, people["citizen_a"], target="case")
    assert [r.department.code for r in rating.rectifications.all()] == ["police"]

    late = concluded_case(published_sample, people["citizen_a"])
    ItemCase.objects.filter(case=late).update(time_status=ItemCase.TimeStatus.OVERDUE)
    rating = rate(late, people["citizen_a"], target="case")
    assert sorted(r.department.code for r in rating.rectifications.all()) == ["health", "police"]


def test_a_bad_overall_rating_with_no_department_at_fault_goes_to_the_administrators(case, people):
    rectification = rate(case, people["citizen_a"], target="case").rectifications.get()
    assert (rectification.party, rectification.department, rectification.centre) == ("administration", None, None)
    told = set(
        Notification.objects.filter(dedup_key__startswith="rectification-opened").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"admin-1"}


# --- deadline, contact, response, confirmation ---------------------------------------------


def test_deadline_is_counted_in_working_days(case, people, settings):
    # opened Mon 28 Sep: 29, 30 Sep, the holiday 1-7 Oct, Thu 8, Fri 9, Sat 10 (a make-up working day)
    rectification = rate(case, people["citizen_a"]).rectifications.get()
    assert rectification.opened_on == date(2026, 9, 28)
    assert rectification.deadline == date(2026, 10, 10)
    settings.RECTIFICATION_DEADLINE_WORKING_DAYS = 1
    rectification = rate(case, people["citizen_a"], target="department:police").rectifications.get()
    assert rectification.deadline == date(2026, 9, 29)


def test_a_year_without_a_calendar_leaves_the_deadline_open_until_it_is_entered(case, people):
    rectification = rate(case, people["citizen_a"], now=at(2026, 12, 29)).rectifications.get()
    assert rectification.deadline is None
    assert "2027" in rectification.deadline_problem
    assert ratings.mark_overdue(now=at(2026, 12, 30))["deadlines"] == 0
    set_year_schedule(year=2027, holidays=[(date(2027, 1, 1), "元旦")], workdays=[], note="test")
    assert ratings.mark_overdue(now=at(2026, 12, 30))["deadlines"] == 1
    rectification.refresh_from_db()
    # 29 Dec (Tue) + 5 working days: 30, 31 Dec, (1 Jan holiday), 4, 5, 6 Jan
    assert (rectification.deadline, rectification.deadline_problem) == (date(2027, 1, 6), "")


def test_same_day_contact_is_not_late(case, people):
    rectification = rate(case, people["citizen_a"]).rectifications.get()
    ratings.contact(
        rectification=rectification, by=people["officer_health"], note="电话联系", now=at(2026, 9, 28, 23, 50)
    )
    rectification.refresh_from_db()
    assert (rectification.state, rectification.contact_late) == ("contacted", False)
    assert rectification.contacted_by == people["officer_health"] and rectification.contact_note == "电话联系"


def test_next_day_contact_is_flagged_late(case, people):
    rectification = rate(case, people["citizen_a"]).rectifications.get()
    ratings.contact(
        rectification=rectification, by=people["officer_health"], note="次日联系", now=at(2026, 9, 29, 0, 5)
    )
    rectification.refresh_from_db()
    assert rectification.contact_late is True


def test_only_the_responsible_staff_handle(case, window_case, people):
    rectification = rate(case, people["citizen_a"]).rectifications.get()
    for who in ("officer_police", "clerk", "admin", "citizen_a", "citizen_b"):
        with pytest.raises(ratings.NotAllowed):
            ratings.contact(rectification=rectification, by=people[who], note="x", now=MONDAY)
    window = rate(window_case, people["citizen_a"], target="window").rectifications.get()
    with pytest.raises(ratings.NotAllowed):
        ratings.contact(rectification=window, by=people["clerk_other"], note="x", now=MONDAY)
    ratings.contact(rectification=window, by=people["clerk"], note="已联系", now=MONDAY)


def test_respond_confirm_flow(case, people):
    rectification = rate(case, people["citizen_a"]).rectifications.get()
    with pytest.raises(ratings.Refused) as refused:  # contact comes first
        ratings.respond(rectification=rectification, by=people["officer_health"], response="已整改", now=MONDAY)
    assert refused.value.code == "wrong_state"
    ratings.contact(rectification=rectification, by=people["officer_health"], note="已电话联系", now=MONDAY)
    with pytest.raises(ratings.Refused):
        ratings.respond(rectification=rectification, by=people["officer_health"], response="  ", now=MONDAY)
    ratings.respond(rectification=rectification, by=people["officer_health"], response="已整改，致歉", now=MONDAY)
    rectification.refresh_from_db()
    assert (rectification.state, rectification.rounds, rectification.overdue) == ("responded", 1, False)
    assert Notification.objects.filter(
        recipient=people["citizen_a"], dedup_key__startswith=f"rectification-responded:{rectification.pk}:1:"
    ).exists()
    with pytest.raises(ratings.NotAllowed):
        ratings.confirm(rectification=rectification, citizen=people["citizen_b"], now=MONDAY)
    ratings.confirm(rectification=rectification, citizen=people["citizen_a"], now=MONDAY)
    rectification.refresh_from_db()
    assert (rectification.state, rectification.closed_at) == ("confirmed", MONDAY)
    with pytest.raises(ratings.Refused):
        ratings.confirm(rectification=rectification, citizen=people["citizen_a"], now=MONDAY)
    actions = list(
        AuditEvent.objects.filter(object_type="Rectification", object_id=str(rectification.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "rectification.opened",
        "rectification.contact",
        "rectification.respond",
        "rectification.confirm",
    ]


def test_a_rejection_reopens_for_a_new_response(case, people):
    rectification = rate(case, people["citizen_a"]).rectifications.get()
    ratings.contact(rectification=rectification, by=people["officer_health"], note="已联系", now=MONDAY)
    ratings.respond(rectification=rectification, by=people["officer_health"], response="第一次答复", now=MONDAY)
    with pytest.raises(ratings.Refused):  # a reason is required
        ratings.reject(rectification=rectification, citizen=people["citizen_a"], reason="", now=MONDAY)
    ratings.reject(rectification=rectification, citizen=people["citizen_a"], reason="没有解决问题", now=MONDAY)
    rectification.refresh_from_db()
    assert (rectification.state, rectification.citizen_reason) == ("reopened", "没有解决问题")
    assert Notification.objects.filter(
        recipient=people["officer_health"], dedup_key__startswith=f"rectification-rejected:{rectification.pk}:1:"
    ).exists()
    ratings.respond(rectification=rectification, by=people["officer_health"], response="第二次答复", now=MONDAY)
    rectification.refresh_from_db()
    assert (rectification.state, rectification.rounds, rectification.response) == ("responded", 2, "第二次答复")
    assert Notification.objects.filter(dedup_key__startswith=f"rectification-responded:{rectification.pk}:2:").exists()
    reject_event = AuditEvent.objects.get(action="rectification.reject", object_id=str(rectification.pk))
    assert reject_event.note == "没有解决问题" and reject_event.actor == people["citizen_a"]


# --- changing one's mind --------------------------------------------------------------------


def test_raising_a_bad_rating_withdraws_but_keeps_the_rectification(case, people):
    rating = rate(case, people["citizen_a"])
    rectification = rating.rectifications.get()
    ratings.rating_update(rating=rating, citizen=people["citizen_a"], level=Rating.Level.BASIC, now=MONDAY)
    rectification.refresh_from_db()
    assert (rectification.state, rectification.is_closed) == ("withdrawn", True)
    assert AuditEvent.objects.filter(action="rectification.withdraw", object_id=str(rectification.pk)).exists()
    # bad again: a new one opens; the withdrawn one stays as history
    ratings.rating_update(rating=rating, citizen=people["citizen_a"], level=Rating.Level.DISSATISFIED, now=MONDAY)
    assert list(rating.rectifications.order_by("id").values_list("state", flat=True)) == ["withdrawn", "open"]


def test_bad_to_worse_keeps_the_running_rectification(case, people):
    rating = rate(case, people["citizen_a"])
    ratings.rating_update(rating=rating, citizen=people["citizen_a"], level=Rating.Level.VERY_DISSATISFIED, now=MONDAY)
    assert list(rating.rectifications.values_list("state", flat=True)) == ["open"]


# --- the beat task ----------------------------------------------------------------------------


def test_overdue_and_late_contact_are_flagged_by_the_task(case, people):
    rectification = rate(case, people["citizen_a"]).rectifications.get()  # deadline Sat 10 Oct
    first = ratings.mark_overdue(now=at(2026, 9, 28, 18))
    assert first == {"deadlines": 0, "overdue": 0, "contact_late": 0}
    assert ratings.mark_overdue(now=at(2026, 9, 29, 9))["contact_late"] == 1  # not contacted on the day
    assert ratings.mark_overdue(now=at(2026, 10, 10, 23))["overdue"] == 0  # the deadline day itself
    assert ratings.mark_overdue(now=at(2026, 10, 11, 9))["overdue"] == 1
    assert ratings.mark_overdue(now=at(2026, 10, 11, 9))["overdue"] == 0  # twice changes nothing twice
    rectification.refresh_from_db()
    assert rectification.overdue and rectification.contact_late and rectification.state == "open"
    assert AuditEvent.objects.filter(action="rectification.overdue", object_id=str(rectification.pk)).count() == 1
    assert Notification.objects.filter(dedup_key__startswith=f"rectification-overdue:{rectification.pk}:").exists()


def test_closed_rectifications_are_never_overdue(case, people):
    rectification = rate(case, people["citizen_a"]).rectifications.get()
    ratings.contact(rectification=rectification, by=people["officer_health"], note="已联系", now=MONDAY)
    ratings.respond(rectification=rectification, by=people["officer_health"], response="已整改", now=MONDAY)
    ratings.confirm(rectification=rectification, citizen=people["citizen_a"], now=MONDAY)
    assert ratings.mark_overdue(now=at(2026, 11, 2)) == {"deadlines": 0, "overdue": 0, "contact_late": 0}


def test_a_response_after_the_deadline_is_flagged_at_once(case, people):
    rectification = rate(case, people["citizen_a"]).rectifications.get()
    ratings.contact(rectification=rectification, by=people["officer_health"], note="已联系", now=MONDAY)
    ratings.respond(
        rectification=rectification, by=people["officer_health"], response="迟到的答复", now=at(2026, 10, 13)
    )
    rectification.refresh_from_db()
    assert rectification.overdue is True


def test_the_celery_task_calls_the_service(case, people):
    rate(case, people["citizen_a"], now=at(2026, 1, 5))  # long past: deadline in January
    result = mark_overdue_rectifications.apply().get()
    assert result["overdue"] == 1 and result["contact_late"] == 1
    assert mark_overdue_rectifications.name == "oversight.mark_overdue_rectifications"
