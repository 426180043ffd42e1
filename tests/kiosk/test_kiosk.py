"""The self-service terminals (onething/kiosk): identification by ID card, the terminal
session's end (退出, inactivity, leaving the kiosk's pages) and what an identified citizen
sees (their own drafts and cases only)."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY as AUTH_KEY
from django.core import checks
from django.urls import reverse
from stdnum.cn import ric

from onething.audit.models import AuditEvent
from onething.kiosk import readers
from onething.kiosk.services import SESSION_KEY
from tests.processing.conftest import ANSWERS, accepted_case

pytestmark = pytest.mark.django_db

IDENTIFY = reverse("kiosk:identify")
MY = reverse("kiosk:my")


def unknown_number() -> str:
    """A resident ID number that checks out but belongs to no account."""
    body = "31010419900101123"
    return body + ric.calc_check_digit(body + "0")  # the last character is a placeholder


def wrong_check_character(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


def identify(client, number: str):
    return client.post(IDENTIFY, {"id_number": number})


def draft_of(user):
    from onething.apply import services as apply_services
    from onething.catalog.selectors import published_version

    return apply_services.draft_start(
        applicant=user, version=published_version(bundle_code="child-birth"), raw_answers=ANSWERS
    )


# --- identification -----------------------------------------------------------------------------


def test_a_valid_card_logs_its_citizen_in_and_shows_their_cases_and_drafts(client, wired_demo, mother):
    case = accepted_case(mother)
    draft = draft_of(mother)
    response = identify(client, mother.id_number.lower())  # the keypad's x is the card's X
    assert response.status_code == 302 and response["Location"] == MY
    assert client.session[AUTH_KEY] == str(mother.pk)
    assert client.session[SESSION_KEY]["card"] != mother.id_number  # only the masked number is kept
    page = client.get(MY).content.decode()
    assert case.number in page and str(draft.pk) in page
    assert reverse("apply:draft", kwargs={"draft_id": draft.pk}) in page  # hands over to the form
    assert "模拟读卡" in page  # the simulation is never hidden
    event = AuditEvent.objects.get(action="kiosk.identified")
    assert event.actor == mother and event.after["reader"] == "simulated"


def test_a_wrong_check_character_is_refused_with_the_reason(client, mother):
    response = identify(client, wrong_check_character(mother.id_number))
    assert response.status_code == 400
    assert "校验码" in response.content.decode()
    assert AUTH_KEY not in client.session and SESSION_KEY not in client.session
    assert client.get(MY)["Location"] == IDENTIFY


def test_an_unknown_card_looks_like_an_account_with_nothing_in_it(client, mother, other_citizen):
    """The terminal never tells whether a number has an account: a valid card without one
    gets the same empty pages as an account without drafts or cases."""
    unknown = identify(client, unknown_number())
    assert unknown.status_code == 302 and unknown["Location"] == MY
    assert AUTH_KEY not in client.session  # nobody is logged in
    empty_unknown = client.get(MY)
    client.post(reverse("kiosk:exit"))
    identify(client, other_citizen.id_number)
    empty_account = client.get(MY)
    assert empty_unknown.status_code == empty_account.status_code == 200
    for page in (empty_unknown.content.decode(), empty_account.content.decode()):
        assert 'id="no-cases"' in page and 'id="no-drafts"' in page


def test_identification_attempts_are_limited_per_terminal(client, settings, mother):
    settings.KIOSK_IDENTIFY_RATE = "3/min"
    for _ in range(3):
        assert identify(client, wrong_check_character(mother.id_number)).status_code == 400
    throttled = identify(client, mother.id_number)  # even the right card waits now
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    assert "识别次数过多" in throttled.content.decode()
    assert AUTH_KEY not in client.session
    other_terminal = client.__class__(REMOTE_ADDR="10.0.0.2")
    assert identify(other_terminal, mother.id_number).status_code == 302


def test_a_terminal_without_a_reader_identifies_nobody(client, settings, mother):
    settings.KIOSK_CARD_READER = ""
    response = identify(client, mother.id_number)
    assert response.status_code == 400 and "未接入身份证阅读器" in response.content.decode()
    assert AUTH_KEY not in client.session
    assert client.get(reverse("kiosk:home")).status_code == 200  # browsing still works


def test_a_real_reader_plugs_in_by_setting(client, settings, mother):
    """KIOSK_CARD_READER names a class: the reader decides who the card is, whatever was typed."""
    settings.KIOSK_CARD_READER = "tests.kiosk.test_kiosk.ChipReader"
    ChipReader.card = readers.CardIdentity(id_number=mother.id_number, chip_verified=True)
    response = identify(client, "")  # nothing typed: the chip speaks
    assert response.status_code == 302 and client.session[AUTH_KEY] == str(mother.pk)
    assert "模拟读卡" not in client.get(MY).content.decode()


class ChipReader:
    name = "chip-for-tests"
    simulated = False
    card: readers.CardIdentity | None = None

    def read(self, *, request):
        if self.card is None:
            raise readers.CardReadError("no_card", "请放置身份证", "place the ID card on the reader")
        return self.card


def test_the_simulated_reader_with_debug_off_is_a_deploy_warning(settings):
    from onething.kiosk.checks import simulated_reader_in_production

    settings.DEBUG, settings.KIOSK_CARD_READER = False, "simulated"
    assert [m.id for m in simulated_reader_in_production()] == ["onething.W020"]
    settings.KIOSK_CARD_READER = ""
    assert simulated_reader_in_production() == []
    assert any(c.__name__ == "simulated_reader_in_production" for c in checks.registry.registry.get_checks(True))


# --- the end of a terminal session -----------------------------------------------------------------


def _age_session(client, seconds: float) -> None:
    session = client.session
    state = session[SESSION_KEY]
    state["last"] -= seconds
    session[SESSION_KEY] = state
    session.save()


def test_inactivity_ends_the_session(client, settings, mother):
    settings.KIOSK_IDLE_SECONDS = 120
    identify(client, mother.id_number)
    _age_session(client, 60)
    assert client.get(MY).status_code == 200  # still there: and this request counts as activity
    _age_session(client, 119)
    assert client.get(MY).status_code == 200
    _age_session(client, 121)
    response = client.get(MY)
    assert response.status_code == 302 and response["Location"] == reverse("kiosk:home") + "?ended=idle"
    assert AUTH_KEY not in client.session and SESSION_KEY not in client.session
    assert "已退出" in client.get(response["Location"]).content.decode()
    assert AuditEvent.objects.get(action="kiosk.ended").after["reason"] == "idle"


def test_exit_logs_out_and_returns_to_the_attract_screen(client, mother):
    identify(client, mother.id_number)
    response = client.post(reverse("kiosk:exit"))
    assert response.status_code == 302 and response["Location"] == reverse("kiosk:home") + "?ended=exit"
    assert AUTH_KEY not in client.session
    assert client.cookies["kiosk_terminal"].value == ""  # the browser's mark is gone too
    assert client.get(MY)["Location"] == IDENTIFY
    assert AuditEvent.objects.get(action="kiosk.ended").after["reason"] == "exit"


def test_leaving_the_kiosk_pages_logs_out(client, mother):
    identify(client, mother.id_number)
    response = client.get(reverse("apply:my"))  # the site's own pages are not the terminal's
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert AUTH_KEY not in client.session
    assert AuditEvent.objects.get(action="kiosk.ended").after["reason"] == "left"


def test_a_normal_login_is_no_terminal_session(client, mother):
    """The middleware only watches sessions started at a terminal."""
    client.force_login(mother)
    assert client.get(reverse("apply:my")).status_code == 200
    assert client.get(reverse("kiosk:home")).status_code == 200
    assert client.get(reverse("apply:my")).status_code == 200
    assert client.get(MY)["Location"] == IDENTIFY  # the kiosk's own pages need a card


def test_the_handed_over_pages_keep_the_session_and_lead_back_to_the_terminal(client, settings, mother, demo_bundles):
    settings.KIOSK_HANDOVER_IDLE_SECONDS = 600
    draft = draft_of(mother)
    identify(client, mother.id_number)
    response = client.get(reverse("apply:draft", kwargs={"draft_id": draft.pk}), follow=True)
    assert response.status_code == 200 and "/steps/" in response.redirect_chain[-1][0]  # the step to carry on
    assert response["Refresh"] == f"601; url={reverse('kiosk:home')}"
    assert client.session[SESSION_KEY]["idle"] == 600  # the form takes longer than a glance
    assert client.get(MY).status_code == 200
    assert client.session[SESSION_KEY]["idle"] == settings.KIOSK_IDLE_SECONDS


def test_keepalive_counts_as_activity(client, mother):
    identify(client, mother.id_number)
    _age_session(client, 100)
    assert client.post(reverse("kiosk:keepalive"), HTTP_X_REQUESTED_WITH="fetch").status_code == 204
    _age_session(client, 100)
    assert client.get(MY).status_code == 200


# --- only one's own ---------------------------------------------------------------------------------


def test_a_citizen_sees_only_their_own_drafts_and_cases(client, wired_demo, mother, other_citizen):
    case = accepted_case(mother)
    draft = draft_of(mother)
    identify(client, other_citizen.id_number)
    page = client.get(MY).content.decode()
    assert case.number not in page and str(draft.pk) not in page
    assert client.get(reverse("kiosk:case", kwargs={"number": case.number})).status_code == 404
    assert client.get(reverse("documents:receipt", kwargs={"number": case.number})).status_code == 404


def test_the_case_page_shows_the_status_and_prints_the_receipt(client, wired_demo, mother):
    case = accepted_case(mother)
    identify(client, mother.id_number)
    page = client.get(reverse("kiosk:case", kwargs={"number": case.number}))
    text = page.content.decode()
    assert page.status_code == 200 and case.get_state_display() in text
    assert 'aria-current="step"' in text
    receipt_url = reverse("documents:receipt", kwargs={"number": case.number})
    assert receipt_url in text
    assert reverse("issuance:notice", kwargs={"number": case.number}) not in text  # no results yet
    receipt = client.get(receipt_url)  # a handed-over page: the session stays
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    assert client.session.get(AUTH_KEY) == str(mother.pk)


def test_the_notice_lists_what_to_bring_first_and_links_its_pdf(client, demo_bundles):
    from urllib.parse import urlencode

    url = (
        reverse("kiosk:notice", kwargs={"code": "child-birth"})
        + "?"
        + urlencode({k: str(v).lower() if isinstance(v, bool) else v for k, v in ANSWERS.items()})
    )
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200
    assert text.index('id="to-bring"') < text.index('id="held"') < text.index('id="items"')
    assert reverse("notice:notice-pdf", kwargs={"code": "child-birth"}) in text
    bad = client.get(reverse("kiosk:notice", kwargs={"code": "child-birth"}) + "?birth_place=local_hospital&married=x")
    assert bad.status_code == 400 and 'id="answer-errors"' in bad.content.decode()
    assert 'value="local_hospital" checked' in bad.content.decode()  # what was answered stays chosen


def test_the_home_page_lists_the_bundles_as_tiles(client, demo_bundles):
    from onething.catalog.selectors import published_versions

    text = client.get(reverse("kiosk:home")).content.decode()
    for version in published_versions():
        assert f'data-bundle="{version.bundle.code}"' in text
    assert 'href="/accounts/' not in text  # no site navigation on the terminal


def test_a_concluded_case_prints_its_result_notice(client, wired_demo, mother):
    from tests.issuance.test_issuance import concluded_case

    case = concluded_case(mother)
    identify(client, mother.id_number)
    text = client.get(reverse("kiosk:case", kwargs={"number": case.number})).content.decode()
    result_url = reverse("issuance:notice", kwargs={"number": case.number})
    assert result_url in text and 'class="done"' in text
    result = client.get(result_url)
    assert result.status_code == 200 and result.content.startswith(b"%PDF")
    assert client.session.get(AUTH_KEY) == str(mother.pk)
