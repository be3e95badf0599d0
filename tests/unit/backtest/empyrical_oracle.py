"""The metric oracle shared by the unit and real-data metric tests: our figures vs empyrical's."""

from __future__ import annotations

import datetime as dt
import math

import empyrical  # the oracle: a test dependency (dev extra), never skipped
import numpy as np

from avwap.backtest.metrics import annualized_volatility, cagr, max_drawdown, sharpe, sortino

TOLERANCE = 1e-9


def _same(ours: float, theirs: float) -> bool:
    if math.isnan(theirs) or math.isinf(theirs):
        return (math.isnan(ours) and math.isnan(theirs)) or ours == theirs
    return abs(ours - theirs) <= TOLERANCE * max(1.0, abs(theirs))


def check_against_empyrical(returns: np.ndarray) -> None:
    """Our five figures vs empyrical's on the same daily returns (1e-9; NaN and ±inf must match)."""
    pairs = {
        "cagr": (cagr(returns), empyrical.cagr(returns)),
        "volatility": (annualized_volatility(returns), empyrical.annual_volatility(returns)),
        "sharpe": (sharpe(returns), empyrical.sharpe_ratio(returns)),
        "sortino": (sortino(returns), empyrical.sortino_ratio(returns)),
    }
    equity = 100.0 * np.concatenate([[1.0], np.cumprod(1.0 + returns)])
    dates = [dt.date(2020, 1, 1) + dt.timedelta(days=day) for day in range(equity.size)]
    pairs["max_drawdown"] = (max_drawdown(dates, equity).depth, empyrical.max_drawdown(returns))
    for name, (ours, theirs) in pairs.items():
        assert _same(float(ours), float(theirs)), (name, ours, theirs)
