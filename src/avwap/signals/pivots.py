"""Confirmed swing pivots, without lookahead.

A swing low at bar ``i`` has a low strictly below each of the ``left`` bars before it and at or below each of
the ``right`` bars after it (a flat double bottom yields one pivot, the first bar). Swing highs mirror this.
Such a pivot is only *known* once its right bars have closed, at bar ``i + right``: every record carries both
``index`` and ``confirmed_at``, and every "as of bar t" query filters on ``confirmed_at <= t``. That is the
whole defence against lookahead in stops and backtests, so it lives here, once.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class PivotPoint(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One confirmed pivot: where it is, when it became known, and its price."""

    index: int
    confirmed_at: int
    price: float


@dataclass(frozen=True)
class Pivots:
    """All pivots of one series in bar order; the arrays are read-only and of equal length."""

    index: IntArray
    confirmed_at: IntArray
    price: FloatArray

    def __len__(self) -> int:
        return int(self.index.size)

    def point(self, position: int) -> PivotPoint:
        """The pivot at ``position`` (0-based, in bar order) as a record."""
        return PivotPoint(
            index=int(self.index[position]),
            confirmed_at=int(self.confirmed_at[position]),
            price=float(self.price[position]),
        )

    def known_count(self, bar: int) -> int:
        """How many pivots are confirmed as of ``bar`` (they are a prefix: confirmation order = bar order)."""
        return int(np.searchsorted(self.confirmed_at, bar, side="right"))


def _find(values: npt.ArrayLike, left: int, right: int, lows: bool) -> Pivots:
    if left < 1 or right < 0:
        raise ValueError(f"need left >= 1 and right >= 0, got left={left}, right={right}")
    series = np.asarray(values, dtype=np.float64)
    if series.ndim != 1:
        raise ValueError("pivots are found in one series at a time (1-D array)")
    oriented = series if lows else -series
    width = left + 1 + right
    if series.size < width:
        empty = np.empty(0, dtype=np.int64)
        return _frozen(empty, empty, np.empty(0))
    # One comparison per neighbour over shifted views (a window is left + 1 + right bars: a few), not a
    # sliding-window matrix: the stop policy runs this for every position every cycle on short series,
    # where building the window view cost more than the comparisons. NaN compares False: never a pivot.
    count = series.size - width + 1
    centre = oriented[left : left + count]
    found = np.isfinite(centre)
    for offset in range(width):
        if offset != left:
            neighbour = oriented[offset : offset + count]
            found &= centre < neighbour if offset < left else centre <= neighbour
    positions = np.flatnonzero(found).astype(np.int64) + left
    return _frozen(positions, positions + right, series[positions])


def _frozen(index: IntArray, confirmed_at: IntArray, price: FloatArray) -> Pivots:
    for array in (index, confirmed_at, price):
        array.setflags(write=False)
    return Pivots(index=index, confirmed_at=confirmed_at, price=price)


def swing_lows(low: npt.ArrayLike, left: int = 2, right: int = 2) -> Pivots:
    """Every swing low of ``low`` (see the module docstring for the exact rule)."""
    return _find(low, left, right, lows=True)


def swing_highs(high: npt.ArrayLike, left: int = 2, right: int = 2) -> Pivots:
    """Every swing high of ``high``: strictly above the left bars, at or above the right bars."""
    return _find(high, left, right, lows=False)


def latest_pivot(pivots: Pivots, bar: int) -> PivotPoint | None:
    """The most recent pivot confirmed at or before ``bar``; None when none is known yet."""
    known = pivots.known_count(bar)
    return pivots.point(known - 1) if known else None


def latest_higher_low(pivots: Pivots, bar: int, require_latest: bool = False) -> PivotPoint | None:
    """The most recent confirmed swing low (as of ``bar``) whose price is above the swing low before it.

    With ``require_latest`` only the latest known pivot qualifies: once a lower low has printed, the
    higher-low structure is broken and None is returned (an older higher low may already be under water).
    """
    known = pivots.known_count(bar)
    rising = np.flatnonzero(np.diff(pivots.price[:known]) > 0.0) + 1
    if not rising.size or (require_latest and rising[-1] != known - 1):
        return None
    return pivots.point(int(rising[-1]))


def latest_pivot_positions(pivots: Pivots, bars: int) -> IntArray:
    """For every bar ``t`` in ``range(bars)``: position of the latest pivot confirmed by ``t``, or −1.

    Backtests use this to look up the known pivot at each bar in one vectorized step.
    """
    counts = np.searchsorted(pivots.confirmed_at, np.arange(bars), side="right")
    return counts.astype(np.int64) - 1
