"""S_401K_ALLOCATION (issue 13): the allocation file's validation, the rebalance triggers and orders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from avwap.core.config import load_config
from avwap.core.errors import ConfigurationError, DataError
from avwap.ledger.paths import SCHWAB_401K_MANUAL
from avwap.ledger.record_enums import Side
from avwap.strategies.allocation_401k import (
    DRIFT,
    SCHEDULE,
    Holdings,
    allocation_intents,
    rebalance_orders,
    rebalance_trigger,
)
from avwap.strategies.allocation_menu import load_allocation, parse_allocation
from avwap.strategies.registry import S_401K_ALLOCATION, load_strategy, may_route_to

GOOD_TOML = """
menu = ["FXAIX", "FSPSX", "FXNAX", "VTI"]
drift_band = "0.05"
schedule = "monthly"

[targets]
FXAIX = 0.6
FSPSX = "0.25"
FXNAX = "0.15"
"""
PRICES = {"FXAIX": Decimal("200"), "FSPSX": Decimal("50"), "FXNAX": Decimal("10"), "VTI": Decimal("250")}
MID_MONTH = (dt.date(2026, 12, 15), dt.date(2026, 12, 14))
FIRST_SESSION = (dt.date(2026, 12, 1), dt.date(2026, 11, 30))


def plan_of(text: str = GOOD_TOML, tmp: Path | None = None):  # type: ignore[no-untyped-def]
    import tomllib

    return parse_allocation(tomllib.loads(text))


def test_registered_for_the_manual_book_only() -> None:
    metadata = load_strategy(S_401K_ALLOCATION).metadata
    assert metadata.books == (SCHWAB_401K_MANUAL,)
    assert may_route_to(S_401K_ALLOCATION, SCHWAB_401K_MANUAL)
    assert not may_route_to(S_401K_ALLOCATION, "ALPACA_LIVE")


def test_the_file_is_read_from_the_configured_path(tmp_path: Path) -> None:
    path = tmp_path / "targets.toml"
    path.write_text(GOOD_TOML, encoding="utf-8")
    config = load_config({"ALLOCATION_401K_FILE": str(path)})
    plan = load_allocation(config.allocation_401k_file)
    assert plan.targets == {"FXAIX": Decimal("0.6"), "FSPSX": Decimal("0.25"), "FXNAX": Decimal("0.15")}
    assert plan.drift_band == Decimal("0.05") and plan.menu[-1] == "VTI"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD_TOML.replace('FXNAX = "0.15"', 'FXNAX = "0.15000001"'), "sum to 1"),
        (GOOD_TOML.replace('FXNAX = "0.15"', 'FXNAX = "0.14"'), "sum to 1"),
        (GOOD_TOML.replace('FXNAX = "0.15"', 'FXNAX = "0.15"\nQQQ = "0"'), "not on the menu"),
        (GOOD_TOML.replace('FSPSX = "0.25"', 'FSPSX = "0.45"\nVTI = "-0.2"'), "must not be negative"),
        (GOOD_TOML.replace('drift_band = "0.05"', 'drift_band = "0"'), "drift_band"),
        (GOOD_TOML.replace('schedule = "monthly"', 'schedule = "hourly"'), "schedule"),
        (GOOD_TOML.replace('"VTI"]', '"vti"]'), "upper-case tickers"),
        (GOOD_TOML.replace("FXAIX = 0.6", 'FXAIX = "lots"'), "must be a number"),
        ("menu = []\n", "menu"),
        ("leverage = 2\n" + GOOD_TOML, "unknown keys"),
    ],
)
def test_a_bad_file_is_a_configuration_error_naming_the_variable(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as raised:
        plan_of(text)
    assert raised.value.variable == "ALLOCATION_401K_FILE"


def test_a_within_tolerance_sum_is_accepted() -> None:
    plan_of(GOOD_TOML.replace('FXNAX = "0.15"', 'FXNAX = "0.1500000000001"'))


def test_missing_or_unreadable_file_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="ALLOCATION_401K_FILE: not set"):
        load_allocation(None)
    with pytest.raises(ConfigurationError, match="ALLOCATION_401K_FILE: cannot read"):
        load_allocation(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("menu = [", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_allocation(bad)


def on_target() -> Holdings:
    # 60,000 FXAIX + 25,000 FSPSX + 15,000 FXNAX = 100,000: exactly on target.
    return Holdings({"FXAIX": 300, "FSPSX": 500, "FXNAX": 1500}, Decimal("0"))


def test_no_rebalance_mid_month_on_target() -> None:
    assert rebalance_trigger(plan_of(), on_target(), PRICES, *MID_MONTH) is None
    assert allocation_intents(plan_of(), on_target(), PRICES, *MID_MONTH) == ()


def test_first_session_of_the_month_is_a_scheduled_rebalance() -> None:
    assert rebalance_trigger(plan_of(), on_target(), PRICES, *FIRST_SESSION) == SCHEDULE
    # On target, the scheduled rebalance has nothing to trade.
    assert allocation_intents(plan_of(), on_target(), PRICES, *FIRST_SESSION) == ()


def test_drift_past_the_band_rebalances_whole_shares_sells_first() -> None:
    holdings = Holdings({"FXAIX": 400, "FSPSX": 400, "VTI": 4}, Decimal("1000"))  # 80k, 20k, 1k + 1k cash
    assert rebalance_trigger(plan_of(), holdings, PRICES, *MID_MONTH) == DRIFT
    intents = allocation_intents(plan_of(), holdings, PRICES, *MID_MONTH)
    assert [(i.side, i.symbol, i.quantity) for i in intents] == [
        (Side.SELL, "FXAIX", 94),  # value 102,000: 0.6 -> 306 shares
        (Side.SELL, "VTI", 4),  # held, no target
        (Side.BUY, "FSPSX", 110),  # 0.25 -> 510 shares
        (Side.BUY, "FXNAX", 1530),  # 0.15 -> 1,530 shares
    ]
    assert all(i.strategy_id == S_401K_ALLOCATION and i.book_id == SCHWAB_401K_MANUAL for i in intents)
    assert len({(i.symbol, i.side, i.setup) for i in intents}) == 4  # one intent id each (see tickets)
    assert "drift" in intents[0].reason
    # Deterministic: the same inputs give the same intents (a re-run finds its tickets).
    assert allocation_intents(plan_of(), holdings, PRICES, *MID_MONTH) == intents


def test_a_missing_price_is_a_data_error() -> None:
    with pytest.raises(DataError, match="FXNAX"):
        rebalance_orders(plan_of(), on_target(), {"FXAIX": Decimal("200"), "FSPSX": Decimal("50")})


def test_an_empty_book_plans_nothing() -> None:
    assert rebalance_orders(plan_of(), Holdings({}, Decimal("0")), PRICES) == ()
