"""Labels by forward simulation of each candidate's trade over the next ``horizon`` daily bars.

Chosen over the backtest engine's trades because it is leakage-safe by construction and independent of
portfolio state (slots, cash, rotation): every candidate gets a label, decided by its own levels only.

The trade: enter at the open of the first session after the as-of date at the candidate's stop (no entry when
that open is at or below the stop: the setup failed before it could be bought). One R is the risk actually
taken, entry − stop, and R1 is entry + 1 R (the candidate's own R1 is measured from its AVWAP level, which a
gap at the open can leave far behind). Then on each bar, in order, a low at or below the stop exits at the
stop (or the open when it gaps below), else a high at or above R1 exits at R1; the stop is checked first when
both are touched in one bar (conservative). Without either, the trade exits at the close of bar ``horizon``.
``forward_r`` is (exit − entry) / R; ``hit_r1`` is true when R1 was reached before the stop; ``label_known``
is the date of the exit bar (the label is unknown, and the row dropped, when the data ends first).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Final

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_HORIZON: Final = 10
LABEL_COLUMNS: Final = ("as_of", "symbol", "forward_r", "hit_r1", "label_known", "exit_reason")


def _symbol_bars(bars: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    days = bars["timestamp"].dt.tz_convert("America/New_York").dt.date
    frame = bars.assign(day=days).sort_values(["symbol", "day"], kind="stable")
    found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for symbol, group in frame.groupby(frame["symbol"].astype(str), sort=True):
        dates = np.array(group["day"].tolist(), dtype="datetime64[D]")
        prices = group[["open", "high", "low", "close"]].to_numpy(dtype=np.float64)
        found[str(symbol)] = (dates, prices)
    return found


def simulate(prices: np.ndarray, stop: float, horizon: int) -> tuple[float, bool, int, str] | None:
    """(forward R, hit R1, index of the exit bar, exit reason) of the trade over ``prices`` (OHLC rows after
    the as-of date); None when there is no entry or fewer than ``horizon`` bars and no exit yet."""
    if len(prices) == 0:
        return None
    entry = prices[0, 0]
    if entry <= stop:
        return None
    risk = entry - stop
    target = entry + risk
    for index, (bar_open, high, low, close) in enumerate(prices[:horizon]):
        if low <= stop:
            return (min(bar_open, stop) - entry) / risk, False, index, "STOP"
        if high >= target:
            return (target - entry) / risk, True, index, "R1"
        if index == horizon - 1:
            return (close - entry) / risk, False, index, "HORIZON"
    return None


def forward_labels(
    features: pd.DataFrame, bars: pd.DataFrame, horizon: int = DEFAULT_HORIZON
) -> pd.DataFrame:
    """One label per feature row whose trade was entered and decided within the data."""
    import pandas as pd

    by_symbol = _symbol_bars(bars)
    rows = []
    for as_of, symbol, stop in features[["as_of", "symbol", "stop"]].itertuples(index=False):
        found = by_symbol.get(symbol)
        if found is None:
            continue
        dates, prices = found
        start = int(np.searchsorted(dates, np.datetime64(as_of, "D"), side="right"))
        outcome = simulate(prices[start : start + horizon], stop, horizon)
        if outcome is None:
            continue
        forward_r, hit, index, reason = outcome
        known: dt.date = dates[start + index].astype(dt.date)
        rows.append((as_of, symbol, float(forward_r), bool(hit), known, reason))
    return pd.DataFrame(rows, columns=list(LABEL_COLUMNS))
