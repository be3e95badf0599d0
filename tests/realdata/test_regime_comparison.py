"""Real data: E2 with and without modulation over 2018 (SPY as benchmark and regime input, the 11
non-benchmark symbols of ``lean_algoseek/daily_adjusted`` traded), through ``scripts/regime_comparison.py``'s
own ``run_pair``: the signals are the same, the regime blocks entries only with the flag on, and the
modulated book is no riskier than the unmodulated one (max drawdown no deeper, mean exposure no higher)."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytestmark = pytest.mark.realdata
ROOT = Path(__file__).resolve().parents[2]
FIRST, LAST = dt.date(2018, 1, 2), dt.date(2018, 12, 31)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "regime_comparison", ROOT / "scripts" / "regime_comparison.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip(f"real market data not found at {SHARED_DATA} (set AVWAP_SHARED_DATA)")
    script = _script()
    scenario = next(item for item in script.SCENARIOS if item.name == "lean11")
    work = tmp_path_factory.mktemp("regime-comparison")
    outcomes: dict[str, Any] = script.run_pair(SHARED_DATA, work, scenario, first=FIRST, last=LAST)
    return outcomes


def test_the_signals_are_the_same_with_and_without_modulation(pair: dict[str, Any]) -> None:
    without, modulated = pair["without"].result, pair["with E2"].result
    assert without.candidates == modulated.candidates
    assert sum(len(symbols) for symbols in without.candidates.values()) > 0


def test_the_regime_acts_only_with_the_flag(pair: dict[str, Any]) -> None:
    without, modulated = pair["without"].result, pair["with E2"].result
    assert all(batch.regime is None for batch in without.decisions.values())
    labels = {batch.regime.label for batch in modulated.decisions.values() if batch.regime is not None}
    assert len(modulated.decisions) == len(modulated.sessions)
    assert labels - {"RISK_ON"}  # 2018 had a February shock and a late-year correction
    codes = [
        code
        for batch in modulated.decisions.values()
        for item in batch.decisions
        for code in item.reason_codes
        if code.startswith("PORTFOLIO_REGIME_")
    ]
    assert codes


def test_the_modulated_book_is_no_riskier(pair: dict[str, Any]) -> None:
    without, modulated = pair["without"].summary, pair["with E2"].summary
    assert without.trade_count > 0
    assert modulated.max_drawdown >= without.max_drawdown  # drawdowns are <= 0: no deeper
    assert modulated.exposure <= without.exposure
    assert modulated.trade_count <= without.trade_count
