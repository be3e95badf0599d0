"""The regime chart: the benchmark's close over a range, on background bands coloured by the day's label.

Byte-stable like every chart here: the line comes from :func:`avwap.presentation.svg.render_chart` and the
bands (one ``<rect>`` per run of equal labels) are placed behind it with the same geometry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from html import escape
from typing import Final

from avwap.presentation.svg import (
    HEIGHT,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    WIDTH,
    Chart,
    LineSeries,
    render_chart,
)

BAND_COLORS: Final = {
    "RISK_ON": "#dcfce7",
    "NEUTRAL": "#f3f4f6",
    "RISK_OFF": "#fef3c7",
    "STRESSED": "#fee2e2",
    "UNKNOWN": "#e0e7ff",
}


def label_runs(labels: Sequence[str]) -> list[tuple[int, int, str]]:
    """Runs of equal labels as (first index, last index, label)."""
    runs: list[tuple[int, int, str]] = []
    for index, label in enumerate(labels):
        if runs and runs[-1][2] == label:
            runs[-1] = (runs[-1][0], index, label)
        else:
            runs.append((index, index, label))
    return runs


def _bands(labels: Sequence[str]) -> str:
    count = max(len(labels), 1)
    step = (WIDTH - MARGIN_LEFT - MARGIN_RIGHT) / count
    height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    parts = []
    for first, last, label in label_runs(labels):
        x = MARGIN_LEFT + step * first
        parts.append(
            f'<rect x="{x:.2f}" y="{MARGIN_TOP}" width="{step * (last - first + 1):.2f}" height="{height}" '
            f'fill="{BAND_COLORS[label]}"><title>{escape(label)}</title></rect>'
        )
    return "".join(parts)


def _legend() -> str:
    parts, x = [], MARGIN_LEFT
    for label, color in BAND_COLORS.items():
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 10}" width="10" height="8" fill="{color}" stroke="#9ca3af" '
            f'stroke-width="0.5"/><text x="{x + 13}" y="{HEIGHT - 2}" font-size="9" fill="#4b5563">'
            f"{label}</text>"
        )
        x += 20 + 7 * len(label)
    return "".join(parts)


def regime_chart(
    title: str, labels: Mapping[dt.date, str], closes: Mapping[dt.date, float], benchmark: str
) -> str:
    """An inline ``<svg>``: ``benchmark`` closes as a line over label bands, one column per labelled date."""
    dates = sorted(labels)
    chart = Chart(
        title=title,
        labels=[day.isoformat() for day in dates],
        lines=[LineSeries(benchmark, [closes.get(day) for day in dates], "#1d4ed8")],
    )
    svg = render_chart(chart)
    title_end = svg.index("</text>") + len("</text>")  # behind the axes and the line, after the title
    bands = _bands([labels[day] for day in dates])
    return svg[:title_end] + bands + svg[title_end:].replace("</svg>", _legend() + "</svg>")
