"""The PORTFOLIO_* settings: sane defaults, and a malformed value names its variable."""

from __future__ import annotations

from decimal import Decimal

import pytest

from avwap.control.portfolio.records import GuardrailLimits
from avwap.core.config import load_config
from avwap.core.errors import ConfigurationError


def test_defaults_reach_the_guardrail_limits() -> None:
    limits = GuardrailLimits.from_config(load_config({}))
    assert limits == GuardrailLimits()  # the engine's defaults are the Config's
    assert limits.max_correlation == Decimal("0.85") and limits.correlation_sessions == 60


def test_environment_values_are_parsed() -> None:
    config = load_config(
        {"PORTFOLIO_MAX_SECTOR_PCT": "25", "PORTFOLIO_SHADOW": "0", "PORTFOLIO_MAX_CORRELATION": "0.7"}
    )
    assert config.portfolio_max_sector_pct == Decimal("25") and config.portfolio_shadow is False
    assert GuardrailLimits.from_config(config).max_correlation == Decimal("0.7")


def test_decision_enforcement_is_off_unless_set() -> None:
    assert load_config({}).portfolio_decision_enforce is False
    assert load_config({"PORTFOLIO_DECISION_ENFORCE": "0"}).portfolio_decision_enforce is False
    assert load_config({"PORTFOLIO_DECISION_ENFORCE": "1"}).portfolio_decision_enforce is True


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PORTFOLIO_MAX_CORRELATION", "1.5"),
        ("PORTFOLIO_MAX_BOOK_CORRELATION", "-0.1"),
        ("PORTFOLIO_MAX_SECTOR_PCT", "0"),
        ("PORTFOLIO_MAX_SYMBOL_PCT", "abc"),
        ("PORTFOLIO_MAX_GROSS_PCT", "5000"),
        ("PORTFOLIO_CORRELATION_SESSIONS", "5"),
        ("PORTFOLIO_DRAWDOWN_THROTTLE_PCT", "NaN"),
        ("PORTFOLIO_SNAPSHOT_MAX_AGE_SESSIONS", "0"),
        ("PORTFOLIO_MAX_POSITIONS", "-1"),
        ("PORTFOLIO_SHADOW", "maybe"),
        ("PORTFOLIO_DECISION_ENFORCE", "yes please"),
        ("PORTFOLIO_DECISION_ENFORCE", "2"),
    ],
)
def test_a_malformed_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        load_config({variable: value})
