"""The citizen journey of the load benchmark (docs/load.md) through the REST API: several
materials attached in one request, and a ceiling on the SQL statements of every hot call,
so that a per-request reload (the bundle version's snapshot, the clerk record, a refresh
that drops loaded relations) cannot come back unnoticed.

The ceilings are what the calls need today, counted on PostgreSQL and SQLite alike; each
includes the session and user lookups of an authenticated request (2)."""

import json
from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from onething.apply import api, selectors
from onething.apply.materials import draft_decisions
from onething.apply.models import Draft
from onething.cases.models import Case
from onething.catalog.models import Bundle
from onething.intake.models import Clerk
from onething.intake.selectors import responsible_centre
from onething.notice.selectors import version_notice
from onething.workdays.services import add_working_days

ANSWERS = {"birth_place": "local_hospital", "married": True, "mother_insured": True}
QUERY = "birth_place=local_hospital&married=true&mother_insured=true"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

pytestmark = pytest.mark.django_db

# statements per call (see the module docstring); DRAFT includes the look-up of an open
# draft to resume and the count of open drafts against DRAFT_QUOTA. SUBMIT: the draft, the
# case number, the transaction (two in a test: savepoint and release), the case, its
# material lines, the draft linked (a conditional UPDATE, no row lock), the delivery choice
# recorded from the form, the centre found and set, and the three audit events in one INSERT.
# ACCEPT includes the applicant's in-site message (站内信) of the acceptance notice (one INSERT)
NOTICE, DRAFT, PATCH, ATTACH, SUBMIT, CLERK_VIEW, ACCEPT = 1, 6, 4, 5, 13, 7, 33
# with sessions read from a shared cache (settings.SESSION_ENGINE, Redis) the session row is
# not read: one statement less on every authenticated call but the notice read
CACHED_SESSION = 1


def json_post(client, url, body):
    return client.post(url, body, content_type="application/json")


def upload(client) -> int:
    answer = client.post("/api/uploads/", {"file": BytesIO(PDF)}, format="multipart")
    assert answer.status_code == 201, answer.content
    return answer.json()["id"]


def to_bring(draft_id) -> list[str]:
    """Material lines the applicant provides that are not provided yet."""
    draft = Draft.objects.get(pk=draft_id)
    return [d.key for d in draft_decisions(draft) if d.can_upload and not d.provided]


def test_several_materials_in_one_request(client, demo_bundles, datahub_settings, mother, other_citizen):
    client.force_login(mother)
    draft_id = json_post(client, "/api/drafts/", {"bundle": "child-birth", "answers": ANSWERS}).json()["id"]
    url = f"/api/drafts/{draft_id}/materials/"
    keys, mine = to_bring(draft_id), upload(client)
    assert len(keys) >= 2

    # all or none: one line not uploaded here refuses the whole request
    refused = json_post(client, url, [{"key": keys[0], "upload": mine}, {"key": "no-such-line", "upload": mine}])
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "material_not_allowed"
    assert keys[0] not in Draft.objects.get(pk=draft_id).materials
    # an upload of someone else, or none at all, is refused as for one line
    client.force_login(other_citizen)
    theirs = upload(client)
    client.force_login(mother)
    for bad in (theirs, 999_999):
        answer = json_post(client, url, [{"key": keys[0], "upload": mine}, {"key": keys[1], "upload": bad}])
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "material_not_allowed"
    # malformed lists: empty, a line without its upload
    for malformed in ([], [{"key": keys[0]}]):
        answer = json_post(client, url, malformed)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_request"

    attached = json_post(client, url, [{"key": key, "upload": mine} for key in keys])
    assert attached.status_code == 200, attached.content
    materials = attached.json()["materials"]
    assert all(materials[key]["source"] == "upload" and materials[key]["upload"] == mine for key in keys)
    assert to_bring(draft_id) == []
    # another citizen cannot attach to this draft, one line or several
    client.force_login(other_citizen)
    assert json_post(client, url, [{"key": keys[0], "upload": theirs}]).status_code == 404
    assert json_post(client, url, {"key": keys[0], "upload": theirs}).status_code == 404


def test_statements_per_call_of_the_journey(
    client, settings, demo_bundles, datahub_settings, mother, django_assert_max_num_queries
):
    # outside the count, what a process reads once: the compiled bundle version, the
    # working-day calendar (kept WORKDAYS_CACHE_SECONDS)
    settings.WORKDAYS_CACHE_SECONDS = 3600
    add_working_days(start=timezone.localdate(), days=1)
    saved = CACHED_SESSION if settings.SESSION_ENGINE.endswith("cached_db") else 0
    draft_, patch_, attach_, submit_, clerk_view_, accept_ = (
        n - saved for n in (DRAFT, PATCH, ATTACH, SUBMIT, CLERK_VIEW, ACCEPT)
    )
    client.force_login(mother)
    assert client.get(f"/api/bundles/child-birth/notice/?{QUERY}").status_code == 200

    with django_assert_max_num_queries(NOTICE):
        notice = client.get(f"/api/bundles/child-birth/notice/?{QUERY}")
    assert notice.status_code == 200
    with django_assert_max_num_queries(draft_):
        draft = json_post(client, "/api/drafts/", {"bundle": "child-birth", "answers": ANSWERS})
    assert draft.status_code == 201
    draft_id, mine = draft.json()["id"], upload(client)
    fill = {
        f.key: f.example()
        for f in selectors.form_for(
            version=Draft.objects.get(pk=draft_id).version, answers=draft.json()["answers"]
        ).fields
        if f.key not in draft.json()["data"]
    }
    with django_assert_max_num_queries(patch_):
        patched = client.patch(f"/api/drafts/{draft_id}/", {"data": fill}, content_type="application/json")
    assert patched.status_code == 200 and patched.json()["problems"] == []
    lines = [{"key": key, "upload": mine} for key in to_bring(draft_id)]
    with django_assert_max_num_queries(attach_):
        attached = json_post(client, f"/api/drafts/{draft_id}/materials/", lines)
    assert attached.status_code == 200
    with django_assert_max_num_queries(submit_):
        submitted = client.post(f"/api/drafts/{draft_id}/submit/")
    assert submitted.status_code == 201, submitted.content
    number = submitted.json()["number"]
    assert submitted.json()["bundle"] == "child-birth" and len(submitted.json()["materials"]) > len(lines)

    # the answers built directly are what the serializers of the OpenAPI schema give
    draft_row = selectors.submittable_draft(user=mother, draft_id=draft_id)
    case_row = Case.objects.select_related("version__bundle").prefetch_related("materials").get(number=number)
    assert submitted.json() == json.loads(json.dumps(api.CaseSerializer(case_row).data))
    assert api.draft_body(draft_row) == api.DraftSerializer(draft_row).data
    assert api.case_body(case_row) == api.CaseSerializer(case_row).data

    centre = responsible_centre(bundle=Bundle.objects.get(code="child-birth"))
    clerk = get_user_model().objects.get(pk=Clerk.objects.filter(centre=centre).values("user")[:1])
    client.force_login(clerk)
    with django_assert_max_num_queries(clerk_view_):
        detail = client.get(f"/api/intake/cases/{number}/")
    assert detail.status_code == 200
    checklist = acceptance_checklist(detail.json())
    with django_assert_max_num_queries(accept_):
        accepted = json_post(client, f"/api/intake/cases/{number}/accept/", {"checklist": checklist})
    assert accepted.status_code == 200, accepted.content
    assert Case.objects.get(number=number).state == Case.State.PROCESSING


def acceptance_checklist(review: dict) -> dict:
    """The clerk's checklist for a case review (the intake API's case detail): each material
    as it came, and every other required one sighted as an original."""
    checklist = {
        m["key"]: {"outcome": "uploaded" if m["source"] == "upload" else m["source"]} for m in review["materials"]
    }
    for requirement in review["requirements"]:
        if requirement["required"] and requirement["key"] not in checklist:
            checklist[requirement["key"]] = {"outcome": "original_sighted"}
    return checklist


def test_shared_notice_is_per_version_and_situation(demo_bundles):
    from onething.catalog.selectors import published_version

    version = published_version(bundle_code="child-birth")
    first = version_notice(version=version, answers=ANSWERS)
    assert version_notice(version=version, answers=dict(reversed(ANSWERS.items()))) is first
    other = version_notice(version=version, answers=ANSWERS | {"married": False})
    assert other is not first
