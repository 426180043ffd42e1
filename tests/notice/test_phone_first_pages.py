"""The parts of #20's phone-first foundation that need no browser: the elders' mode switch,
the accessibility statement, the notice's order (what to do first), the error summary."""

import re

import pytest

NOTICE_URL = "/bundles/t-birth-bundle/notice/?insured=true&married=married&extras=insurance&extras=card"

pytestmark = pytest.mark.django_db


def test_elders_mode_sets_a_cookie_and_returns_to_the_page(client, published_sample):
    response = client.post("/elders/", {"elders": "on", "next": "/bundles/t-birth-bundle/"})
    assert response.status_code == 303 and response["Location"] == "/bundles/t-birth-bundle/"
    assert response.cookies["elders"].value == "1" and response.cookies["elders"]["httponly"]
    html = client.get("/bundles/t-birth-bundle/").content.decode()
    assert '<html lang="zh-hans" class="elders">' in html
    assert 'aria-pressed="true"' in html and "标准版" in html

    response = client.post("/elders/", {"elders": "off", "next": "/"})
    assert response.status_code == 303 and response.cookies["elders"].value == ""
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html and "长辈模式" in html


def test_elders_mode_never_sends_the_visitor_to_another_site(client):
    for target in ("https://evil.example/", "//evil.example/x", ""):
        response = client.post("/elders/", {"elders": "on", "next": target})
        assert response.status_code == 303 and response["Location"] == "/"


def test_elders_mode_is_a_post(client):
    assert client.get("/elders/?elders=on").status_code == 405


def test_every_page_has_a_skip_link_landmarks_and_the_statement_link(client, published_sample):
    for url in ("/", "/bundles/t-birth-bundle/", NOTICE_URL, "/accounts/login/", "/accessibility/"):
        html = client.get(url).content.decode()
        assert html.index('class="skip-link" href="#main"') < html.index("<header"), url
        assert '<main id="main" tabindex="-1">' in html and "<nav" in html and "<footer" in html, url
        assert 'href="/accessibility/"' in html, url


def test_accessibility_statement_says_what_was_tested_and_how_to_report(client):
    html = client.get("/accessibility/").content.decode()
    for words in ("WCAG 2.1 AA", "axe-core", "360×740", "1366×900", "键盘", "长辈模式", "已知不足", "12345"):
        assert words in html, words


def test_notice_lists_what_to_bring_before_what_the_government_holds(client, published_sample):
    html = client.get(NOTICE_URL).content.decode()
    to_do, items, held = html.index('id="to-do"'), html.index('class="notice-items'), html.index('id="held"')
    assert to_do < items < held
    bring = html[html.index('id="materials-to-bring"') : html.index('id="held"')]
    shared = html[held:]
    # the ID card comes from the e-licence library: listed with what the government holds
    assert 'data-material="mother-id-card"' in shared and 'data-material="mother-id-card"' not in bring
    assert re.search(r'data-material="[^"]+"', bring)


def test_questionnaire_has_no_native_validation_and_counts_its_errors(client, published_sample):
    html = client.get("/bundles/t-birth-bundle/").content.decode()
    assert re.search(r'<form [^>]*class="questionnaire" novalidate>', html)
    response = client.get("/bundles/t-birth-bundle/notice/?insured=perhaps&married=married")
    html = response.content.decode()
    assert response.status_code == 400
    assert "共有 1 处需要修改" in html and 'href="#q-insured"' in html and 'id="q-insured"' in html


def test_login_error_summary_counts_and_links_each_field(client):
    html = client.post("/accounts/login/", {"identity": "", "password": ""}).content.decode()
    assert "共有 2 处需要修改" in html
    assert 'href="#id_identity"' in html and 'href="#id_password"' in html
    assert 'id="id_identity"' in html and 'id="id_password"' in html


def test_the_new_page_words_have_english(client, published_sample):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(NOTICE_URL).content.decode()
    for words in ("Skip to main content", "Larger text", "Materials you need to provide", "Accessibility statement"):
        assert words in html, words
    html = client.post("/accounts/login/", {"identity": "", "password": ""}).content.decode()
    assert "There are 2 problems to fix" in html
