"""The simulator and time: no lookahead, bar guards, session hours, DAY expiry (early closes), the clock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from avwap.core.calendar import NEW_YORK
from avwap.core.clock import SimulatedClock
from avwap.core.errors import DataError
from avwap.execution.broker import BrokerFill, OrderRequest, OrderSide, OrderStatus, OrderType, TimeInForce
from avwap.execution.sim_broker import SimBroker, SimBrokerSettings

APRIL_1 = dt.date(2026, 4, 1)
EARLY_CLOSE = dt.date(2026, 11, 27)  # day after Thanksgiving: 13:00 New York


def ny(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NEW_YORK).astimezone(dt.UTC)


class Market:
    """A simulator plus a clock that bars move forward (a bar is fed when it ends)."""

    def __init__(self, start: dt.datetime) -> None:
        self.clock = SimulatedClock(start)
        self.broker = SimBroker(self.clock, SimBrokerSettings(symbols=frozenset({"AAPL"})))

    def bar(
        self, start: dt.datetime, prices: str, volume: int = 10_000, minutes: int = 5
    ) -> list[BrokerFill]:
        end = start + dt.timedelta(minutes=minutes)
        self.clock.set(max(self.clock.now(), end))
        open_, high, low, close = (Decimal(value) for value in prices.split())
        return self.broker.on_bar("AAPL", start, open_, high, low, close, volume, end)

    def submit(self, client_order_id: str, **terms: object) -> None:
        values: dict[str, object] = {"symbol": "AAPL", "side": OrderSide.BUY, "order_type": OrderType.MARKET}
        values.update(quantity=10, client_order_id=client_order_id, **terms)
        self.broker.submit_order(OrderRequest(**values))

    def status(self, client_order_id: str) -> OrderStatus:
        order = self.broker.get_order(client_order_id)
        assert order is not None
        return order.status


@pytest.mark.parametrize(
    ("submitted", "filled_by_bar_at", "price"),
    [((10, 0), (10, 0), Decimal("50.10")), ((10, 2), (10, 5), Decimal("50.20"))],
    ids=["on a bar boundary", "mid-bar"],
)
def test_an_order_ignores_bars_that_started_before_it(
    submitted: tuple[int, int], filled_by_bar_at: tuple[int, int], price: Decimal
) -> None:
    market = Market(ny(APRIL_1, 9, 55))
    market.bar(ny(APRIL_1, 9, 50), "50 50 50 50")  # fed at 09:55: a price to size against
    market.clock.set(ny(APRIL_1, *submitted))
    market.submit("entry")
    assert market.bar(ny(APRIL_1, 9, 55), "49 49.5 48 49") == []  # the 09:55 bar is history for this order
    fills = market.bar(ny(APRIL_1, 10, 0), "50.10 50.5 50 50.2")
    fills += market.bar(ny(APRIL_1, 10, 5), "50.20 50.5 50 50.2")
    (fill,) = fills
    assert (fill.price, fill.timestamp) == (price, ny(APRIL_1, *filled_by_bar_at) + dt.timedelta(minutes=5))


def test_a_bar_cannot_be_fed_before_it_ends() -> None:
    market = Market(ny(APRIL_1, 10, 0))
    with pytest.raises(DataError, match="lookahead"):
        market.broker.on_bar("AAPL", ny(APRIL_1, 10, 0), 1, 1, 1, 1, 1, ny(APRIL_1, 10, 5))


def test_bars_of_a_symbol_must_arrive_in_time_order() -> None:
    market = Market(ny(APRIL_1, 10, 0))
    market.bar(ny(APRIL_1, 10, 0), "50 50 50 50")
    with pytest.raises(DataError, match="not after"):
        market.bar(ny(APRIL_1, 10, 0), "50 50 50 50")


def test_bars_outside_the_session_mark_but_never_fill() -> None:
    market = Market(ny(APRIL_1, 8, 0))
    market.bar(ny(APRIL_1, 8, 0), "50 50 50 50")
    market.submit("early")
    assert market.bar(ny(APRIL_1, 9, 0), "51 51 51 51") == []  # pre-market
    assert market.status("early") is OrderStatus.NEW
    (fill,) = market.bar(ny(APRIL_1, 9, 30), "52 52 52 52")
    assert fill.price == Decimal(52)


def test_day_orders_expire_at_the_early_close_and_gtc_orders_do_not() -> None:
    market = Market(ny(EARLY_CLOSE, 12, 0))
    market.bar(ny(EARLY_CLOSE, 11, 55), "50 50 50 50")
    market.submit("day", order_type=OrderType.LIMIT, limit_price=Decimal(45))
    market.submit("gtc", order_type=OrderType.LIMIT, limit_price=Decimal(44), time_in_force=TimeInForce.GTC)
    market.bar(ny(EARLY_CLOSE, 12, 55), "50 50 49 50")  # the last bar, fed at 13:00
    assert market.status("day") is OrderStatus.NEW  # at the close itself, not yet past it
    market.clock.set(ny(EARLY_CLOSE, 13, 1))
    expired = market.broker.get_order("day")
    assert expired is not None
    assert (expired.status, expired.updated_at) == (
        OrderStatus.EXPIRED,
        dt.datetime(2026, 11, 27, 18, 0, tzinfo=dt.UTC),
    )
    assert market.status("gtc") is OrderStatus.NEW
    assert [order.client_order_id for order in market.broker.open_orders()] == ["gtc"]


def test_the_last_bar_before_an_early_close_can_still_fill_a_day_order() -> None:
    market = Market(ny(EARLY_CLOSE, 12, 0))
    market.bar(ny(EARLY_CLOSE, 11, 55), "50 50 50 50")
    market.submit("day", order_type=OrderType.LIMIT, limit_price=Decimal(45))
    market.clock.set(ny(EARLY_CLOSE, 13, 2))  # the loop runs late ...
    (fill,) = market.bar(ny(EARLY_CLOSE, 12, 55), "46 46 44 45")  # ... but the bar began before the close
    assert fill.price == Decimal(45)
    assert market.status("day") is OrderStatus.FILLED


def test_a_day_order_sent_after_the_close_lives_through_the_next_session_skipping_holidays() -> None:
    thursday = dt.date(2026, 4, 2)  # Friday 2026-04-03 is Good Friday
    market = Market(ny(thursday, 15, 55))
    market.bar(ny(thursday, 15, 50), "50 50 50 50")
    market.clock.set(ny(thursday, 16, 30))
    market.submit("after-hours", order_type=OrderType.LIMIT, limit_price=Decimal(40))
    market.clock.set(ny(dt.date(2026, 4, 6), 15, 59))
    assert market.status("after-hours") is OrderStatus.NEW
    market.clock.set(ny(dt.date(2026, 4, 6), 16, 1))
    expired = market.broker.get_order("after-hours")
    assert expired is not None and expired.updated_at == ny(dt.date(2026, 4, 6), 16, 0)


def test_a_replaced_stop_is_eligible_only_from_its_replacement_time() -> None:
    market = Market(ny(APRIL_1, 10, 0))
    market.bar(ny(APRIL_1, 9, 55), "100 100 100 100")
    market.submit("entry")
    market.bar(ny(APRIL_1, 10, 0), "100 100 100 100")
    market.submit("stop-r0", side=OrderSide.SELL, order_type=OrderType.STOP, stop_price=Decimal(95))
    market.clock.set(ny(APRIL_1, 10, 7))
    market.broker.replace_order("stop-r0", "stop-r1", stop_price=Decimal(97))
    assert market.bar(ny(APRIL_1, 10, 5), "98 98 96 96.5") == []  # began before the replacement existed
    (fill,) = market.bar(ny(APRIL_1, 10, 10), "96.5 97 96 96.5")
    assert (fill.client_order_id, fill.price) == ("stop-r1", Decimal("96.5"))
    assert market.status("stop-r0") is OrderStatus.REPLACED


def test_a_canceled_order_never_fills() -> None:
    market = Market(ny(APRIL_1, 10, 0))
    market.bar(ny(APRIL_1, 9, 55), "100 100 100 100")
    market.submit("entry", order_type=OrderType.LIMIT, limit_price=Decimal(99))
    market.broker.cancel_order("entry")
    assert market.bar(ny(APRIL_1, 10, 0), "98 98 97 98") == []
    assert market.status("entry") is OrderStatus.CANCELED


@pytest.mark.parametrize(
    ("moment", "is_open", "next_open", "next_close"),
    [
        (ny(APRIL_1, 8, 0), False, ny(APRIL_1, 9, 30), ny(APRIL_1, 16, 0)),
        (ny(APRIL_1, 10, 0), True, ny(dt.date(2026, 4, 2), 9, 30), ny(APRIL_1, 16, 0)),
        (
            ny(dt.date(2026, 4, 2), 17, 0),
            False,
            ny(dt.date(2026, 4, 6), 9, 30),
            ny(dt.date(2026, 4, 6), 16, 0),
        ),
        (ny(EARLY_CLOSE, 12, 0), True, ny(dt.date(2026, 11, 30), 9, 30), ny(EARLY_CLOSE, 13, 0)),
        (ny(EARLY_CLOSE, 13, 0), False, ny(dt.date(2026, 11, 30), 9, 30), ny(dt.date(2026, 11, 30), 16, 0)),
    ],
    ids=["pre-market", "in session", "before Good Friday", "early close day", "at the early close"],
)
def test_clock_follows_the_nyse_calendar(
    moment: dt.datetime, is_open: bool, next_open: dt.datetime, next_close: dt.datetime
) -> None:
    clock = Market(moment).broker.clock()
    assert (clock.timestamp, clock.is_open, clock.next_open, clock.next_close) == (
        moment,
        is_open,
        next_open,
        next_close,
    )
