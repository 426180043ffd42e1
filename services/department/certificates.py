"""The certificate document: a one-page A4 PDF with Chinese text, drawn with reportlab.

The CJK font is embedded (reportlab embeds a subset of every TrueType font it uses), so the PDF reads
the same on a machine without Chinese fonts.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from io import BytesIO
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FONT = PROJECT_ROOT / "onething" / "common" / "fonts" / "wqy-microhei.ttc"
FONT_NAME = "OneThingDepartmentCJK"
_font_lock = threading.Lock()
_render_lock = threading.Lock()  # reportlab keeps per-document font subsetting state on the shared font object
_font: str | None = None
CACHE_SIZE = 512  # rendered documents kept (≈ 30 KB each): a department serves each certificate again and again
_cache: OrderedDict[str, bytes] = OrderedDict()  # least recently used first
_cache_lock = threading.Lock()


def cjk_font() -> str:
    """Register the CJK font once (DEPARTMENT_CJK_FONT overrides the path); Helvetica if it is missing."""
    global _font
    with _font_lock:
        if _font is None:
            path = Path(os.environ.get("DEPARTMENT_CJK_FONT") or DEFAULT_FONT)
            if path.is_file():
                options = {"subfontIndex": 0} if path.suffix.lower() == ".ttc" else {}
                pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), **options))
                _font = FONT_NAME
            else:
                _font = "Helvetica"
        return _font


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break text into lines that fit ``width`` points (character by character: fine for Chinese)."""
    lines, line = [], ""
    for char in text:
        if pdfmetrics.stringWidth(line + char, font, size) > width and line:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line] if line else lines or [""]


def render_certificate(certificate: dict[str, Any], department_name: str, item_name: str) -> bytes:
    """The PDF of an issued certificate (the same bytes on every call).

    Rendering costs ≈ 10 ms of CPU under a lock shared by every thread, so each document is rendered
    once and kept (least recently used out, ``CACHE_SIZE`` of them) under a key made of everything its
    bytes depend on: the certificate, the department's and the item's names and the font.
    """
    font = cjk_font()
    key = json.dumps([certificate, department_name, item_name, font], sort_keys=True, default=str)
    with _cache_lock:
        pdf = _cache.get(key)
        if pdf is not None:
            _cache.move_to_end(key)
            return pdf
    with _render_lock:
        pdf = _render(certificate, department_name, item_name, font)
    with _cache_lock:
        _cache[key] = pdf
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return pdf


def clear_cache() -> None:
    """Forget every rendered document (tests)."""
    with _cache_lock:
        _cache.clear()


def _render(certificate: dict[str, Any], department_name: str, item_name: str, font: str) -> bytes:
    buffer = BytesIO()
    width, height = A4
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1, invariant=1)  # same bytes on every download
    pdf.setTitle(f"{certificate.get('title', '')} {certificate['number']}")
    pdf.setAuthor(department_name)
    pdf.setSubject(item_name)

    pdf.setStrokeColor(colors.HexColor("#b22222"))
    pdf.setLineWidth(2)
    pdf.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    pdf.setLineWidth(0.6)
    pdf.rect(18 * mm, 18 * mm, width - 36 * mm, height - 36 * mm)

    pdf.setFillColor(colors.HexColor("#b22222"))
    pdf.setFont(font, 26)
    pdf.drawCentredString(width / 2, height - 45 * mm, str(certificate.get("title") or certificate["type"]))
    pdf.setFillColor(colors.black)
    pdf.setFont(font, 11)
    pdf.drawCentredString(width / 2, height - 55 * mm, f"编号 No. {certificate['number']}")

    labels = certificate.get("labels") or {}
    rows: list[tuple[str, str]] = [
        ("持证人", certificate.get("holder_name") or ""),
        ("持证人证件号码", certificate.get("holder") or ""),
        ("办理事项", item_name),
    ]
    rows += [(labels.get(name, name), str(value)) for name, value in (certificate.get("data") or {}).items()]
    rows += [
        ("发证机关", certificate.get("issuer") or department_name),
        ("发证日期", certificate.get("issue_date") or ""),
        ("有效期至", certificate.get("valid_until") or ""),
        ("办件编号", certificate.get("case_number") or ""),
        ("部门受理编号", certificate.get("reference") or ""),
    ]
    y = height - 75 * mm
    label_x, value_x, value_width = 30 * mm, 75 * mm, width - 105 * mm
    for label, value in rows:
        if not value:
            continue
        pdf.setFont(font, 11)
        pdf.setFillColor(colors.HexColor("#555555"))
        pdf.drawString(label_x, y, label)
        pdf.setFillColor(colors.black)
        for line in _wrap(value, font, 12, value_width):
            pdf.setFont(font, 12)
            pdf.drawString(value_x, y, line)
            y -= 7 * mm
        y -= 2 * mm
        if y < 50 * mm:
            break

    pdf.setFillColor(colors.HexColor("#b22222"))
    pdf.setFont(font, 13)
    pdf.drawCentredString(width - 60 * mm, 45 * mm, department_name)
    pdf.setFillColor(colors.HexColor("#666666"))
    pdf.setFont(font, 8)
    pdf.drawString(22 * mm, 22 * mm, "本证照由部门业务系统签发，可通过“一件事”平台核验。演示环境生成，不具法律效力。")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
