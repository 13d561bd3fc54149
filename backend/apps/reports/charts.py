"""Bar charts as inline SVG, drawn on the server for the reports (HTML and PDF alike).

Hand-written rather than a chart library: a report needs four plain bar charts with integer
axes, every figure also printed in a table beside them, and output WeasyPrint lays out exactly
as a browser does (basic <rect>, <line>, <text> only: no CSS in the SVG, no scripts, no
fonts to fetch). pygal, the usual choice, styles its SVG with embedded CSS and scripts for
tooltips that a strict CSP blocks and WeasyPrint ignores, so it would need overriding anyway.

Bars are drawn straight from the counts (no smoothing, no interpolation); the y axis has whole
numbers only. Every label is escaped: tool names and rule ids come from scanner output.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape

WIDTH = 680
HEIGHT = 220
LEFT = 44
RIGHT = 8
TOP = 12
BOTTOM = 44
LEGEND_HEIGHT = 16
MAX_BAR = 28.0

SEVERITY_COLOURS: dict[str, str] = {
    "critical": "#7f1d1d",
    "high": "#dc2626",
    "medium": "#f59e0b",
    "low": "#3b82f6",
    "informational": "#9ca3af",
    "unknown": "#d1d5db",
}


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: Sequence[int]


def integer_ticks(top: int, most: int = 5) -> list[int]:
    """Whole-number ticks from 0 to at least `top`, at most `most` + 1 of them."""
    if top <= 0:
        return [0, 1]
    step = max(1, math.ceil(top / most))
    magnitude = 10 ** (len(str(step)) - 1)
    for nice in (1, 2, 5, 10):
        if step <= nice * magnitude:
            step = nice * magnitude
            break
    return list(range(0, top + step, step)) if top % step else list(range(0, top + 1, step))


def bar_chart(
    *,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    stacked: bool = False,
    label_every: int = 1,
) -> str:
    """An SVG bar chart: one group (or stack) of bars per category, one colour per series,
    with <title> and <desc> for screen readers and a legend under the axis."""
    count = max(1, len(categories))
    if stacked:
        top = max((sum(s.values[i] for s in series) for i in range(len(categories))), default=0)
    else:
        top = max((max(s.values, default=0) for s in series), default=0)
    ticks = integer_ticks(top)
    scale_top = ticks[-1] or 1
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / count
    bars_per_slot = 1 if stacked else max(1, len(series))
    bar_w = min(MAX_BAR, max(1.0, slot * 0.8 / bars_per_slot))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" '
        f'height="{HEIGHT + LEGEND_HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT + LEGEND_HEIGHT}" '
        f'font-family="DejaVu Sans, sans-serif" font-size="10">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(description)}</desc>",
    ]
    for tick in ticks:
        y = TOP + plot_h - plot_h * tick / scale_top
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="#e5e7eb" stroke-width="1"/>'
            f'<text x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end" fill="#374151">{tick}</text>'
        )
    for i, category in enumerate(categories):
        x0 = LEFT + slot * (i + 0.5) - bar_w * bars_per_slot / 2
        base = 0
        for j, one in enumerate(series):
            value = int(one.values[i])
            if value <= 0:
                continue
            h = plot_h * value / scale_top
            if stacked:
                x, y = x0, TOP + plot_h - plot_h * base / scale_top - h
                base += value
            else:
                x, y = x0 + j * bar_w, TOP + plot_h - h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{one.colour}"><title>{escape(category)}: {escape(one.name)} '
                f"{value}</title></rect>"
            )
        if i % label_every == 0 or i == len(categories) - 1:
            parts.append(
                f'<text x="{LEFT + slot * (i + 0.5):.1f}" y="{TOP + plot_h + 13}" '
                f'text-anchor="middle" fill="#374151">{escape(category)}</text>'
            )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        f'stroke="#6b7280" stroke-width="1"/>'
    )
    x = LEFT
    legend_y = HEIGHT - 8
    for one in series:
        parts.append(
            f'<rect x="{x}" y="{legend_y}" width="10" height="10" fill="{one.colour}"/>'
            f'<text x="{x + 14}" y="{legend_y + 9}" fill="#111827">{escape(one.name)}</text>'
        )
        x += 24 + 7 * len(one.name)
    parts.append("</svg>")
    return "".join(parts)
