"""Adjusted daily series as their own bar store: ``<data>/adjusted/<mode>/`` (``split`` or ``all``).

:func:`write_adjusted` reads the RAW daily bars of the symbols named in an events file from the main store,
back-adjusts them (:func:`avwap.data.corporate_actions.adjust_bars`) and writes each symbol's whole adjusted
series into a separate :class:`BarStore` rooted at :func:`adjusted_root`. The raw store is only read, never
written: raw bars stay the record, adjusted bars are derived and can be rebuilt at any time. A whole series
is rewritten on every run because a new event changes every earlier adjusted bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from avwap.core.errors import DataError
from avwap.data.corporate_actions import Adjustment, CorporateAction, adjust_bars
from avwap.data.store import BarStore

DAILY: Final = "1d"


def adjusted_root(data_dir: Path, mode: Adjustment) -> Path:
    """The root of the adjusted store of ``mode`` under the data folder ``data_dir``."""
    if mode is Adjustment.RAW:
        raise DataError("raw bars live in the main store; an adjusted store is 'split' or 'all'")
    return Path(data_dir) / "adjusted" / mode.value


@dataclass(frozen=True)
class AdjustedWrite:
    """What :func:`write_adjusted` did (symbols sorted)."""

    root: Path
    mode: Adjustment
    symbols: tuple[str, ...]  # adjusted and written
    events: dict[str, int]  # events applied per written symbol
    without_bars: tuple[str, ...]  # named in the events file, no raw daily bars in the store
    rows_written: int
    partitions_written: int
    data_hash: str

    def summary(self) -> dict[str, Any]:
        return {
            "store": self.root.as_posix(),
            "mode": self.mode.value,
            "symbols": list(self.symbols),
            "events_applied": dict(self.events),
            "symbols_without_bars": list(self.without_bars),
            "rows_written": self.rows_written,
            "partitions_written": self.partitions_written,
            "data_hash": self.data_hash,
        }


def write_adjusted(raw: BarStore, actions: Sequence[CorporateAction], mode: Adjustment) -> AdjustedWrite:
    """Adjust the raw daily bars of every symbol in ``actions`` and write them to the adjusted store."""
    named = sorted({action.symbol for action in actions})
    if not named:
        raise DataError("the events file has no events")
    bars = raw.read(DAILY, symbols=named)
    present = sorted(set(bars["symbol"].astype(str)))
    events = {symbol: sum(1 for action in actions if action.symbol == symbol) for symbol in present}
    target = BarStore(adjusted_root(raw.root, mode))
    adjusted = adjust_bars(bars, [action for action in actions if action.symbol in events], mode)
    written = target.write(adjusted, DAILY)
    return AdjustedWrite(
        root=target.root,
        mode=mode,
        symbols=tuple(present),
        events=events,
        without_bars=tuple(symbol for symbol in named if symbol not in events),
        rows_written=len(adjusted),
        partitions_written=len(written),
        data_hash=target.data_hash(DAILY) if present else "",
    )
