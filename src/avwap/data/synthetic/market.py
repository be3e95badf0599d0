"""Assemble the synthetic market: factors, stock blocks, benchmarks, intraday bridges, frames.

Randomness comes from one ``numpy.random.default_rng(seed)`` split with ``spawn`` into independent streams
(universe, market, sectors, benchmarks, and two per block of :data:`BLOCK_SIZE` stocks: daily and intraday).
Stocks are simulated block by block, which bounds the memory of large markets (5,000 x 2,520 sessions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from avwap.data.bars import empty_bars
from avwap.data.synthetic.daily import DailyArrays, finalize_bars, simulate_benchmark, simulate_stocks
from avwap.data.synthetic.factors import market_log_level, sector_returns, small_cap_log_level
from avwap.data.synthetic.frames import daily_frame, intraday_frame
from avwap.data.synthetic.intraday import IntradayArrays, bridge_sessions
from avwap.data.synthetic.sessions import SessionLayout, session_layout
from avwap.data.synthetic.setups import plant_reclaims, year_start_indices
from avwap.data.synthetic.spec import SyntheticMarketSpec
from avwap.data.synthetic.universe import SECTORS, draw_parameters, draw_tickers, universe_frame

BLOCK_SIZE: Final = 250
UNIVERSE_STREAM, MARKET_STREAM, SECTOR_STREAM, BENCHMARK_STREAM = 0, 1, 2, 3
FIRST_BLOCK_STREAM: Final = 8
# (end price, median daily shares) of the benchmarks, near their real late-2025 levels.
BENCHMARKS: Final = {"SPY": (672.0, 6.5e7), "IWM": (243.0, 2.8e7)}
GAP_THRESHOLD: Final = 0.04


@dataclass(frozen=True)
class MarketArrays:
    """The market as arrays; the symbol axis is sorted (benchmarks included)."""

    symbols: tuple[str, ...]
    layout: SessionLayout
    daily: DailyArrays
    intraday: IntradayArrays | None
    breakouts: np.ndarray  # planted breakout days, (sessions, symbols)
    reclaim_levels: np.ndarray  # YTD AVWAP level of planted reclaim days, NaN elsewhere
    universe: pd.DataFrame


@dataclass(frozen=True)
class SyntheticMarket:
    """A generated market: canonical daily and intraday bar frames, the universe table and planted events.

    ``events`` lists (symbol, date, kind, level): ``gap_up``/``gap_down`` (open at least 4% away from the
    previous close), ``breakout`` (planted breakout days) and ``reclaim`` (planted S1 reclaims of the YTD
    AVWAP ``level``). Tests and the demo use it to find setups; trading code must not.
    """

    spec: SyntheticMarketSpec
    daily: pd.DataFrame
    intraday: pd.DataFrame
    universe: pd.DataFrame
    events: pd.DataFrame

    @property
    def benchmarks(self) -> tuple[str, ...]:
        return tuple(sorted(BENCHMARKS))


def _rows(array: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """(sessions, symbols) -> symbol-major rows of the selected sessions."""
    return np.ascontiguousarray(array[indices].T).ravel()


def _bridge(
    rng: np.random.Generator, bars: DailyArrays, layout: SessionLayout, reclaim: np.ndarray
) -> IntradayArrays:
    """Intraday bars of one block; the block's daily bars on those sessions become their exact aggregates."""
    indices, symbols = layout.intraday_indices, bars.close.shape[1]
    daily = DailyArrays(
        *(_rows(array, indices) for array in (bars.open, bars.high, bars.low, bars.close, bars.volume))
    )
    counts = np.tile(layout.bar_counts, symbols)
    intraday = bridge_sessions(
        rng,
        daily,
        bar_counts=counts,
        session_minutes=np.tile(layout.session_minutes, symbols),
        bar_minutes=layout.bar_minutes,
        reclaim=_rows(reclaim, indices),
    )
    every_row, last = np.arange(counts.size), counts - 1
    aggregates = (
        intraday.open[:, 0],
        np.where(intraday.valid, intraday.high, -np.inf).max(axis=1),
        np.where(intraday.valid, intraday.low, np.inf).min(axis=1),
        intraday.close[every_row, last],
        np.where(intraday.valid, intraday.volume, 0.0).sum(axis=1),
    )
    for array, values in zip(
        (bars.open, bars.high, bars.low, bars.close, bars.volume), aggregates, strict=True
    ):
        array[indices] = values.reshape(symbols, -1).T
    return intraday


def _concatenate(parts: list[IntradayArrays | None]) -> IntradayArrays | None:
    present = [part for part in parts if part is not None]
    if not present:
        return None
    names = ("open", "high", "low", "close", "volume", "valid")
    return IntradayArrays(*(np.concatenate([getattr(part, name) for part in present]) for name in names))


def generate_arrays(spec: SyntheticMarketSpec) -> MarketArrays:
    """The whole market as arrays (no frames): what the benchmarks time at large sizes."""
    layout = session_layout(spec)
    streams = np.random.default_rng(spec.seed).spawn(FIRST_BLOCK_STREAM + 2 * -(-spec.symbols // BLOCK_SIZE))
    # Sorted up front (parameters are drawn i.i.d., so this loses nothing): the final symbol order then only
    # inserts the benchmarks, and columns move as contiguous runs instead of one at a time.
    tickers = sorted(draw_tickers(streams[UNIVERSE_STREAM], spec.symbols))
    parameters = draw_parameters(streams[UNIVERSE_STREAM], spec.symbols)
    sessions = len(layout.dates)
    market_level = market_log_level(streams[MARKET_STREAM], sessions)
    market_returns = np.diff(market_level, prepend=market_level[0])
    sectors = sector_returns(streams[SECTOR_STREAM], sessions, len(SECTORS))
    year_starts = year_start_indices(layout.dates)
    with_intraday = layout.intraday_indices.size > 0

    daily_parts: list[DailyArrays] = []
    intraday_parts: list[IntradayArrays | None] = []
    breakout_parts: list[np.ndarray] = []
    level_parts: list[np.ndarray] = []
    for block, start in enumerate(range(0, spec.symbols, BLOCK_SIZE)):
        daily_rng = streams[FIRST_BLOCK_STREAM + 2 * block]
        stocks = simulate_stocks(
            daily_rng, parameters.take(slice(start, start + BLOCK_SIZE)), market_returns, sectors
        )
        reclaims = plant_reclaims(
            daily_rng,
            stocks.bars,
            session_indices=layout.intraday_indices,
            year_starts=year_starts,
            blocked=stocks.gaps | stocks.breakouts,
            up_regime=stocks.up_regime,
        )
        bars = finalize_bars(stocks.bars)
        bridge_rng = streams[FIRST_BLOCK_STREAM + 2 * block + 1]
        intraday_parts.append(_bridge(bridge_rng, bars, layout, reclaims.mask) if with_intraday else None)
        daily_parts.append(bars)
        breakout_parts.append(stocks.breakouts)
        level_parts.append(reclaims.level)

    benchmark_rng = streams[BENCHMARK_STREAM]
    levels = {"SPY": market_level, "IWM": small_cap_log_level(benchmark_rng, market_level)}
    for symbol in BENCHMARKS:
        end_price, volume = BENCHMARKS[symbol]
        bars = finalize_bars(simulate_benchmark(benchmark_rng, levels[symbol], end_price, volume))
        no_reclaims = np.zeros(bars.close.shape, dtype=bool)
        intraday_parts.append(_bridge(benchmark_rng, bars, layout, no_reclaims) if with_intraday else None)
        daily_parts.append(bars)
        breakout_parts.append(no_reclaims)
        level_parts.append(np.full(bars.close.shape, np.nan))
    return _sorted_market(
        [*tickers, *BENCHMARKS],
        layout,
        daily_parts=daily_parts,
        intraday=_concatenate(intraday_parts),
        breakout_parts=breakout_parts,
        level_parts=level_parts,
        universe=universe_frame(tickers, parameters),
    )


def place_columns(parts: list[np.ndarray], target: np.ndarray) -> np.ndarray:
    """The columns of ``parts`` (side by side) moved to positions ``target``, copied in contiguous runs."""
    result = np.empty((parts[0].shape[0], target.size), dtype=parts[0].dtype)
    offset = 0
    for part in parts:
        columns = target[offset : offset + part.shape[1]]
        breaks = np.flatnonzero(np.diff(columns) != 1) + 1
        for start, stop in zip(np.r_[0, breaks], np.r_[breaks, columns.size], strict=True):
            first = int(columns[start])
            result[:, first : first + stop - start] = part[:, start:stop]
        offset += part.shape[1]
    return result


def _sorted_market(
    symbols: list[str],
    layout: SessionLayout,
    *,
    daily_parts: list[DailyArrays],
    intraday: IntradayArrays | None,
    breakout_parts: list[np.ndarray],
    level_parts: list[np.ndarray],
    universe: pd.DataFrame,
) -> MarketArrays:
    order = np.argsort(np.asarray(symbols, dtype=object), kind="stable")
    target = np.argsort(order)
    names = ("open", "high", "low", "close", "volume")
    daily = DailyArrays(
        *(place_columns([getattr(part, name) for part in daily_parts], target) for name in names)
    )
    if intraday is not None:
        sessions = layout.intraday_indices.size

        def reorder(array: np.ndarray) -> np.ndarray:
            return array.reshape(len(symbols), sessions, -1)[order].reshape(array.shape)

        intraday = IntradayArrays(*(reorder(getattr(intraday, name)) for name in (*names, "valid")))
    return MarketArrays(
        symbols=tuple(symbols[index] for index in order),
        layout=layout,
        daily=daily,
        intraday=intraday,
        breakouts=place_columns(breakout_parts, target),
        reclaim_levels=place_columns(level_parts, target),
        universe=universe,
    )


def events_frame(arrays: MarketArrays) -> pd.DataFrame:
    """Gap days (measured on the final bars) and planted breakouts and reclaims, sorted."""
    close, open_ = arrays.daily.close, arrays.daily.open
    change = np.full(close.shape, 0.0)
    change[1:] = open_[1:] / close[:-1] - 1.0
    masks = {
        "breakout": arrays.breakouts,
        "gap_down": change <= -GAP_THRESHOLD,
        "gap_up": change >= GAP_THRESHOLD,
        "reclaim": ~np.isnan(arrays.reclaim_levels),
    }
    parts = []
    for kind, mask in masks.items():
        day_index, symbol_index = np.nonzero(mask)
        levels = arrays.reclaim_levels[day_index, symbol_index]
        parts.append(
            pd.DataFrame(
                {
                    "symbol": np.asarray(arrays.symbols, dtype=object)[symbol_index],
                    "date": np.asarray(arrays.layout.dates, dtype=object)[day_index],
                    "kind": kind,
                    "level": np.round(levels, 6),
                }
            )
        )
    events = pd.concat(parts, ignore_index=True)
    return events.sort_values(["symbol", "date", "kind"], kind="mergesort").reset_index(drop=True)


def generate_market(spec: SyntheticMarketSpec | None = None) -> SyntheticMarket:
    """Generate the market of ``spec`` (default: the demo market). Pure: same spec, same frames."""
    spec = spec or SyntheticMarketSpec()
    arrays = generate_arrays(spec)
    daily = daily_frame(arrays.symbols, arrays.layout.dates, arrays.daily)
    intraday = (
        empty_bars()
        if arrays.intraday is None
        else intraday_frame(arrays.symbols, arrays.layout.bar_starts, arrays.intraday)
    )
    return SyntheticMarket(spec, daily, intraday, arrays.universe, events_frame(arrays))
