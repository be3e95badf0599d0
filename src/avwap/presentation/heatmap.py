"""A byte-stable SVG heatmap: one metric over two parameters (rows x columns), each cell colored on a
red-to-green scale between the lowest and the highest value and labeled with the value; cells without a
value are grey. Inline in the HTML report (no external assets)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Final

CELL_WIDTH: Final = 96
CELL_HEIGHT: Final = 36
LEFT: Final = 150
TOP: Final = 56
LOW_COLOR: Final = (220, 38, 38)  # red
MIDDLE_COLOR: Final = (255, 255, 255)
HIGH_COLOR: Final = (22, 163, 74)  # green
MISSING_COLOR: Final = "#e5e7eb"


@dataclass(frozen=True)
class Heatmap:
    title: str
    x_name: str
    y_name: str
    x_values: Sequence[str]
    y_values: Sequence[str]
    cells: Mapping[tuple[str, str], float | None]  # (x, y) -> value
    value_format: str = "{:.3f}"


def _mix(start: tuple[int, int, int], end: tuple[int, int, int], share: float) -> str:
    red, green, blue = (round(a + (b - a) * share) for a, b in zip(start, end, strict=True))
    return f"#{red:02x}{green:02x}{blue:02x}"


def cell_color(value: float | None, low: float, high: float) -> str:
    """Red at the lowest value, white halfway, green at the highest (all white when every value is equal)."""
    if value is None:
        return MISSING_COLOR
    share = 0.5 if high == low else (value - low) / (high - low)
    if share < 0.5:
        return _mix(LOW_COLOR, MIDDLE_COLOR, share * 2)
    return _mix(MIDDLE_COLOR, HIGH_COLOR, (share - 0.5) * 2)


def render_heatmap(heatmap: Heatmap) -> str:
    values = [value for value in heatmap.cells.values() if value is not None]
    low, high = (min(values), max(values)) if values else (0.0, 0.0)
    # Wide enough for the title and the axis line too (about 7 px a character at 12 px).
    text = max(len(heatmap.title), len(heatmap.x_name) + len(heatmap.y_name) + 20)
    width = LEFT + max(CELL_WIDTH * max(len(heatmap.x_values), 1), 7 * text) + 16
    height = TOP + CELL_HEIGHT * max(len(heatmap.y_values), 1) + 16
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<text x="{LEFT}" y="16" font-weight="bold">{escape(heatmap.title)}</text>',
        f'<text x="{LEFT}" y="34" fill="#6b7280">columns: {escape(heatmap.x_name)}; '
        f"rows: {escape(heatmap.y_name)}</text>",
    ]
    for column, x_value in enumerate(heatmap.x_values):
        center = LEFT + CELL_WIDTH * column + CELL_WIDTH // 2
        parts.append(f'<text x="{center}" y="{TOP - 6}" text-anchor="middle">{escape(x_value)}</text>')
    for row, y_value in enumerate(heatmap.y_values):
        top = TOP + CELL_HEIGHT * row
        middle = top + CELL_HEIGHT // 2 + 4
        parts.append(f'<text x="{LEFT - 8}" y="{middle}" text-anchor="end">{escape(y_value)}</text>')
        for column, x_value in enumerate(heatmap.x_values):
            value = heatmap.cells.get((x_value, y_value))
            left = LEFT + CELL_WIDTH * column
            label = "n/a" if value is None else heatmap.value_format.format(value)
            parts.append(
                f'<rect x="{left}" y="{top}" width="{CELL_WIDTH}" height="{CELL_HEIGHT}" '
                f'fill="{cell_color(value, low, high)}" stroke="#ffffff"/>'
                f'<text x="{left + CELL_WIDTH // 2}" y="{middle}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
