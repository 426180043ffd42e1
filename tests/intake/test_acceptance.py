"""The acceptance rules: one decision for online and window cases, deferral (容缺) and
pledges (告知承诺) only where allowed and never for a 失信 applicant, the one-time
notification rule for returns, and reminders sent once."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onething.apply import selectors as apply_selectors
from onething.apply import services as apply_services
from onething.apply.uploads import upload_create
from onething.cases.models import Case
from onething.catalog.selectors import published_version
from onething.intake import selectors, services
from onething.intake.materials import Decision, decide
from onething.intake.models import MaterialCheck
from onething.notice.engine import NoticeMaterial
from onething.notifications.models import Notification
from services.datahub.demo_identities import DISHONEST, MOTHER

TODAY = date(2026, 11, 16)  # a Monday with a published holiday schedule around it
ANSWERS = {"birth_place": "local_hospital", "married": True, "mother_insured": True}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

pytestmark = pytest.mark.django_db


def line(key="proof", **flags) -> NoticeMaterial:
    return NoticeMaterial(
        key=key,
        name="证明",
        name_en="",
        description="",
        form="original",
        copies=1,
        required=flags.get("required", True),
        deferrable=flags.get("deferrable", False),
        pledgeable=flags.get("pledgeable", False),
        shared=None,
        needed_by=["item"],
    )


def run(material, decision, dishonest=False, committed=20):
    return decide(
        requirements=[material],
        committed_days={"item": committed},
        checklist={material.key: decision} if decision else {},
        dishonest=dishonest,
        today=TODAY,
    )


# --- the material rules, as a pure function -------------------------------------------


def test_missing_required_material_is_a_problem():
    _, problems = run(line(), None)
    assert [p.code for p in problems] == ["missing"]
    checks, problems = run(line(required=False), None)
    assert checks == [] and problems == []


def test_deferral_only_where_deferrable_and_never_for_dishonest():
    assert run(line(), Decision("deferred"))[1][0].code == "not_deferrable"
    assert run(line(deferrable=True), Decision("deferred"), dishonest=True)[1][0].code == "dishonest"
    assert run(line(deferrable=True), Decision("deferred"), dishonest=None)[1][0].code == "credit_unknown"
    checks, problems = run(line(deferrable=True), Decision("deferred"))
    assert problems == [] and checks[0].due_date == date(2026, 11, 23)  # 5 working days after Mon 16th


def test_deferral_deadline_never_later_than_the_items_limit():
    checks, _ = run(line(deferrable=True), Decision("deferred"), committed=3)
    assert checks[0].due_date == date(2026, 11, 19)
    _, problems = run(line(deferrable=True), Decision("deferred", due_date=date(2026, 11, 20)), committed=3)
    assert problems[0].code == "bad_deadline"
    _, problems = run(line(deferrable=True), Decision("deferred", due_date=TODAY))
    assert problems[0].code == "bad_deadline"


def test_pledge_only_where_pledgeable_and_signed():
    assert run(line(), Decision("pledged", pledge_signed=True))[1][0].code == "not_pledgeable"
    assert run(line(pledgeable=True), Decision("pledged"))[1][0].code == "pledge_unsigned"
    checks, problems = run(line(pledgeable=True), Decision("pledged", pledge_signed=True))
    assert problems == [] and "承诺" in checks[0].pledge_text


# --- with the real data hub ----------------------------------------------------------------


def test_dishonest_flag_comes_from_the_data_hub(datahub_settings):
    assert services.applicant_dishonest(id_number=DISHONEST.id_number) is True
    assert services.applicant_dishonest(id_number=MOTHER.id_number) is False


def test_dishonest_flag_unknown_when_the_hub_is_down(datahub_down):
    assert services.applicant_dishonest(id_number=MOTHER.id_number) is None


def online_case(user, *, declare: dict[str, str] | None = None, upload_all=True) -> Case:
    """An online child-birth case: complete data, every material to bring uploaded except
    the ones declared deferred/pledged."""
    version = published_version(bundle_code="child-birth")
    draft = apply_services.draft_start(applicant=user, version=version, raw_answers=ANSWERS)
    for material in apply_selectors.notice_materials(version, draft.answers):
        if not material.bring:
            continue
        if declare and material.key in declare:
            apply_services.draft_declare(draft=draft, material_key=material.key, declaration=declare[material.key])
        elif upload_all and material.required:
            upload = upload_create(owner=user, file=SimpleUploadedFile(f"{material.key}.pdf", PDF))
            apply_services.draft_attach(draft=draft, material_key=material.key, upload=upload)
    form = apply_selectors.form_for(version=version, answers=draft.answers)
    data = {f.key: f.example() for f in form.fields if f.key not in draft.data}
    return apply_services.draft_submit(draft=draft, raw_data=data)


def deferrable_and_pledgeable(case: Case) -> tuple[str, str]:
    lines = [m for m in selectors.requirements(case) if m.bring and m.required]
    return next(m.key for m in lines if m.deferrable), next(m.key for m in lines if m.pledgeable)


def clerk(username="clerk-huangpu"):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def test_online_case_is_routed_to_the_responsible_centre(demo_bundles, datahub_settings, mother):
    case = online_case(mother)
    assert case.centre.code == "huangpu"
    assert [c.number for c in selectors.prereview_queue(clerk=selectors.clerk_of(clerk()))] == [case.number]
    assert list(selectors.prereview_queue(clerk=selectors.clerk_of(clerk("clerk-xuhui")))) == []


def test_online_and_window_get_the_same_decision(demo_bundles, datahub_settings, mother):
    probe = online_case(mother, upload_all=False)
    deferred_key, pledged_key = deferrable_and_pledgeable(probe)
    online = online_case(mother, declare={deferred_key: "deferred", pledged_key: "pledged"})
    online_checklist = services.checklist_from_case(case=online)
    online_outcome = services.evaluate_acceptance(case=online, checklist=online_checklist, today=TODAY)
    assert online_outcome.acceptable, online_outcome.problems

    # the same applicant, data and materials at the window
    uploads = {m.key: m.upload for m in online.materials.all() if m.upload_id}
    elicences = {
        m.key: {"licence_number": m.licence_number, "holder": m.licence_holder}
        for m in online.materials.all()
        if m.source == "elicence"
    }
    window = services.window_intake(
        clerk=clerk(),
        applicant=mother,
        version=online.version,
        raw_answers=ANSWERS,
        raw_data=online.data,
        checklist=online_checklist,
        uploads=uploads,
        elicences=elicences,
        today=TODAY,
    )
    assert window.state == Case.State.PROCESSING and window.owner == clerk() and window.channel == "window"
    window_checks = {(c.key, c.outcome, c.due_date) for c in window.material_checks.all()}
    assert window_checks == {(c.key, c.outcome, c.due_date) for c in online_outcome.checks}

    # and the same refusal: a required material missing on both channels
    incomplete = dict(online_checklist)
    incomplete.pop(deferred_key)
    online_problems = services.evaluate_acceptance(case=online, checklist=incomplete, today=TODAY).problems
    with pytest.raises(services.AcceptanceRefused) as refused:
        services.window_intake(
            clerk=clerk(),
            applicant=mother,
            version=online.version,
            raw_answers=ANSWERS,
            raw_data=online.data,
            checklist=incomplete,
            uploads=uploads,
            elicences=elicences,
            today=TODAY,
        )
    assert refused.value.problems == online_problems
    assert Case.objects.filter(channel="window").count() == 1  # the refused window intake left nothing


def test_accept_makes_the_clerk_owner_and_records_checks(demo_bundles, datahub_settings, mother):
    probe = online_case(mother, upload_all=False)
    deferred_key, pledged_key = deferrable_and_pledgeable(probe)
    case = online_case(mother, declare={deferred_key: "deferred", pledged_key: "pledged"})
    with pytest.raises(services.NotAllowed):
        services.case_accept(case=case, clerk=clerk("clerk-xuhui"), today=TODAY)
    case = services.case_accept(case=case, clerk=clerk(), today=TODAY)
    assert case.state == Case.State.PROCESSING and case.owner == clerk() and case.due_date > TODAY
    outcomes = {c.key: c for c in case.material_checks.all()}
    assert outcomes[deferred_key].outcome == "deferred" and outcomes[deferred_key].due_date
    assert outcomes[pledged_key].outcome == "pledged" and outcomes[pledged_key].pledge_signed_at


def test_dishonest_applicant_gets_no_deferral(demo_bundles, datahub_settings, mother):
    from django.contrib.auth import get_user_model

    probe = online_case(mother, upload_all=False)
    deferred_key, _ = deferrable_and_pledgeable(probe)
    case = online_case(mother, declare={deferred_key: "deferred"})
    dishonest = get_user_model().objects.create_user(username=DISHONEST.id_number, id_number=DISHONEST.id_number)
    Case.objects.filter(pk=case.pk).update(applicant=dishonest)
    case.refresh_from_db()
    outcome = services.evaluate_acceptance(case=case, checklist=services.checklist_from_case(case=case), today=TODAY)
    assert [p["code"] for p in outcome.problems] == ["dishonest"]


def test_returns_name_everything_at_once(demo_bundles, datahub_settings, mother):
    case = online_case(mother)
    material_key = next(m.key for m in case.materials.all() if m.source == "upload")
    first = services.case_return(
        case=case,
        clerk=clerk(),
        corrections=[
            {"kind": "field", "key": "applicant.mobile", "message": "手机号码无法接通，请核对"},
            {"kind": "material", "key": material_key, "message": "扫描件不清晰，请重新上传"},
        ],
    )
    case.refresh_from_db()
    assert first.round == 1 and case.state == Case.State.RETURNED and case.owner == clerk()
    case = services.case_resubmit(case=case, applicant=mother, raw_data={"applicant.mobile": "13916880009"})
    assert case.state == Case.State.SUBMITTED
    # the material was not changed, the mobile was: only the mobile may be named again
    with pytest.raises(services.ReturnRefused) as refused:
        services.case_return(
            case=case,
            clerk=clerk(),
            corrections=[
                {"kind": "material", "key": material_key, "message": "仍不清晰"},
                {"kind": "field", "key": "child.name", "message": "新的问题"},
            ],
        )
    assert {p["code"] for p in refused.value.problems} == {"not_changed_since"}
    second = services.case_return(
        case=case,
        clerk=clerk(),
        corrections=[
            {"kind": "field", "key": "applicant.mobile", "message": "新号码也无法接通"},
        ],
    )
    assert second.round == 2


def test_refusal_needs_a_reason(demo_bundles, datahub_settings, mother):
    case = online_case(mother)
    with pytest.raises(services.ReturnRefused):
        services.case_refuse(case=case, clerk=clerk(), reason="  ")
    case = services.case_refuse(case=case, clerk=clerk(), reason="依据《户口登记条例》第七条，不符合申报条件")
    assert case.state == Case.State.REFUSED and "户口登记条例" in case.refusal_reason


def test_reminders_are_sent_once_and_overdue_flagged_once(demo_bundles, datahub_settings, mother):
    probe = online_case(mother, upload_all=False)
    deferred_key, _ = deferrable_and_pledgeable(probe)
    case = services.case_accept(
        case=online_case(mother, declare={deferred_key: "deferred"}), clerk=clerk(), today=TODAY
    )
    check = case.material_checks.get(key=deferred_key)
    day_before = date(2026, 11, 20)  # deadline Mon 23rd is within two working days
    services.deferred_remind(today=day_before)
    services.deferred_remind(today=day_before)
    reminders = Notification.objects.filter(dedup_key__startswith=f"deferral-reminder:{check.pk}:")
    assert reminders.count() == 1  # the mother has a mobile and no email: one SMS, once
    assert services.deferred_flag_overdue(today=date(2026, 11, 24)) == 1
    assert services.deferred_flag_overdue(today=date(2026, 11, 25)) == 0
    case.refresh_from_db()
    assert case.deferral_overdue and MaterialCheck.objects.get(pk=check.pk).overdue
    services.deferred_supply(
        check=check, by=mother, upload=upload_create(owner=mother, file=SimpleUploadedFile("x.pdf", PDF))
    )
    assert MaterialCheck.objects.get(pk=check.pk).supplied_at is not None


def test_a_deadline_in_a_year_without_schedule_is_provisional_never_a_refusal(demo_bundles, datahub_settings, mother):
    """2027 has no schedule in the test database (chinesecalendar knows up to 2026)."""
    case = online_case(mother)
    checklist = services.checklist_from_case(case=case)
    outcome = services.evaluate_acceptance(case=case, checklist=checklist, today=date(2026, 12, 28))
    assert outcome.acceptable, outcome.problems
    assert outcome.due_date.year == 2027 and outcome.due_date.weekday() < 5 and outcome.due_provisional
    in_2026 = services.evaluate_acceptance(case=case, checklist=checklist, today=TODAY)
    assert in_2026.due_date.year == 2026 and not in_2026.due_provisional

    case = services.case_accept(case=case, clerk=clerk(), today=date(2026, 12, 28))
    assert case.due_date == outcome.due_date and case.due_date_provisional
    accepted = Notification.objects.filter(dedup_key__startswith=f"case-accepted:{case.number}:")
    assert accepted.exists() and all("暂定" in n.body for n in accepted)


def test_prereview_cross_checks_family_members_against_the_data_hub(demo_bundles, datahub_settings, mother):
    """L2: an applicant who names another registered person as the father (with his real ID
    number) is reported to the clerk; the father the hub knows is not."""
    from services.datahub.demo_identities import CITIZEN, FATHER

    honest = online_case(mother)
    assert honest.data["father.id_number"] == FATHER.id_number
    assert [f for f in services.prereview(case=honest) if f.code == "relation_mismatch"] == []

    version = published_version(bundle_code="child-birth")
    draft = apply_services.draft_start(applicant=mother, version=version, raw_answers=ANSWERS)
    form = apply_selectors.form_for(version=version, answers=draft.answers)
    data = {f.key: f.example() for f in form.fields if f.key not in draft.data}
    data["father.id_number"] = CITIZEN.id_number
    data["father.name"] = CITIZEN.name
    case = apply_services.draft_submit(draft=draft, raw_data=data)
    [finding] = [f for f in services.prereview(case=case) if f.code == "relation_mismatch"]
    assert finding.key == "father.id_number" and finding.level == "error"
    assert FATHER.id_number not in finding.message  # the hub's value is shown masked
