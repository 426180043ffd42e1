"""The applicant reads plain words, never an internal state, code, JSON button or API
link; staff see them. A dead-lettered item case alerts its case's clerk and the
administrators, once."""

import re

import pytest
from django.contrib.auth import get_user_model

from onething.notifications.models import Notification
from onething.operations.management.commands.load_demo import ADMIN_USERNAME
from onething.processing import services
from onething.processing.errors import PermanentDispatchError
from onething.processing.models import ItemCase
from onething.processing.plain import ITEM_STATE_WORDS, plain_item_state
from tests.processing.conftest import accepted_case

S = ItemCase.State
DEAD_SENTENCE = "部门系统暂未接收，工作人员正在处理"
pytestmark = pytest.mark.django_db


def visible_text(html: str) -> str:
    """What a person reads: no tags, attributes, scripts or styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def dead_lettered(mother, monkeypatch) -> ItemCase:
    from onething.processing.adapters.http import HttpAdapter

    case = accepted_case(mother)
    birth = ItemCase.objects.get(case=case, item_code="birth-certificate-issue")

    def refuse(self, **kwargs):
        raise PermanentDispatchError("422 schema mismatch")

    monkeypatch.setattr(HttpAdapter, "submit", refuse)
    assert services.dispatch(item_case_id=birth.pk) == "dead"
    birth.refresh_from_db()
    return birth


def test_every_state_has_plain_words():
    assert set(ITEM_STATE_WORDS) == set(S.values)
    for words in ITEM_STATE_WORDS.values():
        assert words.title and words.explanation and words.next_step
        assert words.title_en and words.explanation_en and words.next_step_en
    assert plain_item_state(S.DEAD).explanation == DEAD_SENTENCE + "。"


def test_citizen_reads_plain_words_for_a_dead_letter(wired_demo, mother, client, monkeypatch):
    birth = dead_lettered(mother, monkeypatch)
    client.force_login(mother)
    html = client.get(f"/my/cases/{birth.case.number}/").content.decode()
    text = visible_text(html)
    assert DEAD_SENTENCE in text and "您无需操作" in text
    assert "派发失败" not in text  # the internal label
    for internal in ("dead_letter", "birth-certificate-issue", "422", "schema mismatch", "接口文档"):
        assert internal not in html, internal
    assert "format=json" not in html and "/api/" not in html


def test_staff_see_the_internal_state_and_codes(wired_demo, mother, client, monkeypatch):
    birth = dead_lettered(mother, monkeypatch)
    get_user_model().objects.filter(pk=mother.pk).update(is_staff=True)
    client.force_login(mother)
    html = client.get(f"/my/cases/{birth.case.number}/").content.decode()
    assert DEAD_SENTENCE in html  # the plain words too
    assert "dead_letter" in html and "birth-certificate-issue" in html and "派发失败（待人工处理）" in html
    assert "接口文档" in html


def test_dead_letter_alerts_the_owning_clerk_and_administrators_once(wired_demo, mother, monkeypatch):
    birth = dead_lettered(mother, monkeypatch)
    case = birth.case
    admin = get_user_model().objects.get(username=ADMIN_USERNAME)
    alerts = Notification.objects.filter(dedup_key__startswith=f"dead-letter:{birth.pk}:")
    assert {(n.recipient_id, n.channel) for n in alerts} == {(case.owner_id, "email"), (admin.pk, "email")}
    assert all(case.number in n.body and birth.item_name in n.body for n in alerts)
    assert not alerts.filter(recipient=mother).exists()  # the applicant reads the plain words instead
    # a second run of the task changes nothing and alerts no one
    assert services.dispatch(item_case_id=birth.pk) == "skipped"
    services._notify_dead_letter(birth)  # and a repeated alert for the same event is deduplicated
    assert alerts.count() == 2


def test_notice_json_button_for_staff_only(wired_demo, mother, client):
    url = "/bundles/child-birth/notice/?birth_place=local_hospital&married=true&mother_insured=true"
    assert "JSON 数据" not in client.get(url).content.decode()  # anonymous
    client.force_login(mother)
    html = client.get(url).content.decode()
    assert "JSON 数据" not in html and "format=json" not in html and "接口文档" not in html
    client.force_login(get_user_model().objects.get(username="clerk-huangpu"))
    html = client.get(url).content.decode()
    assert "JSON 数据" in html and "format=json" in html and "接口文档" in html


def test_english_page_reads_the_english_words(wired_demo, mother, client, monkeypatch, settings):
    birth = dead_lettered(mother, monkeypatch)
    client.force_login(mother)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = visible_text(client.get(f"/my/cases/{birth.case.number}/").content.decode())
    assert "staff are dealing with it" in text and "Next:" in text
    assert "dead_letter" not in text
