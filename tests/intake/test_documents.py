"""The intake documents (受理回执, 不予受理通知书, 补正告知书) and who may download them."""

from datetime import date, timedelta
from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone
from pypdf import PdfReader

from onething.cases.models import Case
from onething.catalog.models import BundleVersion
from onething.intake import document_views
from onething.intake.documents import correction_pdf, receipt_pdf, refusal_pdf
from onething.intake.models import CorrectionRequest, MaterialCheck, ServiceCentre

pytestmark = pytest.mark.django_db

MOTHER = "310104199203150469"
OTHER_CITIZEN = "310106198511020576"
NUMBER = "CHILD-BIRTH-20261127-0007"
ANSWERS = {"birth_place": "local_hospital", "married": True, "mother_insured": True}
REFUSAL_REASON = "申请人不属于本市户籍，依据《上海市户籍管理规定》第十条，不属于本中心受理范围。"


def user(username):
    return get_user_model().objects.get(username=username)


@pytest.fixture
def case(db):
    call_command("load_demo", verbosity=0)
    version = BundleVersion.objects.get(bundle__code="child-birth", state=BundleVersion.State.PUBLISHED)
    case = Case.objects.create(
        number=NUMBER,
        version=version,
        applicant=user(MOTHER),
        answers=ANSWERS,
        data={"applicant.name": user(MOTHER).full_name, "applicant.id_number": MOTHER},
        idempotency_key="documents-test",
        state=Case.State.ACCEPTED,
        centre=ServiceCentre.objects.get(code="huangpu"),
        owner=user("clerk-huangpu"),
        accepted_at=timezone.now(),
        due_date=date(2026, 12, 11),
    )
    MaterialCheck.objects.create(
        case=case, key="maternity-expense-invoices", name="生育医疗费用票据及费用明细清单", outcome="original_sighted"
    )
    MaterialCheck.objects.create(
        case=case, key="child-photo", name="新生儿近期免冠彩色数码照片", outcome="deferred", due_date=date(2026, 12, 4)
    )
    MaterialCheck.objects.create(
        case=case,
        key="maternity-leave-proof",
        name="用人单位出具的产假证明",
        outcome="pledged",
        pledge_text="本人承诺所述产假情况属实。",
    )
    return case


def pdf_text(content: bytes) -> str:
    reader = PdfReader(BytesIO(content))
    return "".join(page.extract_text() for page in reader.pages)


def assert_fonts_embedded(content: bytes) -> None:
    """Every font with glyphs in the file is an embedded TrueType subset (reportlab's canvas
    also lists its initial standard-14 Helvetica, which has no descriptor and no glyphs)."""
    reader = PdfReader(BytesIO(content))
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            if descriptor is None:
                assert str(font["/BaseFont"]) == "/Helvetica", font
                continue
            descriptor = descriptor.get_object()
            fonts.append((str(font["/BaseFont"]), "/FontFile2" in descriptor))
    assert fonts and all(embedded for _, embedded in fonts), fonts
    assert all("+" in name for name, _ in fonts)
    assert not any("STSong" in name for name, _ in fonts)


def test_receipt_has_number_items_materials_dates_and_masked_id(case):
    content = receipt_pdf(case=case)
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    for words in (
        "受理回执",
        NUMBER,
        "黄浦区行政服务中心",
        "小孩出生一件事",
        "出生医学证明首次签发",
        "市公安局",
        "5 个工作日",
        "生育医疗费用票据及费用明细清单",
        "已核验原件",
        "容缺",
        "2026年12月04日",
        "告知承诺，事后核查",
        "承诺办结日期：2026年12月11日（按工作日计算）",
        "王晓明",
        "上海市黄浦区南京东路300号",
        "3101**********0469",
        "生成于",
    ):
        assert words in text, words
    assert MOTHER not in text
    assert MOTHER.encode() not in content
    assert_fonts_embedded(content)


def test_receipt_qr_code_and_tracking_url(case, settings):
    settings.PUBLIC_BASE_URL = "https://yiwang.example.gov.cn/"
    content = receipt_pdf(case=case)
    text = pdf_text(content).replace("\n", "")
    assert f"https://yiwang.example.gov.cn/my/cases/{NUMBER}/" in text
    # the QR code is drawn as vector modules: many filled rectangles on the page
    page = PdfReader(BytesIO(content)).pages[0]
    assert page.get_contents().get_data().count(b" re") > 200


def test_receipt_default_base_url(case, settings):
    if hasattr(settings, "PUBLIC_BASE_URL"):
        del settings.PUBLIC_BASE_URL
    text = pdf_text(receipt_pdf(case=case)).replace("\n", "")
    assert f"http://127.0.0.1:8000/my/cases/{NUMBER}/" in text


def test_refusal_notice_has_reason_and_rights(case):
    Case.objects.filter(pk=case.pk).update(state=Case.State.REFUSED, refusal_reason=REFUSAL_REASON, accepted_at=None)
    case.refresh_from_db()
    content = refusal_pdf(case=case)
    text = pdf_text(content).replace("\n", "")
    for words in (
        "不予受理通知书",
        NUMBER,
        "小孩出生一件事",
        "《上海市户籍管理规定》第十条",
        "六十日",
        "六个月",
        "《中华人民共和国行政复议法》",
        "《中华人民共和国行政诉讼法》",
        "黄浦区行政服务中心",
        "3101**********0469",
        f"{timezone.localdate():%Y}年",
    ):
        assert words in text, words
    assert MOTHER not in text
    assert_fonts_embedded(content)


def test_correction_notice_lists_every_correction_at_once(case):
    correction = CorrectionRequest.objects.create(
        case=case,
        round=2,
        clerk=user("clerk-huangpu"),
        corrections=[
            {"kind": "field", "key": "child.name", "message": "姓名与出生医学证明不一致"},
            {"kind": "material", "key": "child-photo", "message": "照片背景应为白色"},
        ],
    )
    content = correction_pdf(correction=correction)
    text = pdf_text(content).replace("\n", "")
    for words in (
        "补正告知书",
        "一次性告知",
        NUMBER,
        "第 2 次补正",
        "新生儿姓名",
        "姓名与出生医学证明不一致",
        "新生儿近期免冠彩色数码照片",
        "照片背景应为白色",
        "重新提交",
        "王晓明",
        "3101**********0469",
    ):
        assert words in text, words
    assert "child.name" not in text
    assert MOTHER not in text
    assert_fonts_embedded(content)


def test_pdf_escapes_markup_in_free_text(case):
    Case.objects.filter(pk=case.pk).update(state=Case.State.REFUSED, refusal_reason="材料<不全> & 依据第3条")
    case.refresh_from_db()
    assert "材料<不全> & 依据第3条" in pdf_text(refusal_pdf(case=case))


# --- views ---------------------------------------------------------------------------------


def call(view, username, *args):
    request = RequestFactory().get("/documents/")
    request.user = user(username) if username else AnonymousUser()
    return view(request, *args)


@pytest.mark.parametrize("username", [MOTHER, "clerk-huangpu", "clerk-huangpu-2"])
def test_receipt_for_applicant_and_clerks_of_the_centre(case, username):
    response = call(document_views.receipt_download, username, NUMBER)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert "no-store" in response["Cache-Control"]
    assert NUMBER in pdf_text(response.content)


@pytest.mark.parametrize(
    "view, args",
    [
        (document_views.receipt_download, (NUMBER,)),
        (document_views.refusal_download, (NUMBER,)),
        (document_views.correction_download, (NUMBER, 1)),
    ],
)
@pytest.mark.parametrize("username", ["clerk-xuhui", OTHER_CITIZEN])
def test_others_get_404(case, view, args, username):
    Case.objects.filter(pk=case.pk).update(state=Case.State.REFUSED, refusal_reason=REFUSAL_REASON)
    CorrectionRequest.objects.create(
        case=case, round=1, clerk=user("clerk-huangpu"), corrections=[{"kind": "field", "key": "x", "message": "y"}]
    )
    with pytest.raises(Http404):
        call(view, username, *args)


urlpatterns = []  # a bare URLconf for the login redirect, independent of the project's other URLs


def test_anonymous_is_sent_to_login(case, settings):
    settings.ROOT_URLCONF = __name__
    response = call(document_views.receipt_download, None, NUMBER)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_unknown_case_is_404(case):
    with pytest.raises(Http404):
        call(document_views.receipt_download, MOTHER, "NO-SUCH-CASE")


def test_receipt_only_once_accepted(case):
    Case.objects.filter(pk=case.pk).update(state=Case.State.SUBMITTED, accepted_at=None)
    with pytest.raises(Http404):
        call(document_views.receipt_download, MOTHER, NUMBER)


def test_refusal_only_when_refused(case):
    with pytest.raises(Http404):
        call(document_views.refusal_download, MOTHER, NUMBER)
    Case.objects.filter(pk=case.pk).update(state=Case.State.REFUSED, refusal_reason=REFUSAL_REASON)
    for username in (MOTHER, "clerk-huangpu"):
        response = call(document_views.refusal_download, username, NUMBER)
        assert response.status_code == 200 and "不予受理通知书" in pdf_text(response.content)


def test_correction_only_for_an_existing_round(case):
    CorrectionRequest.objects.create(
        case=case,
        round=1,
        clerk=user("clerk-huangpu"),
        corrections=[{"kind": "field", "key": "child.name", "message": "姓名有误"}],
        created_at=timezone.now() - timedelta(days=1),
    )
    for username in (MOTHER, "clerk-huangpu"):
        response = call(document_views.correction_download, username, NUMBER, 1)
        assert response.status_code == 200 and "姓名有误" in pdf_text(response.content)
    with pytest.raises(Http404):
        call(document_views.correction_download, MOTHER, NUMBER, 2)
