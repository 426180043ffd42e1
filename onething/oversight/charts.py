"""Server-side SVG charts for the dashboard: plain strings built here, no JavaScript and
nothing fetched at run time. Each chart is an ``<svg role="img">`` with a title and a
short description; the page shows the same figures as a table next to it (the table is
the accessible form, the chart a picture of it).

Colours come from one palette with enough contrast on white; series are also told apart
by the legend's order and labels, never by colour alone (the table has every number).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#1f5fa8", "#d9822b", "#2e8540", "#b03a2e", "#6f4e9c", "#00798c", "#8a6d00", "#5c5c5c", "#c2185b", "#33691e"]
FONT = 'font-family="sans-serif" font-size="11"'
_ids = count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float]
    colour: str = ""


def _coloured(series: list[Series]) -> list[Series]:
    return [Series(s.name, s.values, s.colour or PALETTE[i % len(PALETTE)]) for i, s in enumerate(series)]


def _nice_max(value: float) -> float:
    """A round upper bound for the axis (1, 2, 2.5, 5 x 10^n)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _fmt(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:,.0f}" if value >= 1 or value == 0 else f"{value:.2f}"


def _frame(width: int, height: int, title: str, description: str, body: list[str]) -> SafeString:
    uid = next(_ids)
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" aria-labelledby="chart-t{uid} chart-d{uid}">'
        f'<title id="chart-t{uid}">{escape(title)}</title><desc id="chart-d{uid}">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _legend(series: list[Series], x: int, y: int) -> list[str]:
    parts, offset = [], x
    for s in series:
        parts.append(f'<rect x="{offset}" y="{y - 9}" width="10" height="10" fill="{s.colour}"/>')
        parts.append(f'<text x="{offset + 14}" y="{y}" {FONT}>{escape(s.name)}</text>')
        offset += 24 + 12 * len(s.name) if any(ord(c) > 255 for c in s.name) else 24 + 7 * len(s.name)
    return parts


def empty(title: str) -> SafeString:
    return _frame(400, 40, title, "没有数据", [f'<text x="8" y="24" {FONT}>—</text>'])


def bar_chart(
    *,
    title: str,
    categories: list[str],
    series: list[Series],
    stacked: bool = True,
    percent: bool = False,
    target: float | None = None,
    target_label: str = "",
) -> SafeString:
    """Horizontal bars, one row per category (departments, bundles: long names read
    better horizontally); stacked or side by side; an optional dashed target line."""
    if not categories or not series:
        return empty(title)
    series = _coloured(series)
    label_width, bar_area, row_gap = 170, 440, 6
    bar_height = 16 if stacked else max(8, 18 // len(series) + 4)
    row_height = (bar_height if stacked else bar_height * len(series)) + row_gap
    top = 28
    height = top + row_height * len(categories) + 24
    width = label_width + bar_area + 70
    if stacked:
        peak = max(sum(s.values[i] for s in series) for i in range(len(categories)))
    else:
        peak = max(max(s.values) for s in series)
    scale_max = 1.0 if percent else _nice_max(max(peak, target or 0))
    body = _legend(series, label_width, 14)
    for i, category in enumerate(categories):
        y = top + i * row_height
        name = category if len(category) <= 14 else category[:13] + "…"
        body.append(
            f'<text x="{label_width - 6}" y="{y + bar_height - 4}" text-anchor="end" {FONT}>'
            f"<title>{escape(category)}</title>{escape(name)}</text>"
        )
        offset = 0.0
        total = 0.0
        for j, s in enumerate(series):
            value = s.values[i] or 0
            length = bar_area * value / scale_max
            x = label_width + (offset if stacked else 0)
            bar_y = y if stacked else y + j * bar_height
            if length > 0:
                body.append(
                    f'<rect x="{x:.1f}" y="{bar_y}" width="{length:.1f}" '
                    f'height="{bar_height - (0 if stacked else 2)}" fill="{s.colour}">'
                    f"<title>{escape(category)} · {escape(s.name)}: {_fmt(value, percent)}</title></rect>"
                )
            if not stacked:
                body.append(
                    f'<text x="{label_width + length + 4:.1f}" y="{bar_y + bar_height - 5}" {FONT}>'
                    f"{_fmt(value, percent)}</text>"
                )
            offset += length
            total += value
        if stacked:
            body.append(
                f'<text x="{label_width + offset + 4:.1f}" y="{y + bar_height - 4}" {FONT}>'
                f"{_fmt(total, percent)}</text>"
            )
    axis_y = top + row_height * len(categories)
    body.append(f'<line x1="{label_width}" y1="{top - 4}" x2="{label_width}" y2="{axis_y}" stroke="#333"/>')
    body.append(
        f'<text x="{label_width + bar_area}" y="{axis_y + 14}" text-anchor="end" {FONT}>'
        f"{_fmt(scale_max, percent)}</text>"
    )
    if target is not None:
        x = label_width + bar_area * target / scale_max
        body.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{axis_y}" stroke="#b03a2e" stroke-dasharray="4 3"/>'
        )
        body.append(f'<text x="{x + 3:.1f}" y="{axis_y + 14}" fill="#b03a2e" {FONT}>{escape(target_label)}</text>')
    description = "；".join(
        f"{category}：" + "，".join(f"{s.name} {_fmt(s.values[i] or 0, percent)}" for s in series)
        for i, category in enumerate(categories[:20])
    )
    return _frame(width, height, title, description, body)


def line_chart(*, title: str, x_labels: list[str], series: list[Series]) -> SafeString:
    """Lines over time (x: periods), one per series, with a dot per point."""
    if not x_labels or not series:
        return empty(title)
    series = _coloured(series)
    left, top, plot_w, plot_h = 56, 30, 600, 200
    width, height = left + plot_w + 20, top + plot_h + 40
    peak = _nice_max(max(max(s.values) for s in series))
    step = plot_w / max(1, len(x_labels) - 1)

    def xy(i: int, value: float) -> tuple[float, float]:
        return left + i * step, top + plot_h - plot_h * value / peak

    body = _legend(series, left, 14)
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#333"/>')
    body.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#333"/>')
    for fraction in (0.5, 1.0):
        y = top + plot_h - plot_h * fraction
        body.append(f'<line x1="{left}" y1="{y}" x2="{left + plot_w}" y2="{y}" stroke="#ddd"/>')
        body.append(f'<text x="{left - 4}" y="{y + 4}" text-anchor="end" {FONT}>{_fmt(peak * fraction, False)}</text>')
    every = max(1, len(x_labels) // 8)
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == len(x_labels) - 1:
            x, _ = xy(i, 0)
            body.append(f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" {FONT}>{escape(label)}</text>')
    for s in series:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(s.values)))
        body.append(f'<polyline fill="none" stroke="{s.colour}" stroke-width="2" points="{points}"/>')
        if len(x_labels) <= 60:
            for i, value in enumerate(s.values):
                x, y = xy(i, value)
                body.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{s.colour}">'
                    f"<title>{escape(x_labels[i])} · {escape(s.name)}: {_fmt(value, False)}</title></circle>"
                )
    description = "；".join(
        f"{s.name}：合计 {_fmt(sum(s.values), False)}，峰值 {_fmt(max(s.values), False)}" for s in series
    )
    return _frame(width, height, title, f"{x_labels[0]} 至 {x_labels[-1]}。{description}", body)
