"""The anonymous notice PDF is rendered once per bundle version, answers and language, then
served from the cache (rendering costs about 0.27 s of CPU)."""

import pytest
from django.core.cache import cache

from onething.notice import pdf

QUERY = "?insured=true&married=married&extras=insurance&extras=card"
SAME_ANSWERS = "?extras=card&married=married&insured=true&extras=insurance"
OTHER = "?insured=false&married=married&extras=insurance"


@pytest.fixture
def renders(monkeypatch):
    cache.clear()
    calls = []
    real = pdf.notice_pdf

    def counting(**kwargs):
        calls.append(kwargs["notice"].answers)
        return real(**kwargs)

    monkeypatch.setattr(pdf, "notice_pdf", counting)
    yield calls
    cache.clear()


def test_the_second_request_does_not_render_again(client, published_sample, renders):
    url = "/bundles/t-birth-bundle/notice.pdf"
    first = client.get(url + QUERY)
    second = client.get(url + QUERY)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content and second["Content-Type"] == "application/pdf"
    assert len(renders) == 1
    client.get(url + SAME_ANSWERS)  # the same answers in another order: the same entry
    assert len(renders) == 1
    client.get(url + OTHER)  # other answers: another document
    assert len(renders) == 2
    english = client.get(url + QUERY + "&lang=en")
    assert english.status_code == 200 and english["Content-Language"] == "en"
    assert len(renders) == 3  # another language: another document
    client.get(url + QUERY + "&lang=en")
    assert len(renders) == 3


def test_invalid_answers_are_not_cached(client, published_sample, renders):
    assert client.get("/bundles/t-birth-bundle/notice.pdf?insured=maybe").status_code == 400
    assert renders == []
