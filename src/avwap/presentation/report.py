"""The self-contained HTML report (no external assets, byte-stable for identical inputs)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from avwap.core.canonical import to_plain
from avwap.ledger.atomic import Provenance
from avwap.presentation.svg import Chart, render_chart

STYLE = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:900px;
color:#111827}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #e5e7eb}
p.meta{color:#6b7280;font-size:13px;margin-top:0}table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{padding:4px 10px;border-bottom:1px solid #f3f4f6;text-align:right}th{background:#f9fafb}
td:first-child,th:first-child{text-align:left}.note{font-size:12px;color:#6b7280}
"""


@dataclass(frozen=True)
class Table:
    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    note: str = ""


@dataclass(frozen=True)
class Section:
    title: str
    charts: Sequence[Chart] = ()
    tables: Sequence[Table] = ()
    paragraphs: Sequence[str] = ()
    figures: Sequence[str] = ()  # pre-rendered inline SVG (e.g. presentation.heatmap), placed after charts


def render_table(table: Table) -> str:
    head = "".join(f"<th>{escape(column)}</th>" for column in table.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in table.rows
    )
    title = f"<h3>{escape(table.title)}</h3>" if table.title else ""
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    return f"{title}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"


def provenance_script(provenance: Provenance) -> str:
    """The provenance block of an HTML report, machine-readable: ``<script id="provenance">`` holding JSON."""
    text = json.dumps(to_plain(provenance), sort_keys=True).replace("<", "\\u003c")  # never ends the script
    return f'<script type="application/json" id="provenance">{text}</script>'


def render_report(
    title: str, meta: str, sections: Sequence[Section], provenance: Provenance | None = None
) -> str:
    """One HTML document; ``meta`` is a line of provenance shown under the title, ``provenance`` the full
    block (code version, config and data hashes, as-of date) embedded as JSON in the head."""
    block = provenance_script(provenance) if provenance is not None else ""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{STYLE}</style>{block}</head><body>",
        f'<h1>{escape(title)}</h1><p class="meta">{escape(meta)}</p>',
    ]
    for section in sections:
        parts.append(f"<h2>{escape(section.title)}</h2>")
        parts.extend(f"<p>{escape(paragraph)}</p>" for paragraph in section.paragraphs)
        parts.extend(render_table(table) for table in section.tables)
        parts.extend(f"<div>{render_chart(chart)}</div>" for chart in section.charts)
        parts.extend(f"<div>{figure}</div>" for figure in section.figures)
    parts.append("</body></html>\n")
    return "\n".join(parts)
