# ruff: noqa: E501  (tables read best one case per line)
"""Sizing, hand-computed: allocation = equity × 2 % × max(0.25, 1 − distance%/6) ≤ 10 % of equity."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest

from avwap.control import reasons as r
from avwap.control.sizing import SizedEntry, SizingRejection, SizingRules, size_entry
from avwap.core.config import load_config

D = Decimal

# (id, equity, price, distance %, swing low, shares, allocation, scale, stop)
SIZED = [
    ("brief example: 1.5 % -> 0.75", D("100000"), D("50"), D("1.5"), D("48.10"), 30, D("1500.00"), D("0.75"), D("48.00")),
    ("at the AVWAP: full base risk", D("100000"), D("50"), D("0"), D("48.10"), 40, D("2000.00"), D("1"), D("48.00")),
    ("3 % -> half", D("100000"), D("50"), D("3"), D("48.10"), 20, D("1000.00"), D("0.5"), D("48.00")),
    ("4.5 % -> floor 0.25", D("100000"), D("50"), D("4.5"), D("48.10"), 10, D("500.00"), D("0.25"), D("48.00")),
    ("6 % -> floor 0.25 (not 0)", D("100000"), D("50"), D("6"), D("48.10"), 10, D("500.00"), D("0.25"), D("48.00")),
    ("10 % -> floor 0.25", D("100000"), D("50"), D("10"), D("48.10"), 10, D("500.00"), D("0.25"), D("48.00")),
    ("below the AVWAP: scale capped at 1", D("100000"), D("50"), D("-1.5"), D("48.10"), 40, D("2000.00"), D("1"), D("48.00")),
    ("shares floor: 1500 / 49.99 = 30.006", D("100000"), D("49.99"), D("1.5"), D("48.10"), 30, D("1500.00"), D("0.75"), D("48.00")),
    ("shares floor: 1500 / 50.01 = 29.994", D("100000"), D("50.01"), D("1.5"), D("48.10"), 29, D("1500.00"), D("0.75"), D("48.00")),
    # 100000 × 0.02 × (1 − 1/6) = 1666.666… -> 1666.66 (down to the cent) -> 33 shares at $50
    ("1 % -> 5/6, allocation rounded down", D("100000"), D("50"), D("1"), D("48.10"), 33, D("1666.66"), D("0.8333333333333333333333333333"), D("48.00")),
    # 12345.67 × 0.02 = 246.9134; × 2/3 = 164.6089… -> 164.60; / 17.31 = 9.509 -> 9
    ("odd equity and price", D("12345.67"), D("17.31"), D("2"), D("16.00"), 9, D("164.60"), D("0.6666666666666666666666666667"), D("15.90")),
    ("risk/share exactly $3.00", D("100000"), D("50"), D("1.5"), D("47.10"), 30, D("1500.00"), D("0.75"), D("47.00")),
    ("integer inputs", 100000, 50, 0, 48, 40, D("2000.00"), D("1"), D("47.90")),
]  # fmt: skip


def stop_below(low: object) -> object:
    """The initial stop the stop rules give for a swing low at ``low`` (default buffer $0.10): the table
    keeps the swing lows of the sizing rule's documentation, sizing takes the stop."""
    return low - D("0.10") if isinstance(low, Decimal | int) and not isinstance(low, bool) else low


@pytest.mark.parametrize("case", SIZED, ids=[case[0] for case in SIZED])
def test_sizing_table(case: tuple[object, ...]) -> None:
    _, equity, price, distance, low, shares, allocation, scale, stop = case
    assert isinstance(stop, Decimal) and isinstance(price, Decimal | int)
    sized = size_entry(equity, price, distance, stop_below(low))
    assert isinstance(sized, SizedEntry)
    assert (sized.shares, sized.allocation, sized.scale, sized.stop_price) == (
        shares,
        allocation,
        scale,
        stop,
    )
    assert sized.allocation_capped is False
    assert sized.risk_per_share == D(price) - stop
    assert sized.risk == shares * (D(price) - stop)
    assert sized.notional == shares * D(price)


def test_allocation_is_capped_at_ten_percent() -> None:
    rules = SizingRules(base_risk_pct=D("20"))  # 20 % wanted, 10 % allowed
    sized = size_entry(D("100000"), D("50"), D("0"), D("48.00"), rules)
    assert isinstance(sized, SizedEntry)
    assert (sized.allocation, sized.shares, sized.allocation_capped) == (D("10000.00"), 200, True)


def test_allocation_exactly_at_the_cap_is_not_capped() -> None:
    rules = SizingRules(base_risk_pct=D("10"))
    sized = size_entry(D("100000"), D("50"), D("0"), D("48.00"), rules)
    assert isinstance(sized, SizedEntry)
    assert (sized.allocation, sized.allocation_capped) == (D("10000.00"), False)


# (id, equity, price, distance, swing low, reason)
REJECTED = [
    ("equity missing", None, D("50"), D("1"), D("48"), r.EQUITY_UNKNOWN),
    ("equity zero", D("0"), D("50"), D("1"), D("48"), r.EQUITY_UNKNOWN),
    ("equity negative", D("-1"), D("50"), D("1"), D("48"), r.EQUITY_UNKNOWN),
    ("equity float", 100000.0, D("50"), D("1"), D("48"), r.EQUITY_UNKNOWN),
    ("equity text", "100000", D("50"), D("1"), D("48"), r.EQUITY_UNKNOWN),
    ("equity infinite", D("Infinity"), D("50"), D("1"), D("48"), r.EQUITY_UNKNOWN),
    ("price zero", D("100000"), D("0"), D("1"), D("48"), r.INVALID_INTENT),
    ("price negative", D("100000"), D("-50"), D("1"), D("48"), r.INVALID_INTENT),
    ("price missing", D("100000"), None, D("1"), D("48"), r.INVALID_INTENT),
    ("distance missing", D("100000"), D("50"), None, D("48"), r.INVALID_INTENT),
    ("distance NaN", D("100000"), D("50"), D("NaN"), D("48"), r.INVALID_INTENT),
    ("no confirmed swing low", D("100000"), D("50"), D("1"), None, r.INVALID_INTENT),
    ("swing low zero", D("100000"), D("50"), D("1"), D("0"), r.INVALID_INTENT),
    ("stop at entry: risk/share 0", D("100000"), D("50"), D("1"), D("50.10"), r.INVALID_INTENT),
    ("stop above entry", D("100000"), D("50"), D("1"), D("51"), r.INVALID_INTENT),
    ("risk/share $3.01", D("100000"), D("50"), D("1"), D("47.09"), r.INVALID_INTENT),
    ("risk/share $3.20", D("100000"), D("50"), D("1"), D("46.90"), r.INVALID_INTENT),
    ("stop below zero on a penny stock", D("100000"), D("0.50"), D("1"), D("0.05"), r.INVALID_INTENT),
    ("allocation below one share", D("1000"), D("50"), D("0"), D("48.10"), r.SIZED_TO_ZERO),
]  # fmt: skip


@pytest.mark.parametrize(
    ("equity", "price", "distance", "low", "reason"),
    [case[1:] for case in REJECTED],
    ids=[case[0] for case in REJECTED],
)
def test_sizing_rejections(equity: object, price: object, distance: object, low: object, reason: str) -> None:
    rejected = size_entry(equity, price, distance, stop_below(low))
    assert isinstance(rejected, SizingRejection)
    assert rejected.reason == reason


def test_sizing_ignores_the_callers_decimal_context() -> None:
    expected = size_entry(D("12345.67"), D("17.31"), D("1"), D("15.90"))
    with decimal.localcontext() as context:
        context.prec = 5
        context.rounding = decimal.ROUND_UP
        assert size_entry(D("12345.67"), D("17.31"), D("1"), D("15.90")) == expected


def test_sub_dollar_stop_is_rounded_down_to_a_tick() -> None:
    sized = size_entry(D("100000"), D("0.95"), D("0"), D("0.80005"))
    assert isinstance(sized, SizedEntry)
    assert sized.stop_price == D("0.8000")  # 0.80005 rounded down to the $0.0001 tick


def test_rules_from_config_default_to_the_documented_values() -> None:
    rules = SizingRules.from_config(load_config({}))
    assert rules == SizingRules()
    assert (rules.base_risk_pct, rules.max_allocation_pct, rules.max_risk_per_share) == (
        D("2"),
        D("10"),
        D("3.00"),
    )


@pytest.mark.parametrize(
    "rules",
    [
        SizingRules(distance_scale_pct=D("0")),
        SizingRules(base_risk_pct=D("0")),
        SizingRules(max_risk_per_share=D("-1")),
        SizingRules(min_scale=D("-0.25")),
        SizingRules(max_allocation_pct=None),  # type: ignore[arg-type]
        SizingRules(min_scale=0.25),  # type: ignore[arg-type]
    ],
)
def test_malformed_sizing_rules_reject(rules: SizingRules) -> None:
    rejected = size_entry(D("100000"), D("50"), D("1"), D("48"), rules)
    assert isinstance(rejected, SizingRejection) and rejected.reason == r.CAP_MISSING
