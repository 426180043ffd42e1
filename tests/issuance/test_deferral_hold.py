"""统一发证 and deferred materials: a licence is not registered (出证) nor handed over
while a deferral of its case is outstanding; supplying it releases the licences, refusing
the items needing it withdraws theirs."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from onething.audit.models import AuditEvent
from onething.cases.models import Case
from onething.intake import services as intake
from onething.issuance import selectors, services
from onething.issuance.models import IssuedLicence
from tests.intake.test_deferrals import AFTER, ITEM, check_of, deferred_case, owner_of, supply
from tests.issuance.test_issuance import conclude

pytestmark = pytest.mark.django_db
L = IssuedLicence


def test_reconcile_leaves_held_licences_and_supply_releases_them(wired_demo, mother, monkeypatch):
    sent = []
    monkeypatch.setattr("onething.issuance.tasks.collect_licence.delay_on_commit", sent.append)
    case = deferred_case(mother)
    conclude(case)
    for licence in IssuedLicence.objects.filter(case=case):
        services.licence_collect(licence_id=licence.pk)
    pending = IssuedLicence.objects.filter(case=case, registration=L.Registration.PENDING)
    held = set(pending.values_list("pk", flat=True))
    assert held  # collected, not registered
    IssuedLicence.objects.filter(case=case).update(updated_at=timezone.now() - timedelta(hours=1))
    sent.clear()
    assert services.reconcile() == 0 and sent == []
    supply(case, mother)
    assert set(sent) == held  # sent again once the case's deferral is supplied


def test_a_refused_items_licence_is_withdrawn_and_never_handed_over(wired_demo, mother, client):
    case = deferred_case(mother)
    conclude(case)
    licence = IssuedLicence.objects.get(case=case, item_case__item_code=ITEM)
    intake.deferred_flag_overdue(today=AFTER)
    intake.deferral_refuse_items(check=check_of(case), clerk=owner_of(case), reason="逾期未补交", today=AFTER)
    licence.refresh_from_db()
    assert licence.registration == L.Registration.WITHDRAWN
    assert services.licence_collect(licence_id=licence.pk).endswith("/withdrawn")  # never registered
    event = AuditEvent.objects.get(case_number=case.number, action="licence.withdrawn")
    assert event.after["registration"] == "withdrawn"
    case.refresh_from_db()
    assert case.state == Case.State.PARTIALLY_CONCLUDED
    outcomes = {o.item_name: o for o in selectors.case_outcomes(case=case)}
    assert outcomes[licence.item_case.item_name].licence is None and not outcomes[licence.item_case.item_name].approved
    client.force_login(mother)
    assert client.get(reverse("issuance:licence", args=[case.number, licence.pk])).status_code == 404
    others = selectors.handed_licences(case=case)
    assert others.exists() and licence not in others
