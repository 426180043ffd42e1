"""Public notice pages, the PDF and the REST API on the sample bundle."""

from io import BytesIO

import pytest
from pypdf import PdfReader

NOTICE_URL = "/bundles/t-birth-bundle/notice/"
FULL_QUERY = "?insured=true&married=married&extras=insurance&extras=card"

pytestmark = pytest.mark.django_db


def test_catalogue_lists_and_filters(client, published_sample):
    page = client.get("/")
    assert page.status_code == 200 and "测试出生一件事" in page.content.decode()
    assert "测试出生一件事" in client.get("/?q=出生").content.decode()
    assert "测试出生一件事" not in client.get("/?q=开办企业").content.decode()
    assert "测试出生一件事" not in client.get("/?type=enterprise").content.decode()
    assert "测试出生一件事" in client.get("/?type=person").content.decode()


def test_bundle_page_has_questions_and_reductions(client, published_sample):
    html = client.get("/bundles/t-birth-bundle/").content.decode()
    assert "母亲是否参加职工医保?" in html and 'name="extras"' in html
    assert "办理时间（工作日）" in html


def test_unknown_bundle_is_404(client, published_sample):
    assert client.get("/bundles/no-such-thing/").status_code == 404
    assert client.get("/bundles/no-such-thing/notice/").status_code == 404
    response = client.get("/api/bundles/no-such-thing/")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_notice_page_shows_items_materials_time_and_reductions(client, published_sample):
    response = client.get(NOTICE_URL + FULL_QUERY)
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("出生医学证明", "户口登记", "生育津贴", "母亲参加职工医保", "无需提交", "可容缺受理", "23"):
        assert text in html, text
    assert 'data-material="mother-id-card"' in html and html.count('data-material="mother-id-card"') == 1


def test_bad_answers_give_400_naming_the_question(client, published_sample):
    response = client.get(NOTICE_URL + "?insured=perhaps&married=married")
    assert response.status_code == 400
    assert "母亲是否参加职工医保?" in response.content.decode()
    api = client.post(
        "/api/bundles/t-birth-bundle/notice/",
        {"answers": {"insured": "perhaps", "married": "x"}},
        content_type="application/json",
    )
    assert api.status_code == 400
    body = api.json()["error"]
    assert body["code"] == "invalid_answers"
    assert {d["question"] for d in body["details"]} == {"insured", "married"}
    assert body["message"] and body["message_en"]


def test_malformed_api_request_is_400(client, published_sample):
    response = client.post("/api/bundles/t-birth-bundle/notice/", "[1,2]", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_request"


def test_notice_pdf_has_readable_chinese_and_embeds_its_font(client, published_sample):
    response = client.get("/bundles/t-birth-bundle/notice.pdf" + FULL_QUERY)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    for words in ("一次告知单", "出生医学证明", "户口登记", "母亲居民身份证", "关键路径", "四减成效"):
        assert words in text, words
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            if descriptor is not None:
                descriptor = descriptor.get_object()
                fonts.append(
                    (str(font["/BaseFont"]), any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")))
                )
    # every font is a subset embedded in the file (reportlab's "AAAAAA+" prefix), none is a
    # non-embedded CID font such as STSong-Light
    assert fonts and all(embedded for _, embedded in fonts), fonts
    assert all("+" in name for name, _ in fonts)
    assert not any("STSong" in name for name, _ in fonts)


def test_api_catalogue_detail_and_notice(client, published_sample):
    listing = client.get("/api/bundles/").json()
    assert [b["code"] for b in listing] == ["t-birth-bundle"]
    assert listing[0]["reductions"]["time"]["bundle"] == {"min": 10, "max": 23}
    detail = client.get("/api/bundles/t-birth-bundle/").json()
    assert [q["key"] for q in detail["questions"]] == ["insured", "married", "extras"]
    notice = client.post(
        "/api/bundles/t-birth-bundle/notice/",
        {"answers": {"insured": True, "married": "married", "extras": ["insurance", "card"]}},
        content_type="application/json",
    ).json()
    assert [i["code"] for i in notice["items"]] == ["t-birth", "t-household", "t-insurance", "t-allowance"]
    assert notice["time"] == {
        "bundle_days": 23,
        "sequential_days": 23,
        "critical_path": ["t-birth", "t-household", "t-insurance", "t-allowance"],
    }
    assert notice["reductions"]["materials"] == {"separate": 7, "bundle": 3}
    same_by_get = client.get("/api/bundles/t-birth-bundle/notice/" + FULL_QUERY).json()
    assert same_by_get == notice


def test_english_page(client, published_sample):
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/bundles/t-birth-bundle/").content.decode()
    assert "Test birth bundle" in html


def test_openapi_schema_is_valid(client):
    from openapi_spec_validator import validate

    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    assert "/api/bundles/{code}/notice/" in schema["paths"]
    assert client.get("/api/docs/").status_code == 200
