"""The printed documents of 统一发证, A4 PDFs with the embedded Chinese font, on the same
letterhead as the intake documents (onething/intake/documents.py):

- 结果告知书 (result notice): every item's outcome, its certificate or the reason it was
  not granted, and how the results are delivered;
- 电子证照 drawn from a licence's data, for departments that issue a number but no file;
- the ZIP of everything (the notice and every certificate), for one download.
"""

import io
import zipfile
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from onething.cases.models import Case
from onething.common import pdf
from onething.intake.documents import _applicant_table, _date, _datetime, _header, _render, _styles, tracking_url
from onething.issuance.models import IssuedLicence
from onething.issuance.selectors import case_outcomes


def result_notice_pdf(*, case: Case) -> bytes:
    """结果告知书."""
    s = _styles()
    P = Paragraph
    outcomes = case_outcomes(case=case)
    granted = sum(1 for row in outcomes if row.approved)
    rows = [[P(h, s["cell"]) for h in (_("序号"), _("事项"), _("承办部门"), _("结果"), _("证照 / 理由"))]]
    for index, row in enumerate(outcomes, start=1):
        detail = (
            _("%(title)s，编号 %(number)s") % {"title": row.licence.title, "number": row.licence.number}
            if row.licence
            else (row.reason or "—")
        )
        rows.append(
            [
                P(str(index), s["cell"]),
                P(escape(row.item_name), s["cell"]),
                P(escape(row.department), s["cell"]),
                P(escape(row.state_label), s["cell"]),
                P(escape(detail), s["cell"]),
            ]
        )
    summary = (
        _("您申请的事项已全部办结，共 %(count)s 项，结果如下。") % {"count": len(outcomes)}
        if granted == len(outcomes)
        else _("您申请的事项已办结，其中 %(granted)s 项准予，%(other)s 项未能办成，结果及理由如下。")
        % {"granted": granted, "other": len(outcomes) - granted}
    )
    story = [
        *_header(case),
        P(_("结果告知书"), s["title"]),
        P(_("办件编号：%(number)s") % {"number": escape(case.number)}, s["right"]),
        P(_("申请人"), s["h2"]),
        _applicant_table(case),
        P(_("办理结果"), s["h2"]),
        P(escape(summary), s["base"]),
        Spacer(1, 4),
        pdf.table(rows, [10, 50, 38, 20, 56]),
        P(_("领取方式"), s["h2"]),
        P(escape(delivery_line(case)), s["base"]),
        Spacer(1, 6),
        P(
            _("办结时间：%(time)s。电子证照已同步至电子证照库，今后办理其他事项时无需再次提交。查询地址：%(url)s")
            % {"time": _datetime(case.concluded_at), "url": escape(tracking_url(case))},
            s["small"],
        ),
        P(
            _("如对办理结果有异议，可自收到本告知书之日起六十日内申请行政复议，或者六个月内向人民法院提起行政诉讼。"),
            s["small"],
        ),
    ]
    return _render(story, title=_("结果告知书"), case=case)


def delivery_line(case: Case) -> str:
    """The case's recorded choice (made in the application form, or changed since on the
    case page): the result notice and the message that the case is concluded say it; they
    do not ask it again."""
    delivery = getattr(case, "delivery", None)
    if delivery is None:
        return _("申请时未选择。可登录网上办事大厅下载全部结果，或在办件页面选择窗口领取、邮寄送达。")
    if delivery.method == delivery.Method.PICKUP:
        centre = delivery.pickup_centre
        where = centre.name if centre else ""
        if delivery.picked_up_at:
            return _("窗口领取（%(where)s），已于 %(time)s 领取。") % {
                "where": where,
                "time": _datetime(delivery.picked_up_at),
            }
        return _("窗口领取（%(where)s），请携带身份证件领取。") % {"where": where}
    to = {"name": delivery.recipient_name, "address": delivery.address}
    if delivery.mailed_at:
        return _("邮寄送达（%(name)s，%(address)s），已于 %(time)s 通过%(carrier)s寄出，运单号 %(tracking)s。") % {
            **to,
            "time": _datetime(delivery.mailed_at),
            "carrier": delivery.carrier,
            "tracking": delivery.tracking_number,
        }
    return _("邮寄送达（%(name)s，%(address)s），待寄出。") % to


def licence_pdf(licence: IssuedLicence) -> bytes:
    """An e-licence document drawn from its data, when the department gave no file."""
    s = _styles()
    P = Paragraph
    labels = licence.labels or {}
    rows = [
        (_("证照编号"), licence.number),
        (_("持证人"), licence.holder_name or "—"),
        *[(labels.get(name, name), str(value)) for name, value in (licence.data or {}).items()],
        (_("发证机关"), licence.issuer),
        (_("发证日期"), _date(licence.issue_date)),
        (_("有效期至"), licence.valid_until or _("长期")),
        (_("办件编号"), licence.case.number),
    ]
    story = [
        *_header(licence.case),
        P(escape(licence.title), s["title"]),
        Spacer(1, 6 * mm),
        pdf.table(
            [[P(escape(str(label)), s["cell"]), P(escape(str(value)), s["cell"])] for label, value in rows],
            [48, 126],
            header=False,
        ),
        Spacer(1, 6),
        P(_("本证照由一件事平台依据发证部门的办理结果生成，已登记至电子证照库。"), s["small"]),
    ]
    return _render(story, title=licence.title, case=licence.case)


def results_zip(*, case: Case) -> bytes:
    """One download of everything: the result notice and every certificate."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{case.number}-结果告知书.pdf", result_notice_pdf(case=case))
        for licence in case.licences.exclude(registration=IssuedLicence.Registration.WITHDRAWN):
            document = bytes(licence.document) if licence.document else licence_pdf(licence)
            archive.writestr(f"{case.number}-{licence.title}-{licence.filename}", document)
    return buffer.getvalue()
