"""Anchor bars for AVWAP, found as of a bar index, vectorized over symbols.

Types and default priorities: ``YTD`` first bar of the year (100), ``EARNINGS`` latest earnings day (95, when
dates are given), ``GAP`` latest |open / previous close − 1| ≥ 4% within the last 60 bars (90),
``VOLUME_BREAKOUT`` latest bar within 60 with volume > 1.8 × the average of the 20 bars before it, close in
the top 30% of its range and above the prior 5-bar high (80), ``MTD`` first bar of the month (70), ``LOW_20``
lowest low of the last 20 bars (50), ``HIGH_20`` highest high of the last 20 bars (40). Windows end at (and
include) the as-of bar; ties between equal lows/highs go to the most recent bar. The breakout's volume average
excludes the breakout bar itself, which would otherwise inflate its own baseline.

Anchors on the same bar are merged: the highest priority names the record, which keeps every type name.
Only bars up to the as-of bar are read, so an anchor never depends on the future.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import msgspec
import numpy as np
import numpy.typing as npt

from avwap.signals.indicators import rolling_high, shift, sma

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ANCHOR_TYPES: tuple[str, ...] = ("YTD", "EARNINGS", "GAP", "VOLUME_BREAKOUT", "MTD", "LOW_20", "HIGH_20")
NO_ANCHOR = -1


@dataclass(frozen=True)
class AnchorRules:
    """Thresholds and priorities of the anchor types (the documented defaults)."""

    ytd_priority: int = 100
    earnings_priority: int = 95
    gap_priority: int = 90
    gap_threshold: float = 0.04
    gap_lookback_bars: int = 60
    breakout_priority: int = 80
    breakout_volume_multiple: float = 1.8
    breakout_volume_bars: int = 20
    breakout_close_location: float = 0.7
    breakout_prior_high_bars: int = 5
    breakout_lookback_bars: int = 60
    mtd_priority: int = 70
    low_priority: int = 50
    high_priority: int = 40
    extreme_bars: int = 20

    def priorities(self) -> dict[str, int]:
        """Priority of each anchor type, keyed by type name."""
        return {
            "YTD": self.ytd_priority,
            "EARNINGS": self.earnings_priority,
            "GAP": self.gap_priority,
            "VOLUME_BREAKOUT": self.breakout_priority,
            "MTD": self.mtd_priority,
            "LOW_20": self.low_priority,
            "HIGH_20": self.high_priority,
        }


class Anchor(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One (merged) anchor: ``type`` is the highest-priority type on the bar, ``types`` all of them."""

    type: str
    types: tuple[str, ...]
    bar_index: int
    date: dt.date
    priority: int


@dataclass(frozen=True)
class AnchorBars:
    """The bar arrays anchors are found in: symbols × bars (1-D inputs become one row)."""

    dates: npt.NDArray[np.datetime64]
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    @classmethod
    def of(cls, dates: npt.ArrayLike, *arrays: npt.ArrayLike) -> AnchorBars:
        """Build from (dates, open, high, low, close, volume), 1-D or 2-D."""
        day_array = np.atleast_2d(np.asarray(dates, dtype="datetime64[D]"))
        floats = [np.atleast_2d(np.asarray(array, dtype=np.float64)) for array in arrays]
        return cls(day_array, *floats)


def _first(mask: npt.NDArray[np.bool_]) -> IntArray:
    return np.where(mask.any(axis=1), mask.argmax(axis=1), NO_ANCHOR).astype(np.int64)


def _last(mask: npt.NDArray[np.bool_], offset: int) -> IntArray:
    """Column (plus ``offset``) of the last True per row, or −1."""
    width = mask.shape[1]
    latest = width - 1 - mask[:, ::-1].argmax(axis=1)
    return np.where(mask.any(axis=1), latest + offset, NO_ANCHOR).astype(np.int64)


def _calendar_start(bars: AnchorBars, bar: int, unit: str) -> IntArray:
    """First bar (with a close) of the calendar ``unit`` (year, month) of each row's bar ``bar``.

    A row's dates increase, so "in the same period as bar ``bar``" is "on or after that period's first
    day": one period conversion per row instead of one per bar (NaT padding compares False either way).
    """
    dates = bars.dates[:, : bar + 1].astype("datetime64[D]", copy=False)
    period_start = dates[:, -1:].astype(f"datetime64[{unit}]").astype("datetime64[D]")
    # compared as day numbers (NaT is the smallest; its cells have no close): the same order, faster
    on_or_after = dates.view(np.int64) >= period_start.view(np.int64)
    return _first(on_or_after & np.isfinite(bars.close[:, : bar + 1]))


def _gap(bars: AnchorBars, bar: int, rules: AnchorRules) -> IntArray:
    start = max(bar - rules.gap_lookback_bars + 1, 1)
    if start > bar:
        return np.full(bars.close.shape[0], NO_ANCHOR, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.abs(bars.open[:, start : bar + 1] / bars.close[:, start - 1 : bar] - 1.0)
    return _last(change >= rules.gap_threshold, start)


def _prior(
    statistic: Callable[[FloatArray, int], FloatArray], values: FloatArray, start: int, bar: int, bars: int
) -> FloatArray:
    """``statistic`` over the ``bars`` bars before each column ``start..bar`` (shifted by one bar).

    Only the columns those windows cover are read (a window's value does not depend on what lies before
    it), which keeps the cost independent of the panel width.
    """
    first = max(start - bars, 0)
    return shift(statistic(values[:, first : bar + 1], bars), 1)[:, start - first :]


def _breakout(bars: AnchorBars, bar: int, rules: AnchorRules) -> IntArray:
    start = max(bar - rules.breakout_lookback_bars + 1, 0)
    window = slice(start, bar + 1)
    prior_volume = _prior(sma, bars.volume, start, bar, rules.breakout_volume_bars)
    prior_high = _prior(rolling_high, bars.high, start, bar, rules.breakout_prior_high_bars)
    high, low, close = bars.high[:, window], bars.low[:, window], bars.close[:, window]
    with np.errstate(divide="ignore", invalid="ignore"):
        location = np.where(high > low, (close - low) / (high - low), np.nan)
        breakout = (
            (bars.volume[:, window] > rules.breakout_volume_multiple * prior_volume)
            & (location >= rules.breakout_close_location)
            & (close > prior_high)
        )
    return _last(breakout, start)


def _extreme(values: FloatArray, bar: int, window_bars: int, lowest: bool) -> IntArray:
    start = max(bar - window_bars + 1, 0)
    window = values[:, start : bar + 1]
    finite = np.isfinite(window)
    ranked = np.where(finite, window if lowest else -window, np.inf)[:, ::-1]  # reversed: ties → latest
    latest = bar - ranked.argmin(axis=1)
    return np.where(finite.any(axis=1), latest, NO_ANCHOR).astype(np.int64)


def _earnings(earnings_bars: IntArray | None, rows: int, bar: int) -> IntArray:
    if earnings_bars is None or earnings_bars.size == 0:
        return np.full(rows, NO_ANCHOR, dtype=np.int64)
    known = np.where((earnings_bars >= 0) & (earnings_bars <= bar), earnings_bars, NO_ANCHOR)
    latest: IntArray = known.max(axis=1).astype(np.int64)
    return latest


def anchor_indices(
    bars: AnchorBars, bar: int, rules: AnchorRules | None = None, earnings_bars: npt.ArrayLike | None = None
) -> IntArray:
    """Bar index of every anchor type (columns in :data:`ANCHOR_TYPES` order) as of ``bar``; −1 = none.

    ``earnings_bars`` (symbols × k, −1 padded) are the bar indices of known earnings days.
    """
    chosen = rules or AnchorRules()
    rows = bars.close.shape[0]
    earnings = None if earnings_bars is None else np.atleast_2d(np.asarray(earnings_bars, dtype=np.int64))
    columns = {
        "YTD": _calendar_start(bars, bar, "Y"),
        "EARNINGS": _earnings(earnings, rows, bar),
        "GAP": _gap(bars, bar, chosen),
        "VOLUME_BREAKOUT": _breakout(bars, bar, chosen),
        "MTD": _calendar_start(bars, bar, "M"),
        "LOW_20": _extreme(bars.low, bar, chosen.extreme_bars, lowest=True),
        "HIGH_20": _extreme(bars.high, bar, chosen.extreme_bars, lowest=False),
    }
    return np.stack([columns[name] for name in ANCHOR_TYPES], axis=1)


def merge_anchors(
    indices: npt.ArrayLike, dates: npt.ArrayLike, rules: AnchorRules | None = None
) -> tuple[Anchor, ...]:
    """Merge one symbol's anchor indices (one row of :func:`anchor_indices`) into records.

    Records are ordered by priority (highest first), then by bar (most recent first).
    """
    priorities = (rules or AnchorRules()).priorities()
    day_array = np.asarray(dates, dtype="datetime64[D]")
    by_bar: dict[int, list[str]] = {}
    for name, index in zip(ANCHOR_TYPES, np.asarray(indices).tolist(), strict=True):
        if index != NO_ANCHOR:
            by_bar.setdefault(int(index), []).append(name)
    records = []
    for index, names in by_bar.items():
        ordered = tuple(sorted(names, key=lambda name: (-priorities[name], name)))
        day = day_array[index].astype(object)
        records.append(Anchor(ordered[0], ordered, index, day, priorities[ordered[0]]))
    return tuple(sorted(records, key=lambda record: (-record.priority, -record.bar_index)))


def anchors_as_of(
    bars: AnchorBars, bar: int, rules: AnchorRules | None = None, earnings_bars: npt.ArrayLike | None = None
) -> tuple[Anchor, ...]:
    """The merged anchors of a single symbol (``bars`` with one row) as of ``bar``."""
    if bars.close.shape[0] != 1:
        raise ValueError(f"anchors_as_of takes one symbol, got {bars.close.shape[0]} rows")
    indices = anchor_indices(bars, bar, rules, earnings_bars)[0]
    return merge_anchors(indices, bars.dates[0], rules)
