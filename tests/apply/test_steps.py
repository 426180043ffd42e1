"""The merged form as steps (一表申请): one topic per page derived from the definition,
each step checked on its own, back and save, resume, 核对信息 with 修改 links, submission
only from there and only when complete, the confirmation page, and access only to one's
own draft."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onething.apply import selectors
from onething.apply.models import Draft
from onething.apply.steps import DELIVERY, MATERIALS, draft_steps, steps_for
from onething.cases.models import Case
from onething.intake import selectors as intake_selectors
from onething.workdays.services import due_after
from tests.apply.test_submission import PDF, QUERY, complete, start

pytestmark = pytest.mark.django_db


def step_url(draft, key, **query) -> str:
    suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    return f"/my/drafts/{draft.pk}/steps/{key}/{suffix}"


def check_url(draft) -> str:
    return f"/my/drafts/{draft.pk}/check/"


def fill_all(client, draft) -> None:
    """Every step continued with example values for what the prefill left empty."""
    values = complete(draft)
    for step in draft_steps(draft=draft).steps:
        posted = {"action": "next", **{k: v for k, v in values.items() if k in step.keys}}
        response = client.post(step_url(draft, step.key), posted)
        assert response.status_code == 302, (step.key, response.content.decode()[:2000])


def test_steps_follow_the_definition_materials_before_delivery(demo_bundles, datahub_settings, mother):
    draft = start(mother)
    form = selectors.form_for(version=draft.version, answers=draft.answers)
    keys = [s.key for s in draft_steps(draft=draft).steps]
    sections = [key for key, _label, _fields in form.steps]
    assert keys == [*sections[:-1], MATERIALS, DELIVERY] and sections[-1] == DELIVERY
    assert keys[:2] == ["applicant", "family"]  # the definition's own sections come first
    # a form without some topic has fewer steps; without materials, no materials step
    assert [s.key for s in steps_for(form=form, has_materials=False)] == sections
    every_field = [f.key for s in draft_steps(draft=draft).steps for f in s.fields]
    assert sorted(every_field) == sorted(form.by_key)  # each field on exactly one step


def test_start_opens_step_one_with_a_progress_list(client, demo_bundles, datahub_settings, mother):
    client.force_login(mother)
    response = client.get(f"/bundles/child-birth/apply/?{QUERY}")
    draft = Draft.objects.get()
    assert response["Location"] == step_url(draft, "applicant")
    page = client.get(response["Location"]).content.decode()
    total = len(draft_steps(draft=draft).steps) + 1  # and 核对信息
    assert f"步骤 1/{total} · 申请人" in page
    assert page.count('aria-current="step"') == 1
    assert 'value="next"' in page and 'value="save"' in page
    assert 'value="back"' not in page  # nothing before the first step
    assert step_url(draft, "family") in page  # the other steps are links


def test_a_step_shows_only_its_own_problems_and_goes_on_once_fixed(client, demo_bundles, datahub_settings, mother):
    client.force_login(mother)
    draft = start(mother)
    response = client.post(
        step_url(draft, "applicant"), {"action": "next", "applicant.mobile": "12", "child.name": "不在这一步"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="form-errors"' in page and 'data-count="1"' in page
    assert 'href="#f-applicant.mobile"' in page
    assert "#f-bank.account_number" not in page  # another step's problem is not shown here
    draft.refresh_from_db()
    assert draft.data["applicant.mobile"] == "12"  # kept, as typed
    assert "child.name" not in draft.data or draft.data["child.name"] != "不在这一步"  # not this step's field
    fixed = client.post(step_url(draft, "applicant"), {"action": "next", "applicant.mobile": "13916880001"})
    assert fixed.status_code == 302 and fixed["Location"] == step_url(draft, "family")


def test_back_and_save_keep_the_input_without_stopping(client, demo_bundles, datahub_settings, mother):
    client.force_login(mother)
    draft = start(mother)
    back = client.post(step_url(draft, "family"), {"action": "back", "father.id_number": "123"})
    assert back["Location"] == step_url(draft, "applicant")
    saved = client.post(step_url(draft, "event"), {"action": "save", "bank.name": "工商银行"})
    assert saved["Location"] == step_url(draft, "event")
    assert "草稿已保存" in client.get(saved["Location"]).content.decode()
    draft.refresh_from_db()
    assert draft.data["father.id_number"] == "123" and draft.data["bank.name"] == "工商银行"


def test_resume_goes_to_the_first_step_with_something_to_do(client, demo_bundles, datahub_settings, mother):
    client.force_login(mother)
    draft = start(mother)
    first = draft_steps(draft=draft).resume_at
    assert first is not None
    response = client.get(f"/my/drafts/{draft.pk}/")
    assert response["Location"] == step_url(draft, first.key)
    assert f"/my/drafts/{draft.pk}/" in client.get("/my/").content.decode()  # 我的申请 lists it to resume
    fill_all(client, draft)
    draft.refresh_from_db()
    for material in selectors.missing_required_materials(draft=draft):
        file = SimpleUploadedFile(f"{material.key}.pdf", PDF, content_type="application/pdf")
        client.post(step_url(draft, MATERIALS), {"action": "save", f"material__{material.key}": file})
    assert client.get(f"/my/drafts/{draft.pk}/")["Location"] == check_url(draft)


def test_check_answers_links_each_step_and_comes_back(client, demo_bundles, datahub_settings, mother):
    client.force_login(mother)
    draft = start(mother)
    fill_all(client, draft)
    page = client.get(check_url(draft)).content.decode()
    for step in draft_steps(draft=draft).steps:
        assert step_url(draft, step.key, **{"return": "check"}).replace("&", "&amp;") in page
    draft.refresh_from_db()
    assert draft.data["applicant.name"] in page
    # materials by what happens to them: the e-licence is held, the missing ones named
    assert 'data-group="held"' in page and 'data-material="mother-id-card"' in page
    assert 'class="missing"' in page
    # 修改 → the step → back to 核对信息
    response = client.post(
        step_url(draft, "applicant", **{"return": "check"}), {"action": "next", "applicant.mobile": "13900000000"}
    )
    assert response["Location"] == check_url(draft)
    assert "13900000000" in client.get(check_url(draft)).content.decode()
    # with a problem it stays on the step, still on the way back
    wrong = client.post(
        step_url(draft, "applicant", **{"return": "check"}),
        {"action": "next", "applicant.mobile": "1", "return": "check"},
    )
    assert wrong.status_code == 200 and 'name="return" value="check"' in wrong.content.decode()


def test_an_incomplete_draft_is_not_submitted(client, demo_bundles, datahub_settings, mother):
    client.force_login(mother)
    draft = start(mother)
    response = client.post(check_url(draft))
    assert response.status_code == 200 and Case.objects.count() == 0
    page = response.content.decode()
    assert "还不能提交" in page
    flow = draft_steps(draft=draft)
    for key in flow.errors:
        step = next(s for s in flow.steps if key in s.keys)
        assert (step_url(draft, step.key, **{"return": "check"}) + f"#f-{key}").replace("&", "&amp;") in page


def test_submission_from_check_answers_and_the_confirmation(client, demo_bundles, datahub_settings, mother):
    client.force_login(mother)
    draft = start(mother)
    fill_all(client, draft)
    draft.refresh_from_db()
    deferrable = next(d for d in draft_steps(draft=draft).decisions if d.can_defer)
    client.post(step_url(draft, MATERIALS), {"action": "save", f"declare__{deferrable.key}": "deferred"})
    response = client.post(check_url(draft))
    case = Case.objects.get()
    assert response["Location"] == f"/my/cases/{case.number}/submitted/"
    page = client.get(response["Location"]).content.decode()
    assert case.number in page and "接下来会发生什么" in page
    days = intake_selectors.bundle_days(case)
    expected = due_after(start=date.today(), days=days).day
    assert f"受理后 {days} 个工作日" in page and f"{expected:%Y}年{expected.month}月{expected.day}日" in page
    assert 'id="deferred-materials"' in page and deferrable.line.name in page  # 容缺 with its deadline
    assert "短信：139****0001" in page or 'data-channel="sms"' in page  # how they will be told
    assert f'href="/my/cases/{case.number}/"' in page
    # the draft is gone from the steps once submitted
    assert client.get(check_url(draft)).status_code == 404


def test_only_ones_own_draft_and_confirmation(client, demo_bundles, datahub_settings, mother, other_citizen):
    draft = start(mother)
    client.force_login(other_citizen)
    assert client.get(f"/my/drafts/{draft.pk}/").status_code == 404
    assert client.get(step_url(draft, "applicant")).status_code == 404
    assert client.post(step_url(draft, "applicant"), {"applicant.mobile": "13900000000"}).status_code == 404
    assert client.get(check_url(draft)).status_code == 404
    assert client.post(check_url(draft)).status_code == 404
    client.force_login(mother)
    assert client.get(step_url(draft, "no_such_step")).status_code == 404
    fill_all(client, draft)
    client.post(check_url(draft))
    number = Case.objects.get().number
    client.force_login(other_citizen)
    assert client.get(f"/my/cases/{number}/submitted/").status_code == 404
    draft.refresh_from_db()
    assert draft.data.get("applicant.mobile") != "13900000000"


def test_materials_step_uploads_and_reports_a_refused_file(client, demo_bundles, datahub_settings, mother):
    client.force_login(mother)
    draft = start(mother)
    bring = next(d.key for d in draft_steps(draft=draft).decisions if d.can_upload)
    bad = SimpleUploadedFile("x.pdf", b"not a pdf at all", content_type="application/pdf")
    response = client.post(step_url(draft, MATERIALS), {"action": "next", f"material__{bring}": bad})
    assert response.status_code == 200 and f'href="#m-{bring}"' in response.content.decode()
    good = SimpleUploadedFile("proof.pdf", PDF, content_type="application/pdf")
    response = client.post(step_url(draft, MATERIALS), {"action": "next", f"material__{bring}": good})
    assert response["Location"] == step_url(draft, DELIVERY)
    draft.refresh_from_db()
    assert draft.materials[bring]["source"] == "upload"
