"""Real data: regime labels of SPY 1998-2021 (breadth from the 505-stock set 2013-2018), QQQ and IWM,
labelled from a bar store; the validation tables of docs/REGIMES.md are recomputed and must be identical, and
the labels must behave: defensive in the well-known stress periods, RISK_ON in calm years, no flicker."""

from __future__ import annotations

import datetime as dt
import importlib.util
import itertools
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from avwap.regimes.rules import Regime
from avwap.regimes.validation import (
    CALM_PERIODS,
    STRESS_PERIODS,
    defensive_share,
    label_changes,
    period_shares,
)

pytestmark = pytest.mark.realdata
ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "regime_validation", ROOT / "scripts" / "regime_validation.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def validation(tmp_path_factory: pytest.TempPathFactory) -> tuple[ModuleType, str, dict[str, Any]]:
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip(f"real market data not found at {SHARED_DATA} (set AVWAP_SHARED_DATA)")
    script = _script()
    body, series = script.section(SHARED_DATA, tmp_path_factory.mktemp("regimes"))
    return script, body, series


def test_the_document_holds_the_tables_the_code_computes(validation: tuple[ModuleType, str, Any]) -> None:
    script, body, _ = validation
    document = (ROOT / "docs" / "REGIMES.md").read_text(encoding="utf-8")
    assert script.replace_section(document, body) == document, "run scripts/regime_validation.py"


def test_stress_periods_are_defensive_and_calm_years_risk_on(validation: tuple[ModuleType, str, Any]) -> None:
    days = validation[2]["SPY + breadth"]
    for period in STRESS_PERIODS:
        assert period_shares(days, period)[Regime.RISK_ON] <= 0.20, period.name
    stress = [defensive_share(days, period) for period in STRESS_PERIODS]
    assert sum(stress) / len(stress) >= 0.50
    assert min(stress) > 0  # even the mildest (late 2018) ends in RISK_OFF
    for period in CALM_PERIODS:
        assert period_shares(days, period)[Regime.RISK_ON] >= 0.60, period.name
        assert defensive_share(days, period) <= 0.05, period.name
    crashes = (STRESS_PERIODS[1], STRESS_PERIODS[5])  # 2007-09 and 2020: STRESSED, not only RISK_OFF
    assert all(period_shares(days, period)[Regime.STRESSED] > 0.10 for period in crashes)


def test_labels_do_not_flicker(validation: tuple[ModuleType, str, Any]) -> None:
    days = validation[2]["SPY + breadth"]
    for year in range(1999, 2021):
        assert label_changes([day for day in days if day.date.year == year]) <= 15, year
    runs: list[int] = [1]
    for before, after in itertools.pairwise(days):
        runs[-1:] = [runs[-1] + 1] if before.label == after.label else [runs[-1], 1]
    assert sorted(runs)[len(runs) // 2] >= 10  # the median spell lasts at least two weeks


def test_unknown_only_where_the_benchmark_cannot_be_measured(validation: tuple[ModuleType, str, Any]) -> None:
    series = validation[2]
    spy_unknown = [day.date for day in series["SPY + breadth"] if day.label is Regime.UNKNOWN]
    assert spy_unknown and max(spy_unknown) < dt.date(1998, 10, 20)  # 200 sessions of warm-up only
    qqq = series["QQQ alone"]  # traded as QQQQ from 2004-12 to 2011-03: no bars, so UNKNOWN, never a guess
    gap = [day for day in qqq if dt.date(2005, 1, 3) <= day.date <= dt.date(2011, 3, 22)]
    assert gap and {day.label for day in gap} == {Regime.UNKNOWN}


def test_breadth_lifts_confidence_where_the_universe_exists(validation: tuple[ModuleType, str, Any]) -> None:
    with_breadth = [day for day in validation[2]["SPY + breadth"] if day.breadth is not None]
    assert {day.date.year for day in with_breadth} == set(range(2013, 2019))
    assert min(day.breadth_symbols for day in with_breadth) >= 30
    alone = [day for day in validation[2]["SPY alone"] if day.label is not Regime.UNKNOWN]
    assert max(day.confidence for day in alone) <= 0.75 < max(day.confidence for day in with_breadth)
