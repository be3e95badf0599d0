"""A bar frame as a panel: symbols × bars float64 arrays, built once per scan.

Rows are the symbols (sorted), columns the most recent ``width`` bars of each symbol up to the as-of date,
right-aligned: the last column is each symbol's latest bar (the as-of session for every symbol that traded
that day; :attr:`BarPanel.last_date` says which), and short histories are NaN-padded on the left. A session a
symbol did not trade (a halt, or a row dropped as a vendor error) is skipped rather than left as a NaN hole,
so every indicator sees exactly the bar sequence a per-symbol computation would, and one missing day cannot
poison a 200-bar window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from avwap.core.errors import DataError

if TYPE_CHECKING:  # a frame is one way in; the scan job hands columns read straight from Parquet (no pandas)
    import pandas as pd

FloatArray = npt.NDArray[np.float64]
DateArray = npt.NDArray[np.datetime64]
VALUE_COLUMNS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class BarPanel:
    """Symbols × bars arrays (see the module docstring for the alignment)."""

    symbols: tuple[str, ...]
    dates: DateArray  # datetime64[D], NaT in the padding
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    bar_count: npt.NDArray[np.int64]  # bars up to the as-of date, before truncation to the panel width
    last_date: DateArray  # date of each symbol's latest bar (NaT when it has none)

    @property
    def width(self) -> int:
        return int(self.close.shape[1])

    def row(self, symbol: str) -> int:
        """Row index of ``symbol``; :class:`DataError` when absent."""
        try:
            return self.symbols.index(symbol)
        except ValueError:
            raise DataError(f"symbol {symbol!r} is not in the panel") from None


@dataclass(frozen=True)
class BarColumns:
    """Bar rows as numpy columns: what :func:`build_panel` reads of a bar frame, without pandas.

    ``codes[i]`` indexes ``names`` (sorted, upper-case) for row ``i``; ``dates`` are New York session dates.
    """

    codes: npt.NDArray[np.intp]
    names: list[str]
    dates: DateArray
    values: dict[str, FloatArray]  # VALUE_COLUMNS

    @property
    def empty(self) -> bool:
        return self.codes.size == 0

    def last_date(self) -> dt.date | None:
        """The latest session date of the rows (None without rows)."""
        return None if self.empty else self.dates.max().astype(dt.date)

    def present(self) -> set[str]:
        """The symbols that have rows (codes counted: np.unique would import numpy.ma, ~12 ms of a scan)."""
        used = np.flatnonzero(np.bincount(self.codes, minlength=len(self.names)))
        return {self.names[code] for code in used.tolist()}

    def select(self, symbols: set[str]) -> BarColumns:
        """The rows of ``symbols``, in their order, with codes renumbered over the symbols kept."""
        wanted = np.array([name in symbols for name in self.names], dtype=bool)
        keep = wanted[self.codes] if self.codes.size else np.zeros(0, dtype=bool)
        kept = np.flatnonzero(wanted)
        codes = np.searchsorted(kept, self.codes[keep]).astype(np.intp)
        values = {name: column[keep] for name, column in self.values.items()}
        return BarColumns(codes, [self.names[code] for code in kept], self.dates[keep], values)


def frame_columns(frame: pd.DataFrame) -> BarColumns:
    """:class:`BarColumns` of a bar frame (see :mod:`avwap.data.bars`)."""
    missing = [column for column in ("symbol", "timestamp", *VALUE_COLUMNS) if column not in frame.columns]
    if missing:
        raise DataError(f"bar frame lacks columns {missing}")
    codes, names = _symbol_codes(frame["symbol"])
    values = {name: frame[name].to_numpy(dtype=np.float64) for name in VALUE_COLUMNS}
    return BarColumns(codes, names, _session_dates(frame), values)


def _session_dates(frame: pd.DataFrame) -> DateArray:
    import pandas as pd

    timestamps = frame["timestamp"]
    if not isinstance(timestamps.dtype, pd.DatetimeTZDtype):
        raise DataError("bar timestamps must be timezone-aware (see avwap.data.bars)")
    local = timestamps.dt.tz_convert("America/New_York").dt.tz_localize(None)
    days: DateArray = local.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return days


def _validate_values(
    values: FloatArray, codes: npt.NDArray[np.intp], dates: DateArray, names: list[str]
) -> None:
    prices, volumes = values[:, :4], values[:, 4]
    if values.size == 0 or (np.isfinite(values).all() and prices.min() > 0.0 and volumes.min() >= 0.0):
        return  # the usual case, in three reductions; the row-wise test below finds the first bad row
    bad = ~np.isfinite(values).all(axis=1) | (prices <= 0.0).any(axis=1) | (volumes < 0.0)
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{names[codes[position]]} {dates[position]}: bar values must be finite, prices > 0 and"
            f" volume >= 0 ({int(bad.sum())} bad rows)"
        )


def _sorted_or_raise(codes: npt.NDArray[np.intp], dates: DateArray, names: list[str]) -> bool:
    """True when rows are already in (symbol, date) order (the bar-frame contract); raises on duplicates."""
    same_symbol = np.diff(codes) == 0
    step = np.diff(dates)
    duplicate = same_symbol & (step == np.timedelta64(0, "D"))
    if duplicate.any():
        position = int(np.flatnonzero(duplicate)[0])
        raise DataError(f"duplicate bar for {names[codes[position]]} on {dates[position]}")
    return bool((np.diff(codes) >= 0).all() and not (same_symbol & (step < np.timedelta64(0, "D"))).any())


def _symbol_codes(symbols: pd.Series) -> tuple[npt.NDArray[np.intp], list[str]]:
    """Sorted upper-case symbols and each row's code (factorize first: upper-casing 1M rows is slow)."""
    import pandas as pd

    codes, raw = pd.factorize(symbols, sort=True)
    names, inverse = np.unique(
        np.array([str(symbol).upper() for symbol in raw], dtype=object), return_inverse=True
    )
    return inverse[codes].astype(np.intp), [str(name) for name in names]


def build_panel(frame: pd.DataFrame | BarColumns, as_of: dt.date, width: int) -> BarPanel:
    """Panel of each symbol's ``width`` latest daily bars up to ``as_of`` (every symbol gets a row).

    Raises :class:`DataError` for duplicate bars, and for non-finite values, non-positive prices or negative
    volume among the bars the panel holds: the data layer repairs vendor errors; the scan refuses to guess.
    """
    if width < 1:
        raise ValueError(f"panel width must be at least 1, got {width}")
    columns_of = frame if isinstance(frame, BarColumns) else frame_columns(frame)
    codes, uniques, dates = columns_of.codes, columns_of.names, columns_of.dates
    order = np.flatnonzero(dates <= np.datetime64(as_of, "D"))  # later bars are neither read nor validated
    if not _sorted_or_raise(codes[order], dates[order], uniques):
        # rows read partition by partition are in date order within each symbol: a stable sort by symbol
        # then gives the (symbol, date) order, the very permutation lexsort gives (both keep ties in order)
        by_symbol = order[np.argsort(codes[order], kind="stable")]
        if _sorted_or_raise(codes[by_symbol], dates[by_symbol], uniques):
            order = by_symbol
        else:
            order = order[np.lexsort((dates[order], codes[order]))]
            _sorted_or_raise(codes[order], dates[order], uniques)
    codes, dates = codes[order], dates[order]
    symbol_count = len(uniques)
    counts = np.bincount(codes, minlength=symbol_count).astype(np.int64)
    group_end = np.cumsum(counts)
    from_end = group_end[codes] - 1 - np.arange(codes.size)  # 0 for each symbol's latest bar
    column = width - 1 - from_end
    inside = column >= 0
    rows, columns = codes[inside], column[inside]
    used = order[inside]  # only the bars that enter the panel are read and checked
    values = np.column_stack([columns_of.values[name][used] for name in VALUE_COLUMNS])
    _validate_values(values, rows, dates[inside], uniques)
    cells = rows * width + columns  # flat positions: one index for the six arrays
    arrays = {name: np.full((symbol_count, width), np.nan) for name in VALUE_COLUMNS}
    for position, name in enumerate(VALUE_COLUMNS):
        arrays[name].reshape(-1)[cells] = values[:, position]
    panel_dates = np.full((symbol_count, width), np.datetime64("NaT"), dtype="datetime64[D]")
    panel_dates.reshape(-1)[cells] = dates[inside]
    return BarPanel(
        symbols=tuple(str(symbol) for symbol in uniques),
        dates=panel_dates,
        bar_count=counts,
        last_date=panel_dates[:, -1].copy(),
        **arrays,
    )


def price_history_start(panel: BarPanel) -> npt.NDArray[np.int64]:
    """First non-padding column of each row (``width`` for a symbol without bars)."""
    return (panel.width - np.minimum(panel.bar_count, panel.width)).astype(np.int64)
