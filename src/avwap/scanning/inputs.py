"""Everything the daily scan reads, validated before anything is written.

The watchlist for trading day ``D`` is built from daily bars through the previous NYSE session (``as_of``):
nothing from ``D`` can leak in. Only the bars the scan can use are read: the last
``rules.panel_bars + READ_MARGIN_SESSIONS`` sessions (the margin absorbs sessions a symbol did not trade, so
each symbol still gets its full panel of bars); the bar store's yearly partitions make that two or three
files (read by :func:`avwap.scanning.bar_reader.read_daily`).

Refusals (each a :class:`DataError` naming what to fix, raised before any artifact is written): ``D`` is not a
session; the store has no daily bars; the universe is empty; no universe symbol has a bar on ``as_of``.

A benchmark that is missing, stale (no bar on ``as_of``) or too short is NOT a refusal: the market gate then
fails closed with ``MARKET_GATE_UNKNOWN`` (docs/SCAN.md), every symbol is filtered out with that reason, and
the scan still writes its (empty) candidates artifact and its diagnostics, so the operator and the execution
loop see why there is nothing to trade. :func:`benchmark_problem` words the problem for the scan's output.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from avwap.core.calendar import TradingCalendar
from avwap.core.errors import CalendarError, DataError
from avwap.data.store import BarStore
from avwap.scanning.bar_reader import DAILY, read_daily_columns
from avwap.signals.panel import BarColumns

READ_MARGIN_SESSIONS: Final = 100
EARNINGS_HORIZON_DAYS: Final = 45  # sessions after as_of counted for the earnings window (needs 2)


@dataclass(frozen=True)
class ScanInputs:
    """Validated inputs of one scan. ``missing``: universe symbols without any bar in the read window."""

    trading_date: dt.date
    as_of: dt.date
    read_start: dt.date
    universe: tuple[str, ...]
    bars: BarColumns  # the universe's rows (build_panel takes them as a frame's columns)
    benchmark: BarColumns
    missing: tuple[str, ...]
    future_sessions: tuple[dt.date, ...]


def scan_as_of(trading_date: dt.date, calendar: TradingCalendar) -> dt.date:
    """The session whose close the watchlist of ``trading_date`` is built from (the previous session)."""
    if not calendar.is_session(trading_date):
        raise DataError(
            f"{trading_date} is not an NYSE session (weekend or holiday): no watchlist to build for it"
        )
    return calendar.previous_session(trading_date)


def universe_symbols(
    store: BarStore,
    universe: Iterable[str] | None,
    benchmark: str,
    excluded: frozenset[str] = frozenset(),
) -> tuple[str, ...]:
    """The symbols to scan: ``universe`` normalized, or every stored daily symbol except the benchmark;
    without the ``excluded`` ones (index funds that must not become candidates, see Config)."""
    if universe is None:
        symbols = {symbol for symbol in store.symbols(DAILY) if symbol != benchmark}
    else:
        symbols = {symbol.strip().upper() for symbol in universe if symbol.strip()}
    symbols -= excluded
    if not symbols:
        where = "the universe given" if universe is not None else f"the bar store {store.root}"
        raise DataError(f"the universe is empty: {where} has no symbols to scan")
    return tuple(sorted(symbols))


def _read_start(as_of: dt.date, sessions: int, calendar: TradingCalendar) -> dt.date:
    try:
        return calendar.sessions_back(as_of, sessions)
    except CalendarError:
        return calendar.first_date


def benchmark_problem(inputs: ScanInputs, symbol: str) -> str | None:
    """Why the benchmark cannot open the market gate (missing or stale), or ``None`` when it has a bar on
    ``as_of`` (too short a history is for the gate itself to say)."""
    last = inputs.benchmark.last_date()
    if last is None:
        return (
            f"benchmark {symbol} has no daily bars up to {inputs.as_of}: import it (the market gate needs it)"
        )
    if last != inputs.as_of:
        return f"benchmark {symbol} has no bar on {inputs.as_of} (latest: {last}): the daily data is stale"
    return None


def load_inputs(
    store: BarStore,
    trading_date: dt.date,
    universe: Iterable[str] | None,
    *,
    benchmark_symbol: str,
    panel_bars: int,
    calendar: TradingCalendar,
    excluded: frozenset[str] = frozenset(),
) -> ScanInputs:
    """Read and validate the scan's inputs (see the module docstring for what is refused); ``excluded``
    symbols are left out of the universe."""
    as_of = scan_as_of(trading_date, calendar)
    if not store.partitions(DAILY):
        raise DataError(f"no daily bars in the bar store {store.root}: import or sync data first")
    symbols = universe_symbols(store, universe, benchmark_symbol, excluded)
    start = _read_start(as_of, panel_bars + READ_MARGIN_SESSIONS, calendar)
    read = read_daily_columns(store, [*symbols, benchmark_symbol], start=start, end=as_of)
    benchmark = read.select({benchmark_symbol})
    bars = read.select(set(symbols))
    last = bars.last_date()
    if last != as_of:
        latest = "none" if last is None else str(last)
        raise DataError(
            f"no universe symbol has a daily bar on {as_of} in {store.root} (latest: {latest}): "
            "import or sync data through the previous session first"
        )
    present = bars.present()
    horizon = min(as_of + dt.timedelta(days=EARNINGS_HORIZON_DAYS), calendar.last_date)
    return ScanInputs(
        trading_date=trading_date,
        as_of=as_of,
        read_start=start,
        universe=symbols,
        bars=bars,
        benchmark=benchmark,
        missing=tuple(symbol for symbol in symbols if symbol not in present),
        future_sessions=tuple(calendar.sessions(as_of + dt.timedelta(days=1), horizon)),
    )
