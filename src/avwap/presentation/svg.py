"""Dependency-free SVG charts with byte-stable output (fixed number formatting, no random ids).

Charts are embedded inline in the HTML report, so a report is one self-contained file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

WIDTH = 860
HEIGHT = 300
MARGIN_LEFT = 64
MARGIN_RIGHT = 16
MARGIN_TOP = 28
MARGIN_BOTTOM = 36


@dataclass(frozen=True)
class LineSeries:
    """One line; ``None`` values break the line (e.g. AVWAP before its anchor)."""

    name: str
    values: Sequence[float | None]
    color: str
    dashed: bool = False
    step: bool = False


@dataclass(frozen=True)
class Marker:
    index: int
    price: float
    label: str
    color: str
    upward: bool = True


@dataclass(frozen=True)
class Candles:
    opens: Sequence[float]
    highs: Sequence[float]
    lows: Sequence[float]
    closes: Sequence[float]


@dataclass(frozen=True)
class Chart:
    title: str
    labels: Sequence[str]
    lines: Sequence[LineSeries] = ()
    candles: Candles | None = None
    markers: Sequence[Marker] = field(default_factory=tuple)
    value_format: str = "{:,.2f}"


def _number(value: float) -> str:
    return f"{value:.2f}"


def _bounds(chart: Chart) -> tuple[float, float]:
    values: list[float] = [value for line in chart.lines for value in line.values if value is not None]
    if chart.candles is not None:
        values.extend(chart.candles.highs)
        values.extend(chart.candles.lows)
    values.extend(marker.price for marker in chart.markers)
    finite = [value for value in values if math.isfinite(value)]
    if not finite:
        return 0.0, 1.0
    low, high = min(finite), max(finite)
    pad = (high - low) * 0.05 or abs(high) * 0.01 or 1.0
    return low - pad, high + pad


class _Frame:
    def __init__(self, count: int, low: float, high: float) -> None:
        self.count = max(count, 1)
        self.low = low
        self.high = high
        self.plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
        self.plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

    def x(self, index: float) -> float:
        step = self.plot_width / self.count
        return MARGIN_LEFT + step * (index + 0.5)

    def y(self, value: float) -> float:
        span = self.high - self.low or 1.0
        return MARGIN_TOP + self.plot_height * (1 - (value - self.low) / span)

    @property
    def bar_width(self) -> float:
        return max(1.0, self.plot_width / self.count * 0.6)


def _axes(chart: Chart, frame: _Frame) -> list[str]:
    parts = []
    for step in range(5):
        value = frame.low + (frame.high - frame.low) * step / 4
        y = frame.y(value)
        parts.append(
            f'<line x1="{MARGIN_LEFT}" y1="{_number(y)}" x2="{WIDTH - MARGIN_RIGHT}" y2="{_number(y)}" '
            'stroke="#e5e7eb" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{_number(y + 4)}" text-anchor="end" font-size="11" '
            f'fill="#4b5563">{escape(chart.value_format.format(value))}</text>'
        )
    count = len(chart.labels)
    ticks = sorted({0, count - 1, *range(0, count, max(1, count // 6))}) if count else []
    for index in ticks:
        parts.append(
            f'<text x="{_number(frame.x(index))}" y="{HEIGHT - 12}" text-anchor="middle" font-size="11" '
            f'fill="#4b5563">{escape(chart.labels[index])}</text>'
        )
    return parts


def _line(series: LineSeries, frame: _Frame) -> list[str]:
    segments: list[list[str]] = [[]]
    previous_y: float | None = None
    for index, value in enumerate(series.values):
        if value is None or not math.isfinite(value):
            segments.append([])
            previous_y = None
            continue
        if series.step and previous_y is not None:
            segments[-1].append(f"{_number(frame.x(index))},{_number(previous_y)}")
        previous_y = frame.y(value)
        segments[-1].append(f"{_number(frame.x(index))},{_number(previous_y)}")
    dash = ' stroke-dasharray="5,4"' if series.dashed else ""
    return [
        f'<polyline fill="none" stroke="{series.color}" stroke-width="1.6"{dash} '
        f'points="{" ".join(points)}"/>'
        for points in segments
        if len(points) > 1
    ]


def _candles(candles: Candles, frame: _Frame) -> list[str]:
    parts = []
    rows = zip(candles.opens, candles.highs, candles.lows, candles.closes, strict=True)
    for index, (open_, high, low, close) in enumerate(rows):
        x = frame.x(index)
        color = "#15803d" if close >= open_ else "#b91c1c"
        top, bottom = frame.y(max(open_, close)), frame.y(min(open_, close))
        parts.append(
            f'<line x1="{_number(x)}" y1="{_number(frame.y(high))}" x2="{_number(x)}" '
            f'y2="{_number(frame.y(low))}" stroke="{color}" stroke-width="1"/>'
        )
        parts.append(
            f'<rect x="{_number(x - frame.bar_width / 2)}" y="{_number(top)}" '
            f'width="{_number(frame.bar_width)}" height="{_number(max(bottom - top, 0.8))}" fill="{color}"/>'
        )
    return parts


def _marker(marker: Marker, frame: _Frame) -> str:
    x, y = frame.x(marker.index), frame.y(marker.price)
    offset = 9 if marker.upward else -9
    tip = y + (2 if marker.upward else -2)
    base = _number(tip + offset)
    points = f"{_number(x)},{_number(tip)} {_number(x - 5)},{base} {_number(x + 5)},{base}"
    label_y = tip + offset + (12 if marker.upward else -4)
    return (
        f'<polygon points="{points}" fill="{marker.color}"/>'
        f'<text x="{_number(x)}" y="{_number(label_y)}" text-anchor="middle" font-size="10" '
        f'fill="{marker.color}">{escape(marker.label)}</text>'
    )


def render_chart(chart: Chart) -> str:
    """The chart as an inline ``<svg>`` element."""
    count = len(chart.labels)
    low, high = _bounds(chart)
    frame = _Frame(count, low, high)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-label="{escape(chart.title)}">',
        f'<text x="{MARGIN_LEFT}" y="18" font-size="13" font-weight="600" fill="#111827">'
        f"{escape(chart.title)}</text>",
        *_axes(chart, frame),
    ]
    if chart.candles is not None:
        parts.extend(_candles(chart.candles, frame))
    for series in chart.lines:
        parts.extend(_line(series, frame))
    parts.extend(_marker(marker, frame) for marker in chart.markers)
    legend_x = WIDTH - MARGIN_RIGHT
    for series in reversed(chart.lines):
        parts.append(
            f'<text x="{legend_x}" y="18" text-anchor="end" font-size="11" fill="{series.color}">'
            f"{escape(series.name)}</text>"
        )
        legend_x -= 8 + 7 * len(series.name)
    parts.append("</svg>")
    return "".join(parts)
