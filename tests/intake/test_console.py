"""The clerk console (综合窗口受理台) and its API: who gets in, a walk-in child-birth intake
through the pages, and accept / return / refuse / reassign / deferred supply of online
cases, against the real data hub."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from onething.apply import selectors as apply_selectors
from onething.apply import services as apply_services
from onething.apply.uploads import upload_create
from onething.audit.models import AuditEvent
from onething.cases.models import Case
from onething.catalog.selectors import published_version
from onething.intake import selectors, services
from onething.intake.models import CorrectionRequest, MaterialCheck
from services.datahub.demo_identities import DISHONEST, MOTHER

ANSWERS = {"birth_place": "local_hospital", "married": True, "mother_insured": True}
ACCEPTED = {Case.State.ACCEPTED, Case.State.PROCESSING}  # dispatch starts right after acceptance
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

pytestmark = pytest.mark.django_db


def user(username):
    return get_user_model().objects.get(username=username)


def online_case(applicant, *, declare=None, upload_all=True) -> Case:
    """An online child-birth case of the mother: complete data; every material to bring
    uploaded, except those declared deferred/pledged (or all, with upload_all=False)."""
    version = published_version(bundle_code="child-birth")
    draft = apply_services.draft_start(applicant=applicant, version=version, raw_answers=ANSWERS)
    for material in apply_selectors.notice_materials(version, draft.answers):
        if not material.bring:
            continue
        if declare and material.key in declare:
            apply_services.draft_declare(draft=draft, material_key=material.key, declaration=declare[material.key])
        elif upload_all and material.required:
            upload = upload_create(owner=applicant, file=SimpleUploadedFile(f"{material.key}.pdf", PDF))
            apply_services.draft_attach(draft=draft, material_key=material.key, upload=upload)
    form = apply_selectors.form_for(version=version, answers=draft.answers)
    data = {f.key: f.example() for f in form.fields if f.key not in draft.data}
    return apply_services.draft_submit(draft=draft, raw_data=data)


@pytest.fixture
def case(demo_bundles, datahub_settings, mother) -> Case:
    return online_case(mother)


@pytest.fixture
def login(client):
    def as_(who):
        client.logout()
        if who == "anonymous":
            return client
        client.force_login(user(who) if isinstance(who, str) else who)
        return client

    return as_


CITIZEN = MOTHER.id_number
HUANGPU, HUANGPU_2, XUHUI = "clerk-huangpu", "clerk-huangpu-2", "clerk-xuhui"


# --- who gets in ------------------------------------------------------------------------------

ROLES = ["anonymous", CITIZEN, HUANGPU, XUHUI]
# (method, url, expected status for anonymous, citizen, clerk of the case's centre, other clerk)
PAGES = [
    ("get", "/console/", (302, 403, 200, 200)),
    ("get", "/console/window/", (302, 403, 200, 200)),
    ("get", "/console/cases/{number}/", (302, 403, 200, 404)),
    ("post", "/console/cases/{number}/accept/", (302, 403, None, 404)),
    ("post", "/console/cases/{number}/return/", (302, 403, None, 404)),
    ("post", "/console/cases/{number}/refuse/", (302, 403, None, 404)),
    ("post", "/console/cases/{number}/reassign/", (302, 403, None, 404)),
    ("post", "/console/cases/{number}/checks/1/supply/", (302, 403, None, 404)),
    ("get", "/console/window/nosuchtoken/bundle/", (302, 403, 404, 404)),
    ("get", "/console/window/nosuchtoken/form/", (302, 403, 404, 404)),
]
API = [
    ("get", "/api/intake/queue/", (403, 403, 200, 200)),
    ("get", "/api/intake/cases/{number}/", (403, 403, 200, 404)),
    ("post", "/api/intake/cases/{number}/accept/", (403, 403, None, 404)),
    ("post", "/api/intake/cases/{number}/return/", (403, 403, None, 404)),
    ("post", "/api/intake/cases/{number}/refuse/", (403, 403, None, 404)),
    ("post", "/api/intake/cases/{number}/reassign/", (403, 403, None, 404)),
]
# what the posts carry: enough that a clerk of the centre would change the case
FORM_BODY = {
    "refuse-reason": "依据",
    "reassign-reason": "换人",
    "corr-0-key": "field:applicant.mobile",
    "corr-0-message": "请核对",
}
API_BODY = {
    "reason": "依据",
    "to": HUANGPU_2,
    "corrections": [{"kind": "field", "key": "applicant.mobile", "message": "请核对"}],
}


def test_role_matrix_of_pages_and_api(case, login):
    """Anonymous → login page (API: 403), citizens → 403, clerks of another centre → 404
    for the case; nothing they post changes the case. (Posts of the case's own clerks are
    tested below.)"""
    form_body = {**FORM_BODY, "reassign-to_user": user(XUHUI).pk}
    for index, who in enumerate(ROLES):
        client = login(who)
        for method, url, expected in PAGES:
            if expected[index] is None:
                continue
            path = url.format(number=case.number)
            response = client.get(path) if method == "get" else client.post(path, form_body)
            assert response.status_code == expected[index], (who, method, path)
            if expected[index] == 302:
                assert response["Location"].startswith("/accounts/login/?next=")
        for method, url, expected in API:
            if expected[index] is None:
                continue
            path = url.format(number=case.number)
            if method == "get":
                response = client.get(path)
            else:
                response = client.post(path, API_BODY, content_type="application/json")
            assert response.status_code == expected[index], (who, method, path)
            if expected[index] == 404:
                assert response.json()["error"]["code"] == "not_found"
        case.refresh_from_db()
        assert case.state == Case.State.SUBMITTED and case.owner is None, who
    assert not AuditEvent.objects.filter(action="case.reassigned").exists()


def test_each_clerk_sees_the_queue_of_their_centre_with_masked_ids(case, login):
    page = login(HUANGPU).get("/console/").content.decode()
    assert case.number in page and "3101**********0469" in page and MOTHER.id_number not in page
    assert [row["number"] for row in login(HUANGPU).get("/api/intake/queue/").json()] == [case.number]
    assert case.number not in login(XUHUI).get("/console/").content.decode()
    assert login(XUHUI).get("/api/intake/queue/").json() == []


# --- the API for the case's clerk -----------------------------------------------------------------


def test_api_case_detail_accept_return_refuse(demo_bundles, datahub_settings, mother, login):
    client = login(HUANGPU)
    first = online_case(mother)
    body = client.get(f"/api/intake/cases/{first.number}/").json()
    assert body["applicant_id_masked"] == "3101**********0469"
    assert body["findings"] and {f["level"] for f in body["findings"]} <= {"ok", "warning", "error"}
    assert not [f for f in body["findings"] if f["level"] == "error"], body["findings"]
    assert {r["key"] for r in body["requirements"]} >= {"mother-id-card", "child-photo"}

    incomplete = {"child-photo": {"outcome": "deferred", "due_date": str(timezone.localdate())}}
    response = client.post(
        f"/api/intake/cases/{first.number}/accept/", {"checklist": incomplete}, content_type="application/json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "acceptance_refused"
    codes = {p["code"] for p in error["details"]}
    assert {"missing", "bad_deadline"} <= codes

    response = client.post(f"/api/intake/cases/{first.number}/accept/", {}, content_type="application/json")
    assert response.status_code == 200, response.json()
    accepted = response.json()
    assert accepted["accepted_at"] and accepted["state"] in ACCEPTED and accepted["owner"] == HUANGPU
    assert accepted["receipt_url"] == f"/documents/cases/{first.number}/receipt.pdf"
    assert accepted["material_checks"]
    again = client.post(f"/api/intake/cases/{first.number}/accept/", {}, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "state_conflict"

    second = online_case(mother)
    response = client.post(
        f"/api/intake/cases/{second.number}/return/",
        {"corrections": [{"kind": "field", "key": "applicant.mobile", "message": "手机号码无法接通"}]},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["round"] == 1
    assert response.json()["state"] == "returned"

    third = online_case(mother)
    response = client.post(
        f"/api/intake/cases/{third.number}/refuse/", {"reason": " "}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "reason_required"
    response = client.post(
        f"/api/intake/cases/{third.number}/refuse/",
        {"reason": "依据《户口登记条例》第七条，不符合申报条件"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["state"] == "refused"


def test_api_is_documented(client):
    schema = client.get("/api/schema/?format=json").json()
    for path in ("queue/", "cases/{number}/", "cases/{number}/accept/", "cases/{number}/return/"):
        assert f"/api/intake/{path}" in schema["paths"], path
    assert "/api/intake/cases/{number}/refuse/" in schema["paths"]


# --- walk-in intake at the window --------------------------------------------------------------------


def start_window(client, id_number, **extra) -> str:
    """Steps 1 and 2 for child birth; returns the URL of step 3."""
    response = client.get("/console/window/")
    assert response.status_code == 200 and b"autofocus" in response.content
    response = client.post("/console/window/", {"id_number": id_number, **extra})
    assert response.status_code == 302, response.content.decode()
    bundle_url = response["Location"]
    assert re.fullmatch(r"/console/window/[\w-]+/bundle/", bundle_url)
    page = client.get(bundle_url)
    assert page.status_code == 200 and b'id="bundle"' in page.content
    page = client.get(bundle_url + "?bundle=child-birth")
    assert "宝宝在哪里出生" in page.content.decode()
    response = client.post(
        bundle_url,
        {"bundle": "child-birth", "birth_place": "local_hospital", "married": "false", "mother_insured": "true"},
    )
    assert response.status_code == 302
    return response["Location"]


def fill(response, choices: dict[str, str], pledged: set[str] = frozenset()) -> dict:
    """The step-3 form as a clerk would post it: prefilled values kept, the rest filled with
    examples; the checklist as shown, with ``choices`` overriding and "original sighted"
    for any row left open."""
    context = response.context
    values = context["prefill"].get("values", {})
    post = {}
    for f in context["form"].fields:
        value = values.get(f.key, f.example())
        post[f.key] = "true" if value is True else "false" if value is False else str(value)
    for m in context["materials"]:
        row = m["row"]
        if row is None:
            continue
        name = row.outcome.html_name
        post[name] = choices.get(m["line"].key, row.outcome.value() or "original_sighted")
        if m["line"].key in pledged:
            post[row.pledge.html_name] = "on"
    return post


def test_window_intake_of_child_birth_with_deferral_and_pledge(demo_bundles, datahub_settings, mother, login):
    clerk = user(HUANGPU)
    client = login(HUANGPU)
    form_url = start_window(client, MOTHER.id_number.lower())
    response = client.get(form_url)
    assert response.status_code == 200
    page = response.content.decode()
    assert MOTHER.name in page and "政府数据" in page and "已调取电子证照" in page
    materials = {m["line"].key: m for m in response.context["materials"]}
    assert {"child-photo", "parentage-proof"} <= set(materials)  # unmarried: proof of parentage, pledgeable
    assert materials["mother-id-card"]["row"].outcome.value() == "elicence"

    # a required field left empty: the error is shown next to it and has the focus
    post = fill(response, {"child-photo": "deferred", "parentage-proof": "pledged"}, pledged={"parentage-proof"})
    empty = next(
        f.key
        for f in response.context["form"].fields
        if f.required and f.key not in response.context["prefill"]["values"]
    )
    response = client.post(form_url, {**post, empty: ""})
    assert response.status_code == 400
    assert re.search(rf'id="f-{re.escape(empty)}"[^>]*autofocus', response.content.decode().replace("\n", " "))
    assert Case.objects.count() == 0

    # an unsigned pledge is refused next to its row
    unsigned = {**post}
    unsigned.pop("check-parentage-proof-pledge")
    response = client.post(form_url, unsigned)
    assert response.status_code == 400
    assert "申请人尚未签署告知承诺书" in response.content.decode()
    assert Case.objects.count() == 0

    # the bank card scanned at the window: no outcome chosen means "uploaded"
    post["check-bank-card-outcome"] = ""
    post["material__bank-card"] = SimpleUploadedFile("bank-card.pdf", PDF, content_type="application/pdf")
    response = client.post(form_url, post)
    assert response.status_code == 302, response.context and response.context["error_count"]
    case = Case.objects.get()
    assert response["Location"] == f"/console/cases/{case.number}/#receipt"
    assert case.accepted_at and case.state in ACCEPTED and case.channel == Case.Channel.WINDOW
    assert case.owner == clerk and case.applicant == mother and case.centre.code == "huangpu"
    checks = {c.key: c for c in MaterialCheck.objects.filter(case=case)}
    assert checks["child-photo"].outcome == "deferred" and checks["child-photo"].due_date > timezone.localdate()
    assert checks["parentage-proof"].outcome == "pledged" and checks["parentage-proof"].pledge_signed_at
    assert checks["mother-id-card"].outcome == "elicence"
    assert checks["bank-card"].outcome == "uploaded"
    assert case.materials.get(key="bank-card").upload.original_name == "bank-card.pdf"

    page = client.get(response["Location"]).content.decode()
    assert f"/documents/cases/{case.number}/receipt.pdf" in page
    # posting again (back button) does not make a second case
    assert client.post(form_url, post).status_code == 302 and Case.objects.count() == 1

    # the deferred photo handed in at the window
    check = checks["child-photo"]
    response = client.post(
        f"/console/cases/{case.number}/checks/{check.pk}/supply/",
        {"supply-file": SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)},
    )
    assert response.status_code == 302
    check.refresh_from_db()
    assert check.supplied_at and check.supplied_upload.content_type == "image/png"
    assert client.get(f"/my/uploads/{check.supplied_upload_id}/").status_code == 200  # clerks of the centre read it


def test_window_intake_refuses_deferral_for_a_dishonest_applicant(demo_bundles, datahub_settings, login):
    client = login(HUANGPU)
    form_url = start_window(client, DISHONEST.id_number, full_name=DISHONEST.name, mobile=DISHONEST.mobile)
    applicant = get_user_model().objects.get(id_number=DISHONEST.id_number)
    assert not applicant.has_usable_password()
    response = client.get(form_url)
    post = fill(response, {"child-photo": "deferred", "parentage-proof": "pledged"}, pledged={"parentage-proof"})
    response = client.post(form_url, post)
    assert response.status_code == 400
    page = response.content.decode()
    assert "申请人有失信记录，不适用容缺受理" in page
    assert 'id="p-child-photo"' in page
    assert Case.objects.count() == 0


def test_window_step_one_checks_the_id_number(demo_bundles, login):
    client = login(HUANGPU)
    response = client.post("/console/window/", {"id_number": "310104199203150468"})
    assert response.status_code == 400
    assert "请输入有效的18位居民身份证号或统一社会信用代码" in response.content.decode()
    assert re.search(r'name="id_number"[^>]*autofocus', response.content.decode())


# --- online cases: accept, return, refuse, reassign -------------------------------------------------


def test_accept_through_the_page_shows_problems_per_row(demo_bundles, datahub_settings, mother, login):
    case = online_case(mother, upload_all=False)
    client = login(HUANGPU)
    response = client.get(f"/console/cases/{case.number}/")
    page = response.content.decode()
    assert 'class="error"' in page  # missing materials found by the automatic pre-review
    rows = response.context["checklist_rows"]
    post = {row.outcome.html_name: row.outcome.value() or "" for row in rows}
    response = client.post(f"/console/cases/{case.number}/accept/", post)
    assert response.status_code == 400
    missing = [row.line.key for row in response.context["checklist_rows"] if row.problems]
    assert missing and "缺少必需材料" in response.content.decode()
    for row in rows:
        if row.line.key in missing:
            post[row.outcome.html_name] = "original_sighted"
    response = client.post(f"/console/cases/{case.number}/accept/", post)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.accepted_at and case.state in ACCEPTED and case.owner == user(HUANGPU)
    assert {c.key for c in case.material_checks.filter(outcome="original_sighted")} == set(missing)
    assert f"/documents/cases/{case.number}/receipt.pdf" in client.get(response["Location"]).content.decode()
    queue = client.get("/console/mine/").content.decode()
    assert case.number in queue  # under "my cases"


def test_return_then_a_second_return_must_name_only_changes(demo_bundles, datahub_settings, mother, login):
    case = online_case(mother)
    material_key = next(m.key for m in case.materials.all() if m.source == "upload")
    client = login(HUANGPU)
    page = client.get(f"/console/cases/{case.number}/").content.decode()
    assert page.count('name="corr-') >= 10  # at least five blank rows of key + message
    response = client.post(
        f"/console/cases/{case.number}/return/",
        {
            "corr-0-key": "field:applicant.mobile",
            "corr-0-message": "手机号码无法接通，请核对",
            "corr-1-key": f"material:{material_key}",
            "corr-1-message": "扫描件不清晰，请重新上传",
            "corr-2-key": "",
            "corr-2-message": "",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == Case.State.RETURNED and case.owner == user(HUANGPU)
    first = CorrectionRequest.objects.get(case=case)
    assert [c["key"] for c in first.corrections] == ["applicant.mobile", material_key]

    case = services.case_resubmit(case=case, applicant=mother, raw_data={"applicant.mobile": "13916880009"})
    assert case.number in client.get("/console/").content.decode()
    response = client.post(
        f"/console/cases/{case.number}/return/",
        {"corr-0-key": f"material:{material_key}", "corr-0-message": "仍不清晰"},
    )
    assert response.status_code == 400
    assert "一次性告知" in response.content.decode()
    assert re.search(r'name="corr-0-key"[^>]*autofocus', response.content.decode())
    case.refresh_from_db()
    assert case.state == Case.State.SUBMITTED and case.corrections.count() == 1

    response = client.post(
        f"/console/cases/{case.number}/return/",
        {"corr-0-kind": "field", "corr-0-key": "applicant.mobile", "corr-0-message": "新号码也无法接通"},
    )
    assert response.status_code == 302 and case.corrections.count() == 2


def test_return_rows_need_a_key(case, login):
    response = login(HUANGPU).post(f"/console/cases/{case.number}/return/", {"corr-0-message": "请补正"})
    assert response.status_code == 400 and "请选择需要补正的项目" in response.content.decode()


def test_refusal_needs_a_reason(case, login):
    client = login(HUANGPU)
    response = client.post(f"/console/cases/{case.number}/refuse/", {"refuse-reason": "  "})
    assert response.status_code == 400
    page = response.content.decode()
    assert "请填写不予受理的法律依据和理由" in page and re.search(r'name="refuse-reason"[^>]*autofocus', page)
    case.refresh_from_db()
    assert case.state == Case.State.SUBMITTED
    reason = "依据《户口登记条例》第七条，不符合申报条件"
    # the first step asks for confirmation and changes nothing
    response = client.post(f"/console/cases/{case.number}/refuse/", {"refuse-reason": reason})
    assert response.status_code == 200
    page = response.content.decode()
    assert "确认不予受理" in page and 'id="refuse-confirm-button"' in page and reason in page
    assert 'name="refuse-confirmed"' in page
    case.refresh_from_db()
    assert case.state == Case.State.SUBMITTED
    response = client.post(f"/console/cases/{case.number}/refuse/", {"refuse-reason": reason, "refuse-confirmed": "on"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == Case.State.REFUSED and "户口登记条例" in case.refusal_reason
    assert AuditEvent.objects.filter(action="case.refused", case_number=case.number).count() == 1
    again = client.post(f"/console/cases/{case.number}/refuse/", {"refuse-reason": "再次", "refuse-confirmed": "on"})
    assert again.status_code == 302


def test_reassign_within_the_centre_is_audited(case, login):
    client = login(HUANGPU)
    page = client.get(f"/console/cases/{case.number}/").content.decode()
    assert "clerk-huangpu-2" in page and "clerk-xuhui" not in page
    response = client.post(
        f"/console/cases/{case.number}/reassign/",
        {"reassign-to_user": user(HUANGPU_2).pk, "reassign-reason": "申请人预约了李慧办理"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.owner == user(HUANGPU_2)
    event = AuditEvent.objects.get(action="case.reassigned", case_number=case.number)
    assert event.actor == user(HUANGPU) and event.after == {"owner": user(HUANGPU_2).pk}
    assert event.note == "申请人预约了李慧办理"

    response = client.post(
        f"/console/cases/{case.number}/reassign/",
        {"reassign-to_user": user(XUHUI).pk, "reassign-reason": "转到徐汇"},
    )
    assert response.status_code == 400 and "只能转交给本中心的窗口人员" in response.content.decode()
    response = client.post(
        f"/console/cases/{case.number}/reassign/", {"reassign-to_user": user(HUANGPU).pk, "reassign-reason": ""}
    )
    assert response.status_code == 400 and "请填写转交原因" in response.content.decode()
    case.refresh_from_db()
    assert case.owner == user(HUANGPU_2)
    assert AuditEvent.objects.filter(action="case.reassigned", case_number=case.number).count() == 1


def test_my_cases_flag_overdue_deferred_materials(demo_bundles, datahub_settings, mother, login):
    probe = online_case(mother, upload_all=False)
    deferrable = next(m.key for m in selectors.requirements(probe) if m.bring and m.required and m.deferrable)
    case = online_case(mother, declare={deferrable: "deferred"})
    services.case_accept(case=case, clerk=user(HUANGPU))
    MaterialCheck.objects.filter(case=case, key=deferrable).update(due_date=timezone.localdate() - timedelta(days=1))
    Case.objects.filter(pk=case.pk).update(deferral_overdue=True)
    page = login(HUANGPU).get("/console/mine/").content.decode()
    row = page[page.index('id="my-cases"') :]
    assert case.number in row and "容缺材料逾期" in row
