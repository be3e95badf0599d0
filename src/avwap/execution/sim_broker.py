"""A deterministic simulated broker (book ``PAPER_SIM`` and the backtest), driven by a Clock and fed bars.

* Time comes only from the injected :class:`~avwap.core.clock.Clock`; ids are sequence numbers; no randomness.
  Same calls in the same order ⇒ identical orders, fills, positions and cash.
* No lookahead: an order submitted at ``t`` is eligible only on bars that START at or after ``t``; a bar
  can be fed only once the clock has reached its end; bars of one symbol must arrive in time order.
* Only bars starting inside the regular NYSE session fill orders (no extended hours); bars with zero volume
  fill nothing. Every bar marks its symbol to its close.
* Fill prices, partial fills and commissions follow :mod:`avwap.execution.fill_model`. Fills are stamped with
  the END of the bar that produced them.
* Refusals (``BrokerRejectedError``, same codes and statuses as the Alpaca adapter): duplicate
  ``client_order_id`` (422), quantity ≤ 0 (422), unknown symbol (422), sub-penny or non-positive price (422),
  market buy with no price seen yet (422), insufficient buying power (403: cash account, no margin; open buy
  orders reserve ``remaining × limit/stop/last close``), selling more than the unreserved position (403: no
  shorting; several sell orders of one symbol, e.g. one stop per strategy's lot, are accepted while their
  total is at most the position, as at Alpaca). Unknown order (404), order no longer open (422).
* DAY orders expire at the close of their session (the next session when submitted after the close),
  early closes included; expiry is applied once the clock is past the close, stamped at the close.
* Fills may drive cash slightly negative (a market buy that gaps up); nothing else can.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import msgspec
import pandas as pd

from avwap.core.calendar import TradingCalendar, ny_date, nyse
from avwap.core.clock import Clock
from avwap.core.errors import BrokerRejectedError, DataError
from avwap.core.money import is_valid_tick, round_money, to_decimal
from avwap.execution.broker import (
    OPEN_STATUSES,
    BrokerAccount,
    BrokerClock,
    BrokerFill,
    BrokerOrder,
    BrokerPosition,
    OrderRequest,
    OrderSide,
    OrderStatus,
    RejectCode,
    TimeInForce,
)
from avwap.execution.fill_model import FillModel, OrderTerms, SimBar

AVERAGE_PRICE_QUANTUM = Decimal("0.000001")


@dataclass(frozen=True)
class SimBrokerSettings:
    """``symbols``: the tradable universe; ``None`` means any symbol that has had at least one bar."""

    starting_cash: Decimal = Decimal("100000")
    fill_model: FillModel = field(default_factory=FillModel)
    symbols: frozenset[str] | None = None


def _trimmed(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and never in exponent form (``100.600000`` -> ``100.6``; ``100``)."""
    normalized = value.normalize()
    return normalized.quantize(Decimal(1)) if normalized == normalized.to_integral_value() else normalized


@dataclass
class _WorkingOrder:
    request: OrderRequest
    broker_order_id: str
    sequence: int
    submitted_at: dt.datetime
    updated_at: dt.datetime
    expires_at: dt.datetime | None
    reserve_price: Decimal | None
    status: OrderStatus = OrderStatus.NEW
    filled_quantity: int = 0
    fill_value: Decimal = Decimal(0)
    commission_charged: Decimal = Decimal(0)
    triggered: bool = False
    replaced_by: str | None = None
    replaces: str | None = None

    @property
    def remaining(self) -> int:
        return self.request.quantity - self.filled_quantity

    def snapshot(self) -> BrokerOrder:
        request = self.request
        average = None
        if self.filled_quantity:
            average = _trimmed((self.fill_value / self.filled_quantity).quantize(AVERAGE_PRICE_QUANTUM))
        return BrokerOrder(
            broker_order_id=self.broker_order_id,
            client_order_id=request.client_order_id,
            symbol=request.symbol,
            side=request.side,
            order_type=request.order_type,
            time_in_force=request.time_in_force,
            quantity=request.quantity,
            status=self.status,
            broker_status=self.status.value.lower(),
            filled_quantity=self.filled_quantity,
            average_fill_price=average,
            limit_price=request.limit_price,
            stop_price=request.stop_price,
            submitted_at=self.submitted_at,
            updated_at=self.updated_at,
            replaced_by=self.replaced_by,
            replaces=self.replaces,
        )


def _refuse(status: int, code: RejectCode, message: str) -> BrokerRejectedError:
    return BrokerRejectedError(message, status=status, code=code)


class SimBroker:
    """The :class:`~avwap.execution.broker.Broker` protocol over simulated fills (see module docstring)."""

    def __init__(
        self,
        clock: Clock,
        settings: SimBrokerSettings | None = None,
        calendar: TradingCalendar | None = None,
    ) -> None:
        self._clock = clock
        self._settings = settings or SimBrokerSettings()
        self._calendar = calendar or nyse()
        self._model = self._settings.fill_model
        self._cash = self._settings.starting_cash
        self._orders: dict[str, _WorkingOrder] = {}
        self._live: dict[str, _WorkingOrder] = {}  # the subset that can still fill, in submission order
        self._fills: list[BrokerFill] = []
        self._holdings: dict[str, tuple[int, Decimal]] = {}  # symbol -> (shares, total cost)
        self._last_close: dict[str, Decimal] = {}
        self._last_bar_start: dict[str, dt.datetime] = {}
        self._order_sequence = 0
        self._fill_sequence = 0

    # ----------------------------------------------------------------- orders

    def submit_order(self, request: OrderRequest) -> BrokerOrder:
        now = self._now()
        self._validate(request, replacing=None)
        order = self._place(request, now)
        return order.snapshot()

    def replace_order(
        self,
        client_order_id: str,
        new_client_order_id: str,
        *,
        stop_price: Decimal | None = None,
        limit_price: Decimal | None = None,
        quantity: int | None = None,
    ) -> BrokerOrder:
        now = self._now()
        old = self._require_open(client_order_id)
        if stop_price is None and limit_price is None and quantity is None:
            raise _refuse(422, RejectCode.INVALID_REQUEST, "replace needs a new stop, limit or quantity")
        try:  # replace() re-runs OrderRequest's checks: a stop on a LIMIT order is a malformed replace
            request = msgspec.structs.replace(
                old.request,
                client_order_id=new_client_order_id,
                quantity=old.remaining if quantity is None else quantity,
                stop_price=old.request.stop_price if stop_price is None else stop_price,
                limit_price=old.request.limit_price if limit_price is None else limit_price,
            )
        except ValueError as error:
            raise _refuse(422, RejectCode.INVALID_REQUEST, str(error)) from error
        self._validate(request, replacing=old)
        replacement = self._place(request, now)
        replacement.replaces = old.broker_order_id
        old.replaced_by = replacement.broker_order_id
        self._finish(old, OrderStatus.REPLACED, now)
        return replacement.snapshot()

    def cancel_order(self, client_order_id: str) -> BrokerOrder:
        now = self._now()
        order = self._require_open(client_order_id)
        self._finish(order, OrderStatus.CANCELED, now)
        return order.snapshot()

    def get_order(self, client_order_id: str) -> BrokerOrder | None:
        self._now()
        order = self._orders.get(client_order_id)
        return None if order is None else order.snapshot()

    def open_orders(self) -> list[BrokerOrder]:
        self._now()
        working = sorted(
            self._working(), key=lambda order: (order.submitted_at, order.request.client_order_id)
        )
        return [order.snapshot() for order in working]

    # --------------------------------------------------------------- account

    def positions(self) -> list[BrokerPosition]:
        self._now()
        result = []
        for symbol in sorted(self._holdings):
            shares, cost = self._holdings[symbol]
            price = self._last_close.get(symbol)
            result.append(
                BrokerPosition(
                    symbol=symbol,
                    quantity=shares,
                    average_entry_price=_trimmed((cost / shares).quantize(AVERAGE_PRICE_QUANTUM)),
                    cost_basis=round_money(cost),
                    market_value=None if price is None else round_money(price * shares),
                    current_price=price,
                )
            )
        return result

    def account(self) -> BrokerAccount:
        self._now()
        market_value = sum(
            (self._last_close[symbol] * shares for symbol, (shares, _) in self._holdings.items()), Decimal(0)
        )
        buying_power = max(Decimal(0), self._cash - self._reserved(excluding=None))
        return BrokerAccount(
            equity=round_money(self._cash + market_value),
            cash=round_money(self._cash),
            buying_power=round_money(buying_power),
            status="ACTIVE",
            currency="USD",
        )

    def clock(self) -> BrokerClock:
        now = self._now()
        day = ny_date(now)
        calendar = self._calendar
        today = calendar.session(day) if calendar.is_session(day) else None
        upcoming = calendar.session(calendar.next_session(day))
        next_open = today.open if today is not None and now < today.open else upcoming.open
        next_close = today.close if today is not None and now < today.close else upcoming.close
        return BrokerClock(
            timestamp=now, is_open=calendar.is_open(now), next_open=next_open, next_close=next_close
        )

    def fills(self, since: dt.datetime | None) -> list[BrokerFill]:
        self._now()
        selected = [fill for fill in self._fills if since is None or fill.timestamp >= since]
        return sorted(selected, key=lambda fill: (fill.timestamp, fill.fill_id))

    # ------------------------------------------------------------------- bars

    def on_bar(  # noqa: PLR0917 - the positional bar layout (symbol, start, O, H, L, C, V, end) is the contract
        self,
        symbol: str,
        bar_start: dt.datetime,
        open: Decimal | float,
        high: Decimal | float,
        low: Decimal | float,
        close: Decimal | float,
        volume: Decimal | float | int,
        bar_end: dt.datetime,
    ) -> list[BrokerFill]:
        """Feed one COMPLETED bar; returns the fills it produced (in order-priority order)."""
        start, end = bar_start.astimezone(dt.UTC), bar_end.astimezone(dt.UTC)
        # One representation per price (50.40, 50.4 and float 50.4 are the same input): same bytes out.
        prices = [_trimmed(to_decimal(value)) for value in (open, high, low, close)]
        bar = SimBar(symbol, start, end, prices[0], prices[1], prices[2], prices[3], to_decimal(volume))
        now = self._clock.now()
        if bar.end > now:
            raise DataError(
                f"{symbol} bar ending {bar.end} fed at {now}: it has not completed yet (lookahead)"
            )
        previous = self._last_bar_start.get(symbol)
        if previous is not None and bar.start <= previous:
            raise DataError(f"{symbol} bar at {bar.start} is not after the previous bar at {previous}")
        self._last_bar_start[symbol] = bar.start
        self._last_close[symbol] = bar.close
        produced: list[BrokerFill] = []
        if self._calendar.is_open(bar.start):
            capacity = self._model.fill_quantity(10**18, bar)  # shared by all orders on this bar
            for order in self._working(symbol):  # submission order = fill priority
                fill = self._try_fill(order, bar, capacity)
                if fill is not None:
                    capacity -= fill.quantity
                    produced.append(fill)
        self._expire_due(now)
        return produced

    def on_bar_frame(self, frame: pd.DataFrame, bar_length: dt.timedelta) -> list[BrokerFill]:
        """Feed a canonical bar frame (see :mod:`avwap.data.bars`) in (timestamp, symbol) order."""
        ordered = frame.sort_values(["timestamp", "symbol"], kind="mergesort")
        starts = [
            moment.to_pydatetime().astimezone(dt.UTC) for moment in pd.DatetimeIndex(ordered["timestamp"])
        ]
        columns = [
            ordered[name].astype("float64").tolist() for name in ("open", "high", "low", "close", "volume")
        ]
        produced: list[BrokerFill] = []
        for symbol, start, open_, high, low, close, volume in zip(
            ordered["symbol"].astype(str).tolist(), starts, *columns, strict=True
        ):
            produced += self.on_bar(symbol, start, open_, high, low, close, volume, start + bar_length)
        return produced

    # --------------------------------------------------------------- internals

    def _now(self) -> dt.datetime:
        now = self._clock.now()
        self._expire_due(now)
        return now

    def _working(self, symbol: str | None = None) -> list[_WorkingOrder]:
        return [order for order in self._live.values() if symbol is None or order.request.symbol == symbol]

    def _finish(self, order: _WorkingOrder, status: OrderStatus, when: dt.datetime) -> None:
        order.status, order.updated_at = status, when
        self._live.pop(order.request.client_order_id, None)

    def _expire_due(self, now: dt.datetime) -> None:
        for order in self._working():
            if order.expires_at is not None and now > order.expires_at:
                self._finish(order, OrderStatus.EXPIRED, order.expires_at)

    def _require_open(self, client_order_id: str) -> _WorkingOrder:
        order = self._orders.get(client_order_id)
        if order is None:
            raise _refuse(404, RejectCode.ORDER_NOT_FOUND, f"order {client_order_id!r} not found")
        if order.status not in OPEN_STATUSES:
            raise _refuse(422, RejectCode.ORDER_NOT_OPEN, f"order {client_order_id!r} is {order.status}")
        return order

    def _place(self, request: OrderRequest, now: dt.datetime) -> _WorkingOrder:
        self._order_sequence += 1
        expires_at = self._session_close_for(now) if request.time_in_force is TimeInForce.DAY else None
        order = _WorkingOrder(
            request=request,
            broker_order_id=f"sim-ord-{self._order_sequence:08d}",
            sequence=self._order_sequence,
            submitted_at=now,
            updated_at=now,
            expires_at=expires_at,
            reserve_price=self._reference_price(request) if request.side is OrderSide.BUY else None,
        )
        self._orders[request.client_order_id] = self._live[request.client_order_id] = order
        return order

    def _session_close_for(self, now: dt.datetime) -> dt.datetime:
        day = ny_date(now)
        if self._calendar.is_session(day) and now < self._calendar.session_close(day):
            return self._calendar.session_close(day)
        return self._calendar.session_close(self._calendar.next_session(day))

    def _reference_price(self, request: OrderRequest) -> Decimal | None:
        last = self._last_close.get(request.symbol)
        if request.limit_price is not None:
            return request.limit_price
        if request.stop_price is not None:
            return request.stop_price if last is None else max(request.stop_price, last)
        return last

    def _reserved(self, excluding: _WorkingOrder | None) -> Decimal:
        return sum(
            (
                order.remaining * (order.reserve_price or Decimal(0))
                for order in self._working()
                if order.request.side is OrderSide.BUY and order is not excluding
            ),
            Decimal(0),
        )

    def _held_for_sale(self, symbol: str, excluding: _WorkingOrder | None) -> int:
        return sum(
            order.remaining
            for order in self._working(symbol)
            if order.request.side is OrderSide.SELL and order is not excluding
        )

    def _validate(self, request: OrderRequest, replacing: _WorkingOrder | None) -> None:
        symbol, quantity = request.symbol, request.quantity
        if request.client_order_id in self._orders:
            raise _refuse(422, RejectCode.DUPLICATE_CLIENT_ORDER_ID, "client_order_id must be unique")
        if quantity <= 0:
            raise _refuse(422, RejectCode.INVALID_QUANTITY, f"qty must be > 0, got {quantity}")
        known = self._settings.symbols if self._settings.symbols is not None else self._last_close
        if symbol not in known:
            raise _refuse(422, RejectCode.UNKNOWN_SYMBOL, f"asset {symbol!r} not found")
        for price in (request.limit_price, request.stop_price):
            if price is not None and price <= 0:
                raise _refuse(422, RejectCode.INVALID_REQUEST, f"price must be positive, got {price}")
            if price is not None and not is_valid_tick(price):
                raise _refuse(422, RejectCode.SUB_PENNY_PRICE, f"sub-penny increment in price {price}")
        if request.side is OrderSide.BUY:
            self._check_buying_power(request, replacing)
        else:
            shares = self._holdings.get(symbol, (0, Decimal(0)))[0]
            available = shares - self._held_for_sale(symbol, excluding=replacing)
            if quantity > available:
                message = (
                    f"insufficient qty available for order (requested: {quantity}, available: {available})"
                )
                raise _refuse(403, RejectCode.INSUFFICIENT_QUANTITY, message)

    def _check_buying_power(self, request: OrderRequest, replacing: _WorkingOrder | None) -> None:
        reference = self._reference_price(request)
        if reference is None:
            raise _refuse(422, RejectCode.NO_REFERENCE_PRICE, f"no price seen yet for {request.symbol}")
        needed = reference * request.quantity
        available = self._cash - self._reserved(excluding=replacing)
        if needed > available:
            amounts = f"needed {round_money(needed)}, available {round_money(available)}"
            message = f"insufficient buying power ({amounts})"
            raise _refuse(403, RejectCode.INSUFFICIENT_BUYING_POWER, message)

    def _try_fill(self, order: _WorkingOrder, bar: SimBar, capacity: int) -> BrokerFill | None:
        if bar.start < order.submitted_at:
            return None  # the bar began before the order existed: no lookahead
        if order.expires_at is not None and bar.start >= order.expires_at:
            return None
        request = order.request
        terms = OrderTerms(
            request.side, request.order_type, request.limit_price, request.stop_price, order.triggered
        )
        decision = self._model.decide(terms, bar)
        order.triggered = order.triggered or decision.triggered
        quantity = min(order.remaining, capacity)
        if decision.price is None or quantity <= 0:
            return None
        return self._apply_fill(order, bar, quantity, decision.price)

    def _apply_fill(self, order: _WorkingOrder, bar: SimBar, quantity: int, price: Decimal) -> BrokerFill:
        request = order.request
        commission = self._model.commission(order.filled_quantity + quantity, order.commission_charged)
        order.filled_quantity += quantity
        order.fill_value += price * quantity
        order.commission_charged += commission
        if order.remaining:
            order.status, order.updated_at = OrderStatus.PARTIALLY_FILLED, bar.end
        else:
            self._finish(order, OrderStatus.FILLED, bar.end)
        shares, cost = self._holdings.get(request.symbol, (0, Decimal(0)))
        if request.side is OrderSide.BUY:
            self._cash -= price * quantity + commission
            shares, cost = shares + quantity, cost + price * quantity
        else:
            self._cash += price * quantity - commission
            shares, cost = shares - quantity, cost - cost * quantity / shares
        if shares:
            self._holdings[request.symbol] = (shares, cost)
        else:
            self._holdings.pop(request.symbol, None)
        self._fill_sequence += 1
        fill = BrokerFill(
            fill_id=f"sim-fil-{self._fill_sequence:08d}",
            client_order_id=request.client_order_id,
            broker_order_id=order.broker_order_id,
            symbol=request.symbol,
            side=request.side,
            quantity=quantity,
            price=price,
            timestamp=bar.end,
            commission=commission,
        )
        self._fills.append(fill)
        return fill
