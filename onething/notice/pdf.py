"""The one-time notice as a printable A4 PDF with embedded Chinese font."""

import hashlib
import json

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from reportlab.platypus import Paragraph, Spacer

from onething.common import pdf
from onething.common.i18n import pick
from onething.notice import presentation
from onething.notice.engine import CompiledBundle, Notice


def cached_notice_pdf(*, version, compiled: CompiledBundle, notice: Notice) -> bytes:
    """The notice PDF, rendered once per bundle version, answers and language and kept for
    ``NOTICE_PDF_CACHE_SECONDS`` (rendering costs about a quarter of a second of CPU, and
    the page is public). The answers are the checked ones, in canonical JSON: two queries
    meaning the same thing share one entry. Its footer says when it was generated."""
    answers = json.dumps(notice.answers, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(answers.encode("utf-8")).hexdigest()
    published = version.published_at.timestamp() if version.published_at else 0  # a published version never changes
    key = f"notice-pdf:{version.pk}:{published}:{get_language() or settings.LANGUAGE_CODE}:{digest}"
    document = cache.get(key)
    if document is None:
        document = notice_pdf(compiled=compiled, notice=notice)
        cache.set(key, document, settings.NOTICE_PDF_CACHE_SECONDS)
    return document


def notice_pdf(*, compiled: CompiledBundle, notice: Notice) -> bytes:
    s = pdf.styles()
    bundle = notice.bundle
    name = pick(bundle["name"], bundle.get("name_en"))
    P = Paragraph
    story = [
        P(_("%(name)s 一次告知单") % {"name": name}, s["title"]),
        P(pick(bundle.get("summary", ""), bundle.get("summary_en")), s["small"]),
        P(_("您的情形"), s["h2"]),
        pdf.table(
            [[P(q, s["cell"]), P(a, s["cell"])] for q, a in presentation.answer_lines(compiled, notice.answers)],
            [110, 64],
            header=False,
        ),
        P(_("需要办理的事项（%(count)s 项）") % {"count": len(notice.items)}, s["h2"]),
        pdf.table(
            [[P(h, s["cell"]) for h in (_("事项"), _("部门"), _("为什么要办"), _("承诺时限"), _("收费"))]]
            + [
                [
                    P(pick(i.name, i.name_en), s["cell"]),
                    P(pick(i.department["name"], i.department.get("name_en")), s["cell"]),
                    P(pick(i.reason, i.reason_en) or _("本一件事必办"), s["cell"]),
                    P(_("%(days)s 个工作日") % {"days": i.committed_days}, s["cell"]),
                    P(_("%(amount)s 元") % {"amount": i.fee["amount"]}, s["cell"]),
                ]
                for i in notice.items
            ],
            [42, 34, 50, 24, 24],
        ),
        P(
            _("申请材料（已合并去重，共 %(count)s 项，需提交 %(bring)s 项）")
            % {"count": len(notice.materials), "bring": len(notice.materials_to_bring)},
            s["h2"],
        ),
        pdf.table(
            [[P(h, s["cell"]) for h in (_("材料"), _("形式"), _("用于事项"), _("说明"))]]
            + [
                [
                    P(pick(m.name, m.name_en), s["cell"]),
                    P(f"{presentation.form_label(m.form)} × {m.copies}", s["cell"]),
                    P("、".join(presentation.item_names(compiled, m.needed_by)), s["cell"]),
                    P("；".join(presentation.material_notes(m)) or "—", s["cell"]),
                ]
                for m in notice.materials
            ],
            [46, 30, 50, 48],
        ),
        P(_("办理时限与费用"), s["h2"]),
        P(
            _("一件事办理预计 %(bundle)s 个工作日（按事项依赖的关键路径计算）；逐项分别办理合计 %(seq)s 个工作日。")
            % {"bundle": notice.bundle_days, "seq": notice.sequential_days},
            s["base"],
        ),
        P(
            _("关键路径：%(path)s") % {"path": " → ".join(presentation.item_names(compiled, notice.critical_path))},
            s["base"],
        ),
        P(_("费用合计：%(fee)s 元") % {"fee": f"{notice.total_fee:.2f}"}, s["base"]),
        P(_("四减成效"), s["h2"]),
        pdf.table(
            [[P(h, s["cell"]) for h in (_("指标"), _("分别办理"), _("一件事办理"))]]
            + [
                [
                    P(label, s["cell"]),
                    P(str(notice.reductions[k]["separate"]), s["cell"]),
                    P(str(notice.reductions[k]["bundle"]), s["cell"]),
                ]
                for k, label in presentation.reduction_labels()
            ],
            [60, 57, 57],
        ),
        P(_("办理渠道与地点"), s["h2"]),
        P(
            _("办理渠道：%(channels)s")
            % {"channels": "、".join(presentation.channel_label(c) for c in notice.channels)},
            s["base"],
        ),
    ]
    for location in notice.service_locations:
        story.append(
            P(
                f"{pick(location['name'], location.get('name_en'))}：{location.get('address', '')}　"
                f"{location.get('hours', '')}　{location.get('phone', '')}",
                s["base"],
            )
        )
    story.append(Spacer(1, 8))
    generated = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    return pdf.render(
        story,
        title=_("%(name)s 一次告知单") % {"name": name},
        footer=_("一件事 · 一次告知 · 生成于 %(time)s") % {"time": generated},
    )
