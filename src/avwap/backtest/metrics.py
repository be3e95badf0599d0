"""Backtest performance metrics: pure functions over a daily equity series and a list of closed trades.

Conventions (the same as empyrical, which the tests use as the oracle, to 1e-9):

* returns are simple daily returns of the equity series, ``equity[t] / equity[t − 1] − 1``; the first equity
  value is the starting capital (it has no return);
* annualization uses **252** sessions a year; the risk-free rate and the Sortino required return are **0**;
* CAGR ``= (Π(1 + r))^(252 / n) − 1`` over the ``n`` daily returns;
* volatility ``= sample standard deviation (ddof 1) · √252``; a constant series has exactly zero volatility;
* Sharpe ``= mean(r) / std(r, ddof 1) · √252``;
* Sortino ``= 252 · mean(r) / (√(mean(min(r, 0)²)) · √252)``: the downside deviation is the root mean square
  of the returns below 0 taken over **all** days (days above 0 count as 0), not the standard deviation of
  the negative days only;
* max drawdown ``= min((equity − running peak) / running peak)`` (≤ 0), with the dates of its peak (the last
  high before the trough), its trough, and its recovery (the first day back at or above the peak; None
  while under water);
* exposure: the mean over days of gross position value / equity; time in market: the share of days with a
  position; turnover: one-way traded value (half of buys + sells) / mean equity, per year;
* trades: win rate = winners (net PnL > 0) / trades; profit factor = gross profit / gross loss (None
  without losing trades); expectancy in R = mean R multiple of the trades that have one.

Undefined statistics (fewer than 2 returns for dispersion measures, 0/0) are NaN from the functions and None
in :class:`PerformanceSummary`, whose floats are rounded to 10 decimals so it serializes byte-stably as
canonical JSON.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence

import msgspec
import numpy as np
import numpy.typing as npt

from avwap.core.canonical import canonical_json
from avwap.core.errors import DataError

FloatArray = npt.NDArray[np.float64]
PERIODS_PER_YEAR = 252
RISK_FREE = 0.0
DIGITS = 10


class TradeOutcome(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One closed trade as the metrics need it: net PnL (after costs) and its R multiple (None: no risk)."""

    symbol: str
    entry_date: dt.date
    exit_date: dt.date
    net_pnl: float
    r_multiple: float | None


class Drawdown(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The deepest peak-to-trough fall of an equity series (``depth`` ≤ 0, a fraction of the peak)."""

    depth: float
    peak: dt.date | None
    trough: dt.date | None
    recovery: dt.date | None


class PerformanceSummary(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Every headline figure of a backtest (see the module docstring for definitions)."""

    start_date: dt.date
    end_date: dt.date
    sessions: int  # daily returns
    starting_equity: float
    ending_equity: float
    total_return: float | None
    cagr: float | None
    annualized_volatility: float | None
    sharpe: float | None
    sortino: float | None
    max_drawdown: float | None
    max_drawdown_peak: dt.date | None
    max_drawdown_trough: dt.date | None
    max_drawdown_recovery: dt.date | None
    exposure: float | None
    time_in_market: float | None
    turnover: float | None
    trade_count: int
    win_rate: float | None
    profit_factor: float | None
    expectancy_r: float | None
    periods_per_year: int = PERIODS_PER_YEAR
    risk_free: float = RISK_FREE

    def to_json(self) -> bytes:
        """Canonical JSON (sorted keys, no NaN)."""
        return canonical_json(self)


def _array(values: Sequence[float] | FloatArray) -> FloatArray:
    return np.asarray(values, dtype=np.float64).reshape(-1)


def returns_of(equity: Sequence[float] | FloatArray) -> FloatArray:
    """Simple daily returns of an equity series (one fewer than the values)."""
    values = _array(equity)
    if values.size and (not np.isfinite(values).all() or (values <= 0.0).any()):
        raise DataError("equity values must be finite and positive")
    returns: FloatArray = values[1:] / values[:-1] - 1.0
    return returns


def cagr(returns: Sequence[float] | FloatArray, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    """Compound annual growth rate of the daily ``returns`` (NaN without returns)."""
    values = _array(returns)
    if values.size == 0:
        return math.nan
    ending = float(np.prod(values + 1.0))
    if ending < 0.0:
        return math.nan
    return float(ending ** (periods_per_year / values.size) - 1.0)


def _dispersion(values: FloatArray) -> float:
    """Sample standard deviation; exactly 0 for a constant series (the mean can differ in the last bit)."""
    if values.max() == values.min():
        return 0.0
    return float(np.std(values, ddof=1))


def annualized_volatility(
    returns: Sequence[float] | FloatArray, periods_per_year: int = PERIODS_PER_YEAR
) -> float:
    """Sample standard deviation of daily returns · √periods (NaN with fewer than 2 returns)."""
    values = _array(returns)
    if values.size < 2:
        return math.nan
    return _dispersion(values) * math.sqrt(periods_per_year)


def _ratio(numerator: float, denominator: float) -> float:
    """IEEE division without exceptions: x/0 is ±inf, 0/0 is NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.divide(np.float64(numerator), np.float64(denominator)))


def sharpe(returns: Sequence[float] | FloatArray, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    """Annualized Sharpe ratio, risk-free rate 0 (NaN with fewer than 2 returns)."""
    values = _array(returns) - RISK_FREE
    if values.size < 2:
        return math.nan
    return _ratio(float(values.mean()), _dispersion(values)) * math.sqrt(periods_per_year)


def downside_deviation(
    returns: Sequence[float] | FloatArray, periods_per_year: int = PERIODS_PER_YEAR
) -> float:
    """Annualized root mean square of ``min(r, 0)`` over all days (NaN without returns)."""
    values = _array(returns)
    if values.size == 0:
        return math.nan
    below = np.minimum(values - RISK_FREE, 0.0)
    return math.sqrt(float(np.mean(below * below))) * math.sqrt(periods_per_year)


def sortino(returns: Sequence[float] | FloatArray, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    """Annualized Sortino ratio, required return 0 (NaN with fewer than 2 returns)."""
    values = _array(returns)
    if values.size < 2:
        return math.nan
    annual_mean = float((values - RISK_FREE).mean()) * periods_per_year
    return _ratio(annual_mean, downside_deviation(values, periods_per_year))


def max_drawdown(dates: Sequence[dt.date], equity: Sequence[float] | FloatArray) -> Drawdown:
    """Deepest drawdown of ``equity`` (one value per date) with its peak, trough and recovery dates."""
    values = _array(equity)
    if len(dates) != values.size:
        raise DataError(f"{len(dates)} dates for {values.size} equity values")
    if values.size == 0:
        return Drawdown(depth=math.nan, peak=None, trough=None, recovery=None)
    peaks = np.maximum.accumulate(values)
    depths = (values - peaks) / peaks
    trough = int(np.argmin(depths))
    if depths[trough] == 0.0:
        return Drawdown(depth=0.0, peak=None, trough=None, recovery=None)
    peak = int(np.flatnonzero(values[: trough + 1] == peaks[trough])[-1])
    after = np.flatnonzero(values[trough:] >= values[peak])
    recovery = dates[trough + int(after[0])] if after.size else None
    return Drawdown(depth=float(depths[trough]), peak=dates[peak], trough=dates[trough], recovery=recovery)


def exposure(equity: FloatArray, gross_exposure: FloatArray) -> tuple[float, float]:
    """(mean gross exposure / equity, share of days with a position)."""
    if equity.size == 0:
        return math.nan, math.nan
    return float(np.mean(gross_exposure / equity)), float(np.mean(gross_exposure > 0.0))


def turnover(equity: FloatArray, traded_value: FloatArray, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    """One-way traded value per year as a multiple of mean equity (NaN without returns)."""
    days = equity.size - 1
    if days < 1:
        return math.nan
    return float(traded_value.sum() / 2.0 / equity.mean() * periods_per_year / days)


def trade_statistics(trades: Sequence[TradeOutcome]) -> tuple[float, float, float]:
    """(win rate, profit factor, expectancy in R); NaN where undefined (no trades, no losses, no R)."""
    if not trades:
        return math.nan, math.nan, math.nan
    pnl = np.array([trade.net_pnl for trade in trades], dtype=np.float64)
    profit, loss = float(pnl[pnl > 0.0].sum()), float(-pnl[pnl < 0.0].sum())
    multiples = [trade.r_multiple for trade in trades if trade.r_multiple is not None]
    return (
        float(np.mean(pnl > 0.0)),
        profit / loss if loss > 0.0 else math.nan,
        float(np.mean(multiples)) if multiples else math.nan,
    )


def _figure(value: float) -> float | None:
    return round(value, DIGITS) if math.isfinite(value) else None


def summarize(
    dates: Sequence[dt.date],
    equity: Sequence[float] | FloatArray,
    trades: Sequence[TradeOutcome] = (),
    *,
    gross_exposure: Sequence[float] | FloatArray | None = None,
    traded_value: Sequence[float] | FloatArray | None = None,
) -> PerformanceSummary:
    """The summary of a run: ``equity`` at the close of each of ``dates`` (strictly increasing), optional
    gross position value and traded value per date (zero when omitted), and the closed ``trades``."""
    values = _array(equity)
    if values.size == 0 or len(dates) != values.size:
        raise DataError(f"need one equity value per date, got {values.size} values for {len(dates)} dates")
    if any(later <= earlier for earlier, later in itertools.pairwise(dates)):
        raise DataError("dates must be strictly increasing")
    gross = np.zeros(values.size) if gross_exposure is None else _array(gross_exposure)
    traded = np.zeros(values.size) if traded_value is None else _array(traded_value)
    if gross.size != values.size or traded.size != values.size:
        raise DataError("gross exposure and traded value need one value per date")
    returns = returns_of(values)
    deepest = max_drawdown(dates, values)
    average_exposure, in_market = exposure(values, gross)
    win_rate, profit_factor, expectancy = trade_statistics(trades)
    return PerformanceSummary(
        start_date=dates[0],
        end_date=dates[-1],
        sessions=int(returns.size),
        starting_equity=float(values[0]),
        ending_equity=float(values[-1]),
        total_return=_figure(float(values[-1] / values[0] - 1.0)),
        cagr=_figure(cagr(returns)),
        annualized_volatility=_figure(annualized_volatility(returns)),
        sharpe=_figure(sharpe(returns)),
        sortino=_figure(sortino(returns)),
        max_drawdown=_figure(deepest.depth),
        max_drawdown_peak=deepest.peak,
        max_drawdown_trough=deepest.trough,
        max_drawdown_recovery=deepest.recovery,
        exposure=_figure(average_exposure),
        time_in_market=_figure(in_market),
        turnover=_figure(turnover(values, traded)),
        trade_count=len(trades),
        win_rate=_figure(win_rate),
        profit_factor=_figure(profit_factor),
        expectancy_r=_figure(expectancy),
    )


__all__ = [
    "PERIODS_PER_YEAR",
    "Drawdown",
    "PerformanceSummary",
    "TradeOutcome",
    "annualized_volatility",
    "cagr",
    "downside_deviation",
    "max_drawdown",
    "returns_of",
    "sharpe",
    "sortino",
    "summarize",
    "trade_statistics",
    "turnover",
]
