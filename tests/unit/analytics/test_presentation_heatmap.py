"""The SVG heatmap: red-white-green scale between the lowest and highest value, grey cells without a
value, escaped labels, byte-stable output."""

from __future__ import annotations

from avwap.presentation.heatmap import HIGH_COLOR, MISSING_COLOR, Heatmap, cell_color, render_heatmap


def test_cell_colors_span_red_white_green_and_grey_for_missing() -> None:
    assert cell_color(0.0, 0.0, 2.0) == "#dc2626"
    assert cell_color(1.0, 0.0, 2.0) == "#ffffff"
    assert cell_color(2.0, 0.0, 2.0) == "#{:02x}{:02x}{:02x}".format(*HIGH_COLOR)
    assert cell_color(5.0, 5.0, 5.0) == "#ffffff"  # all equal: neutral
    assert cell_color(None, 0.0, 1.0) == MISSING_COLOR


def test_render_places_one_labeled_cell_per_pair_and_escapes_text() -> None:
    heatmap = Heatmap(
        title="sharpe <by> a & b",
        x_name="a",
        y_name="b",
        x_values=["1", "2"],
        y_values=["x"],
        cells={("1", "x"): -0.5, ("2", "x"): None},
    )
    svg = render_heatmap(heatmap)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<rect") == 2 and "-0.500" in svg and "n/a" in svg
    assert "&lt;by&gt; a &amp; b" in svg and "<by>" not in svg
    assert f'fill="{MISSING_COLOR}"' in svg
    assert render_heatmap(heatmap) == svg
