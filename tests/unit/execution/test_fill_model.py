"""Fill rules of the simulator, one table row per rule (hand-computed), plus properties that bound them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avwap.core.errors import DataError
from avwap.execution.broker import OrderSide, OrderType
from avwap.execution.fill_model import FillDecision, FillModel, OrderTerms, SimBar

START = dt.datetime(2026, 4, 1, 14, 0, tzinfo=dt.UTC)
END = START + dt.timedelta(minutes=5)
BUY, SELL = OrderSide.BUY, OrderSide.SELL
MARKET, LIMIT, STOP, STOP_LIMIT = OrderType.MARKET, OrderType.LIMIT, OrderType.STOP, OrderType.STOP_LIMIT


def bar(open_: str, high: str, low: str, close: str, volume: int = 10_000) -> SimBar:
    prices = [Decimal(value) for value in (open_, high, low, close)]
    return SimBar("AAPL", START, END, *prices, Decimal(volume))


def terms(side: OrderSide, kind: OrderType, limit: str | None = None, stop: str | None = None) -> OrderTerms:
    return OrderTerms(
        side, kind, None if limit is None else Decimal(limit), None if stop is None else Decimal(stop)
    )


D = Decimal
RULES = [
    # name, side, type, limit, stop, "open high low close", slippage bps, triggered, fill price
    ("market buy at the open", BUY, MARKET, None, None, "100 101 99 100", 0, False, "100"),
    ("market buy pays slippage", BUY, MARKET, None, None, "100 101 99 100", 10, False, "100.10"),
    ("market sell gives slippage", SELL, MARKET, None, None, "100 101 99 100", 10, False, "99.90"),
    ("market buy rounds up", BUY, MARKET, None, None, "33.33 34 33 33.5", 10, False, "33.37"),
    ("market sell rounds down", SELL, MARKET, None, None, "33.33 34 33 33.5", 10, False, "33.29"),
    ("sub-dollar tick", BUY, MARKET, None, None, "0.5123 0.52 0.51 0.515", 10, False, "0.5129"),
    ("limit buy touched", BUY, LIMIT, "99", None, "100 101 98.5 99", 10, False, "99"),
    ("limit buy gap below", BUY, LIMIT, "99", None, "97 98 96 97", 10, False, "97"),
    ("limit buy untouched", BUY, LIMIT, "99", None, "100 101 99.01 100", 0, False, None),
    ("limit sell touched", SELL, LIMIT, "105", None, "104 105.5 103 105", 0, False, "105"),
    ("limit sell gap above", SELL, LIMIT, "105", None, "106 107 105.5 106", 0, False, "106"),
    ("stop sell untouched", SELL, STOP, None, "95", "96 97 95.01 96", 0, False, None),
    ("stop sell touched", SELL, STOP, None, "95", "96 97 94 94.5", 0, True, "95"),
    ("stop sell gap fills at open", SELL, STOP, None, "95", "92 93 91 92", 0, True, "92"),
    ("stop sell slippage", SELL, STOP, None, "95", "96 97 94 94.5", 10, True, "94.90"),
    ("stop buy touched", BUY, STOP, None, "105", "104 106 103 105", 0, True, "105"),
    ("stop buy gap fills at open", BUY, STOP, None, "105", "107 108 106 107", 0, True, "107"),
    ("stop-limit sell", SELL, STOP_LIMIT, "94", "95", "96 97 93 94", 0, True, "95"),
    ("stop-limit gap past limit", SELL, STOP_LIMIT, "94", "95", "93.5 94 93 93.5", 0, True, None),
    ("stop-limit gap within", SELL, STOP_LIMIT, "94", "95", "94.5 95 93 94", 0, True, "94.5"),
    ("stop-limit slip bounded", SELL, STOP_LIMIT, "94.95", "95", "96 97 94 95", 10, True, "94.95"),
    ("stop-limit buy", BUY, STOP_LIMIT, "105.5", "105", "104 106 103 105", 0, True, "105"),
]


@pytest.mark.parametrize("row", RULES, ids=[row[0] for row in RULES])
def test_fill_rules(row: tuple[Any, ...]) -> None:
    _, side, kind, limit, stop, candle, slippage, triggered, price = row
    decision = FillModel(slippage_bps=Decimal(slippage)).decide(
        terms(side, kind, limit, stop), bar(*candle.split())
    )
    assert decision == FillDecision(triggered, None if price is None else Decimal(price))


@pytest.mark.parametrize(
    ("order", "candle", "expected"),
    [
        (OrderTerms(SELL, STOP, stop_price=D("95"), triggered=True), bar("90", "91", "89", "90"), D("90")),
        (
            OrderTerms(SELL, STOP_LIMIT, D("94"), D("95"), triggered=True),
            bar("93", "94.5", "92", "94"),
            D("94"),
        ),
        (OrderTerms(SELL, STOP_LIMIT, D("94"), D("95"), triggered=True), bar("93", "93.9", "92", "93"), None),
    ],
    ids=[
        "triggered stop is a market order",
        "triggered stop-limit is a limit",
        "triggered stop-limit untouched",
    ],
)
def test_triggered_stops_keep_working_on_later_bars(
    order: OrderTerms, candle: SimBar, expected: Decimal
) -> None:
    assert FillModel().decide(order, candle) == FillDecision(True, expected)


@pytest.mark.parametrize(
    ("cap", "volume", "remaining", "expected"),
    [
        (None, 1000, 300, 300),
        ("0.1", 1000, 300, 100),
        ("0.1", 1000, 40, 40),
        ("0.1", 55, 300, 5),
        ("0.1", 9, 300, 0),
        (None, 0, 300, 0),
        ("1", 250, 300, 250),
    ],
)
def test_participation_cap(cap: str | None, volume: int, remaining: int, expected: int) -> None:
    model = FillModel(participation_cap=None if cap is None else Decimal(cap))
    assert model.fill_quantity(remaining, bar("10", "10", "10", "10", volume)) == expected


@pytest.mark.parametrize(
    ("per_share", "minimum", "fills", "expected"),
    [
        ("0", "0", [100], ["0"]),
        ("0.005", "1.00", [100], ["1.00"]),  # 0.50 < minimum
        ("0.005", "1.00", [400], ["2.00"]),
        ("0.005", "1.00", [50, 50], ["1.00", "0.00"]),  # partials of one order pay the minimum once
        ("0.005", "1.00", [150, 150, 100], ["1.00", "0.50", "0.50"]),
    ],
)
def test_commission_minimum_applies_once_per_order(
    per_share: str, minimum: str, fills: list[int], expected: list[str]
) -> None:
    model = FillModel(commission_per_share=Decimal(per_share), commission_minimum=Decimal(minimum))
    charged, cumulative, result = Decimal(0), 0, []
    for quantity in fills:
        cumulative += quantity
        due = model.commission(cumulative, charged)
        charged += due
        result.append(due)
    assert result == [Decimal(value) for value in expected]


@pytest.mark.parametrize(
    ("start", "end", "prices", "volume"),
    [
        (START, START, ("10", "11", "9", "10"), 1),
        (START, END, ("10", "9.5", "9", "9.2"), 1),  # high below open
        (START, END, ("10", "11", "10.5", "10.6"), 1),  # low above open
        (START, END, ("10", "11", "9", "10"), -1),
        (START.replace(tzinfo=None), END, ("10", "11", "9", "10"), 1),
    ],
    ids=["empty", "high", "low", "volume", "naive"],
)
def test_malformed_bars_are_refused(
    start: dt.datetime, end: dt.datetime, prices: tuple[str, ...], volume: int
) -> None:
    with pytest.raises(DataError):
        SimBar("AAPL", start, end, *[Decimal(value) for value in prices], Decimal(volume))


def test_model_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="participation_cap"):
        FillModel(participation_cap=Decimal("1.5"))
    with pytest.raises(ValueError, match="negative"):
        FillModel(slippage_bps=Decimal(-1))


cents = st.integers(min_value=100, max_value=100_000).map(lambda value: Decimal(value) / 100)


@st.composite
def bars(draw: st.DrawFn) -> SimBar:
    low, spread = draw(cents), draw(st.integers(min_value=0, max_value=500)) / Decimal(100)
    high = low + spread
    open_ = draw(st.sampled_from([low, high, (low + high) / 2])).quantize(Decimal("0.01"))
    return SimBar("AAPL", START, END, open_, high, low, open_, Decimal(1000))


@given(bars(), cents, st.sampled_from(["0", "5", "25"]))
def test_limit_and_stop_fills_never_cross_their_price(candle: SimBar, level: Decimal, slippage: str) -> None:
    model = FillModel(slippage_bps=Decimal(slippage))
    limit_buy = model.decide(OrderTerms(BUY, LIMIT, limit_price=level), candle).price
    limit_sell = model.decide(OrderTerms(SELL, LIMIT, limit_price=level), candle).price
    stop_sell = model.decide(OrderTerms(SELL, STOP, stop_price=level), candle).price
    assert limit_buy is None or candle.low <= limit_buy <= level
    assert limit_sell is None or level <= limit_sell <= candle.high
    assert stop_sell is None or stop_sell <= min(level, candle.open)
    assert (limit_buy is None) == (candle.low > level) and (stop_sell is None) == (candle.low > level)


@given(bars(), st.sampled_from(["0", "5", "25"]))
def test_market_slippage_is_always_adverse(candle: SimBar, slippage: str) -> None:
    model = FillModel(slippage_bps=Decimal(slippage))
    bought = model.decide(OrderTerms(BUY, MARKET), candle).price
    sold = model.decide(OrderTerms(SELL, MARKET), candle).price
    assert bought is not None and sold is not None
    assert sold <= candle.open <= bought
    assert (bought == candle.open) == (slippage == "0")
