"""Labels from the backtest engine's trades (``avwap ml build --labels engine --run DIR``).

The alternative to the forward simulation (:mod:`avwap.ml.labels`): the candidates the engine actually
traded, labelled by the round trip the production cycle made of them (its sizing, fills, costs and stop
policy), read from a run folder's ``trades.json``. Only traded candidates get a label (the portfolio's slots
and cash decide which), so the set is smaller and depends on portfolio state; the forward simulation stays
the default.

Per closed trade entered on session ``D``: the candidate is the scan's row of ``D``'s as-of date (the
previous session, as the engine's morning scan sees it); ``forward_r`` is the trade's ``r_multiple`` (net
PnL over the initial risk, the run's own figure); ``hit_r1`` is true when the daily high reached
entry + 1 R (R = entry − initial stop) on a bar from the entry date up to the session before the exit, or
the exit itself was at or above that level (a bar that also holds the exit counts for the stop:
conservative, as in the forward simulation); ``label_known`` is the exit date. A trade still open, without
an R, or without a feature row is not a label (counted in :class:`EngineLabels`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from avwap.core.calendar import nyse
from avwap.core.errors import DataError
from avwap.ml.labels import LABEL_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

TRADES_FILE = "trades.json"


@dataclass(frozen=True)
class EngineLabels:
    labels: pd.DataFrame
    trades: int  # closed trades with an R multiple
    unmatched: int  # of those, without a feature row of their candidate


def read_trades(run_dir: Path) -> list[dict[str, Any]]:
    """The trade rows of a backtest run folder (``trades.json``, written by :mod:`avwap.backtest.outputs`)."""
    path = Path(run_dir) / TRADES_FILE
    try:
        rows = json.loads(path.read_bytes())["trades"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DataError(f"cannot read the trades of the backtest run {run_dir}: {error}") from None
    if not isinstance(rows, list):
        raise DataError(f"{path}: 'trades' is not a list")
    return rows


def _highs(bars: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    days = bars["timestamp"].dt.tz_convert("America/New_York").dt.date
    frame = bars.assign(day=days).sort_values(["symbol", "day"], kind="stable")
    return {
        str(symbol): (
            np.array(group["day"].tolist(), dtype="datetime64[D]"),
            group["high"].to_numpy(dtype=np.float64),
        )
        for symbol, group in frame.groupby(frame["symbol"].astype(str), sort=True)
    }


def hit_r1(highs: tuple[np.ndarray, np.ndarray] | None, trade: dict[str, Any]) -> bool:
    """R1 (entry + (entry − initial stop)) reached before the exit (module docstring)."""
    entry, stop = float(trade["entry_price"]), float(trade["initial_stop"])
    target = entry + (entry - stop)
    if float(trade["exit_price"]) >= target:
        return True
    if highs is None:
        return False
    dates, high = highs
    first = np.searchsorted(dates, np.datetime64(trade["entry_date_ny"], "D"), side="left")
    last = np.searchsorted(dates, np.datetime64(trade["exit_date_ny"], "D"), side="left")
    return bool((high[first:last] >= target).any())


def _labelled(trade: dict[str, Any]) -> bool:
    return (
        trade.get("status") == "CLOSED"
        and trade.get("r_multiple") is not None
        and bool(trade.get("initial_stop"))
    )


def engine_labels(trades: list[dict[str, Any]], features: pd.DataFrame, bars: pd.DataFrame) -> EngineLabels:
    """One label per traded candidate that has a feature row (columns as the forward labels')."""
    import pandas as pd

    calendar = nyse()
    highs = _highs(bars)
    rows: dict[tuple[dt.date, str], tuple[Any, ...]] = {}
    keys = set(zip(features["as_of"], features["symbol"], strict=True))
    closed = [trade for trade in trades if _labelled(trade)]
    for trade in sorted(closed, key=lambda item: (item["entry_date_ny"], item["position_id"])):
        entered = dt.date.fromisoformat(trade["entry_date_ny"])
        key = (calendar.previous_session(entered), str(trade["symbol"]))
        if key not in keys or key in rows:
            continue  # no candidate row, or a second trade of the same candidate (the first one labels it)
        rows[key] = (
            *key,
            float(trade["r_multiple"]),
            hit_r1(highs.get(key[1]), trade),
            dt.date.fromisoformat(trade["exit_date_ny"]),
            str(trade.get("exit_reason") or "EXIT"),
        )
    labels = pd.DataFrame([rows[key] for key in sorted(rows)], columns=list(LABEL_COLUMNS))
    unmatched = sum(
        1
        for trade in closed
        if (calendar.previous_session(dt.date.fromisoformat(trade["entry_date_ny"])), trade["symbol"])
        not in keys
    )
    return EngineLabels(labels, len(closed), unmatched)
