"""A bundle with parties the engine has never heard of works from its definition alone.

``bundles/kindergarten-enrolment.json`` (a test file, nowhere else) declares a ``ward``
(the applicant's eldest child, a section of its own) and a ``co_guardian`` (the applicant's
spouse, in a "guardians" section with the applicant). Neither word, nor the sections', is
anywhere in the engine's code: the draft form groups their fields by the definition, and
prefill finds them in the live data hub by the definition's relations and selection rule,
end to end through the citizen's draft page.
"""

import json
import re
from pathlib import Path

import pytest

from onething.apply.models import Draft
from onething.apply.prefill.base import SOURCE_ELICENCE, SOURCE_PERSON
from onething.apply.steps import draft_steps
from onething.catalog.definition.importer import import_definition
from services.datahub import demo_identities as demo

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = Path(__file__).with_name("bundles") / "kindergarten-enrolment.json"
NEW_WORDS = ("ward", "co_guardian", "pupil", "guardians")


def definition() -> dict:
    return json.loads(DEFINITION.read_text(encoding="utf-8"))


def sections_of_steps(client, draft, query: str = "") -> list[tuple[str, list[str]]]:
    """(heading, field keys) of each step of the form that asks for data, in order, read
    from the step pages (一表申请 as steps: one section per page)."""
    found = []
    for step in draft_steps(draft=draft).steps:
        html = client.get(f"/my/drafts/{draft.pk}/steps/{step.key}/{query}").content.decode()
        keys = re.findall(r'data-key="([^"]+)"', html)
        if keys:
            found.append((re.search(r'<h1 class="step-title">(.*?)</h1>', html).group(1), keys))
    return found


def test_the_engine_has_never_heard_of_these_parties():
    sources = [p for p in (ROOT / "onething").rglob("*.py") if "migrations" not in p.parts]
    sources += list((ROOT / "templates").rglob("*.html"))
    for source in sources:
        text = source.read_text(encoding="utf-8")
        for word in NEW_WORDS:
            assert not re.search(rf"(?<![\w-]){word}(?![\w-])", text), (source, word)


@pytest.mark.django_db
def test_new_parties_get_their_own_sections_and_prefill_from_the_hub(client, mother, datahub_settings):
    version = import_definition(document=definition(), publish=True)
    client.force_login(mother)
    started = client.get(f"/bundles/{version.bundle.code}/apply/")
    draft = Draft.objects.get(applicant=mother)
    first_step = draft_steps(draft=draft).steps[0].key
    assert started.status_code == 302 and started["Location"] == f"/my/drafts/{draft.pk}/steps/{first_step}/"

    # prefilled from the data hub, by the definition's relations: the ward is the
    # applicant's eldest child (the newborn), the co-guardian the applicant's spouse
    assert draft.data["ward.name"] == demo.NEWBORN_NAME
    assert draft.data["ward.id_number"] == demo.NEWBORN_ID_NUMBER
    assert draft.data["ward.birth_date"] == demo.NEWBORN_BIRTH_DATE.isoformat()
    assert draft.data["ward.gender"] == "F"  # the hub's "女" matched to the definition's choice
    assert draft.data["co_guardian.name"] == demo.FATHER_NAME
    assert draft.data["co_guardian.id_number"] == demo.FATHER_ID_NUMBER
    assert draft.data["co_guardian.mobile"] == demo.FATHER_MOBILE
    assert draft.data["applicant.name"] == demo.MOTHER_NAME
    assert "school.preference" not in draft.data  # no party: nobody prefills it
    assert draft.prefilled["ward.name"] == {"source": SOURCE_PERSON, "value": demo.NEWBORN_NAME}
    assert draft.identities["ward"] == demo.NEWBORN_ID_NUMBER
    assert draft.identities["co_guardian"] == demo.FATHER_ID_NUMBER
    # and their documents, as e-licences of exactly those holders
    birth = draft.materials["birth-medical-certificate"]
    assert birth["licence_number"] == demo.NEWBORN_BIRTH_CERTIFICATE_LICENCE
    assert birth["holder"] == demo.NEWBORN_ID_NUMBER and birth["source_label"] == SOURCE_ELICENCE
    assert draft.materials["co-guardian-id-card"]["licence_number"] == demo.FATHER_ID_CARD_LICENCE

    # the draft page: the definition's sections, in its order, then the engine's own
    sections = sections_of_steps(client, draft)
    assert [heading for heading, _ in sections] == ["入园幼儿", "监护人", "个别事项所需信息"]
    assert sections[0][1] == ["ward.name", "ward.id_number", "ward.birth_date", "ward.gender"]
    assert sections[1][1] == [
        "applicant.name",
        "applicant.id_number",
        "co_guardian.name",
        "co_guardian.id_number",
        "co_guardian.mobile",
    ]
    assert sections[2][1] == ["school.preference"]
    pages = "".join(
        client.get(f"/my/drafts/{draft.pk}/steps/{step.key}/").content.decode()
        for step in draft_steps(draft=draft).steps
    )
    assert demo.NEWBORN_NAME in pages and demo.FATHER_NAME in pages
    english = sections_of_steps(client, draft, "?lang=en")
    assert [heading for heading, _ in english] == ["The child to enrol", "Guardians", "Information for specific items"]


@pytest.mark.django_db
def test_the_definitions_selection_rule_decides_who_the_party_is(client, mother, datahub_settings):
    """The same bundle asking for the applicant's only woman among herself and her spouse
    instead: the mother applying is then her own co-guardian. Nothing in the engine changed."""
    document = definition()
    co_guardian = document["bundle"]["version"]["parties"][2]
    co_guardian["hub"] = {"relation": ["self", "spouse"], "select": "female"}
    import_definition(document=document, publish=True)
    client.force_login(mother)
    client.get("/bundles/t-kindergarten-enrolment/apply/")
    draft = Draft.objects.get(applicant=mother)
    assert draft.data["co_guardian.name"] == demo.MOTHER_NAME
    assert draft.identities["co_guardian"] == demo.MOTHER_ID_NUMBER
