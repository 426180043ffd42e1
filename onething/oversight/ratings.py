"""Writes of 好差评 (ratings) and 整改 (rectification).

Ratings: after a case concludes its applicant rates the case overall, each department
involved and, for a case accepted at a window, the window intake (the service centre).
One rating per case and target; it can be changed until ``edit_until`` (first submission
+ ``settings.RATING_EDIT_DAYS`` calendar days).

Rectifications: a 不满意 or 非常不满意 rating opens one rectification per responsible
party (see :func:`responsible_parties`). Its state machine, every change a conditional
update from the states it may come from, with its audit event in the same transaction
(:mod:`onething.oversight.transitions`)::

    open ──contact──► contacted ──respond──► responded ──confirm──► confirmed
                                    ▲            │
                                    └──respond── reopened ◄──reject──┘
    open / contacted / responded / reopened ──withdraw──► withdrawn

A rating changed to 基本满意 or better does not delete anything: its rectifications that
are still running become *withdrawn* (the citizen's change of mind is on record, the
rectification and its history stay). A rating changed from good to bad opens new ones;
a change between the two bad levels keeps the running ones as they are.

Overdue: a rectification not closed (confirmed or withdrawn) after its deadline is
flagged ``overdue`` (by the beat task, or at once when the response comes late). The flag
stays once set: it records that the rectification was not closed in time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from onething.audit import services as audit
from onething.cases.models import Case
from onething.catalog.models import Department
from onething.common.errors import Invalid, NotAllowed
from onething.common.i18n import pick
from onething.intake.models import ServiceCentre
from onething.oversight.models import Rating, Rectification
from onething.oversight.transitions import RUNNING, rectification_move
from onething.processing.models import ItemCase

R = Rectification.State
COMMENT_MAX = 500
NOTE_MAX = 1000
RESPONSE_MAX = 2000
REASON_MAX = 1000
RATEABLE_CASE_STATES = {Case.State.CONCLUDED, Case.State.PARTIALLY_CONCLUDED}


class Refused(Invalid):
    """A rating or rectification step that cannot be done as asked, with a bilingual reason
    (``text``: in the page's language). One the user may not do at all is the common
    ``NotAllowed`` (onething/common/errors.py)."""

    def __init__(self, *, code: str, message: str, message_en: str):
        super().__init__(message, message_en, code=code)


# --- settings -----------------------------------------------------------------------------


def edit_days() -> int:
    return int(getattr(settings, "RATING_EDIT_DAYS", 7))


def deadline_working_days() -> int:
    return int(getattr(settings, "RECTIFICATION_DEADLINE_WORKING_DAYS", 5))


# --- targets and responsible parties ----------------------------------------------------


@dataclass(frozen=True)
class RatingTarget:
    """Something the applicant of a concluded case may rate."""

    kind: str  # Rating.Target
    department: Department | None = None
    centre: ServiceCentre | None = None

    @property
    def key(self) -> str:
        """The value posted by the rating form: ``case``, ``department:<code>`` or ``window``."""
        return f"department:{self.department.code}" if self.department else self.kind

    @property
    def slug(self) -> str:
        """For element ids: ``case``, ``department-<code>`` or ``window``."""
        return self.key.replace(":", "-")

    @property
    def label(self) -> str:
        if self.department:
            return pick(self.department.name, self.department.name_en)
        if self.centre:
            return pick("窗口受理：", "Window intake: ") + self.centre.name
        return pick("办件整体", "The case overall")


def rating_targets(*, case: Case) -> list[RatingTarget]:
    """The case overall; each department that worked one of its item cases (a cancelled
    item case was never worked, so its department is not rated for it); the window intake
    when the case was filed at a window of a centre (an online case was never at a window)."""
    targets = [RatingTarget(kind=Rating.Target.CASE)]
    department_ids = ItemCase.objects.filter(case=case).exclude(state=ItemCase.State.CANCELLED).values("department_id")
    for department in Department.objects.filter(pk__in=department_ids).order_by("code"):
        targets.append(RatingTarget(kind=Rating.Target.DEPARTMENT, department=department))
    if case.channel == Case.Channel.WINDOW and case.centre_id:
        targets.append(RatingTarget(kind=Rating.Target.WINDOW, centre=case.centre))
    return targets


def target_for(*, case: Case, key: str) -> RatingTarget:
    for target in rating_targets(case=case):
        if target.key == key:
            return target
    raise Refused(
        code="unknown_target",
        message="该办件没有这个评价对象",
        message_en="This case has no such rating target",
    )


def responsible_parties(*, rating: Rating) -> list[tuple[str, Department | None, ServiceCentre | None]]:
    """Who must rectify a bad rating, as (party, department, centre) triples.

    - a department rating: that department;
    - a window rating: the service centre (its clerks handle it);
    - an overall rating: every department with an item case of the case that was rejected
      (不予批准) or ran over its time limit (超期), since those are what an applicant is
      dissatisfied with as a whole; when no department did either, the administrators
      (一体管理), who own the bundle's design and the service as a whole.
    """
    if rating.target == Rating.Target.DEPARTMENT:
        return [(Rectification.Party.DEPARTMENT, rating.department, None)]
    if rating.target == Rating.Target.WINDOW:
        return [(Rectification.Party.CENTRE, None, rating.centre)]
    blamed = ItemCase.objects.filter(case_id=rating.case_id, state=ItemCase.State.REJECTED) | ItemCase.objects.filter(
        case_id=rating.case_id, time_status=ItemCase.TimeStatus.OVERDUE
    )
    departments = Department.objects.filter(pk__in=blamed.values("department_id")).order_by("code")
    if departments:
        return [(Rectification.Party.DEPARTMENT, department, None) for department in departments]
    return [(Rectification.Party.ADMINISTRATION, None, None)]


def is_administrator(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.role == get_user_model().Role.ADMIN or user.is_superuser
    )


def responsible_users(*, rectification: Rectification) -> list:
    """The people who handle a rectification: the department's officers, the centre's
    clerks, or the administrators."""
    User = get_user_model()
    if rectification.party == Rectification.Party.DEPARTMENT:
        users = User.objects.filter(officer__department_id=rectification.department_id)
    elif rectification.party == Rectification.Party.CENTRE:
        users = User.objects.filter(clerk__centre_id=rectification.centre_id)
    else:
        users = User.objects.filter(role=User.Role.ADMIN)
    return list(users.filter(is_active=True).order_by("pk"))


def can_handle(*, user, rectification: Rectification) -> bool:
    """Whether ``user`` records the contact and the response: an officer of the
    department, a clerk of the centre, an administrator for the administrators' ones."""
    if not getattr(user, "is_authenticated", False):
        return False
    if rectification.party == Rectification.Party.DEPARTMENT:
        officer = getattr(user, "officer", None)
        return officer is not None and officer.department_id == rectification.department_id
    if rectification.party == Rectification.Party.CENTRE:
        clerk = getattr(user, "clerk", None)
        return clerk is not None and clerk.centre_id == rectification.centre_id
    return is_administrator(user)


# --- ratings ------------------------------------------------------------------------------


def _check_applicant(case: Case, citizen) -> None:
    if not getattr(citizen, "is_authenticated", False) or case.applicant_id != citizen.pk:
        raise NotAllowed(
            code="not_applicant",
            message="只有该办件的申请人可以评价",
            message_en="Only the applicant of this case may rate it",
        )


def _check_level(level) -> int:
    try:
        value = int(level)
    except (TypeError, ValueError):
        value = 0
    if value not in Rating.Level.values:
        raise Refused(code="invalid_level", message="请选择评价等级", message_en="Choose a rating level")
    return value


def _check_comment(comment: str) -> str:
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise Refused(
            code="comment_too_long",
            message=f"评价内容不能超过 {COMMENT_MAX} 字",
            message_en=f"The comment must not exceed {COMMENT_MAX} characters",
        )
    return comment


def _snapshot(rating: Rating) -> dict:
    return {"target": rating.target, "level": rating.level, "comment": rating.comment}


def rating_submit(
    *, case: Case, citizen, target: str, level: int, comment: str = "", now: datetime | None = None
) -> Rating:
    """The applicant's first rating of one target of a concluded case. A bad one opens
    the rectifications of :func:`responsible_parties` in the same transaction."""
    _check_applicant(case, citizen)
    if case.state not in RATEABLE_CASE_STATES:
        raise Refused(
            code="not_concluded",
            message="办件办结后才能评价",
            message_en="A case can be rated only after it has concluded",
        )
    rated = target_for(case=case, key=target)
    value, comment = _check_level(level), _check_comment(comment)
    now = now or timezone.now()
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).first()  # one rating write per case at a time
        existing = Rating.objects.filter(case=case, target=rated.kind, department=rated.department)
        if existing.exists():
            raise Refused(
                code="already_rated",
                message="您已评价过该对象，如需调整请修改原评价",
                message_en="You have already rated this; change your rating instead",
            )
        rating = Rating(
            case=case,
            target=rated.kind,
            department=rated.department,
            centre=rated.centre,
            level=value,
            comment=comment,
            rater=citizen,
            edit_until=now + timedelta(days=edit_days()),
        )
        rating.save()
        if rating.submitted_at != now:  # auto_now_add: keep the window consistent with "now"
            Rating.objects.filter(pk=rating.pk).update(submitted_at=now)
            rating.submitted_at = now
        audit.record(
            action="rating.submitted",
            actor=citizen,
            case_number=case.number,
            obj=rating,
            after=_snapshot(rating) | {"target_key": rated.key},
        )
        if rating.is_bad:
            _open_for(rating, now=now)
    return rating


def rating_update(*, rating: Rating, citizen, level: int, comment: str = "", now: datetime | None = None) -> Rating:
    """Change a rating within its edit period. Good → bad opens rectifications; bad →
    good withdraws the running ones (kept, marked withdrawn); bad → bad keeps them."""
    case = rating.case
    _check_applicant(case, citizen)
    value, comment = _check_level(level), _check_comment(comment)
    now = now or timezone.now()
    with transaction.atomic():
        rating = Rating.objects.select_for_update().get(pk=rating.pk)
        if now > rating.edit_until:
            until = timezone.localtime(rating.edit_until)
            raise Refused(
                code="edit_period_over",
                message=f"评价只能在首次提交后 {edit_days()} 天内修改（已于 {until:%Y-%m-%d %H:%M} 截止）",
                message_en=(
                    f"A rating can be changed only within {edit_days()} days of its first submission "
                    f"(closed on {until:%Y-%m-%d %H:%M})"
                ),
            )
        before = _snapshot(rating)
        was_bad = rating.is_bad
        rating.level, rating.comment = value, comment
        rating.save(update_fields=["level", "comment", "updated_at"])
        audit.record(
            action="rating.updated",
            actor=citizen,
            case_number=case.number,
            obj=rating,
            before=before,
            after=_snapshot(rating),
        )
        if was_bad and not rating.is_bad:
            for rectification in rating.rectifications.filter(state__in=RUNNING):
                rectification_move(
                    rectification,
                    "withdraw",
                    actor=citizen,
                    note=f"群众将评价改为“{rating.get_level_display()}”",
                    closed_at=now,
                )
        elif rating.is_bad and not was_bad:
            _open_for(rating, now=now)
    return rating


# --- rectifications -------------------------------------------------------------------------


def _deadline(opened_on) -> tuple:
    """(deadline, problem): the deadline in working days, or None and the honest reason
    when the calendar of a year it touches was never entered (the beat task fills it in
    once an administrator enters that year)."""
    from onething.workdays.services import NoScheduleForYear, add_working_days

    try:
        return add_working_days(start=opened_on, days=deadline_working_days()), ""
    except NoScheduleForYear as missing:
        return None, str(missing)[:300]


def _open_for(rating: Rating, *, now: datetime) -> list[Rectification]:
    opened_on = timezone.localtime(now).date()
    deadline, problem = _deadline(opened_on)
    opened = []
    for party, department, centre in responsible_parties(rating=rating):
        rectification = Rectification.objects.create(
            rating=rating,
            case_id=rating.case_id,
            party=party,
            department=department,
            centre=centre,
            reason=f"{rating.get_target_display()}评价“{rating.get_level_display()}”：{rating.comment}".rstrip("："),
            opened_on=opened_on,
            deadline=deadline,
            deadline_problem=problem,
        )
        audit.record(
            action="rectification.opened",
            actor=rating.rater,
            case_number=rating.case.number,
            obj=rectification,
            after={
                "state": rectification.state,
                "party": party,
                "department": department.code if department else "",
                "centre": centre.code if centre else "",
                "deadline": str(deadline) if deadline else None,
                "rating": rating.pk,
            },
            note=problem,
        )
        _notify_responsible(
            rectification,
            subject="收到差评，请当日联系群众整改",
            body=(
                f"办件 {rating.case.number} 收到“{rating.get_level_display()}”评价（{rating.get_target_display()}）。"
                f"请当日联系群众，并于 {deadline or '（期限待定）'} 前完成整改答复。"
            ),
            key="opened",
        )
        opened.append(rectification)
    return opened


def _refuse_state(rectification: Rectification, action: str) -> Refused:
    return Refused(
        code="wrong_state",
        message=f"整改当前为“{rectification.get_state_display()}”，不能进行此操作",
        message_en=f"The rectification is '{rectification.state}': this step ({action}) is not possible now",
    )


def _check_handler(rectification: Rectification, user) -> None:
    if not can_handle(user=user, rectification=rectification):
        raise NotAllowed(
            code="not_responsible",
            message="只有责任部门（或服务中心）的工作人员可以办理该整改",
            message_en="Only staff of the responsible department (or centre) may handle this rectification",
        )


def _text(value: str, *, limit: int, name: str, name_en: str) -> str:
    value = (value or "").strip()
    if not value:
        raise Refused(code="required", message=f"请填写{name}", message_en=f"Enter the {name_en}")
    if len(value) > limit:
        raise Refused(
            code="too_long",
            message=f"{name}不能超过 {limit} 字",
            message_en=f"The {name_en} must not exceed {limit} characters",
        )
    return value


def contact(*, rectification: Rectification, by, note: str, now: datetime | None = None) -> Rectification:
    """Record the contact with the citizen; ``contact_late`` when it was not on the day
    the rectification opened (local time)."""
    _check_handler(rectification, by)
    note = _text(note, limit=NOTE_MAX, name="联系情况", name_en="contact note")
    now = now or timezone.now()
    late = timezone.localtime(now).date() != rectification.opened_on
    if not rectification_move(
        rectification,
        "contact",
        actor=by,
        note=note,
        contacted_at=now,
        contacted_by=by,
        contact_note=note,
        contact_late=late or rectification.contact_late,
    ):
        raise _refuse_state(rectification, "contact")
    return rectification


def respond(*, rectification: Rectification, by, response: str, now: datetime | None = None) -> Rectification:
    """The responsible party's answer; the citizen is told and confirms or rejects it. A
    response after the deadline flags the rectification overdue at once."""
    _check_handler(rectification, by)
    response = _text(response, limit=RESPONSE_MAX, name="整改答复", name_en="response")
    now = now or timezone.now()
    changes = {
        "response": response,
        "responded_at": now,
        "responded_by": by,
        "rounds": rectification.rounds + 1,
    }
    late = rectification.deadline is not None and timezone.localtime(now).date() > rectification.deadline
    if late and not rectification.overdue:
        changes |= {"overdue": True, "overdue_at": now}
    with transaction.atomic():
        if not rectification_move(rectification, "respond", actor=by, **changes):
            raise _refuse_state(rectification, "respond")
        case = rectification.case
        from onething.notifications.services import notify

        notify(
            recipient=case.applicant,
            subject="部门已答复您的评价",
            body=f"办件 {case.number}：{_party_name(rectification)}已就您的评价作出整改答复，请登录确认是否认可。",
            dedup_key=f"rectification-responded:{rectification.pk}:{rectification.rounds}",
            case_number=case.number,
        )
    return rectification


def _check_citizen(rectification: Rectification, citizen) -> None:
    if not getattr(citizen, "is_authenticated", False) or rectification.case.applicant_id != citizen.pk:
        raise NotAllowed(
            code="not_applicant",
            message="只有该办件的申请人可以确认整改结果",
            message_en="Only the applicant of this case may confirm or reject the response",
        )


def confirm(*, rectification: Rectification, citizen, now: datetime | None = None) -> Rectification:
    """The citizen accepts the response: the rectification is closed."""
    _check_citizen(rectification, citizen)
    now = now or timezone.now()
    if not rectification_move(rectification, "confirm", actor=citizen, closed_at=now):
        raise _refuse_state(rectification, "confirm")
    return rectification


def reject(*, rectification: Rectification, citizen, reason: str, now: datetime | None = None) -> Rectification:
    """The citizen does not accept the response: it is reopened for a new response (the
    deadline stays), with the citizen's reason; the responsible staff are told."""
    _check_citizen(rectification, citizen)
    reason = _text(reason, limit=REASON_MAX, name="不认可的理由", name_en="reason")
    now = now or timezone.now()
    with transaction.atomic():
        if not rectification_move(rectification, "reject", actor=citizen, note=reason, citizen_reason=reason):
            raise _refuse_state(rectification, "reject")
        _notify_responsible(
            rectification,
            subject="群众不认可整改答复",
            body=f"办件 {rectification.case.number}：群众不认可整改答复（{reason}），请重新答复。",
            key="rejected",
        )
    return rectification


def mark_overdue(*, now: datetime | None = None) -> dict[str, int]:
    """The beat task's work, safe to run twice: fill in deadlines that could not be
    computed before (a year's calendar was missing); flag running rectifications past
    their deadline as overdue (and tell the responsible staff once); flag as late-contact
    those still uncontacted after the day they opened."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    counts = {"deadlines": 0, "overdue": 0, "contact_late": 0}
    for rectification in Rectification.objects.filter(deadline__isnull=True, state__in=RUNNING):
        deadline, _problem = _deadline(rectification.opened_on)
        if deadline is None:
            continue
        with transaction.atomic():
            if Rectification.objects.filter(pk=rectification.pk, deadline__isnull=True).update(
                deadline=deadline, deadline_problem=""
            ):
                counts["deadlines"] += 1
                audit.record(
                    action="rectification.deadline_set",
                    case_number=rectification.case.number,
                    obj=rectification,
                    before={"deadline": None},
                    after={"deadline": str(deadline)},
                )
    due = Rectification.objects.filter(deadline__lt=today, overdue=False, state__in=RUNNING)
    for rectification in due.select_related("case"):
        with transaction.atomic():
            if not Rectification.objects.filter(pk=rectification.pk, overdue=False).update(
                overdue=True, overdue_at=now
            ):
                continue
            counts["overdue"] += 1
            audit.record(
                action="rectification.overdue",
                case_number=rectification.case.number,
                obj=rectification,
                before={"overdue": False, "state": rectification.state},
                after={"overdue": True, "deadline": str(rectification.deadline)},
            )
            _notify_responsible(
                rectification,
                subject="整改已逾期",
                body=f"办件 {rectification.case.number} 的整改期限 {rectification.deadline} 已过，尚未办结。",
                key="overdue",
            )
    late = Rectification.objects.filter(state=R.OPEN, contact_late=False, opened_on__lt=today)
    for rectification in late.select_related("case"):
        with transaction.atomic():
            if Rectification.objects.filter(pk=rectification.pk, state=R.OPEN, contact_late=False).update(
                contact_late=True
            ):
                counts["contact_late"] += 1
                audit.record(
                    action="rectification.contact_late",
                    case_number=rectification.case.number,
                    obj=rectification,
                    before={"contact_late": False},
                    after={"contact_late": True, "opened_on": str(rectification.opened_on)},
                )
    return counts


# --- notifications ------------------------------------------------------------------------


def _party_name(rectification: Rectification) -> str:
    if rectification.department_id:
        return rectification.department.name
    if rectification.centre_id:
        return rectification.centre.name
    return "管理部门"


def _notify_responsible(rectification: Rectification, *, subject: str, body: str, key: str) -> None:
    from onething.notifications.services import notify

    for user in responsible_users(rectification=rectification):
        notify(
            recipient=user,
            subject=subject,
            body=body,
            # rounds: a second rejection (after a second response) is a new event
            dedup_key=f"rectification-{key}:{rectification.pk}:{rectification.rounds}:{user.pk}",
            case_number=rectification.case.number,
        )
