"""Every percent and ratio setting is range-checked, with an error naming the variable."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import typer
from typer.testing import CliRunner

from avwap.cli import config_check_command
from avwap.core.config import Config, load_config
from avwap.core.config_settings import SETTINGS
from avwap.core.errors import ConfigurationError

# variable: (accepted values, refused values); the bounds are inclusive unless the setting must be positive.
TABLE = {
    "MAX_GROSS_EXPOSURE_PCT": (("0", "0.5", "100"), ("100.01", "500", "-1")),
    "MAX_RISK_PER_TRADE_PCT": (("0", "1", "100"), ("100.5", "500", "-0.1")),
    "SIZING_BASE_RISK_PCT": (("0.01", "2", "100"), ("0", "101", "500")),
    "SIZING_MAX_ALLOCATION_PCT": (("0.5", "10", "100"), ("0", "100.001", "250")),
    "SIZING_DISTANCE_SCALE_PCT": (("0.1", "6", "100"), ("0", "1000")),
    "SIZING_MIN_SCALE": (("0", "0.25", "1"), ("1.01", "25", "-0.5")),
    "PORTFOLIO_MAX_SYMBOL_PCT": (("0.5", "10", "100"), ("0", "101", "-5")),
    "PORTFOLIO_MAX_SECTOR_PCT": (("1", "30", "100"), ("0", "100.5")),
    "PORTFOLIO_MAX_GROSS_PCT": (("1", "100", "250", "1000"), ("0", "1000.5", "-1")),
    "PORTFOLIO_DRAWDOWN_THROTTLE_PCT": (("0.5", "10", "100"), ("0", "150")),
    "PORTFOLIO_MAX_CORRELATION": (("0", "0.85", "1"), ("1.01", "-0.1", "85")),
    "PORTFOLIO_MAX_BOOK_CORRELATION": (("0", "0.9", "1"), ("1.5", "-1")),
    "REGIME_NO_BREADTH_CONFIDENCE": (("0", "0.75", "1"), ("1.01", "-0.1", "75")),
    "E2_CONFIDENCE_THRESHOLD": (("0", "0.6", "1"), ("1.5", "-0.2", "60")),
    "ML_ADVISORY_SIZE_DOWN_BOTTOM": (("0", "0.5", "1"), ("1.01", "-0.1", "50")),
    "ML_ADVISORY_SIZE_DOWN_MULTIPLIER": (("0", "0.5", "1"), ("1.5", "-0.5", "2")),
    "E2_GROSS_EXPOSURE_RISK_ON": (("0", "0.6", "1"), ("1.5", "-0.2", "60")),
    "E2_GROSS_EXPOSURE_NEUTRAL": (("0", "0.6", "1"), ("1.5", "-0.2", "60")),
    "E2_GROSS_EXPOSURE_RISK_OFF": (("0", "0.6", "1"), ("1.5", "-0.2", "60")),
    "E2_GROSS_EXPOSURE_STRESSED": (("0", "0.6", "1"), ("1.5", "-0.2", "60")),
}
CASES = [
    (variable, value, accepted)
    for variable, (good, bad) in TABLE.items()
    for values, accepted in ((good, True), (bad, False))
    for value in values
]


def test_the_table_covers_every_percent_and_ratio_setting() -> None:
    percent_like = {
        spec.variable
        for spec in SETTINGS
        if spec.variable.endswith("_PCT") or "SCALE" in spec.variable or "RATIO" in spec.variable
    }
    assert percent_like <= set(TABLE)  # every percent or ratio is ranged (correlation limits are too)
    assert {spec.variable for spec in SETTINGS if spec.range is not None} == set(TABLE)


@pytest.mark.parametrize(("variable", "value", "accepted"), CASES)
def test_a_percent_or_ratio_outside_its_range_names_the_variable(
    variable: str, value: str, accepted: bool
) -> None:
    if accepted:
        load_config({variable: value})
        return
    with pytest.raises(ConfigurationError) as raised:
        load_config({variable: value})
    assert raised.value.variable == variable


@pytest.mark.parametrize("variable", sorted(TABLE))
def test_overrides_and_direct_construction_are_checked_too(variable: str) -> None:
    attribute = next(spec.attribute for spec in SETTINGS if spec.variable == variable)
    with pytest.raises(ConfigurationError) as raised:
        load_config({}, **{attribute: Decimal(5000)})
    assert raised.value.variable == variable
    with pytest.raises(ConfigurationError):
        Config(**{attribute: Decimal(5000)})


def test_config_check_refuses_a_500_percent_risk_cap(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root."""

    config_check_command.register(app)
    environment = {"MAX_RISK_PER_TRADE_PCT": "500", "AVWAP_HOME": str(tmp_path)}
    result = CliRunner().invoke(app, ["config-check", "--json"], env=environment)
    assert result.exit_code != 0
    assert "MAX_RISK_PER_TRADE_PCT" in result.output
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)  # no report claiming the configuration is fine
