"""Real data: the backtest metrics agree with empyrical to 1e-9 on real SPY daily returns (2008-2017)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.unit.backtest.empyrical_oracle import check_against_empyrical

from avwap.backtest.metrics import returns_of

pytestmark = pytest.mark.realdata
SPY_FILE = "mplfinance/yahoofinance-SPY-20080101-20180101.csv"


def test_metrics_agree_with_empyrical_on_real_spy_returns(shared_data: Path) -> None:
    closes = pd.read_csv(shared_data / SPY_FILE)["Adj Close"].to_numpy(dtype=np.float64)
    returns = returns_of(closes)
    assert returns.size > 2500
    check_against_empyrical(returns)
    check_against_empyrical(returns[-252:])  # one year alone
    check_against_empyrical(returns[180:300])  # through the 2008 crash
