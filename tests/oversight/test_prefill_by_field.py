"""The prefill-by-field table ("which data to share next") against hand-counted cases."""

import pytest

from onething.cases.models import Case
from onething.oversight import csv_export
from onething.oversight import dashboard_selectors as sel
from tests.oversight.dashboard_fixtures import D1, D2, D3, World, make_case

pytestmark = pytest.mark.django_db

PERSON, ENTERPRISE, ELICENCE = "自然人基础信息库", "法人库", "电子证照库"


@pytest.fixture
def world(demo_bundles):
    from onething.catalog.models import Bundle
    from onething.intake.models import ServiceCentre

    world = World(
        bundle_a=Bundle.objects.get(code="child-birth"),
        bundle_b=Bundle.objects.get(code="company-startup"),
        centre_h=ServiceCentre.objects.get(code="huangpu"),
        centre_x=ServiceCentre.objects.get(code="xuhui"),
        dept_p=None,
        dept_q=None,
    )
    recorded = [
        # (bundle, day, {key: source or None})
        (world.bundle_a, D1, {"applicant.name": PERSON, "applicant.mobile": None, "bank.account": None}),
        (world.bundle_a, D2, {"applicant.name": PERSON, "applicant.mobile": PERSON, "bank.account": None}),
        (world.bundle_a, D3, {"applicant.name": PERSON, "applicant.mobile": None, "bank.account": None}),
        (world.bundle_b, D3, {"applicant.name": ELICENCE, "enterprise.name": ENTERPRISE}),
    ]
    for i, (bundle, day, sources) in enumerate(recorded):
        case = make_case(
            world,
            f"p{i}",
            bundle=bundle,
            channel="online",
            centre=world.centre_h,
            day=day,
            fields=len(sources),
            prefilled=sum(1 for s in sources.values() if s),
            ftr=True,
        )
        Case.objects.filter(pk=case.pk).update(field_sources=sources)
    # a case from before field sources were recorded: left out
    make_case(
        world,
        "old",
        bundle=world.bundle_a,
        channel="online",
        centre=world.centre_h,
        day=D1,
        fields=9,
        prefilled=9,
        ftr=True,
    )
    return world


def test_rows_per_source_and_field_least_prefilled_frequent_first(world):
    found = sel.prefill_by_field(sel.Filters())
    assert found["cases"] == 4 and found["read"] == 5 and not found["capped"]  # the old case: skipped
    rows = [(r["source"], r["key"], r["asked"], r["prefilled"], r["typed"]) for r in found["rows"]]
    assert rows == [
        (sel.NOT_PREFILLED, "bank.account", 3, 0, 3),  # asked 3 times, never prefilled: share it next
        (PERSON, "applicant.mobile", 3, 1, 2),
        # nothing typed: by rate
        (ELICENCE, "applicant.name", 4, 1, 0),  # 4 asked, 3 + 1 prefilled
        (PERSON, "applicant.name", 4, 3, 0),
        (ENTERPRISE, "enterprise.name", 1, 1, 0),
    ]
    mobile = next(r for r in found["rows"] if r["key"] == "applicant.mobile")
    assert mobile["rate"] == pytest.approx(1 / 3) and mobile["label"]  # the element's label
    assert found["by_source"] == {sel.NOT_PREFILLED: 0, PERSON: 4, ENTERPRISE: 1, ELICENCE: 1}


def test_filters_and_the_sample_cap(world):
    only_b = sel.prefill_by_field(sel.Filters(bundle_id=world.bundle_b.pk))
    assert {(r["source"], r["key"]) for r in only_b["rows"]} == {
        (ELICENCE, "applicant.name"),
        (ENTERPRISE, "enterprise.name"),
    }
    latest_two = sel.prefill_by_field(sel.Filters(bundle_id=world.bundle_a.pk), sample=2)
    assert latest_two["cases"] == 2 and latest_two["read"] == 2 and latest_two["capped"]
    table = csv_export.prefill_fields_table({"prefill_by_field": latest_two})
    assert "2" in table.note and table.note
    bank = next(r for r in latest_two["rows"] if r["key"] == "bank.account")
    assert bank["asked"] == 2  # the two latest (D3, D2), not D1


def test_table_and_export_agree(world, client, django_user_model):
    table = csv_export.prefill_fields_table(csv_export.prefill_fields_data(sel.Filters()))
    assert table.rows[0][1] == "bank.account" and table.rows[0][5] == "0.0%"
    admin = django_user_model.objects.create_user(username="dash-admin", role="admin")
    client.force_login(admin)
    page = client.get("/oversight/").content.decode()
    assert 'id="table-prefill_fields"' in page and "bank.account" in page
    exported = client.get("/oversight/export/prefill_fields/").content.decode("utf-8-sig")
    assert exported.splitlines()[1].startswith("—（无数据来源预填）,bank.account,")
