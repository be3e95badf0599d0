"""Corporate actions: split and dividend events, back-adjusted bar series, tickers reused by two issuers.

Pure functions over canonical bar frames (:mod:`avwap.data.bars`); raw bars are never modified, every function
returns a new frame.

Events files (the format is detected from the header)
------------------------------------------------------
* ours, ``symbol,ex_date,type,value[,reference_close]``: ``type`` is ``split`` (``value`` = new shares per old
  share: 2 for a 2-for-1, 0.05 for a 1-for-20 reverse split) or ``dividend`` (``value`` = cash per share in
  the raw price units of the ex-date); ``reference_close`` (optional) is the raw close before the ex-date.
* Lean-derived ``events_derived.csv``,
  ``symbol,ex_date,factor_row_date,type,value,reference_close_before,...``: same meaning, other columns
  ignored. A blank ``ex_date`` (a symbol without a daily file) becomes the first NYSE session after
  ``factor_row_date``, the day the Lean factor file switches.

Back-adjustment (to the latest bar; the Lean / CRSP convention)
----------------------------------------------------------------
For a bar on date ``t`` and the events whose ex-date is after ``t``:

* split ratio ``R(t) = Π r``; split-adjusted prices are ``raw / R(t)``, volume ``raw × R(t)``;
* dividend factor ``D(t) = Π (1 − d / c)`` with ``c`` the event's reference close when the file gives one,
  else the raw close of the last bar before that ex-date (the file wins: a bar series with a hole, like
  Lean's QQQ 2004-2011, has no bar on the day before);
  split+dividend adjusted prices are ``raw / R(t) × D(t)`` (volume as split-adjusted).

Bars on or after the last ex-date equal the raw bars, so an adjusted series changes when a new event arrives.

Ticker reuse
------------
One ticker can name two issuers over time (lean_algoseek ``FB``: an issuer listed 1999-2003, then Facebook
from 2012-05-18). :func:`detect_ticker_reuse` cuts a symbol's history into issuer segments using Lean map
files when given (each map file is one issuer; its rows say which ticker it traded under until each date),
else a heuristic: a gap of at least 180 calendar days with a price jump of at least 20% across it, or any gap
of three years. More than one segment raises the flag ``TICKER_REUSED``. Segments are never stitched: adjust
and scan only :func:`current_issuer`.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from avwap.core.calendar import nyse
from avwap.core.errors import CalendarError, DataError
from avwap.data.bars import PRICE_COLUMNS, empty_bars, normalize_bars

OWN_COLUMNS: Final = ("symbol", "ex_date", "type", "value")
OWN_OPTIONAL_COLUMN: Final = "reference_close"
LEAN_COLUMNS: Final = ("symbol", "ex_date", "factor_row_date", "type", "value")
LEAN_REFERENCE_COLUMN: Final = "reference_close_before"
TICKER_REUSED: Final = "TICKER_REUSED"
UNMAPPED_ISSUER: Final = "unmapped"


class ActionType(enum.StrEnum):
    SPLIT = "split"
    DIVIDEND = "dividend"


class Adjustment(enum.StrEnum):
    """Which events an adjusted series reflects."""

    RAW = "raw"
    SPLIT = "split"
    ALL = "all"  # splits and dividends


@dataclass(frozen=True)
class CorporateAction:
    """One event: a split (``value`` = ratio) or a cash dividend (``value`` = amount per share).

    ``reference_close``: the raw close before the ex-date that a dividend factor divides by (None: take it
    from the bars).
    """

    symbol: str
    ex_date: dt.date
    type: ActionType
    value: float
    reference_close: float | None = None


# ------------------------------------------------------------------------------------------ events files


def _event_date(text: str, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text if "-" in text else f"{text[:4]}-{text[4:6]}-{text[6:]}")
    except ValueError:
        raise DataError(f"{where}: not a date: {text!r}") from None


def _positive(text: str | None, column: str, where: str) -> float:
    try:
        value = float(text or "")
    except ValueError:
        raise DataError(f"{where}: {column} is not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise DataError(f"{where}: {column} must be a positive number, got {text!r}")
    return value


def _parse_row(row: dict[str, str], where: str, lean: bool) -> CorporateAction:
    symbol = row["symbol"].strip().upper()
    if not symbol:
        raise DataError(f"{where}: empty symbol")
    ex_text = row["ex_date"].strip()
    if ex_text:
        ex_date = _event_date(ex_text, where)
    elif lean and row["factor_row_date"].strip():
        try:
            ex_date = nyse().next_session(_event_date(row["factor_row_date"].strip(), where))
        except CalendarError as error:
            raise DataError(f"{where}: {error}") from None
    else:
        raise DataError(f"{where}: empty ex_date")
    try:
        kind = ActionType(row["type"].strip().lower())
    except ValueError:
        raise DataError(f"{where}: type must be split or dividend, got {row['type']!r}") from None
    reference_text = (row.get(LEAN_REFERENCE_COLUMN if lean else OWN_OPTIONAL_COLUMN) or "").strip()
    reference = _positive(reference_text, "reference close", where) if reference_text else None
    return CorporateAction(symbol, ex_date, kind, _positive(row["value"], "value", where), reference)


def read_actions(path: Path) -> list[CorporateAction]:
    """Events from an events CSV (either format), sorted by (symbol, ex_date, type)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = tuple(name.strip() for name in reader.fieldnames or ())
            lean = header[: len(LEAN_COLUMNS)] == LEAN_COLUMNS
            if not lean and header not in (OWN_COLUMNS, (*OWN_COLUMNS, OWN_OPTIONAL_COLUMN)):
                raise DataError(
                    f"{path}: unknown events header {list(header)}; expected {list(OWN_COLUMNS)} "
                    f"[+ {OWN_OPTIONAL_COLUMN}] or Lean's {list(LEAN_COLUMNS)} + extra columns"
                )
            reader.fieldnames = list(header)
            actions = [
                _parse_row(row, f"{path}:{number}", lean) for number, row in enumerate(reader, start=2)
            ]
    except OSError as error:
        raise DataError(f"cannot read events file {path}: {error}") from None
    return sorted(actions, key=lambda action: (action.symbol, action.ex_date, action.type.value))


# ------------------------------------------------------------------------------------------- adjustment


def _days(bars: pd.DataFrame) -> np.ndarray:
    """NY session dates (datetime64[D]) of one symbol's bars."""
    return np.asarray(bars["timestamp"].dt.tz_localize(None).to_numpy().astype("datetime64[D]"))


def _suffix_products(values: np.ndarray) -> np.ndarray:
    """``out[i] = Π values[i:]`` with ``out[len] = 1``."""
    return np.append(np.cumprod(values[::-1])[::-1], 1.0)


def adjustment_factors(bars: pd.DataFrame, actions: Sequence[CorporateAction]) -> pd.DataFrame:
    """Per-bar ``split_ratio`` R(t) and ``dividend_factor`` D(t) for ONE symbol's bars (sorted by time)."""
    days = _days(bars)
    splits = sorted((a for a in actions if a.type is ActionType.SPLIT), key=lambda a: a.ex_date)
    dividends = sorted((a for a in actions if a.type is ActionType.DIVIDEND), key=lambda a: a.ex_date)
    split_days = np.array([a.ex_date for a in splits], dtype="datetime64[D]")
    split_ratio = _suffix_products(np.array([a.value for a in splits], dtype="float64"))
    dividend_days = np.array([a.ex_date for a in dividends], dtype="datetime64[D]")
    closes = bars["close"].to_numpy(dtype="float64")
    previous = np.searchsorted(days, dividend_days, side="left") - 1  # last bar before each ex-date
    factors = np.ones(len(dividends))
    for index, action in enumerate(dividends):
        if previous[index] < 0:
            continue  # no bar before the ex-date: nothing to adjust
        reference = action.reference_close or closes[previous[index]]
        factor = 1.0 - action.value / reference
        if not factor > 0:
            raise DataError(
                f"{action.symbol} dividend {action.value} on {action.ex_date} is not below the previous "
                f"close {reference}"
            )
        factors[index] = factor
    dividend_factor = _suffix_products(factors)
    return pd.DataFrame(
        {
            "split_ratio": split_ratio[np.searchsorted(split_days, days, side="right")],
            "dividend_factor": dividend_factor[np.searchsorted(dividend_days, days, side="right")],
        },
        index=bars.index,
    )


def adjust_bars(
    bars: pd.DataFrame, actions: Iterable[CorporateAction], mode: Adjustment = Adjustment.SPLIT
) -> pd.DataFrame:
    """Back-adjusted copy of ``bars`` (any symbols) under ``mode``; symbols without events are unchanged."""
    frame = normalize_bars(bars) if len(bars) else empty_bars()
    if mode is Adjustment.RAW or not len(frame):
        return frame
    by_symbol: dict[str, list[CorporateAction]] = {}
    for action in actions:
        by_symbol.setdefault(action.symbol, []).append(action)
    pieces = []
    for symbol, group in frame.groupby("symbol", sort=True):
        factors = adjustment_factors(group, by_symbol.get(str(symbol), []))
        price_scale = 1.0 / factors["split_ratio"]
        if mode is Adjustment.ALL:
            price_scale = price_scale * factors["dividend_factor"]
        adjusted = group.copy()
        for column in PRICE_COLUMNS:
            adjusted[column] = group[column] * price_scale
        adjusted["volume"] = group["volume"] * factors["split_ratio"]
        pieces.append(adjusted)
    return normalize_bars(pd.concat(pieces, ignore_index=True))


# ----------------------------------------------------------------------------------------- ticker reuse


@dataclass(frozen=True)
class IssuerInterval:
    """Dates (inclusive) on which ``issuer`` (a map-file name) traded under the ticker in question."""

    issuer: str
    first: dt.date
    last: dt.date


@dataclass(frozen=True)
class IssuerSegment:
    """A run of bars that belongs to one issuer."""

    issuer: str
    first: dt.date
    last: dt.date
    rows: int


@dataclass(frozen=True)
class TickerHistory:
    """One symbol's history cut into issuer segments (``method``: ``map_files`` or ``gap_heuristic``)."""

    symbol: str
    method: str
    segments: tuple[IssuerSegment, ...]

    @property
    def flags(self) -> tuple[str, ...]:
        return (TICKER_REUSED,) if len(self.segments) > 1 else ()

    @property
    def boundaries(self) -> tuple[tuple[dt.date, dt.date], ...]:
        """(last day of the earlier issuer, first day of the later one) per change of issuer."""
        pairs = zip(self.segments, self.segments[1:], strict=False)
        return tuple((before.last, after.first) for before, after in pairs)


@dataclass(frozen=True)
class ReuseHeuristic:
    """Thresholds of the gap heuristic used when no map file describes the ticker."""

    min_gap_days: int = 180
    min_jump: float = 0.20  # |open after / close before − 1|, in either direction (log-symmetric)
    certain_gap_days: int = 1096  # three years: never the same listing resuming


def _map_rows(path: Path) -> list[tuple[dt.date, str]]:
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, fields in enumerate(csv.reader(handle), start=1):
            if len(fields) < 2:
                raise DataError(f"{path}:{number}: a map-file row is yyyymmdd,ticker[,exchange]")
            rows.append((_event_date(fields[0].strip(), f"{path}:{number}"), fields[1].strip().upper()))
    return sorted(rows)


def _append_merged(intervals: list[IssuerInterval], interval: IssuerInterval) -> None:
    """Append ``interval``, extending the last one when it continues the same listing."""
    last = intervals[-1] if intervals else None
    if (
        last is not None
        and last.issuer == interval.issuer
        and last.last + dt.timedelta(days=1) == interval.first
    ):
        intervals[-1] = IssuerInterval(last.issuer, last.first, interval.last)
    else:
        intervals.append(interval)


def read_map_files(folder: Path, symbol: str) -> tuple[IssuerInterval, ...]:
    """Intervals during which each Lean map file in ``folder`` traded as ``symbol`` (sorted by date).

    Row ``i`` of a map file says the issuer's ticker was ``ticker_i`` from the day after ``date_{i-1}`` up to
    ``date_i``; the first row is the listing day.
    """
    wanted = symbol.strip().upper()
    intervals: list[IssuerInterval] = []
    for path in sorted(folder.glob("*.csv")):
        rows = _map_rows(path)
        previous: dt.date | None = None
        for day, ticker in rows:
            first = day if previous is None else previous + dt.timedelta(days=1)
            if ticker == wanted and first <= day:
                _append_merged(intervals, IssuerInterval(path.stem, first, day))
            previous = day
    return tuple(sorted(intervals, key=lambda interval: (interval.first, interval.issuer)))


def _issuer_labels(days: np.ndarray, intervals: Sequence[IssuerInterval]) -> np.ndarray:
    labels = np.full(len(days), UNMAPPED_ISSUER, dtype=object)
    for interval in intervals:
        inside = (days >= np.datetime64(interval.first)) & (days <= np.datetime64(interval.last))
        labels[inside] = interval.issuer
    return labels


def _heuristic_labels(bars: pd.DataFrame, days: np.ndarray, rules: ReuseHeuristic) -> np.ndarray:
    gaps = np.diff(days).astype("int64")
    opens, closes = bars["open"].to_numpy(dtype="float64"), bars["close"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        jumps = np.abs(np.log(opens[1:] / closes[:-1]))
    breaks = ((gaps >= rules.min_gap_days) & (jumps >= math.log1p(rules.min_jump))) | (
        gaps >= rules.certain_gap_days
    )
    segment = np.concatenate([[0], np.cumsum(breaks)])
    return np.array([f"segment-{index + 1}" for index in segment], dtype=object)


def detect_ticker_reuse(
    bars: pd.DataFrame,
    intervals: Sequence[IssuerInterval] | None = None,
    rules: ReuseHeuristic | None = None,
) -> TickerHistory:
    """Cut ONE symbol's bars into issuer segments; map-file ``intervals`` win over the gap heuristic."""
    frame = normalize_bars(bars)
    symbols = frame["symbol"].unique()
    if len(symbols) > 1:
        raise DataError(f"detect_ticker_reuse takes one symbol's bars, got {sorted(symbols)}")
    days = _days(frame)
    if intervals:
        method, labels = "map_files", _issuer_labels(days, intervals)
    else:
        method, labels = "gap_heuristic", _heuristic_labels(frame, days, rules or ReuseHeuristic())
    segments = []
    start = 0
    for index in range(1, len(labels) + 1):
        if index == len(labels) or labels[index] != labels[start]:
            first, last = days[start].astype(object), days[index - 1].astype(object)
            segments.append(IssuerSegment(str(labels[start]), first, last, index - start))
            start = index
    symbol = str(symbols[0]) if len(symbols) else ""
    return TickerHistory(symbol, method, tuple(segments))


def split_by_issuer(bars: pd.DataFrame, history: TickerHistory) -> list[pd.DataFrame]:
    """One bar frame per segment of ``history`` (date order)."""
    frame = normalize_bars(bars)
    days = _days(frame)
    pieces = []
    for segment in history.segments:
        inside = (days >= np.datetime64(segment.first)) & (days <= np.datetime64(segment.last))
        pieces.append(frame.loc[inside].reset_index(drop=True))
    return pieces


def current_issuer(bars: pd.DataFrame, history: TickerHistory) -> pd.DataFrame:
    """The bars of the latest issuer only: what a scan or an adjustment may use."""
    pieces = split_by_issuer(bars, history)
    return pieces[-1] if pieces else empty_bars()
