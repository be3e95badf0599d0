"""One set of stop rules, from Config, drives both the initial stop a strategy plans and the trailing stop."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from exit_builders import DAY, daily_bars, intraday_bars, ny, position

from avwap.core.config import load_config
from avwap.core.errors import ConfigurationError
from avwap.exits.bar_arrays import BarArrays
from avwap.exits.policy import resolve_stop
from avwap.exits.rules import CONFIG_FIELDS, StopRules, stop_rules
from avwap.ledger.record_enums import StopBasis
from avwap.strategies.s1 import initial_stop

# Swing lows: 98.40 (three bars above it on the left) and, later, 99.20 (only two clean bars on the left).
LOWS = (100.5, 100.0, 99.0, 98.40, 99.6, 99.5, 99.2, 99.6, 99.8, 99.9)
DAYS = tuple(dt.date(2026, 3, day) for day in (18, 19, 20, 23, 24, 25, 26, 27, 30, 31))


class DailyOnly:
    """A market view holding one symbol's daily arrays."""

    def __init__(self, daily: BarArrays) -> None:
        self.daily = daily

    def daily_arrays(self, symbol: str, before: dt.date) -> BarArrays:
        return self.daily

    def daily_bars(self, symbol: str, before: dt.date) -> object:
        raise AssertionError("the arrays are served directly")

    def session_bars(self, symbol: str, day: dt.date, now: dt.datetime) -> object:
        raise AssertionError("not needed for a stop")


def stops_under(environ: dict[str, str]) -> tuple[Decimal | None, Decimal | None]:
    """(S1's initial stop, the policy's trailing daily stop) under the rules of ``environ``."""
    rules = stop_rules(load_config(environ))
    daily = daily_bars(LOWS, DAYS)
    planned = initial_stop(DailyOnly(daily), "MSFT", DAY, rules)
    decision = resolve_stop(
        position(stop="98.00", entry_time=ny(15, 0, DAYS[-1])),
        intraday_bars((99.0, 99.5, 99.8, 100.0, 100.2, 100.3)),
        daily,
        ny(10, 0),  # EARLY_TREND: the daily swing low leads
        rules=rules,
    )
    assert decision.basis is StopBasis.DAILY_SWING_LOW
    return planned, decision.stop_price


def test_a_stop_rules_setting_moves_the_initial_and_the_trailing_stop_together() -> None:
    assert stops_under({}) == (Decimal("99.10"), Decimal("99.10"))  # 99.20 − 0.10
    # three left bars: 99.20 is no swing low any more, 98.40 is
    assert stops_under({"STOP_DAILY_LEFT_BARS": "3"}) == (Decimal("98.30"), Decimal("98.30"))
    assert stops_under({"STOP_BUFFER": "0.25"}) == (Decimal("98.95"), Decimal("98.95"))


def test_the_lookback_bounds_both_stops() -> None:
    # the last 6 daily bars hold the 99.20 low but not the 98.40 one (its left bars are cut off)
    environ = {"STOP_DAILY_LEFT_BARS": "3", "STOP_DAILY_LOOKBACK": "6"}
    planned = initial_stop(DailyOnly(daily_bars(LOWS, DAYS)), "MSFT", DAY, stop_rules(load_config(environ)))
    assert planned is None


def test_default_config_gives_the_default_rules() -> None:
    assert stop_rules(load_config({})) == StopRules()


def test_every_policy_field_but_the_bar_length_is_configurable() -> None:
    names = {field.name for field in dataclasses.fields(StopRules)}
    assert set(CONFIG_FIELDS) == names - {"bar_minutes"}
    changed = {  # variable: (field, text, value)
        "STOP_DAILY_LEFT_BARS": ("daily_left", "3", 3),
        "STOP_DAILY_RIGHT_BARS": ("daily_right", "1", 1),
        "STOP_INTRADAY_LEFT_BARS": ("intraday_left", "4", 4),
        "STOP_INTRADAY_RIGHT_BARS": ("intraday_right", "0", 0),
        "STOP_BUFFER": ("buffer", "0.05", Decimal("0.05")),
        "STOP_BUFFER_ATR_FRACTION": ("buffer_atr_fraction", "0.5", Decimal("0.5")),
        "STOP_ATR_PERIOD": ("atr_period", "10", 10),
        "STOP_DAILY_LOOKBACK": ("daily_lookback", "60", 60),
        "STOP_MIN_DISTANCE_FRACTION": ("min_distance_fraction", "0.01", Decimal("0.01")),
        "STOP_SUBMIT_AFTER_OPEN_MINUTES": ("submit_after_open", "10", dt.timedelta(minutes=10)),
        "STOP_MIN_DELAY_AFTER_ENTRY_MINUTES": ("min_delay_after_entry", "7", dt.timedelta(minutes=7)),
        "STOP_MIN_BARS_AFTER_ENTRY": ("min_bars_after_entry", "3", 3),
        "STOP_OPEN_NOISE_MINUTES": ("open_noise", "20", dt.timedelta(minutes=20)),
        "STOP_EARLY_TREND_MINUTES": ("early_trend", "45", dt.timedelta(minutes=45)),
        "STOP_CLOSE_PROTECT_MINUTES": ("close_protect", "20", dt.timedelta(minutes=20)),
    }
    assert {variable for variable, _, _ in CONFIG_FIELDS.values()} == set(changed)
    for variable, (name, text, value) in changed.items():
        rules = stop_rules(load_config({variable: text}))
        assert getattr(rules, name) == value != getattr(StopRules(), name), variable


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"STOP_DAILY_LEFT_BARS": "0"}, "STOP_DAILY_LEFT_BARS"),
        ({"STOP_DAILY_RIGHT_BARS": "-1"}, "STOP_DAILY_RIGHT_BARS"),
        ({"STOP_INTRADAY_LEFT_BARS": "two"}, "STOP_INTRADAY_LEFT_BARS"),
        ({"STOP_BUFFER": "-0.10"}, "STOP_BUFFER"),
        ({"STOP_BUFFER_ATR_FRACTION": "NaN"}, "STOP_BUFFER_ATR_FRACTION"),
        ({"STOP_MIN_DISTANCE_FRACTION": "1"}, "STOP_MIN_DISTANCE_FRACTION"),
        ({"STOP_ATR_PERIOD": "0"}, "STOP_ATR_PERIOD"),
        ({"STOP_OPEN_NOISE_MINUTES": "-5"}, "STOP_OPEN_NOISE_MINUTES"),
    ],
)
def test_a_malformed_value_is_refused_naming_its_variable(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_config(environ)
    assert raised.value.variable == variable


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        # a window shorter than one pivot shape can never give a stop
        ({"STOP_DAILY_LOOKBACK": "4"}, "STOP_DAILY_LOOKBACK"),
        ({"STOP_EARLY_TREND_MINUTES": "10"}, "STOP_EARLY_TREND_MINUTES"),
    ],
)
def test_inconsistent_rules_are_refused_naming_the_variable(environ: dict[str, str], variable: str) -> None:
    config = load_config(environ)
    with pytest.raises(ConfigurationError) as raised:
        stop_rules(config)
    assert raised.value.variable == variable
