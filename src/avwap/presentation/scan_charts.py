"""One chart per candidate: daily candles, the anchored VWAP with 1σ/2σ bands from the anchor, anchor marked.

The bars are the scan's own panel rows (the bars the scan decided on, quarantined rows excluded), so the last
AVWAP point is the candidate's entry level. The window shows at least :data:`MIN_BARS_SHOWN` bars and starts
:data:`BARS_BEFORE_ANCHOR` bars before the anchor when the history allows.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

from avwap.core.errors import DataError
from avwap.presentation.svg import Candles, Chart, LineSeries, Marker
from avwap.signals.avwap import Engine, avwap_series
from avwap.signals.panel import BarPanel, price_history_start
from avwap.signals.scan_records import Candidate

MIN_BARS_SHOWN: Final = 60
BARS_BEFORE_ANCHOR: Final = 10
AVWAP_COLOR: Final = "#1d4ed8"
BAND_1_COLOR: Final = "#7c3aed"
BAND_2_COLOR: Final = "#a1a1aa"
ANCHOR_COLOR: Final = "#d97706"


def _values(array: npt.NDArray[np.float64]) -> list[float | None]:
    return [float(value) if math.isfinite(value) else None for value in array]


def _anchor_column(panel: BarPanel, row: int, candidate: Candidate) -> int:
    matches = np.flatnonzero(panel.dates[row] == np.datetime64(candidate.anchor_date, "D"))
    if matches.size != 1:
        raise DataError(f"{candidate.symbol}: anchor bar {candidate.anchor_date} is not in the scan panel")
    return int(matches[0])


def chart_window(panel: BarPanel, row: int, anchor: int) -> int:
    """First panel column shown for ``row`` whose anchor sits at column ``anchor``."""
    start = min(anchor - BARS_BEFORE_ANCHOR, panel.width - MIN_BARS_SHOWN)
    return max(int(price_history_start(panel)[row]), start, 0)


def candidate_chart(panel: BarPanel, candidate: Candidate, engine: Engine = "numba") -> Chart:
    """The chart of ``candidate`` from the scan ``panel``."""
    row = panel.row(candidate.symbol)
    anchor = _anchor_column(panel, row, candidate)
    first = chart_window(panel, row, anchor)
    columns = slice(first, panel.width)
    series = avwap_series(
        panel.high[row : row + 1, columns],
        panel.low[row : row + 1, columns],
        panel.close[row : row + 1, columns],
        panel.volume[row : row + 1, columns],
        [[anchor - first]],
        engine=engine,
    )
    level, sigma = series.avwap[0, 0], series.sigma[0, 0]
    lines = [
        LineSeries("AVWAP", _values(level), AVWAP_COLOR),
        LineSeries("+1σ", _values(level + sigma), BAND_1_COLOR, dashed=True),
        LineSeries("-1σ", _values(level - sigma), BAND_1_COLOR, dashed=True),
        LineSeries("+2σ", _values(level + 2.0 * sigma), BAND_2_COLOR, dashed=True),
        LineSeries("-2σ", _values(level - 2.0 * sigma), BAND_2_COLOR, dashed=True),
    ]
    candles = Candles(
        opens=[float(value) for value in panel.open[row, columns]],
        highs=[float(value) for value in panel.high[row, columns]],
        lows=[float(value) for value in panel.low[row, columns]],
        closes=[float(value) for value in panel.close[row, columns]],
    )
    anchor_marker = Marker(
        index=anchor - first,
        price=float(panel.low[row, anchor]),
        label=candidate.anchor_type,
        color=ANCHOR_COLOR,
        upward=True,
    )
    # The entry level, pointed at from above on the as-of bar: visible even when the anchor IS that bar
    # (a one-point AVWAP draws no line).
    entry_marker = Marker(
        index=panel.width - 1 - first,
        price=float(candidate.avwap),
        label="entry",
        color=AVWAP_COLOR,
        upward=False,
    )
    # Short: the legend shares the title line.
    title = f"#{candidate.rank} {candidate.symbol} · {candidate.anchor_type} {candidate.anchor_date}"
    labels = [str(day) for day in panel.dates[row, columns]]
    return Chart(
        title=title, labels=labels, lines=lines, candles=candles, markers=[anchor_marker, entry_marker]
    )
