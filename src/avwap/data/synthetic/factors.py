"""Common factors of the synthetic market: the market (SPY), small caps (IWM), sectors, drift regimes.

The market's log level is a drift (a bull trend broken by a few corrections) plus a bounded mean-reverting
swing. The last :data:`PROTECTED_SESSIONS` sessions are always bull, and a draw whose SPY is not above its
200-day SMA over the final sessions is redrawn: the market gate is open on the demo dates for every seed,
while earlier corrections still close it now and then, as real markets do.
"""

from __future__ import annotations

from typing import Final

import numpy as np

BULL_DRIFT: Final = 0.0007  # log return per session, about 19% a year
MARKET_SHOCK_VOL: Final = 0.01
MARKET_SWING_LIMIT: Final = 0.06
MARKET_SWING_PERSISTENCE: Final = float(np.exp(-np.log(2.0) / 15.0))  # half-life 15 sessions
PROTECTED_SESSIONS: Final = 230
SMA_SESSIONS: Final = 200
GATE_SESSIONS: Final = 60  # the demo dates sit at the end of the history
GATE_MARGIN: Final = 0.005
MAX_MARKET_DRAWS: Final = 20
CORRECTION_SPACING: Final = 320  # sessions per correction, on average, before the protected tail
SMALL_CAP_BETA: Final = 1.25
SECTOR_VOL: Final = 0.006
REGIME_SWITCH_RATE: Final = 1.0 / 100.0
REGIME_SHARES: Final = (0.5, 0.3, 0.2)  # up, flat, down


def autoregress(innovations: np.ndarray, persistence: float | np.ndarray) -> np.ndarray:
    """AR(1) along axis 0: ``x[t] = persistence * x[t-1] + innovations[t]``, starting from ``innovations[0]``.

    A loop over time with whole-row vector steps: a closed form through powers of the persistence loses
    precision on long series.
    """
    result = np.empty_like(innovations)
    level = innovations[0].copy() if innovations.ndim > 1 else innovations[0]
    result[0] = level
    for index in range(1, innovations.shape[0]):
        level = persistence * level + innovations[index]
        result[index] = level
    return result


def bounded(values: np.ndarray, limit: float) -> np.ndarray:
    """Squash ``values`` smoothly into ``(-limit, limit)`` (identity near zero)."""
    return limit * np.tanh(values / limit)


def student_shocks(rng: np.random.Generator, shape: int | tuple[int, ...], freedom: float) -> np.ndarray:
    """Fat-tailed shocks with unit variance."""
    shocks: np.ndarray = rng.standard_t(freedom, size=shape) / float(np.sqrt(freedom / (freedom - 2.0)))
    return shocks


def gate_open_at_end(log_level: np.ndarray) -> bool:
    """True when the level is at least :data:`GATE_MARGIN` above its 200-session SMA on each of the last
    :data:`GATE_SESSIONS` sessions (those where the SMA exists)."""
    prices = np.exp(log_level - log_level[-1])
    if prices.size < SMA_SESSIONS:
        return True
    sums = np.cumsum(np.r_[0.0, prices])
    sma = (sums[SMA_SESSIONS:] - sums[:-SMA_SESSIONS]) / SMA_SESSIONS
    lead = prices[SMA_SESSIONS - 1 :] / sma - 1.0
    return bool((lead[-GATE_SESSIONS:] >= GATE_MARGIN).all())


def market_log_level(rng: np.random.Generator, sessions: int) -> np.ndarray:
    """The market's log level per session (unpinned: add a constant to set the price).

    A path whose market gate is not clearly open over the final sessions is redrawn from the same
    generator (about one seed in a hundred needs it); the pure trend is the last resort.
    """
    for _ in range(MAX_MARKET_DRAWS):
        level = _market_draw(rng, sessions)
        if gate_open_at_end(level):
            return level
    trend: np.ndarray = np.cumsum(np.full(sessions, BULL_DRIFT))
    return trend


def _market_draw(rng: np.random.Generator, sessions: int) -> np.ndarray:
    drift = np.full(sessions, BULL_DRIFT)
    stress = np.zeros(sessions, dtype=bool)
    open_range = max(sessions - PROTECTED_SESSIONS, 0)
    count = int(rng.poisson(open_range / CORRECTION_SPACING)) if open_range else 0
    starts = rng.integers(0, max(open_range, 1), size=count)
    lengths = rng.integers(15, 46, size=count)
    depths = rng.uniform(-0.0045, -0.002, size=count)
    for start, length, depth in zip(starts, lengths, depths, strict=True):
        end = min(int(start + length), open_range)
        drift[start:end] = depth
        stress[start:end] = True
    volatility = np.where(stress, 1.7, 1.0) * MARKET_SHOCK_VOL
    shocks = student_shocks(rng, sessions, 5.0) * volatility
    swing = bounded(autoregress(shocks, MARKET_SWING_PERSISTENCE), MARKET_SWING_LIMIT)
    result: np.ndarray = np.cumsum(drift) + swing
    return result


def small_cap_log_level(rng: np.random.Generator, market_level: np.ndarray) -> np.ndarray:
    """IWM: the market with more beta plus a small-cap factor of its own."""
    market_returns = np.diff(market_level, prepend=market_level[0])
    own = autoregress(rng.normal(0.0, 0.004, market_level.size), 0.9)
    own_returns = np.diff(own, prepend=0.0)
    result: np.ndarray = np.cumsum(SMALL_CAP_BETA * market_returns + own_returns - 0.0001)
    return result


def sector_returns(rng: np.random.Generator, sessions: int, sectors: int) -> np.ndarray:
    """Daily log returns of each sector factor, shape (sessions, sectors)."""
    drift = rng.normal(0.0001, 0.0002, sectors)
    result: np.ndarray = drift + SECTOR_VOL * student_shocks(rng, (sessions, sectors), 5.0)
    return result


def regime_drifts(rng: np.random.Generator, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Per-stock drift regimes (up with pullbacks, flat, down) that switch now and then.

    Returns the drift per (session, stock) and a mask of the sessions spent in an up regime.
    """
    sessions = shape[0]
    switches = rng.random(shape) < REGIME_SWITCH_RATE
    switches[0] = True
    count = int(np.count_nonzero(switches))
    kinds = np.zeros(shape, dtype=np.int64)
    kinds[switches] = rng.choice(3, size=count, p=np.asarray(REGIME_SHARES))
    bounds = np.array([(0.0006, 0.002), (-0.0002, 0.0003), (-0.0015, -0.0005)])[kinds[switches]]
    drifts = np.zeros(shape)
    drifts[switches] = rng.uniform(bounds[:, 0], bounds[:, 1])
    # Forward-fill each switch's draw until the next switch, all stocks at once.
    owner = np.maximum.accumulate(np.where(switches, np.arange(sessions)[:, None], 0), axis=0)
    drift = np.take_along_axis(drifts, owner, axis=0)
    is_up = np.take_along_axis(kinds, owner, axis=0) == 0
    return drift, is_up
