"""Deferred materials (容缺) and the results: departments go on, but results are held and
the case does not conclude while a deferral is outstanding; past its deadline the owning
clerk decides (extend once, or refuse the items needing it), the applicant is told."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from onething.apply import selectors as apply_selectors
from onething.apply.uploads import upload_create
from onething.audit.models import AuditEvent
from onething.cases.models import Case
from onething.intake import selectors, services
from onething.intake.materials import Decision
from onething.intake.models import Clerk, MaterialCheck
from onething.issuance import services as issuance
from onething.issuance.errors import IssuanceError
from onething.issuance.models import IssuedLicence
from onething.notifications.models import Notification
from onething.processing.models import ItemCase
from tests.intake.test_acceptance import PDF, online_case
from tests.issuance.test_issuance import conclude

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 16)  # accepted on a Monday; the deferral's default deadline is Mon 23rd
AFTER = date(2026, 11, 24)  # the day after the deadline
KEY = "household-head-consent"  # deferrable; needed by the newborn's household registration
ITEM = "newborn-household-registration"
S = ItemCase.State


def deferred_case(applicant) -> Case:
    """An online child-birth case accepted with KEY deferred (everything else present)."""
    case = online_case(applicant, declare={KEY: "deferred"})
    clerk = get_user_model().objects.filter(clerk__centre=case.centre).order_by("username").first()
    checklist = services.checklist_from_case(case=case)
    for material in apply_selectors.notice_materials(case.version, case.answers):
        if material.required:
            checklist.setdefault(material.key, Decision(outcome=MaterialCheck.Outcome.ORIGINAL_SIGHTED))
    case = services.case_accept(case=case, clerk=clerk, checklist=checklist, today=TODAY)
    # the acceptance day the deadline was counted from (the service stamps the real time)
    Case.objects.filter(pk=case.pk).update(accepted_at=datetime(2026, 11, 16, 10, tzinfo=ZoneInfo("Asia/Shanghai")))
    case.refresh_from_db()
    return case


def owner_of(case: Case):
    case.refresh_from_db()
    return case.owner


def other_centre_clerk(case: Case):
    return get_user_model().objects.exclude(clerk__centre=case.centre).filter(clerk__isnull=False).first()


def check_of(case: Case) -> MaterialCheck:
    return case.material_checks.get(key=KEY)


def applicant_notices(case: Case, prefix: str):
    return Notification.objects.filter(recipient=case.applicant, dedup_key__startswith=prefix)


def supply(case: Case, by) -> MaterialCheck:
    upload = upload_create(owner=case.applicant, file=SimpleUploadedFile("consent.pdf", PDF))
    return services.deferred_supply(check=check_of(case), by=by, upload=upload)


def test_the_selector_names_the_material_its_deadline_and_items(wired_demo, mother):
    case = deferred_case(mother)
    [deferral] = selectors.outstanding_deferrals(case, today=TODAY)
    assert deferral.key == KEY and deferral.due_date == date(2026, 11, 23)
    assert deferral.item_codes == (ITEM,) and not deferral.overdue and not deferral.extended
    assert selectors.outstanding_deferrals(case, today=AFTER)[0].overdue


def test_approved_items_do_not_conclude_nor_hand_over_until_supplied(wired_demo, mother, client):
    case = deferred_case(mother)
    conclude(case)  # every department approves
    assert set(ItemCase.objects.filter(case=case).values_list("state", flat=True)) == {S.APPROVED}
    case.refresh_from_db()
    assert case.state == Case.State.PROCESSING and case.concluded_at is None
    licence = IssuedLicence.objects.filter(case=case).exclude(holder="").first()
    assert issuance.licence_collect(licence_id=licence.pk) == "collected/held"  # 出证 held
    licence.refresh_from_db()
    assert licence.registration == IssuedLicence.Registration.PENDING
    clerk = Clerk.objects.get(user__username="clerk-huangpu")
    with pytest.raises(IssuanceError) as refused:
        issuance.mail_record(case=case, clerk=clerk, carrier="EMS", tracking_number="EMS1")
    assert refused.value.code == "not_concluded"

    client.force_login(mother)
    page = client.get(reverse("apply:case", args=[case.number])).content.decode()
    assert "待补交材料：" in page and "补交期限 2026-11-23" in page and "办理结果暂不发放" in page
    assert client.get(reverse("issuance:notice", args=[case.number])).status_code == 404

    supply(case, mother)
    case.refresh_from_db()
    assert case.state == Case.State.CONCLUDED and case.concluded_at is not None
    assert selectors.outstanding_deferrals(case) == []
    assert applicant_notices(case, f"case-concluded:{case.number}").exists()
    assert issuance.licence_collect(licence_id=licence.pk) == "collected/registered"
    page = client.get(reverse("apply:case", args=[case.number])).content.decode()
    assert "待补交材料：" not in page


def test_supplied_before_the_departments_finish_concludes_as_usual(wired_demo, mother):
    case = deferred_case(mother)
    supply(case, mother)
    conclude(case)
    case.refresh_from_db()
    assert case.state == Case.State.CONCLUDED


def test_overdue_goes_to_the_owner_who_extends_once(wired_demo, mother):
    case = deferred_case(mother)
    owner = owner_of(case)
    assert services.deferred_flag_overdue(today=AFTER) == 1
    assert services.deferred_flag_overdue(today=AFTER) == 0  # no second notice
    case.refresh_from_db()
    assert case.deferral_overdue
    assert Notification.objects.filter(recipient=owner, dedup_key__startswith="deferral-overdue:").count() == 1

    due = services.deferral_extend(check=check_of(case), clerk=owner, today=AFTER)
    assert due == date(2026, 12, 1)  # five working days from the decision
    check = check_of(case)
    assert check.due_date == due and check.extended_at and not check.overdue
    case.refresh_from_db()
    assert not case.deferral_overdue
    [notice] = applicant_notices(case, f"deferral-extended:{check.pk}")
    assert "2026-12-01" in notice.body
    event = AuditEvent.objects.get(case_number=case.number, action="material.deferral_extended")
    assert event.actor == owner and event.before["due_date"] == "2026-11-23" and event.after["due_date"] == "2026-12-01"

    # overdue again at the new deadline: flagged again, told again (a new deadline), but no second extension
    assert services.deferred_flag_overdue(today=date(2026, 12, 2)) == 1
    assert Notification.objects.filter(recipient=owner, dedup_key__startswith="deferral-overdue:").count() == 2
    with pytest.raises(services.DeferralDecisionRefused) as refused:
        services.deferral_extend(check=check_of(case), clerk=owner, today=date(2026, 12, 2))
    assert refused.value.code == "already_extended" and "已延期过一次" in refused.value.message
    assert check_of(case).due_date == due


def test_no_decision_before_the_deadline_and_no_deadline_beyond_five_working_days(wired_demo, mother):
    case = deferred_case(mother)
    owner = owner_of(case)
    with pytest.raises(services.DeferralDecisionRefused) as early:
        services.deferral_extend(check=check_of(case), clerk=owner, today=TODAY)
    assert early.value.code == "not_overdue"
    with pytest.raises(services.DeferralDecisionRefused) as far:
        services.deferral_extend(check=check_of(case), clerk=owner, due_date=date(2026, 12, 15), today=AFTER)
    assert far.value.code == "bad_deadline" and check_of(case).extended_at is None


def test_overdue_then_refused_items_leave_the_rest_to_conclude(wired_demo, mother):
    case = deferred_case(mother)
    conclude(case)
    owner = owner_of(case)
    services.deferred_flag_overdue(today=AFTER)
    with pytest.raises(services.DeferralDecisionRefused) as no_reason:
        services.deferral_refuse_items(check=check_of(case), clerk=owner, reason=" ", today=AFTER)
    assert no_reason.value.code == "reason_required"

    refused = services.deferral_refuse_items(
        check=check_of(case), clerk=owner, reason="申请人未在期限内补交", today=AFTER
    )
    assert [ic.item_code for ic in refused] == [ITEM]
    item = ItemCase.objects.get(case=case, item_code=ITEM)
    assert item.state == S.REJECTED and "逾期未补交" in item.reason and "申请人未在期限内补交" in item.reason
    others = ItemCase.objects.filter(case=case).exclude(item_code=ITEM)
    assert others.exists() and set(others.values_list("state", flat=True)) == {S.APPROVED}
    case.refresh_from_db()
    assert case.state == Case.State.PARTIALLY_CONCLUDED and not case.deferral_overdue
    [told] = applicant_notices(case, f"deferral-refused:{check_of(case).pk}")
    assert item.item_name in told.body
    assert applicant_notices(case, f"case-concluded:{case.number}").exists()
    licence = IssuedLicence.objects.filter(item_case=item).first()
    if licence is not None:  # its result was held, never handed over
        assert licence.registration == IssuedLicence.Registration.WITHDRAWN
    actions = set(AuditEvent.objects.filter(case_number=case.number).values_list("action", flat=True))
    assert {"material.deferral_refused", "item_case.deferral_refused", "case.partially_concluded"} <= actions
    with pytest.raises(services.DeferralDecisionRefused):  # decided once
        services.deferral_extend(check=check_of(case), clerk=owner, today=AFTER)


def test_another_centres_clerk_cannot_decide(wired_demo, mother, client):
    case = deferred_case(mother)
    services.deferred_flag_overdue(today=AFTER)
    stranger = other_centre_clerk(case)
    with pytest.raises(services.NotAllowed):
        services.deferral_refuse_items(check=check_of(case), clerk=stranger, reason="x", today=AFTER)
    with pytest.raises(services.NotAllowed):
        services.deferral_extend(check=check_of(case), clerk=stranger, today=AFTER)
    client.force_login(stranger)
    url = reverse("intake:check-refuse-items", args=[case.number, check_of(case).pk])
    assert client.post(url, {"reason": "x"}).status_code == 404
    assert check_of(case).refused_at is None and check_of(case).extended_at is None


def test_the_console_shows_the_deferral_and_the_owner_decides_there(wired_demo, mother, client):
    """The console counts from the real today, long after the demo deadline: overdue."""
    case = deferred_case(mother)
    owner = owner_of(case)
    check = check_of(case)
    client.force_login(owner)
    page = client.get(reverse("intake:case", args=[case.number])).content.decode()
    assert "待补交材料：" in page and "补交期限 2026-11-23" in page and "办理结果暂不发放" in page
    extend = reverse("intake:check-extend", args=[case.number, check.pk])
    refuse = reverse("intake:check-refuse-items", args=[case.number, check.pk])
    assert extend in page and refuse in page and "csrfmiddlewaretoken" in page
    assert client.post(extend, {"due_date": ""}).status_code == 302
    check.refresh_from_db()
    assert check.extended_at is not None and check.due_date > date(2026, 11, 23)
    page = client.get(reverse("intake:case", args=[case.number])).content.decode()
    assert "已延期一次" in page and extend not in page  # the one extension is used
    assert applicant_notices(case, f"deferral-extended:{check.pk}").exists()
