"""One truth about materials, from the notice to acceptance.

The sweep: every demo bundle, every situation, with a data hub that holds every e-licence
asked for and with one that holds none. A draft filled exactly as the form asks (every field
with a valid value, every material the form offers provided, deferred or pledged as it
offers) must save without problems, submit, pass the automatic pre-review with no missing
material and be accepted by a clerk who overrides nothing. Any disagreement between the
stages is a contradiction; there must be none.

The hub is the engine's edge: the sweep replaces it by a client that answers from a rule
(all / none), so that "holds everything" and "holds nothing" can be had for any identity.
The holder tests below use the real data hub service.
"""

from __future__ import annotations

import json
from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from onething.apply import selectors, services
from onething.apply.materials import HELD, draft_decisions
from onething.apply.models import Draft
from onething.apply.steps import MATERIALS
from onething.apply.uploads import upload_create
from onething.catalog import situations
from onething.catalog.models import Bundle, BundleVersion
from onething.intake import services as intake_services
from onething.intake.models import Clerk
from onething.intake.selectors import responsible_centre
from services.datahub import demo_identities as demo

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
VALID_UNTIL = "2099-12-31"


class RuleHub:
    """A data hub client answering from a rule: ``holds_all`` gives every holder a valid
    e-licence of every type; otherwise nobody has any. Persons and enterprises are unknown
    (no prefill: the sweep fills the form itself), and nobody is on the dishonest list."""

    def __init__(self, holds_all: bool):
        self.holds_all = holds_all
        self.issued: dict[str, str] = {}  # licence number -> holder
        self.calls = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def close(self):
        pass

    def get_person(self, id_number):
        return None

    def get_enterprise(self, credit_code):
        return None

    def list_elicences(self, holder, licence_type=None):
        self.calls += 1
        if not self.holds_all:
            return []
        return [self._licence(holder, kind) for kind in TYPES]

    def _licence(self, holder: str, kind: str) -> dict:
        number = f"SW-{kind}-{holder}"
        self.issued[number] = holder
        return {
            "licence_number": number,
            "type": kind,
            "holder": holder,
            "holder_name": "持证人",
            "status": "valid",
            "valid_until": VALID_UNTIL,
        }

    def verify_elicence(self, licence_number, holder):
        ok = self.issued.get(licence_number) == holder
        return {"valid": ok, "reason": "ok" if ok else "not_found"}


TYPES: set[str] = set()


def use_hub(monkeypatch, hub) -> None:
    for module in ("onething.apply.prefill.services", "onething.apply.services", "onething.intake.services"):
        monkeypatch.setattr(f"{module}.datahub_client", lambda: hub)


def applicant_for(bundle: Bundle):
    username = demo.ENTERPRISE_CREDIT_CODE if bundle.applicant_type == "enterprise" else demo.MOTHER.id_number
    return get_user_model().objects.get(username=username)


def fill_as_the_form_asks(draft: Draft) -> dict:
    form = selectors.form_for(version=draft.version, answers=draft.answers)
    return {f.key: f.example() for f in form.fields if draft.data.get(f.key) in (None, "")}


def an_upload(owner):
    return upload_create(owner=owner, file=SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf"))


def run_one(version: BundleVersion, answers: dict, hub: RuleHub) -> list[str]:
    """One draft from start to acceptance; returns the contradictions found."""
    problems: list[str] = []
    where = f"{version.bundle.code} {json.dumps(answers, ensure_ascii=False)} hub={'all' if hub.holds_all else 'none'}"
    applicant = applicant_for(version.bundle)
    draft = services.draft_start(applicant=applicant, version=version, raw_answers=answers)
    saved = services.draft_save(draft=draft, raw_data=fill_as_the_form_asks(draft))
    if saved.errors:
        problems.append(f"{where}: the form refuses its own example values: {sorted(saved.errors)}")
    draft = saved.draft
    upload = an_upload(applicant)
    for decision in draft_decisions(draft):
        line = decision.line
        if line.elicence_type and decision.held and not hub.holds_all:
            problems.append(f"{where}: {line.key} held although the hub holds nothing")
        if line.elicence_type and decision.holder and hub.holds_all and not decision.held:
            problems.append(f"{where}: {line.key} not held although the hub holds the holder's licence")
        if decision.held and decision.holder == "" and line.elicence_type:
            problems.append(f"{where}: {line.key} held with no holder")
        if decision.held or not line.required:
            continue
        try:
            if decision.can_defer:
                services.draft_declare(draft=draft, material_key=line.key, declaration="deferred")
            elif decision.can_pledge:
                services.draft_declare(draft=draft, material_key=line.key, declaration="pledged")
            else:
                services.draft_attach(draft=draft, material_key=line.key, upload=upload)
        except services.MaterialNotAllowed:
            problems.append(f"{where}: the form asks for {line.key} ({decision.status}) but refuses it")
    missing = [d.key for d in draft_decisions(draft) if d.missing]
    if missing:
        problems.append(f"{where}: still missing after doing what the form asks: {missing}")
    case = services.draft_submit(draft=draft)
    findings = intake_services.prereview(case=case)
    errors = [f"{f.code}:{f.key}" for f in findings if f.level == "error"]
    if errors:
        problems.append(f"{where}: pre-review finds {errors}")
    clerk_user = get_user_model().objects.get(
        pk=Clerk.objects.filter(centre=responsible_centre(bundle=version.bundle)).values("user")[:1]
    )
    try:
        intake_services.case_accept(case=case, clerk=clerk_user)
    except intake_services.AcceptanceRefused as refused:
        problems.append(
            f"{where}: acceptance refused: {[p['code'] + ':' + p.get('key', '') for p in refused.problems]}"
        )
    return problems


def test_every_demo_bundle_every_situation_with_the_hub_holding_all_and_none(demo_bundles, monkeypatch, capsys):
    versions = list(BundleVersion.objects.filter(state="published").select_related("bundle").order_by("bundle__code"))
    assert len(versions) == 5
    for version in versions:
        compiled = selectors.compiled_for(version=version)
        TYPES.update(
            m["shared"]["type"]
            for item in compiled.items.values()
            for m in item.get("materials", [])
            if (m.get("shared") or {}).get("kind") == "elicence"
        )
    counts = {"situations": 0, "drafts": 0, "contradictions": 0}
    contradictions: list[str] = []
    for version in versions:
        compiled = selectors.compiled_for(version=version)
        for answers in situations.enumerate_situations(compiled.questions):
            counts["situations"] += 1
            for holds_all in (True, False):
                hub = RuleHub(holds_all)
                use_hub(monkeypatch, hub)
                counts["drafts"] += 1
                contradictions += run_one(version, answers, hub)
    counts["contradictions"] = len(contradictions)
    with capsys.disabled():
        print(f"\nmaterial sweep: {counts}")
    assert contradictions == [], "\n".join(contradictions[:20])
    assert counts["situations"] >= 5 and counts["drafts"] == 2 * counts["situations"]


# --- whose document: the real data hub ---------------------------------------------------

STARTUP_ANSWERS = {"company_type": "limited", "need_seal": True, "hire_staff": False, "need_invoice": False}


@pytest.fixture
def enterprise_user(demo_bundles):
    return get_user_model().objects.get(username=demo.ENTERPRISE_CREDIT_CODE)


def startup_version() -> BundleVersion:
    return BundleVersion.objects.get(bundle__code="company-startup", state="published")


def test_another_partys_material_is_never_filled_with_the_applicants_licence(enterprise_user, datahub_settings):
    """The agent (applicant.id_number) holds no e-licence in the hub while the legal
    representative and the enterprise hold theirs: the agent's ID card is to be uploaded,
    never filled with the legal representative's ID card or anybody else's."""
    draft = services.draft_start(applicant=enterprise_user, version=startup_version(), raw_answers=STARTUP_ANSWERS)
    decisions = {d.key: d for d in draft_decisions(draft)}
    assert decisions["legal-rep-id-card"].status == HELD
    assert draft.materials["legal-rep-id-card"]["holder"] == demo.LEGAL_REP_ID_NUMBER
    assert decisions["business-licence"].status == HELD
    assert draft.materials["business-licence"]["holder"] == demo.ENTERPRISE_CREDIT_CODE
    # the agent and the investor are not known yet: their ID cards are to be provided
    for key in ("agent-id-card", "investor-identity"):
        assert not decisions[key].held and decisions[key].can_upload and decisions[key].fallback
        assert key not in draft.materials

    # the agent is a person with no e-licence in the hub (an ID number nobody holds)
    nobody = "11010519491231002X"
    draft = services.draft_save(draft=draft, raw_data={"applicant.id_number": nobody}).draft
    decisions = {d.key: d for d in draft_decisions(draft)}
    assert "agent-id-card" not in draft.materials
    assert decisions["agent-id-card"].status != HELD and decisions["agent-id-card"].missing
    # the upload is taken
    services.draft_attach(draft=draft, material_key="agent-id-card", upload=an_upload(enterprise_user))

    # now the agent is the legal representative, who holds an ID card: it is looked up and attached
    draft = services.draft_save(draft=draft, raw_data={"applicant.id_number": demo.LEGAL_REP_ID_NUMBER}).draft
    assert draft.materials["agent-id-card"]["source"] == "upload"  # what the applicant provided stays
    services.draft_declare(draft=draft, material_key="agent-id-card", declaration="")  # keeps the upload


def test_holder_change_drops_the_old_holders_licence_and_looks_up_the_new_one(enterprise_user, datahub_settings):
    draft = services.draft_start(applicant=enterprise_user, version=startup_version(), raw_answers=STARTUP_ANSWERS)
    assert draft.materials["legal-rep-id-card"]["holder"] == demo.LEGAL_REP_ID_NUMBER
    # legal_rep.id_number is the hub's (authoritative) value: a typed change does not move it
    form = selectors.form_for(version=draft.version, answers=draft.answers)
    if not form.by_key["legal_rep.id_number"].authoritative:
        draft = services.draft_save(draft=draft, raw_data={"legal_rep.id_number": "11010519491231002X"}).draft
        assert "legal-rep-id-card" not in draft.materials
    # the agent is the legal representative: the agent's ID card is looked up for that holder
    draft = services.draft_save(draft=draft, raw_data={"applicant.id_number": demo.LEGAL_REP_ID_NUMBER}).draft
    assert draft.materials["agent-id-card"]["holder"] == demo.LEGAL_REP_ID_NUMBER
    assert draft.materials["agent-id-card"]["licence_number"] == demo.LEGAL_REP_ID_CARD_LICENCE
    # the agent changes to somebody with no e-licence: the legal representative's card goes
    draft = services.draft_save(draft=draft, raw_data={"applicant.id_number": "11010519491231002X"}).draft
    assert "agent-id-card" not in draft.materials
    assert Draft.objects.get(pk=draft.pk).materials.get("agent-id-card") is None


def test_a_licence_issued_to_the_applicant_by_an_earlier_case_never_fills_another_partys_line(
    enterprise_user, datahub_settings, live_datahub
):
    """An ID card e-licence registered minutes ago for the enterprise's credit code (as an
    earlier case's issuance would) is the enterprise's; a person's ID card line never takes it."""
    from onething.identity.datahub import datahub_client

    with datahub_client() as hub:
        hub.register_elicence(
            "id_card", "SW-EARLIER-CASE-0001", demo.ENTERPRISE_CREDIT_CODE, "测试发证机关", {}, holder_name="企业"
        )
    draft = services.draft_start(applicant=enterprise_user, version=startup_version(), raw_answers=STARTUP_ANSWERS)
    for key in ("agent-id-card", "investor-identity"):
        assert key not in draft.materials
    holders = {d.key: d.holder for d in draft_decisions(draft) if d.source == "elicence"}
    assert demo.ENTERPRISE_CREDIT_CODE not in {
        holder for key, holder in holders.items() if key not in {"business-licence"}
    }


def test_the_form_offers_the_upload_when_the_hub_holds_nothing_for_the_holder(
    enterprise_user, datahub_settings, client
):
    draft = services.draft_start(applicant=enterprise_user, version=startup_version(), raw_answers=STARTUP_ANSWERS)
    client.force_login(enterprise_user)
    materials_url = f"/my/drafts/{draft.pk}/steps/{MATERIALS}/"
    page = client.get(materials_url)
    assert page.status_code == 200
    html = page.content.decode()
    row = html[html.index('data-material="agent-id-card"') :]
    row = row[: row.index("</li>")]
    assert 'name="material__agent-id-card"' in row and "data-fallback" in row
    posted = client.post(materials_url, {"action": "save", "material__agent-id-card": BytesIO(PDF)})
    assert posted.status_code in (200, 302)
    assert Draft.objects.get(pk=draft.pk).materials["agent-id-card"]["source"] == "upload"
