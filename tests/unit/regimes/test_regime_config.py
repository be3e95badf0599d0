"""Regime settings live in the one Config; a malformed value is a ConfigurationError naming the variable."""

from __future__ import annotations

import pytest

from avwap.core.config import load_config
from avwap.core.errors import ConfigurationError
from avwap.regimes.rules import RegimeRules, rules_from_config


def test_defaults_are_the_documented_rules() -> None:
    assert rules_from_config(load_config({})) == RegimeRules()


def test_settings_reach_the_rules() -> None:
    config = load_config(
        {
            "REGIME_BENCHMARK": "qqq",
            "REGIME_VOLATILITY_CUTS": "0.1, 0.2, 0.3",
            "REGIME_TREND_CUTS": "0,-0.05,-0.1",
            "REGIME_CONFIRM_SESSIONS": "5",
            "REGIME_HYSTERESIS": "0.5",
        }
    )
    rules = rules_from_config(config)
    assert rules.benchmark == "QQQ" and rules.volatility_cuts == (0.1, 0.2, 0.3)
    assert rules.trend_cuts == (0.0, -0.05, -0.1) and rules.confirm_sessions == 5 and rules.hysteresis == 0.5


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("REGIME_VOLATILITY_CUTS", "0.1,0.2", "three"),
        ("REGIME_VOLATILITY_CUTS", "a,b,c", "three numbers"),
        ("REGIME_VOLATILITY_CUTS", "0.3,0.2,0.1", "rising"),
        ("REGIME_DRAWDOWN_CUTS", "0.1,0.1,0.2", "strictly"),
        ("REGIME_TREND_CUTS", "-0.1,0,0.1", "falling"),
        ("REGIME_BREADTH_CUTS", "1.6,0.45,0.25", "between 0 and 1"),
        ("REGIME_BREADTH_CUTS", "nan,0.45,0.25", "finite"),
        ("REGIME_TREND_SLOW", "40", "REGIME_TREND_FAST"),
        ("REGIME_TREND_FAST", "1", "2 to 1000"),
        ("REGIME_VOLATILITY_WINDOW", "x", "integer"),
        ("REGIME_HYSTERESIS", "1.5", "fraction"),
        ("REGIME_CONFIRM_SESSIONS", "0", "at least 1"),
        ("REGIME_NO_BREADTH_CONFIDENCE", "2", "at most 1"),
        ("REGIME_MAX_DAILY_MOVE", "0", "more than 0"),
        ("REGIME_BENCHMARK", "SPY,QQQ", "one ticker"),
        ("REGIME_BENCHMARK", "S P Y", "ticker"),
    ],
)
def test_a_malformed_regime_setting_names_its_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        load_config({variable: value})
    assert caught.value.variable == variable


def test_regime_settings_change_the_config_hash() -> None:
    assert load_config({}).config_hash() != load_config({"REGIME_CONFIRM_SESSIONS": "4"}).config_hash()
