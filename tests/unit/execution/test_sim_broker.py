"""The simulated broker: fill rules through the broker, partial fills, commissions, refusals, determinism."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from avwap.core.canonical import canonical_json
from avwap.core.clock import SimulatedClock
from avwap.core.errors import BrokerRejectedError
from avwap.execution.broker import (
    BrokerFill,
    OrderRequest,
    OrderSide,
    OrderStatus,
    OrderType,
    RejectCode,
    TimeInForce,
)
from avwap.execution.fill_model import FillModel
from avwap.execution.sim_broker import SimBroker, SimBrokerSettings

OPEN = dt.datetime(2026, 4, 1, 13, 30, tzinfo=dt.UTC)  # 09:30 New York
FIVE = dt.timedelta(minutes=5)
BUY, SELL = OrderSide.BUY, OrderSide.SELL


class Market:
    """A simulator whose clock walks 5-minute bars from the open; ``bar()`` feeds the next one."""

    def __init__(
        self, model: FillModel | None = None, cash: str = "100000", symbols: Any = ("AAPL",)
    ) -> None:
        self.clock = SimulatedClock(OPEN)
        settings = SimBrokerSettings(
            Decimal(cash), model or FillModel(), None if symbols is None else frozenset(symbols)
        )
        self.broker = SimBroker(self.clock, settings)
        self.next_start = OPEN

    def bar(self, prices: str, volume: int = 100_000, symbol: str = "AAPL") -> list[BrokerFill]:
        start, self.next_start = self.next_start, self.next_start + FIVE
        self.clock.set(max(self.clock.now(), start + FIVE))
        open_, high, low, close = (Decimal(value) for value in prices.split())
        return self.broker.on_bar(symbol, start, open_, high, low, close, volume, start + FIVE)

    def submit(self, client_order_id: str, side: OrderSide = BUY, quantity: int = 100, **terms: Any) -> None:
        terms.setdefault("order_type", OrderType.MARKET)
        self.broker.submit_order(
            OrderRequest("AAPL", side, quantity=quantity, client_order_id=client_order_id, **terms)
        )

    def hold(self, quantity: int = 100, price: str = "50") -> None:
        self.bar(f"{price} {price} {price} {price}", volume=0)
        self.submit("setup-entry", quantity=quantity)
        self.bar(f"{price} {price} {price} {price}")


RULES = [
    # name, side, type, limit, stop, next bar "open high low close", expected fill price (10 bps slippage)
    ("market buy: next open + slippage", BUY, OrderType.MARKET, None, None, "50 51 49 50", "50.05"),
    ("limit buy touched", BUY, OrderType.LIMIT, "49.50", None, "50 50.5 49.4 50", "49.50"),
    ("limit buy gapped below", BUY, OrderType.LIMIT, "49.50", None, "49 49.2 48.8 49", "49.00"),
    ("limit buy untouched", BUY, OrderType.LIMIT, "49.50", None, "50 51 49.51 50", None),
    ("stop sell gap fills at the open", SELL, OrderType.STOP, None, "48", "47 47.5 46.8 47", "46.95"),
    ("stop sell touched", SELL, OrderType.STOP, None, "48", "49 49 47.9 48", "47.95"),
    ("stop sell untouched", SELL, OrderType.STOP, None, "48", "49 49.5 48.01 49", None),
    ("stop-limit gapped past its limit", SELL, OrderType.STOP_LIMIT, "47.50", "48", "47 47.2 46.5 47", None),
]


@pytest.mark.parametrize("row", RULES, ids=[row[0] for row in RULES])
def test_fill_rules_through_the_broker(row: tuple[Any, ...]) -> None:
    _, side, order_type, limit, stop, prices, expected = row
    market = Market(FillModel(slippage_bps=Decimal(10)))
    market.hold(quantity=100, price="50")
    terms = {"limit_price": limit and Decimal(limit), "stop_price": stop and Decimal(stop)}
    market.submit("order", side=side, order_type=order_type, time_in_force=TimeInForce.GTC, **terms)
    fills = market.bar(prices)
    order = market.broker.get_order("order")
    assert order is not None
    if expected is None:
        assert (fills, order.status) == ([], OrderStatus.NEW)
    else:
        assert [(fill.client_order_id, fill.price, fill.quantity) for fill in fills] == [
            ("order", Decimal(expected), 100)
        ]
        assert (order.status, order.average_fill_price) == (OrderStatus.FILLED, Decimal(expected))


def test_market_fill_moves_cash_position_and_is_stamped_at_the_bar_end() -> None:
    market = Market(FillModel(slippage_bps=Decimal(10)))
    market.bar("50 50 50 50", volume=0)
    market.submit("entry")
    (fill,) = market.bar("50 51 49 50.5")
    assert (fill.price, fill.timestamp, fill.broker_order_id) == (
        Decimal("50.05"),
        OPEN + 2 * FIVE,
        "sim-ord-00000001",
    )
    account = market.broker.account()
    assert (account.cash, account.equity) == (
        Decimal("94995.00"),
        Decimal("100045.00"),
    )  # marked at close 50.50
    (position,) = market.broker.positions()
    assert (position.quantity, position.average_entry_price, position.market_value) == (
        100,
        Decimal("50.05"),
        Decimal("5050.00"),
    )


def test_participation_cap_gives_deterministic_partial_fills() -> None:
    market = Market(FillModel(participation_cap=Decimal("0.1")))
    market.bar("10 10 10 10", volume=0)
    market.submit("entry", quantity=250)
    statuses, fills = [], []
    for open_ in ("10", "10.10", "10.20"):
        fills += market.bar(f"{open_} {open_} {open_} {open_}", volume=1000)
        order = market.broker.get_order("entry")
        assert order is not None
        statuses.append((order.status, order.filled_quantity))
    assert statuses == [
        (OrderStatus.PARTIALLY_FILLED, 100),
        (OrderStatus.PARTIALLY_FILLED, 200),
        (OrderStatus.FILLED, 250),
    ]
    assert [(fill.quantity, fill.price) for fill in fills] == [
        (100, Decimal(10)),
        (100, Decimal("10.1")),
        (50, Decimal("10.2")),
    ]
    final = market.broker.get_order("entry")
    assert final is not None and final.average_fill_price == Decimal("10.08")  # (1000 + 1010 + 510) / 250


def test_participation_capacity_is_shared_in_submission_order() -> None:
    market = Market(FillModel(participation_cap=Decimal("0.1")))
    market.bar("10 10 10 10", volume=0)
    market.submit("first", quantity=150)
    market.submit("second", quantity=100)
    per_bar = [
        [(fill.client_order_id, fill.quantity) for fill in market.bar("10 10 10 10", 1000)] for _ in range(3)
    ]
    assert per_bar == [[("first", 100)], [("first", 50), ("second", 50)], [("second", 50)]]


def test_commission_minimum_is_charged_once_per_order_and_leaves_cash() -> None:
    model = FillModel(
        participation_cap=Decimal("0.5"), commission_per_share=Decimal("0.005"), commission_minimum=Decimal(1)
    )
    market = Market(model)
    market.bar("100 100 100 100", volume=0)
    market.submit("entry", quantity=100)
    fills = market.bar("100 100 100 100", volume=100) + market.bar("100 100 100 100", volume=100)
    assert [(fill.quantity, fill.commission) for fill in fills] == [
        (50, Decimal("1.00")),
        (50, Decimal("0.00")),
    ]
    assert market.broker.account().cash == Decimal("89999.00")


def test_a_round_trip_books_the_profit_in_cash() -> None:
    market = Market()
    market.hold(quantity=100, price="50")
    market.submit("exit", side=SELL)
    market.bar("55 55 55 55")
    account = market.broker.account()
    assert (account.cash, account.equity, market.broker.positions()) == (Decimal(100500), Decimal(100500), [])


def refusal(market: Market, **terms: Any) -> tuple[int | None, str | None]:
    values = {"side": BUY, "quantity": 100, "order_type": OrderType.MARKET} | terms
    symbol = values.pop("symbol", "AAPL")
    with pytest.raises(BrokerRejectedError) as refused:
        market.broker.submit_order(OrderRequest(symbol, client_order_id="refused", **values))
    assert market.broker.get_order("refused") is None
    return refused.value.status, refused.value.code


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        ({"quantity": 0}, (422, RejectCode.INVALID_QUANTITY)),
        ({"quantity": -5}, (422, RejectCode.INVALID_QUANTITY)),
        ({"symbol": "ZZZZ"}, (422, RejectCode.UNKNOWN_SYMBOL)),
        (
            {"order_type": OrderType.LIMIT, "limit_price": Decimal("49.995")},
            (422, RejectCode.SUB_PENNY_PRICE),
        ),
        ({"order_type": OrderType.STOP, "stop_price": Decimal("50.001")}, (422, RejectCode.SUB_PENNY_PRICE)),
        ({"order_type": OrderType.LIMIT, "limit_price": Decimal(0)}, (422, RejectCode.INVALID_REQUEST)),
        ({"quantity": 2001}, (403, RejectCode.INSUFFICIENT_BUYING_POWER)),
        ({"side": SELL}, (403, RejectCode.INSUFFICIENT_QUANTITY)),
    ],
)
def test_refusals(terms: dict[str, Any], expected: tuple[int, str]) -> None:
    market = Market()
    market.bar("50 50 50 50", volume=0)
    assert refusal(market, **terms) == expected


def test_sub_dollar_prices_may_use_four_decimals() -> None:
    market = Market()
    market.bar("0.51 0.52 0.50 0.51", volume=0)
    market.submit("penny-stock", order_type=OrderType.LIMIT, limit_price=Decimal("0.5123"))
    assert market.broker.open_orders()[0].limit_price == Decimal("0.5123")


def test_a_market_buy_needs_a_price_to_check_buying_power() -> None:
    assert refusal(Market()) == (422, RejectCode.NO_REFERENCE_PRICE)
    assert refusal(Market(symbols=None)) == (
        422,
        RejectCode.UNKNOWN_SYMBOL,
    )  # universe = symbols seen in bars


def test_open_orders_hold_cash_and_shares() -> None:
    market = Market()
    market.hold(quantity=100, price="50")  # cash 95,000
    market.submit("stop", side=SELL, order_type=OrderType.STOP, stop_price=Decimal(45))
    assert refusal(market, side=SELL, quantity=1) == (
        403,
        RejectCode.INSUFFICIENT_QUANTITY,
    )  # held by the stop
    market.submit("bid", order_type=OrderType.LIMIT, limit_price=Decimal(40), quantity=2000)
    assert market.broker.account().buying_power == Decimal(15000)
    assert refusal(market, order_type=OrderType.LIMIT, limit_price=Decimal(40), quantity=376) == (
        403,
        RejectCode.INSUFFICIENT_BUYING_POWER,
    )
    # Replacing the stop releases its own shares first, so a same-size replacement is fine.
    replacement = market.broker.replace_order("stop", "stop-r1", stop_price=Decimal(46))
    assert (replacement.quantity, replacement.stop_price) == (100, Decimal(46))


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({}, RejectCode.INVALID_REQUEST),
        ({"limit_price": Decimal(44)}, RejectCode.INVALID_REQUEST),  # a limit on a STOP order
        ({"stop_price": Decimal("44.999")}, RejectCode.SUB_PENNY_PRICE),
        ({"quantity": 101}, RejectCode.INSUFFICIENT_QUANTITY),
    ],
)
def test_a_refused_replace_leaves_the_old_order_working(changes: dict[str, Any], code: RejectCode) -> None:
    market = Market()
    market.hold()
    market.submit("stop", side=SELL, order_type=OrderType.STOP, stop_price=Decimal(45))
    with pytest.raises(BrokerRejectedError) as refused:
        market.broker.replace_order("stop", "stop-r1", **changes)
    assert refused.value.code == code
    assert [order.client_order_id for order in market.broker.open_orders()] == ["stop"]
    assert market.broker.get_order("stop-r1") is None


def test_a_client_order_id_stays_taken_after_its_order_ends() -> None:
    market = Market()
    market.bar("50 50 50 50", volume=0)
    market.submit("once", order_type=OrderType.LIMIT, limit_price=Decimal(40))
    market.broker.cancel_order("once")
    with pytest.raises(BrokerRejectedError) as refused:
        market.submit("once", order_type=OrderType.LIMIT, limit_price=Decimal(40))
    assert refused.value.code == RejectCode.DUPLICATE_CLIENT_ORDER_ID


SESSION_BARS = [  # step, symbol, "open high low close", volume
    (0, "AAPL", "50 50.4 49.8 50.2", 5000), (0, "MSFT", "300 301 299 300", 800),
    (1, "AAPL", "50.2 50.5 49.5 49.6", 3000), (1, "MSFT", "300 300 298 298.5", 900),
    (2, "AAPL", "49.6 49.9 47.5 48", 4000), (2, "MSFT", "298 299 297 298", 700),
]  # fmt: skip
SESSION_ORDERS = [  # step, client id, symbol, side, quantity, type, limit or stop price
    (0, "a-entry", "AAPL", BUY, 400, OrderType.LIMIT, "50.30"),
    (0, "m-entry", "MSFT", BUY, 500, OrderType.LIMIT, "299.50"),
    (1, "a-stop", "AAPL", SELL, 150, OrderType.STOP, "49"),
    (1, "a-add", "AAPL", BUY, 50, OrderType.MARKET, None),
]  # fmt: skip


def session_request(spec: tuple[Any, ...]) -> OrderRequest:
    _, client_order_id, symbol, side, quantity, kind, price = spec
    field = "limit_price" if kind is OrderType.LIMIT else "stop_price"
    prices = {} if price is None else {field: Decimal(price)}
    return OrderRequest(symbol, side, kind, quantity, client_order_id, **prices)


def feed_step(market: Market, step: int, as_frame: bool) -> None:
    start, rows = OPEN + step * FIVE, [row for row in SESSION_BARS if row[0] == step]
    if as_frame:
        records = [(symbol, start, *map(float, prices.split()), volume) for _, symbol, prices, volume in rows]
        columns = ["symbol", "timestamp", "open", "high", "low", "close", "volume"]
        market.broker.on_bar_frame(pd.DataFrame(records, columns=columns), FIVE)
        return
    for _, symbol, prices, volume in rows:
        open_, high, low, close = (Decimal(value) for value in prices.split())
        market.broker.on_bar(symbol, start, open_, high, low, close, volume, start + FIVE)


def scripted_session(as_frame: bool = False) -> bytes:
    """Partial fills, a market order, a stop replaced then triggered, commissions, slippage, two symbols;
    returns the canonical bytes of everything the broker reports afterwards."""
    model = FillModel(Decimal(5), Decimal("0.2"), Decimal("0.005"), Decimal(1))
    market = Market(model, cash="500000", symbols=("AAPL", "MSFT"))
    for step in range(3):
        market.clock.set(OPEN + step * FIVE)
        for spec in (row for row in SESSION_ORDERS if row[0] == step):
            market.broker.submit_order(session_request(spec))
        if step == 2:
            market.broker.replace_order("a-stop", "a-stop-r1", stop_price=Decimal("48.50"))
        market.clock.set(OPEN + (step + 1) * FIVE)
        feed_step(market, step, as_frame)
    names = ("a-entry", "a-add", "m-entry", "a-stop", "a-stop-r1")
    broker = market.broker
    return canonical_json(
        ([broker.get_order(name) for name in names], broker.fills(None), broker.positions(), broker.account())
    )


def test_identical_inputs_give_identical_outputs() -> None:
    first, second = scripted_session(), scripted_session()
    assert first == second
    assert scripted_session(as_frame=True) == first  # a float bar frame is the same input as Decimal bars
    # The script exercised what it claims to (hand-computed): MSFT 160 + 180 at 299.50 and 140 at 298 of 500
    # (cap 20% of volume); the replaced AAPL stop triggered at 48.50, sold at 48.50 × (1 − 5 bps) = 48.47575
    # → 48.47; cash 500,000 − 20,002 − 47,921 − 2,512.50 − 53,910.70 + 7,269.50 − 41,720.70 = 341,202.60.
    assert b'"filled_quantity":480' in first and b'"status":"REPLACED"' in first
    assert b'"price":"48.47"' in first and b'"cash":"341202.60"' in first
    assert b'"equity":"498642.60"' in first  # + 300 AAPL at 48 + 480 MSFT at 298


def test_several_sell_stops_of_one_symbol_up_to_the_position() -> None:
    """Two strategies' lots of one symbol (issue 11): like Alpaca, one sell stop per lot is accepted while
    the stops together hold no more than the position; one more share is refused; each fills on its own."""
    market = Market()
    market.hold(quantity=100, price="50")
    market.submit("lot-one-stop", side=SELL, quantity=60, order_type=OrderType.STOP, stop_price=Decimal(48))
    market.submit("lot-two-stop", side=SELL, quantity=40, order_type=OrderType.STOP, stop_price=Decimal(45))
    assert refusal(market, side=SELL, quantity=1, order_type=OrderType.STOP, stop_price=Decimal(44)) == (
        403,
        RejectCode.INSUFFICIENT_QUANTITY,
    )
    fills = market.bar("49 49 47 47")  # trades through 48, not 45
    assert [(fill.client_order_id, fill.quantity) for fill in fills] == [("lot-one-stop", 60)]
    assert [(order.client_order_id, order.remaining_quantity) for order in market.broker.open_orders()] == [
        ("lot-two-stop", 40)
    ]
    assert [(position.symbol, position.quantity) for position in market.broker.positions()] == [("AAPL", 40)]
