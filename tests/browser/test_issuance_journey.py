"""统一发证 and 一体管理 in the browser: a concluded child-birth case → the citizen downloads
every result as one ZIP and rates one department 不满意 → a rectification appears for that
department → its officer records the contact and responds → the citizen confirms; the
administrator's dashboard shows the case and the rating."""

import io
import zipfile

import pytest

from onething.issuance.models import IssuedLicence
from onething.operations.management.commands.load_demo import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    DEMO_PASSWORD,
    OFFICER_PASSWORD,
)
from onething.oversight.models import Rectification
from onething.processing.models import ItemCase
from services.datahub.demo_identities import MOTHER
from tests.browser.pages import log_in_with as log_in
from tests.issuance.test_issuance import concluded_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_results_rating_and_rectification(page, live_server, demo_catalogue, wired_demo, mother):
    base = live_server.url
    case = concluded_case(mother)
    department = ItemCase.objects.get(case=case, item_code="birth-certificate-issue").department

    # the citizen: every result in one download
    log_in(page, base, MOTHER.id_number, DEMO_PASSWORD)
    page.goto(f"{base}/my/cases/{case.number}/")
    page.wait_for_selector("#results")
    with page.expect_download() as download:
        page.click("#download-all")
    names = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read())).namelist()
    licences = IssuedLicence.objects.filter(case=case)
    assert len(names) == 1 + licences.count() and any("结果告知书" in name for name in names)

    # ... and rates the department that issued the birth certificate 不满意
    slug = f"department-{department.code}"
    page.check(f"#rating-{slug}-level-2")
    page.fill(f"#rating-{slug}-comment", "出生医学证明签发太慢")
    with page.expect_navigation():
        page.click(f"#rating-{slug}-submit")
    assert "不满意" in page.inner_text(f"#rating-current-{slug}")
    rectification = Rectification.objects.get(rating__case=case)
    assert rectification.department == department

    # the department's officer sees it, records the same-day contact and responds
    log_in(page, base, f"officer-{department.code}", OFFICER_PASSWORD)
    page.goto(f"{base}/oversight/rectifications/")
    with page.expect_navigation():
        page.click(f"text={case.number}")
    page.fill("#contact-note", "已电话联系申请人，说明签发流程")
    with page.expect_navigation():
        page.click("#contact-submit")
    page.fill("#response-text", "已优化签发流程，今后当日签发")
    with page.expect_navigation():
        page.click("#response-submit")
    page.wait_for_selector("#awaiting-citizen")

    # the citizen confirms
    log_in(page, base, MOTHER.id_number, DEMO_PASSWORD)
    page.goto(f"{base}/my/cases/{case.number}/")
    assert "今后当日签发" in page.inner_text(f"#rectification-{rectification.pk}-response")
    with page.expect_navigation():
        page.click(f"#rectification-{rectification.pk}-confirm")
    rectification.refresh_from_db()
    assert rectification.state == "confirmed"

    # the administrator's dashboard shows the case and the rating
    log_in(page, base, ADMIN_USERNAME, ADMIN_PASSWORD)
    page.goto(f"{base}/oversight/")
    assert page.inner_text("#total-cases").strip() == "1"
    page.goto(f"{base}/oversight/ratings/")
    ratings_page = page.inner_text("main")
    assert "不满意" in ratings_page and case.number in ratings_page
