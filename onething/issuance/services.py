"""Writes of 统一发证: collect each approved item's e-licence on its case, register it in the
data hub, record how the applicant receives the results and the handover.

Collection runs after the approval commits (a task per licence, retried on transient
failures, found again by ``reconcile`` when a message was lost); the licence number is the
data hub's idempotency key, so registering twice stores one licence.
"""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from onething.apply import validators
from onething.audit import services as audit
from onething.cases.models import Case
from onething.catalog import elements
from onething.common.queueing import send_on_commit
from onething.identity.datahub import DatahubRequestError, DatahubUnavailable, datahub_client
from onething.issuance import transitions
from onething.issuance.errors import IssuanceError, TransientIssuanceError
from onething.issuance.models import Delivery, IssuedLicence
from onething.processing.errors import PermanentDispatchError, TransientDispatchError
from onething.processing.models import ItemCase
from onething.processing.selectors import adapter_for

log = logging.getLogger(__name__)
L = IssuedLicence
CONCLUDED = {Case.State.CONCLUDED, Case.State.PARTIALLY_CONCLUDED}


# --- collection ----------------------------------------------------------------------------


def licence_from_approval(*, item_case: ItemCase) -> IssuedLicence | None:
    """Called inside the transaction that approves ``item_case``, right after its transition
    to approved succeeded (which happens once per item case, so this creates; the unique
    item case of a licence would refuse a second): if the department issued a certificate,
    put it on the case and collect its document once this commits."""
    certificate = item_case.certificate or {}
    number = str(certificate.get("number") or "").strip()
    if not number:
        return None
    case = item_case.case
    licence = IssuedLicence.objects.create(
        item_case=item_case,
        case=case,
        licence_type=str(certificate.get("type") or ""),
        title=str(certificate.get("title") or item_case.item_name),
        number=number,
        holder=str(certificate.get("holder") or ""),
        holder_name=str(certificate.get("holder_name") or case.applicant.full_name or ""),
        issuer=str(certificate.get("issuer") or item_case.department.name),
        issue_date=_date_or_none(certificate.get("issue_date")),
        valid_until=str(certificate.get("valid_until") or ""),
        data=certificate.get("data") or item_case.result or {},
        labels=certificate.get("labels") or {},
    )
    audit.record(
        action="licence.issued",
        case_number=case.number,
        obj=licence,
        after={"type": licence.licence_type, "number": number, "item": item_case.item_code},
    )
    send_on_commit("issuance.collect_licence", licence.pk)
    return licence


def _date_or_none(value):
    from datetime import date

    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def licence_collect(*, licence_id: int) -> str:
    """Fetch the document (or draw one from the data when the department gives none), then
    register the licence in the data hub. Safe to repeat. Raises TransientIssuanceError
    for the task to retry; a permanent failure is recorded on the licence and not retried.

    One read (the licence with its item case, department and endpoint, and whether a
    deferred material of its case holds the registration), the two exchanges, then one
    transaction that records what came of both (``transitions.licence_collection_finish``:
    one conditional UPDATE, one audit event, the attempt counted)."""
    from onething.intake.selectors import outstanding_checks_all

    licence = (
        IssuedLicence.objects.select_related("case", "item_case__department__endpoint")
        .defer("document")  # tens of kB, never needed here
        .annotate(held=Exists(outstanding_checks_all().filter(case_id=OuterRef("case_id"))))
        .get(pk=licence_id)
    )
    outcome = transitions.CollectionOutcome()
    try:
        if licence.state == L.State.PENDING:
            _collect_document(licence, outcome)
        if licence.registration == L.Registration.PENDING and not licence.held:
            _register(licence, outcome)
    except TransientIssuanceError as error:
        # what was fetched before a transient failure is kept (a document, when the hub is
        # the one down), the error noted; the task retries the rest
        outcome.error = str(error)
        transitions.licence_collection_finish(licence=licence, outcome=outcome)
        log.warning("licence %s: %s", licence.number, error)
        raise
    if outcome:
        transitions.licence_collection_finish(licence=licence, outcome=outcome)
    if licence.registration == L.Registration.PENDING and licence.held:
        return f"{licence.state}/held"  # 出证 waits; release_held sends it again
    return f"{licence.state}/{licence.registration}"


def registration_held(*, case: Case) -> bool:
    """A licence is not registered in the e-licence library (出证) while a deferred material
    of its case is outstanding: a refusal of the items needing it would withdraw it."""
    from onething.intake.selectors import has_outstanding_deferrals

    return has_outstanding_deferrals(case)


def release_held(*, case: Case) -> int:
    """The case's deferrals are settled: send the collection of licences whose registration
    was held (after commit). Returns how many were sent."""
    if registration_held(case=case):
        return 0
    pending = IssuedLicence.objects.filter(case=case, registration=L.Registration.PENDING)
    ids = list(pending.values_list("pk", flat=True))
    for pk in ids:
        send_on_commit("issuance.collect_licence", pk)
    return len(ids)


def licence_withdraw(*, item_case: ItemCase, actor, reason: str) -> bool:
    """The licence of an item refused after approval (its deferred material never came) is
    not registered nor handed over. A licence already registered (before deferrals held
    registration) stays so, and the audit event says it needs withdrawing in the hub."""
    licence = IssuedLicence.objects.filter(item_case=item_case).first()
    if licence is None:
        return False
    registered = licence.registration == L.Registration.REGISTERED
    note = reason + ("（已登记至电子证照库，须在库中撤销）" if registered else "")
    return transitions.licence_withdraw(licence=licence, case_number=item_case.case.number, actor=actor, note=note)


def _collect_document(licence: IssuedLicence, outcome) -> None:
    """The department's document, or, when it has none or refuses for good, one drawn by
    the engine from the licence's data (the applicant still gets a document; the failure
    stays visible)."""
    from onething.issuance.documents import licence_pdf

    item_case = licence.item_case
    try:
        document = adapter_for(item_case.department).certificate_document(item_case=item_case)
    except TransientDispatchError as error:
        raise TransientIssuanceError(f"transient: {error}") from error
    except PermanentDispatchError as error:
        outcome.document(L.State.FAILED, licence_pdf(licence), error=f"permanent: {error}")
        return
    outcome.document(L.State.COLLECTED, document or licence_pdf(licence))


def _register(licence: IssuedLicence, outcome) -> None:
    if not licence.holder:
        # e.g. a newborn's birth certificate, issued before the child has an ID number:
        # filed under the parent it would be offered as the parent's own licence later
        outcome.registered(L.Registration.NO_HOLDER)
        return
    try:
        with datahub_client() as hub:
            hub.register_elicence(
                licence.licence_type,
                licence.number,
                licence.holder,
                licence.issuer,
                licence.data,
                holder_name=licence.holder_name or None,
                issue_date=licence.issue_date.isoformat() if licence.issue_date else None,
                valid_until=licence.valid_until or None,
            )
    except DatahubUnavailable as error:
        raise TransientIssuanceError(f"data hub: {error}") from error
    except DatahubRequestError as error:  # 4xx: the hub will not take it; retrying cannot help
        outcome.registered(L.Registration.FAILED, error=f"data hub refused: {error}")
        return
    outcome.registered(L.Registration.REGISTERED)


def reconcile(*, now=None) -> int:
    """Licences whose collection message was lost or whose retries ran out: send again."""
    from onething.intake.selectors import outstanding_checks_all

    stale = (now or timezone.now()) - timedelta(seconds=settings.RECONCILE_STALE_SECONDS)
    pending = IssuedLicence.objects.filter(
        Q(state=L.State.PENDING) | Q(registration=L.Registration.PENDING), updated_at__lt=stale
    ).exclude(  # held until the case's deferred materials are settled (release_held sends them)
        state=L.State.COLLECTED, case_id__in=outstanding_checks_all().values("case_id")
    )
    ids = list(pending.values_list("pk", flat=True)[:500])
    for pk in ids:
        IssuedLicence.objects.filter(pk=pk).update(updated_at=timezone.now())
        send_on_commit("issuance.collect_licence", pk)
    return len(ids)


# --- conclusion ------------------------------------------------------------------------------


def conclusion_notify(*, case: Case, item_cases: list[ItemCase], all_approved: bool) -> None:
    """The case concluded (processing publishes it): tell the applicant what came of it and
    how the results are received, the choice recorded from the form, not a question."""
    from django.utils import translation

    from onething.issuance.documents import delivery_line
    from onething.notifications.services import notify

    if all_approved:
        body = f"办件 {case.number} 的 {len(item_cases)} 个事项已全部办结，请登录查看结果。"
    else:
        failed = [
            f"{ic.item_name}（{ic.get_state_display()}：{ic.reason}）"
            for ic in item_cases
            if ic.state != ItemCase.State.APPROVED
        ]
        body = f"办件 {case.number} 已部分办结。未办成的事项：{'；'.join(failed)}。"
    with translation.override("zh-hans"):
        body += f"领取方式：{delivery_line(case)}"
    notify(
        recipient=case.applicant,
        subject="办件已办结" if all_approved else "办件部分办结",
        body=body,
        dedup_key=f"case-concluded:{case.number}",
        case_number=case.number,
    )


# --- delivery --------------------------------------------------------------------------------


def delivery_record(*, case: Case, actor=None) -> Delivery | None:
    """At submission, in the transaction that created ``case``: the delivery choice made in the
    application form (``delivery.method``, ``delivery.address``, ``applicant.mobile``; see
    onething/catalog/elements.py) becomes the case's Delivery, which issuance and the
    result notice use; nobody asks again. Nothing when the form did not ask it."""
    data = case.data or {}
    method = data.get(elements.DELIVERY_METHOD)
    if method not in elements.DELIVERY_METHODS:
        return None
    fields = {
        "mobile": str(data.get(elements.APPLICANT_MOBILE) or case.applicant.mobile or "")[:20],
        "recipient_name": (case.applicant.full_name or "")[:100],
        "address": str(data.get(elements.DELIVERY_ADDRESS) or "")[:300] if method == Delivery.Method.MAIL else "",
    }
    delivery = Delivery.objects.create(case=case, method=method, **fields)  # a new case: none exists yet
    audit.record(
        action="delivery.recorded",
        actor=actor or case.applicant,
        case_number=case.number,
        obj=delivery,
        after={"method": method, "from": "application_form"},
    )
    return delivery


def delivery_choose(
    *,
    case: Case,
    applicant,
    method: str,
    centre=None,
    recipient_name: str = "",
    mobile: str = "",
    address: str = "",
) -> Delivery:
    """The applicant changes how they receive the results (or chooses, when the form did
    not ask): window pickup (at ``centre``, else the centre handling the case) or mail to
    an address. Checked with the form's own validators; possible until the results are
    handed over or sent. Audited."""
    if case.applicant_id != applicant.pk:
        raise IssuanceError("not_applicant", "只有申请人可以选择领取方式", "only the applicant can choose")
    if case.state == Case.State.REFUSED:
        raise IssuanceError("refused", "办件不予受理，没有需要领取的结果", "the case was refused: no results")
    fields = _delivery_fields(
        method=method,
        centre=centre,
        recipient_name=recipient_name.strip(),
        mobile=mobile.strip(),
        address=address,
    )
    fields["recipient_name"] = fields["recipient_name"] or (applicant.full_name or "")[:100]
    with transaction.atomic():
        existing = Delivery.objects.select_for_update().filter(case=case).first()
        if existing is not None and existing.done:
            raise IssuanceError("already_delivered", "结果已发放，不能再更改领取方式", "results already handed over")
        before = _delivery_summary(existing) if existing else None
        delivery, _created = Delivery.objects.update_or_create(case=case, defaults={"method": method, **fields})
        after = _delivery_summary(delivery)
        audit.record(
            action="delivery.changed" if existing else "delivery.chosen",
            actor=applicant,
            case_number=case.number,
            obj=delivery,
            before=before,
            after=after | {"changed": sorted(k for k in after if before is None or before.get(k) != after[k])},
        )
    return delivery


def _delivery_summary(delivery: Delivery) -> dict:
    """What the audit keeps of a choice: the method and centre, and fingerprints of the
    address and mobile (which changed, without copying personal data into the trail)."""
    return {
        "method": delivery.method,
        "centre": delivery.centre.code if delivery.centre_id else "",
        "address": hashlib.sha256(delivery.address.encode()).hexdigest()[:12] if delivery.address else "",
        "mobile": delivery.mobile[-4:] if delivery.mobile else "",
    }


def _delivery_fields(*, method: str, centre, recipient_name: str, mobile: str, address: str) -> dict:
    """Validated with the application form's validators (onething/apply/validators.py)."""
    if method not in Delivery.Method.values:
        raise IssuanceError("method", "未知的领取方式", "unknown delivery method")
    if mobile:
        _raise_if(validators.mobile(mobile))
    if method == Delivery.Method.PICKUP:
        return {"centre": centre, "address": "", "mobile": mobile, "recipient_name": recipient_name[:100]}
    missing = [label for label, value in (("手机号码", mobile), ("邮寄地址", address)) if not value.strip()]
    if missing:
        raise IssuanceError("mail_details", f"请填写{'、'.join(missing)}", "mobile and address needed for mail")
    _raise_if(validators.address(address))
    if recipient_name:
        _raise_if(validators.person_name(recipient_name))
    return {"centre": None, "recipient_name": recipient_name[:100], "mobile": mobile, "address": address.strip()[:300]}


def _raise_if(problem) -> None:
    if problem is not None:
        raise IssuanceError(problem.code, problem.message, problem.message_en)


def _require_concluded(case: Case) -> None:
    """Results are handed over only once the case has concluded (never while a deferred
    material is outstanding: the case does not conclude then)."""
    if case.state not in {Case.State.CONCLUDED, Case.State.PARTIALLY_CONCLUDED}:
        raise IssuanceError(
            "not_concluded", "办件尚未办结，结果暂不能发放", "the case has not concluded: results cannot be handed over"
        )


def pickup_record(*, case: Case, clerk, recipient_name: str, recipient_id_number: str) -> Delivery:
    """The window hands the results over after checking the recipient's identity: the
    applicant, or the agent named in the application. A second pickup is refused."""
    _require_concluded(case)
    delivery = Delivery.objects.filter(case=case, method=Delivery.Method.PICKUP).first()
    if delivery is None:
        raise IssuanceError("no_pickup", "申请人未选择窗口领取", "the applicant did not choose window pickup")
    entitled = _entitled_recipients(case)
    given = validators.identifier(recipient_id_number)
    if given not in entitled:
        raise IssuanceError(
            "identity_mismatch",
            "领取人身份与申请人（或委托代理人）不符，不能发放",
            "the recipient is neither the applicant nor their agent",
        )
    now = timezone.now()
    with transaction.atomic():
        handed = Delivery.objects.filter(pk=delivery.pk, picked_up_at__isnull=True).update(
            picked_up_at=now,
            handed_over_by=clerk.user,
            recipient_name=recipient_name.strip()[:100],
            recipient_id_number=given,
        )
        if handed != 1:
            raise IssuanceError(
                "already_picked_up", "结果已经领取过，不能重复发放", "the results were already picked up"
            )
        audit.record(
            action="delivery.picked_up",
            actor=clerk.user,
            case_number=case.number,
            obj=delivery,
            after={"centre": clerk.centre.code, "recipient": entitled[given]},
        )
    delivery.refresh_from_db()
    return delivery


def _entitled_recipients(case: Case) -> dict[str, str]:
    """ID number -> who they are, for everyone who may collect the results."""
    entitled = {}
    if case.applicant.id_number:
        entitled[validators.identifier(case.applicant.id_number)] = "applicant"
    agent = validators.identifier(case.data.get(elements.RESULT_AGENT_ID) or "")
    if agent:
        entitled.setdefault(agent, "agent")
    return entitled


def mail_record(*, case: Case, clerk, carrier: str, tracking_number: str) -> Delivery:
    """The centre sends the results by mail and records the carrier's tracking number."""
    _require_concluded(case)
    carrier, tracking_number = carrier.strip()[:50], tracking_number.strip()[:50]
    if not carrier or not tracking_number:
        raise IssuanceError("tracking", "请填写快递公司和运单号", "carrier and tracking number needed")
    delivery = Delivery.objects.filter(case=case, method=Delivery.Method.MAIL).first()
    if delivery is None:
        raise IssuanceError("no_mail", "申请人未选择邮寄送达", "the applicant did not choose mail")
    with transaction.atomic():
        sent = Delivery.objects.filter(pk=delivery.pk, mailed_at__isnull=True).update(
            mailed_at=timezone.now(), mailed_by=clerk.user, carrier=carrier, tracking_number=tracking_number
        )
        if sent != 1:
            raise IssuanceError("already_mailed", "结果已经寄出", "the results were already sent")
        audit.record(
            action="delivery.mailed",
            actor=clerk.user,
            case_number=case.number,
            obj=delivery,
            after={"carrier": carrier, "tracking_number": tracking_number},
        )
    _notify_mailed(case, carrier, tracking_number)
    delivery.refresh_from_db()
    return delivery


def _notify_mailed(case: Case, carrier: str, tracking_number: str) -> None:
    from onething.notifications.services import notify

    notify(
        recipient=case.applicant,
        subject="办理结果已寄出",
        body=f"办件 {case.number} 的办理结果已通过{carrier}寄出，运单号 {tracking_number}。",
        dedup_key=f"results-mailed:{case.number}",
        case_number=case.number,
    )


def download_recorded(*, case: Case, user, what: str) -> None:
    """Downloads of results are personal data leaving the system: audited."""
    audit.record(action="results.downloaded", actor=user, case_number=case.number, obj=case, after={"what": what})
