"""The printed documents of 一口受理, as A4 PDFs with the embedded Chinese font:

- 受理回执 (receipt): the case number, a QR code of the tracking page, the applicable
  items, how every material was taken in (received / 容缺 with its deadline / 告知承诺),
  the committed completion date, the accepting clerk and centre;
- 不予受理通知书 (refusal notice): the reason with its legal basis and the applicant's
  right to administrative reconsideration or litigation;
- 补正告知书 (correction notice): every correction of one return, listed at once.

Personal data is minimised: the applicant's ID number is always masked.
"""

from datetime import date, datetime
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import HRFlowable, Paragraph, Spacer, Table, TableStyle

from onething.apply.selectors import form_for
from onething.audit.models import AuditEvent
from onething.cases.models import Case
from onething.common import pdf
from onething.common.i18n import pick
from onething.identity.masking import mask_id_number
from onething.intake import selectors
from onething.intake.models import CorrectionRequest, MaterialCheck
from onething.notice.engine import build_notice

DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"
QR_SIZE_MM = 34
RECEIVED = {
    MaterialCheck.Outcome.ORIGINAL_SIGHTED,
    MaterialCheck.Outcome.COPY_COLLECTED,
    MaterialCheck.Outcome.UPLOADED,
    MaterialCheck.Outcome.ELICENCE,
    MaterialCheck.Outcome.DATAHUB,
}


# --- public -------------------------------------------------------------------------------


def tracking_url(case: Case) -> str:
    """The absolute address of the applicant's case page (printed and in the QR code)."""
    base = getattr(settings, "PUBLIC_BASE_URL", DEFAULT_PUBLIC_BASE_URL) or DEFAULT_PUBLIC_BASE_URL
    return f"{base.rstrip('/')}/my/cases/{case.number}/"


def receipt_pdf(*, case: Case) -> bytes:
    """受理回执."""
    s = _styles()
    P = Paragraph
    compiled = selectors.case_compiled(case)
    notice = build_notice(compiled, case.answers)
    bundle = pick(compiled.bundle["name"], compiled.bundle.get("name_en"))
    url = tracking_url(case)

    number_block = [
        P(_("办件编号"), s["label"]),
        P(escape(case.number), s["number"]),
        Spacer(1, 4),
        P(_("一件事：%(name)s") % {"name": escape(bundle)}, s["base"]),
        P(_("受理时间：%(time)s") % {"time": _datetime(case.accepted_at)}, s["base"]),
        P(
            _("承诺办结日期：%(date)s（按工作日计算）") % {"date": _date(case.due_date)}
            + (_("（暂定）") if case.due_date_provisional else ""),
            s["strong"],
        ),
    ]
    qr_block = [_qr(url), P(_("扫码查询办理进度"), s["qr_caption"])]
    top = Table([[number_block, qr_block]], colWidths=[(174 - QR_SIZE_MM - 6) * mm, (QR_SIZE_MM + 6) * mm])
    top.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (-1, -1), 0.8, colors.HexColor("#333333")),
                ("ALIGN", (1, 0), (1, 0), "CENTER"),
                ("LEFTPADDING", (0, 0), (0, 0), 8),
            ]
        )
    )

    story = [
        *_header(case),
        P(_("受理回执"), s["title"]),
        top,
        P(_("查询地址：%(url)s") % {"url": escape(url)}, s["small"]),
        P(_("申请人"), s["h2"]),
        _applicant_table(case),
        P(_("本次受理的事项（%(count)s 项）") % {"count": len(notice.items)}, s["h2"]),
        pdf.table(
            [[P(h, s["cell"]) for h in (_("序号"), _("事项"), _("承办部门"), _("承诺时限"))]]
            + [
                [
                    P(str(index), s["cell"]),
                    P(escape(pick(item.name, item.name_en)), s["cell"]),
                    P(escape(pick(item.department["name"], item.department.get("name_en"))), s["cell"]),
                    P(_("%(days)s 个工作日") % {"days": item.committed_days}, s["cell"]),
                ]
                for index, item in enumerate(notice.items, start=1)
            ],
            [12, 82, 50, 30],
        ),
        P(_("材料核验情况"), s["h2"]),
        _materials_table(case),
        Spacer(1, 4),
        *[P(line, s["small"]) for line in _material_notes(case)],
        P(_("受理信息"), s["h2"]),
        *_centre_lines(case, person_label=_("受理人（首问负责人）"), person=case.owner),
        Spacer(1, 6),
        P(
            _(
                "本回执是您的申请已被受理的凭证，请妥善保管。办理进度与结果将通过短信和网上办事大厅通知；"
                "结果统一发放，凭办件编号查询或领取。"
            ),
            s["small"],
        ),
    ]
    return _render(story, title=_("受理回执"), case=case)


def refusal_pdf(*, case: Case) -> bytes:
    """不予受理通知书."""
    s = _styles()
    P = Paragraph
    event = (
        AuditEvent.objects.filter(case_number=case.number, action="case.refused")
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    decided = event.at if event else timezone.now()
    signer = (event.actor if event else None) or case.owner
    reason = escape(case.refusal_reason.strip() or _("（未填写）")).replace("\n", "<br/>")
    story = [
        *_header(case),
        P(_("不予受理通知书"), s["title"]),
        P(_("办件编号：%(number)s") % {"number": escape(case.number)}, s["right"]),
        Spacer(1, 4),
        P(_("%(name)s：") % {"name": escape(_applicant_name(case))}, s["base"]),
        P(
            _("您于 %(date)s 提交的“%(bundle)s”申请（办件编号：%(number)s），经审查，决定不予受理。理由及依据如下：")
            % {
                "date": _date(timezone.localtime(case.submitted_at).date() if case.submitted_at else None),
                "bundle": escape(_bundle_name(case)),
                "number": escape(case.number),
            },
            s["para"],
        ),
        _boxed(P(reason, s["base"])),
        Spacer(1, 6),
        P(
            _(
                "如对本决定不服，可以自收到本通知书之日起六十日内依照《中华人民共和国行政复议法》"
                "申请行政复议，或者自收到本通知书之日起六个月内依照《中华人民共和国行政诉讼法》"
                "向人民法院提起行政诉讼。"
            ),
            s["para"],
        ),
        P(_("申请人"), s["h2"]),
        _applicant_table(case),
        Spacer(1, 10),
        *_signature(case, person_label=_("经办人"), person=signer, when=decided),
    ]
    return _render(story, title=_("不予受理通知书"), case=case)


def correction_pdf(*, correction: CorrectionRequest) -> bytes:
    """补正告知书（一次性告知）."""
    s = _styles()
    P = Paragraph
    case = correction.case
    labels = _correction_labels(case)
    rows = [[P(h, s["cell"]) for h in (_("序号"), _("项目"), _("类别"), _("补正要求"))]]
    for index, entry in enumerate(correction.corrections, start=1):
        kind, key = entry.get("kind", ""), entry.get("key", "")
        rows.append(
            [
                P(str(index), s["cell"]),
                P(escape(labels.get((kind, key), key)), s["cell"]),
                P(_("申请材料") if kind == "material" else _("申请表信息"), s["cell"]),
                P(escape(str(entry.get("message", ""))).replace("\n", "<br/>"), s["cell"]),
            ]
        )
    story = [
        *_header(case),
        P(_("补正告知书"), s["title"]),
        P(_("（一次性告知）"), s["subtitle"]),
        P(
            _("办件编号：%(number)s　　第 %(round)s 次补正")
            % {"number": escape(case.number), "round": correction.round},
            s["right"],
        ),
        Spacer(1, 4),
        P(_("%(name)s：") % {"name": escape(_applicant_name(case))}, s["base"]),
        P(
            _("您申请的“%(bundle)s”（办件编号：%(number)s）经预审，以下 %(count)s 项需要补正：")
            % {"bundle": escape(_bundle_name(case)), "number": escape(case.number), "count": len(rows) - 1},
            s["para"],
        ),
        pdf.table(rows, [12, 50, 24, 88]),
        Spacer(1, 6),
        P(
            _(
                "以上为本次需要补正的全部内容，已一次性告知。请按要求修改或补充后，"
                "在网上办事大厅原办件（办件编号：%(number)s）下重新提交，无需重新申请；"
                "也可以携带相关材料到受理中心窗口办理。"
            )
            % {"number": escape(case.number)},
            s["para"],
        ),
        P(_("查询地址：%(url)s") % {"url": escape(tracking_url(case))}, s["small"]),
        P(_("申请人"), s["h2"]),
        _applicant_table(case),
        Spacer(1, 10),
        *_signature(case, person_label=_("经办人"), person=correction.clerk, when=correction.created_at),
    ]
    return _render(story, title=_("补正告知书"), case=case)


# --- building blocks ----------------------------------------------------------------------


def _styles() -> dict[str, ParagraphStyle]:
    s = dict(pdf.styles())
    base = s["base"]
    s.update(
        {
            "header": ParagraphStyle("doc-header", parent=base, fontSize=10.5, leading=14, alignment=TA_CENTER),
            "subtitle": ParagraphStyle("doc-subtitle", parent=base, alignment=TA_CENTER, spaceAfter=4),
            "label": ParagraphStyle("doc-label", parent=base, fontSize=9, textColor=colors.HexColor("#555555")),
            "number": ParagraphStyle("doc-number", parent=base, fontSize=20, leading=26),
            "strong": ParagraphStyle("doc-strong", parent=base, fontSize=11, leading=16),
            "para": ParagraphStyle("doc-para", parent=base, fontSize=10.5, leading=17, firstLineIndent=21),
            "right": ParagraphStyle("doc-right", parent=base, alignment=TA_RIGHT),
            "qr_caption": ParagraphStyle("doc-qr", parent=base, fontSize=8, leading=10, alignment=TA_CENTER),
        }
    )
    return s


def _render(story: list, *, title: str, case: Case) -> bytes:
    generated = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    return pdf.render(
        story,
        title=f"{title} {case.number}",
        footer=_("一件事 · %(title)s · 办件编号 %(number)s · 生成于 %(time)s")
        % {"title": title, "number": case.number, "time": generated},
    )


def _header(case: Case) -> list:
    s = _styles()
    centre = case.centre.name if case.centre_id else _("政务服务中心")
    return [
        Paragraph(escape(centre), s["header"]),
        HRFlowable(width="100%", thickness=1.2, color=colors.HexColor("#a61b1b"), spaceBefore=2, spaceAfter=8),
    ]


def _qr(value: str) -> Drawing:
    size = QR_SIZE_MM * mm
    drawing = Drawing(size, size)
    drawing.add(QrCodeWidget(value, barLevel="M", barWidth=size, barHeight=size, barBorder=2))
    return drawing


def _boxed(flowable) -> Table:
    box = Table([[flowable]], colWidths=[174 * mm])
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return box


def _applicant_name(case: Case) -> str:
    # never the username: for citizens it is the full ID number
    return case.applicant.full_name or str(case.data.get("applicant.name") or "") or _("申请人")


def _applicant_id(case: Case) -> str:
    return case.applicant.id_number or str(case.data.get("applicant.id_number") or "")


def _bundle_name(case: Case) -> str:
    bundle = case.version.bundle
    return pick(bundle.name, getattr(bundle, "name_en", ""))


def _applicant_table(case: Case) -> Table:
    s = _styles()
    rows = [
        (_("申请人"), _applicant_name(case)),
        (_("证件号码"), mask_id_number(_applicant_id(case)) or "—"),
        (_("一件事"), _bundle_name(case)),
        (_("申请渠道"), case.get_channel_display()),
        (_("提交时间"), _datetime(case.submitted_at)),
    ]
    return pdf.table(
        [[Paragraph(label, s["cell"]), Paragraph(escape(str(value)), s["cell"])] for label, value in rows],
        [36, 138],
        header=False,
    )


def _material_rows(case: Case) -> list[tuple[MaterialCheck, str, str]]:
    """(check, status, note) ordered received, deferred, pledged."""
    rows = []
    for check in case.material_checks.all().order_by("id"):
        if check.outcome in RECEIVED:
            rows.append((0, check, _("已收取"), check.get_outcome_display()))
        elif check.outcome == MaterialCheck.Outcome.DEFERRED:
            if check.supplied_at:
                note = _("已于 %(date)s 补交") % {"date": _date(timezone.localtime(check.supplied_at).date())}
            else:
                note = _("容缺受理，请于 %(date)s 前补交") % {"date": _date(check.due_date)}
                if check.due_date_provisional:
                    note += _("（暂定）")
            rows.append((1, check, _("容缺后补"), note))
        else:
            rows.append((2, check, _("告知承诺"), _("告知承诺，事后核查")))
    return [(check, status, note) for _order, check, status, note in sorted(rows, key=lambda row: row[0])]


def _materials_table(case: Case):
    s = _styles()
    rows = _material_rows(case)
    if not rows:
        return Paragraph(_("本次受理无需提交材料。"), s["base"])
    return pdf.table(
        [[Paragraph(h, s["cell"]) for h in (_("序号"), _("材料"), _("状态"), _("说明"))]]
        + [
            [
                Paragraph(str(index), s["cell"]),
                Paragraph(escape(check.name), s["cell"]),
                Paragraph(status, s["cell"]),
                Paragraph(note, s["cell"]),
            ]
            for index, (check, status, note) in enumerate(rows, start=1)
        ],
        [12, 70, 24, 68],
    )


def _material_notes(case: Case) -> list[str]:
    outcomes = {check.outcome for check in case.material_checks.all()}
    notes = []
    if MaterialCheck.Outcome.DEFERRED in outcomes:
        notes.append(
            _(
                "容缺材料请在补交期限前通过网上办事大厅上传或到窗口补交；逾期未补交的，"
                "将影响办理进度，相关事项可能终止办理。"
            )
        )
    if MaterialCheck.Outcome.PLEDGED in outcomes:
        notes.append(_("以告知承诺代替的证明，由有关部门事后核查；承诺不实的，将依法撤销相关决定并记入信用记录。"))
    return notes


def _centre_lines(case: Case, *, person_label: str, person) -> list:
    s = _styles()
    lines = [f"{person_label}：{escape(_person(person))}"]
    if case.centre_id:
        centre = case.centre
        lines.append(_("受理中心：%(name)s") % {"name": escape(centre.name)})
        if centre.address:
            lines.append(_("地址：%(address)s") % {"address": escape(centre.address)})
        if centre.phone:
            lines.append(_("咨询电话：%(phone)s") % {"phone": escape(centre.phone)})
    return [Paragraph(line, s["base"]) for line in lines]


def _signature(case: Case, *, person_label: str, person, when: datetime | None) -> list:
    s = _styles()
    centre = case.centre.name if case.centre_id else _("政务服务中心")
    lines = [
        f"{person_label}：{escape(_person(person))}",
        escape(centre),
        _date(timezone.localtime(when).date() if when else timezone.localdate()),
    ]
    result = [Paragraph(line, s["right"]) for line in lines]
    if case.centre_id and case.centre.phone:
        result.insert(2, Paragraph(_("咨询电话：%(phone)s") % {"phone": escape(case.centre.phone)}, s["right"]))
    return result


def _correction_labels(case: Case) -> dict[tuple[str, str], str]:
    form = form_for(version=case.version, answers=case.answers)
    labels = {("field", key): field.label for key, field in form.by_key.items()}
    for material in case.materials.all():
        labels[("material", material.key)] = material.name
    for material in selectors.requirements(case):
        labels[("material", material.key)] = pick(material.name, material.name_en)
    return labels


def _person(user) -> str:
    if user is None:
        return "—"
    return user.full_name or user.username


def _date(value: date | None) -> str:
    if value is None:
        return "—"
    return f"{value.year:04d}年{value.month:02d}月{value.day:02d}日"


def _datetime(value: datetime | None) -> str:
    if value is None:
        return "—"
    local = timezone.localtime(value)
    return f"{_date(local.date())} {local:%H:%M}"
