from __future__ import annotations

from avwap.presentation.report import Section, Table, render_report
from avwap.presentation.svg import Candles, Chart, LineSeries, Marker, render_chart


def _chart() -> Chart:
    return Chart(
        title="XYZ <5m>",
        labels=["09:30", "09:35", "09:40"],
        candles=Candles([10, 10.5, 10.2], [10.6, 10.8, 10.4], [9.9, 10.1, 10.0], [10.5, 10.2, 10.3]),
        lines=[
            LineSeries("AVWAP", [None, 10.2, 10.25], "#2563eb"),
            LineSeries("stop", [9.8, 9.8, 9.9], "r", True),
        ],
        markers=[Marker(1, 10.1, "entry", "#15803d")],
    )


def test_chart_is_deterministic_and_escaped() -> None:
    svg = render_chart(_chart())
    assert svg == render_chart(_chart())
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "XYZ &lt;5m&gt;" in svg
    assert svg.count("<rect") == 3
    # The AVWAP line starts at its anchor: the None value breaks it, so one 2-point polyline remains.
    assert svg.count("<polyline") == 2


def test_report_contains_sections_tables_and_charts() -> None:
    html = render_report(
        "Demo",
        "seed 7",
        [
            Section(
                "Summary", charts=[_chart()], tables=[Table("Trades", ["symbol", "pnl"], [["XYZ", "1.00"]])]
            )
        ],
    )
    assert html.startswith("<!DOCTYPE html>") and "<h2>Summary</h2>" in html
    assert "<td>XYZ</td>" in html and "<svg" in html
