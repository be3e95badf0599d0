"""Backtest metrics: CAGR, volatility, Sharpe, Sortino and max drawdown agree with empyrical to 1e-9 on the
same daily returns (random and edge-case series; real SPY: tests/realdata/test_backtest_metrics_spy.py);
drawdown dates, trade statistics and the JSON summary."""

from __future__ import annotations

import datetime as dt
import json
import math

import empyrical  # the oracle: a test dependency (dev extra), never skipped
import numpy as np
import pytest
from tests.unit.backtest.empyrical_oracle import TOLERANCE, check_against_empyrical

from avwap.backtest.metrics import (
    TradeOutcome,
    annualized_volatility,
    cagr,
    max_drawdown,
    returns_of,
    sharpe,
    sortino,
    summarize,
    trade_statistics,
)
from avwap.core.errors import DataError


def _random_series() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(20261206)
    return {
        "normal": rng.normal(0.0004, 0.012, 1260),
        "fat_tails": rng.standard_t(3, 800) * 0.01,
        "losing": rng.normal(-0.001, 0.02, 300),
        "short": rng.normal(0.001, 0.01, 5),
        "two_days": np.array([0.01, -0.02]),
        "single_day": np.array([0.013]),
        "single_loss": np.array([-0.05]),
        "flat": np.zeros(50),
        "all_negative": -np.abs(rng.normal(0.003, 0.002, 60)),
        "constant_loss": np.full(30, -0.004),
        "constant_gain": np.full(30, 0.002),
        "all_positive": np.abs(rng.normal(0.003, 0.002, 60)),
    }


@pytest.mark.parametrize("name", sorted(_random_series()))
def test_metrics_agree_with_empyrical(name: str) -> None:
    check_against_empyrical(_random_series()[name])


def test_edge_cases_are_the_documented_values() -> None:
    assert (
        math.isnan(annualized_volatility([0.01]))
        and math.isnan(sharpe([0.01]))
        and math.isnan(sortino([0.01]))
    )
    assert annualized_volatility(np.zeros(10)) == 0.0 and math.isnan(sharpe(np.zeros(10)))
    assert sharpe(np.full(5, -0.01)) == -math.inf and sortino(np.full(5, 0.01)) == math.inf
    assert cagr(np.zeros(252)) == 0.0 and math.isnan(cagr([]))
    assert cagr(np.full(252, 0.001)) == pytest.approx(1.001**252 - 1.0, abs=1e-12)


def test_drawdown_dates_peak_trough_recovery() -> None:
    dates = [dt.date(2024, 1, day) for day in range(1, 11)]
    equity = [100.0, 110.0, 105.0, 110.0, 99.0, 88.0, 95.0, 110.0, 120.0, 90.0]
    drawdown = max_drawdown(dates, equity)
    # deepest: 120 -> 90 (-25%), not 110 -> 88 (-20%); still under water at the end
    assert drawdown.depth == pytest.approx(-0.25) and drawdown.peak == dates[8]
    assert drawdown.trough == dates[9] and drawdown.recovery is None
    shallower = max_drawdown(dates[:9], equity[:9])
    assert shallower.depth == pytest.approx(-0.2)
    # the peak is the last high before the trough (day 4 equals day 2's 110), recovered on day 8
    assert (shallower.peak, shallower.trough, shallower.recovery) == (dates[3], dates[5], dates[7])
    assert max_drawdown(dates[:2], [100.0, 101.0]).depth == 0.0


def test_trade_statistics() -> None:
    day = dt.date(2024, 3, 1)
    trades = [
        TradeOutcome(symbol="A", entry_date=day, exit_date=day, net_pnl=300.0, r_multiple=3.0),
        TradeOutcome(symbol="B", entry_date=day, exit_date=day, net_pnl=-100.0, r_multiple=-1.0),
        TradeOutcome(symbol="C", entry_date=day, exit_date=day, net_pnl=-50.0, r_multiple=None),
        TradeOutcome(symbol="D", entry_date=day, exit_date=day, net_pnl=0.0, r_multiple=0.0),
    ]
    win_rate, profit_factor, expectancy = trade_statistics(trades)
    assert (win_rate, profit_factor, expectancy) == (0.25, 2.0, pytest.approx(2.0 / 3.0))
    assert all(math.isnan(value) for value in trade_statistics([]))
    assert math.isnan(trade_statistics(trades[:1])[1])  # no losing trade: profit factor undefined


def test_summary_is_canonical_json_with_every_figure() -> None:
    rng = np.random.default_rng(3)
    returns = rng.normal(0.0005, 0.01, 500)
    equity = 1000.0 * np.concatenate([[1.0], np.cumprod(1.0 + returns)])
    dates = [dt.date(2022, 1, 3) + dt.timedelta(days=day) for day in range(equity.size)]
    gross = np.where(np.arange(equity.size) % 2 == 0, 0.5 * equity, 0.0)
    traded = np.full(equity.size, 100.0)
    trades = [
        TradeOutcome(symbol="A", entry_date=dates[1], exit_date=dates[5], net_pnl=20.0, r_multiple=1.5),
        TradeOutcome(symbol="B", entry_date=dates[2], exit_date=dates[9], net_pnl=-10.0, r_multiple=-1.0),
    ]
    summary = summarize(dates, equity, trades, gross_exposure=gross, traded_value=traded)
    assert summary.sessions == 500 and summary.trade_count == 2
    assert summary.cagr == pytest.approx(empyrical.cagr(returns), abs=TOLERANCE)
    assert summary.sharpe == pytest.approx(empyrical.sharpe_ratio(returns), abs=TOLERANCE)
    assert summary.max_drawdown == pytest.approx(empyrical.max_drawdown(returns), abs=TOLERANCE)
    assert summary.exposure == pytest.approx(0.5 * 251 / 501) and summary.time_in_market == pytest.approx(
        251 / 501
    )
    assert summary.turnover == pytest.approx(501 * 100.0 / 2 / equity.mean() * 252 / 500)
    assert (summary.win_rate, summary.profit_factor, summary.expectancy_r) == (0.5, 2.0, 0.25)
    assert (
        summary.to_json()
        == summarize(dates, equity, trades, gross_exposure=gross, traded_value=traded).to_json()
    )
    record = json.loads(summary.to_json())
    assert record["periods_per_year"] == 252 and record["risk_free"] == 0.0
    assert record["max_drawdown_peak"] == summary.max_drawdown_peak.isoformat()  # type: ignore[union-attr]
    single = summarize([dates[0]], [1000.0])
    assert single.sharpe is None and single.cagr is None and json.loads(single.to_json())["sessions"] == 0


def test_bad_inputs_are_refused() -> None:
    day = dt.date(2024, 1, 2)
    with pytest.raises(DataError):
        summarize([day, day], [1.0, 2.0])
    with pytest.raises(DataError):
        summarize([day], [1.0, 2.0])
    with pytest.raises(DataError):
        returns_of([1.0, -1.0])
