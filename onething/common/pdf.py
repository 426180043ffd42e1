"""PDF building blocks shared by every document the engine prints (notice, receipts,
result notices): an embedded CJK TrueType font and A4 paragraph styles.

reportlab's built-in CID font STSong-Light is *not* embedded and shows as empty boxes
on machines without Chinese fonts, so we register a TrueType font; reportlab embeds a
subset of every TrueType font it uses.
"""

from functools import cache
from io import BytesIO
from pathlib import Path

from django.conf import settings
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

CJK_FONT_NAME = "OneThingCJK"


class NoCJKFont(RuntimeError):
    """No configured CJK font file exists (settings.CJK_FONT_PATHS)."""


@cache
def cjk_font() -> str:
    """Register the first available CJK TrueType font with reportlab and return its name."""
    for candidate in settings.CJK_FONT_PATHS:
        path = Path(candidate)
        if path.is_file():
            options = {"subfontIndex": 0} if path.suffix.lower() == ".ttc" else {}
            pdfmetrics.registerFont(TTFont(CJK_FONT_NAME, str(path), **options))
            return CJK_FONT_NAME
    raise NoCJKFont(f"no CJK font found in {settings.CJK_FONT_PATHS}; install fonts-wqy-microhei")


@cache
def styles() -> dict[str, ParagraphStyle]:
    font = cjk_font()
    base = ParagraphStyle("base", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=12, textColor=colors.HexColor("#555555")),
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=26, alignment=TA_CENTER, spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=base, fontSize=12.5, leading=18, spaceBefore=10, spaceAfter=4),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=13),
    }


def table(rows: list[list], widths: list[float], header: bool = True) -> Table:
    """A bordered table of Paragraph cells with a shaded header row."""
    result = Table(rows, colWidths=[w * mm for w in widths], repeatRows=1 if header else 0)
    commands = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#999999")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), cjk_font()),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef7")))
    result.setStyle(TableStyle(commands))
    return result


def render(flowables: list, *, title: str, footer: str) -> bytes:
    """Lay out flowables on A4 with a footer line and page numbers; return the PDF bytes."""
    buffer = BytesIO()
    font = cjk_font()

    def decorate(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(18 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"{doc.page}")
        canvas.restoreState()

    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
    )
    document.build(flowables, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
