"""Daily bars of the synthetic market as (session, symbol) float64 arrays.

A stock's close-to-close log return is ``beta * market + loading * sector + regime drift + noise + swing``;
each return is split into an overnight part (close to open) and a session part (open to close). Overnight
gaps of 4.5% or more and breakout days (a strong close near the high) come with volume spikes. The path is
pinned so that the last close equals the stock's drawn price level, which keeps the demo dates' prices in a
realistic range whatever the path did before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from avwap.data.synthetic.factors import autoregress, bounded, regime_drifts, student_shocks
from avwap.data.synthetic.universe import SymbolParameters

GAP_UP_SHARE: Final = 0.62
GAP_MINIMUM: Final = 0.045
BREAKOUT_RATE_UP: Final = 0.008
BREAKOUT_RATE_OTHER: Final = 0.002
SWING_PERSISTENCE: Final = float(np.exp(-np.log(2.0) / 6.0))  # pullbacks last days, not months
WICK_SCALE: Final = 0.55
MINIMUM_VOLUME: Final = 100.0


@dataclass(frozen=True)
class DailyArrays:
    """OHLCV arrays of shape (sessions, symbols)."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray


@dataclass(frozen=True)
class StockDays:
    """Daily arrays of a block of stocks and the events that shaped them (same shape masks)."""

    bars: DailyArrays
    gaps: np.ndarray
    breakouts: np.ndarray
    up_regime: np.ndarray


def sparse(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Zeros with ``values`` at the true cells of ``mask`` (row-major order): draws only for rare events."""
    result = np.zeros(mask.shape)
    result[mask] = values
    return result


def round_to_ticks(prices: np.ndarray) -> np.ndarray:
    """Nearest valid tick: $0.01 at or above $1, $0.0001 below (monotone, so ordering survives)."""
    result: np.ndarray = np.where(prices >= 1.0, np.round(prices, 2), np.round(prices, 4))
    floored: np.ndarray = np.maximum(result, 0.0001)
    return floored


def finalize_bars(bars: DailyArrays) -> DailyArrays:
    """Round prices to ticks and make every bar consistent: low <= open, close <= high."""
    open_, close = round_to_ticks(bars.open), round_to_ticks(bars.close)
    high = np.maximum(round_to_ticks(bars.high), np.maximum(open_, close))
    low = np.minimum(round_to_ticks(bars.low), np.minimum(open_, close))
    return DailyArrays(open_, high, low, close, bars.volume)


def price_bars(
    rng: np.random.Generator,
    overnight: np.ndarray,
    session: np.ndarray,
    *,
    end_price: np.ndarray,
    volatility: np.ndarray,
    wick_factor: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Unrounded open, high, low, close from the two parts of each day's log return."""
    log_close = np.cumsum(overnight + session, axis=0)
    log_close += np.log(end_price) - log_close[-1]
    log_open = log_close - session
    scale = WICK_SCALE * volatility * wick_factor
    upper = np.abs(rng.standard_normal(overnight.shape)) * scale
    lower = np.abs(rng.standard_normal(overnight.shape)) * scale
    high = np.exp(np.maximum(log_open, log_close) + upper)
    low = np.exp(np.minimum(log_open, log_close) - lower)
    return np.exp(log_open), high, low, np.exp(log_close)


def daily_volumes(
    rng: np.random.Generator,
    base_volume: np.ndarray,
    move: np.ndarray,
    spike: np.ndarray,
) -> np.ndarray:
    """Whole shares per day: lognormal around the base, slowly drifting, heavier on big moves and spikes."""
    shape = move.shape
    drift = bounded(autoregress(rng.normal(0.0, 0.05, shape), 0.97), 0.5)
    log_volume = np.log(base_volume) + drift + 0.28 * rng.standard_normal(shape) + 0.25 * np.minimum(move, 4)
    volume: np.ndarray = np.maximum(np.round(np.exp(log_volume + spike)), MINIMUM_VOLUME)
    return volume


def simulate_stocks(
    rng: np.random.Generator,
    parameters: SymbolParameters,
    market_returns: np.ndarray,
    sector_factor_returns: np.ndarray,
) -> StockDays:
    """Daily OHLCV (unrounded) of a block of stocks, with their gap, breakout and up-regime masks."""
    shape = (market_returns.size, parameters.count)
    systematic = (
        parameters.beta * market_returns[:, None]
        + parameters.sector_loading * sector_factor_returns[:, parameters.sector]
    )
    drift, up_regime = regime_drifts(rng, shape)
    noise = parameters.idio_vol * student_shocks(rng, shape, 4.0)
    swing = autoregress(parameters.swing_vol * rng.standard_normal(shape), SWING_PERSISTENCE)
    returns = systematic + drift + noise + np.diff(swing, axis=0, prepend=0.0)

    # One uniform draw places both rare events: gaps at the bottom of [0, 1), breakouts at the top.
    events = rng.random(shape)
    gaps = events < parameters.gap_rate
    gaps_up = events < parameters.gap_rate * GAP_UP_SHARE
    breakouts = events >= 1.0 - np.where(up_regime, BREAKOUT_RATE_UP, BREAKOUT_RATE_OTHER)
    jumps = sparse(gaps, GAP_MINIMUM + rng.exponential(0.025, np.count_nonzero(gaps)))
    jumps = np.where(gaps_up, jumps, -jumps)
    follow_through = jumps * sparse(gaps, rng.normal(0.1, 0.3, np.count_nonzero(gaps)))
    breakout_moves = sparse(breakouts, rng.uniform(0.025, 0.06, np.count_nonzero(breakouts)))

    overnight_share = rng.uniform(0.1, 0.45, shape)
    overnight_noise = 0.3 * parameters.idio_vol * rng.standard_normal(shape)
    overnight = overnight_share * returns + overnight_noise + jumps
    session = (1.0 - overnight_share) * returns - overnight_noise + breakout_moves + follow_through

    volatility = np.sqrt(
        (parameters.beta * market_returns.std()) ** 2
        + (parameters.sector_loading * sector_factor_returns.std()) ** 2
        + parameters.idio_vol**2
        + parameters.swing_vol**2
    )
    # Breakout days close near their high; gap days trade a wider range.
    wick_factor = np.where(breakouts, 0.15, np.where(gaps, 1.5, 1.0))
    open_, high, low, close = price_bars(
        rng,
        overnight,
        session,
        end_price=parameters.end_price,
        volatility=volatility,
        wick_factor=wick_factor,
    )
    spike = sparse(gaps, rng.uniform(1.0, 1.6, np.count_nonzero(gaps))) + sparse(
        breakouts, rng.uniform(0.8, 1.3, np.count_nonzero(breakouts))
    )
    move = np.abs(overnight + session) / volatility
    volume = daily_volumes(rng, parameters.base_volume, move, spike)
    return StockDays(DailyArrays(open_, high, low, close, volume), gaps, breakouts, up_regime)


def simulate_benchmark(
    rng: np.random.Generator, log_level: np.ndarray, end_price: float, base_volume: float
) -> DailyArrays:
    """Daily OHLCV of an index ETF (one column) that follows ``log_level`` exactly at the closes."""
    returns = np.diff(log_level, prepend=log_level[0])[:, None]
    sessions = returns.shape
    overnight = rng.uniform(0.2, 0.5, sessions) * returns + rng.normal(0.0, 0.001, sessions)
    session = returns - overnight
    volatility = np.array([max(float(returns.std()), 1e-4)])
    open_, high, low, close = price_bars(
        rng,
        overnight,
        session,
        end_price=np.array([end_price]),
        volatility=volatility,
        wick_factor=np.full(sessions, 0.8),
    )
    # Index volume swells on down days (hedging), as it does in real markets.
    move = np.maximum(-returns / volatility, 0.0) * 2.0
    volume = daily_volumes(rng, np.array([base_volume]), move, np.zeros(sessions))
    return DailyArrays(open_, high, low, close, volume)
