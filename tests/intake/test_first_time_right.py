"""Right first time (一次提交通过) means accepted with no failed submit, no required
material missing at submission and no return for correction (docs/dashboard.md)."""

import pytest

from onething.apply import selectors as apply_selectors
from onething.apply import services as apply_services
from onething.catalog.selectors import published_version
from onething.intake import services
from tests.intake.test_acceptance import ANSWERS, TODAY, clerk, online_case

pytestmark = pytest.mark.django_db


def test_a_clean_case_accepted_is_right_first_time(demo_bundles, datahub_settings, mother):
    case = online_case(mother)
    assert case.first_time_right is True
    case = services.case_accept(case=case, clerk=clerk(), today=TODAY)
    case.refresh_from_db()
    assert case.accepted_at and case.first_time_right is True


def test_submitted_with_required_materials_missing_is_not_right(demo_bundles, datahub_settings, mother):
    version = published_version(bundle_code="child-birth")
    draft = apply_services.draft_start(applicant=mother, version=version, raw_answers=ANSWERS)
    missing = apply_selectors.missing_required_materials(draft=draft)
    # the five required lines the applicant brings (those the government holds are not missing)
    assert len(missing) == 5 and all(m.bring and m.required for m in missing)
    assert "mother-id-card" not in {m.key for m in missing}  # its e-licence was attached
    form = apply_selectors.form_for(version=version, answers=draft.answers)
    case = apply_services.draft_submit(
        draft=draft, raw_data={f.key: f.example() for f in form.fields if f.key not in draft.data}
    )
    assert draft.failed_submissions == 0
    assert case.first_time_right is False


def test_declared_deferral_and_pledge_are_not_missing(demo_bundles, datahub_settings, mother):
    version = published_version(bundle_code="child-birth")
    draft = apply_services.draft_start(applicant=mother, version=version, raw_answers=ANSWERS)
    lines = apply_selectors.missing_required_materials(draft=draft)
    deferrable = next(m.key for m in lines if m.deferrable)
    pledgeable = next(m.key for m in lines if m.pledgeable)
    apply_services.draft_declare(draft=draft, material_key=deferrable, declaration="deferred")
    apply_services.draft_declare(draft=draft, material_key=pledgeable, declaration="pledged")
    left = {m.key for m in apply_selectors.missing_required_materials(draft=draft)}
    assert left == {m.key for m in lines} - {deferrable, pledgeable}


def test_a_case_returned_once_is_not_right_even_when_accepted_later(demo_bundles, datahub_settings, mother):
    case = online_case(mother)
    assert case.first_time_right is True
    services.case_return(
        case=case,
        clerk=clerk(),
        corrections=[{"kind": "field", "key": "applicant.mobile", "message": "手机号码无法接通，请核对"}],
    )
    case.refresh_from_db()
    assert case.first_time_right is False
    case = services.case_resubmit(case=case, applicant=mother, raw_data={"applicant.mobile": "13916880009"})
    case = services.case_accept(case=case, clerk=clerk(), today=TODAY)
    case.refresh_from_db()
    assert case.accepted_at and case.first_time_right is False


def test_a_refused_case_is_not_right(demo_bundles, datahub_settings, mother):
    case = online_case(mother)
    case = services.case_refuse(case=case, clerk=clerk(), reason="不符合受理条件")
    case.refresh_from_db()
    assert case.first_time_right is False
