"""A small fake of Alpaca's trading API (v2) on 127.0.0.1, for the real alpaca-py client.

Routes: GET /v2/account, /v2/clock, /v2/calendar, /v2/positions, /v2/account/activities/FILL; POST/GET
/v2/orders; GET/PATCH/DELETE /v2/orders/{id}; GET /v2/orders:by_client_order_id. JSON is shaped like the real
API (alpaca-py's models parse it). Behaviour worth testing against:

* ``client_order_id`` is unique across all orders: 422 ``client_order_id must be unique``.
* A cash account: buys need buying power (cash − open buy orders; 403), sells need unreserved shares
  (403, no shorting); sub-penny prices and qty ≤ 0 are refused (422); a symbol needs a price (set_price).
* Every request is counted per route (``request_count("POST /v2/orders")``) and logged with its method
  (``requests``, ``request_methods()``).
* Scripted faults, a FIFO queue per route (:class:`Fault`): answer 504 after processing, sleep after
  processing (client timeout), 429 with Retry-After, 403/422/500 refusals, accept-then-reject.
* Test helpers: ``fill_order`` (full or partial), ``reject_order``, ``set_price``, and ``on_bar``: feed a
  closed bar and the open orders on its symbol fill by the simulator's documented rules
  (:class:`avwap.execution.fill_model.FillModel`, the same code the simulated broker runs: eligible only on
  bars starting at or after the order, regular session only, fills stamped at the bar's end), and the
  symbol is marked to the bar's close.

Time comes from an injected Clock; ids are sequence-derived UUIDs, so runs are deterministic.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from avwap.core.calendar import NEW_YORK, ny_date, nyse
from avwap.core.canonical import format_utc
from avwap.core.clock import Clock, FixedClock
from avwap.core.money import is_valid_tick
from avwap.execution.alpaca_broker import AlpacaSettings
from avwap.execution.broker import OrderSide, OrderType
from avwap.execution.fill_model import FillModel, OrderTerms, SimBar
from tests.fakes.loopback import serving

API_KEY = "fake-key"
SECRET_KEY = "fake-secret"
DEFAULT_NOW = dt.datetime(2026, 4, 1, 14, 0, tzinfo=dt.UTC)  # a Wednesday, 10:00 New York
OPEN_STATUSES = frozenset({"new", "accepted", "partially_filled", "pending_new"})
Reply = tuple[int, dict[str, str], Any]


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour; ``process_first``: handle the request for real, then answer with it."""

    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    process_first: bool = False
    delay_seconds: float = 0.0
    reject_after_accept: bool = False

    @classmethod
    def gateway_timeout_after_processing(cls) -> Fault:
        return cls(504, {"code": 50400000, "message": "gateway timeout"}, process_first=True)

    @classmethod
    def slow_after_processing(cls, seconds: float) -> Fault:
        return cls(process_first=True, delay_seconds=seconds)

    @classmethod
    def rate_limited(cls, retry_after: int = 0) -> Fault:
        return cls(
            429, {"code": 42910000, "message": "rate limit exceeded"}, {"Retry-After": str(retry_after)}
        )

    @classmethod
    def insufficient_buying_power(cls) -> Fault:
        return cls(403, {"code": 40310000, "message": "insufficient buying power"})

    @classmethod
    def sub_penny(cls) -> Fault:
        message = "invalid limit_price. sub-penny increment does not fulfill minimum pricing criteria"
        return cls(422, {"code": 42210000, "message": message})

    @classmethod
    def server_error(cls, process_first: bool = False) -> Fault:
        return cls(500, {"code": 50010000, "message": "internal server error"}, process_first=process_first)

    @classmethod
    def rejected_after_acceptance(cls) -> Fault:
        return cls(process_first=True, reject_after_accept=True)


@dataclass
class FakeOrder:
    id: str
    client_order_id: str
    symbol: str
    side: str
    type: str
    time_in_force: str
    qty: int
    limit_price: Decimal | None
    stop_price: Decimal | None
    created_at: dt.datetime
    status: str = "new"
    filled_qty: int = 0
    filled_value: Decimal = Decimal(0)
    updated_at: dt.datetime | None = None
    times: dict[str, dt.datetime] = field(default_factory=dict)  # filled_at, canceled_at, replaced_at, ...
    replaced_by: str | None = None
    replaces: str | None = None
    triggered: bool = False  # a stop whose condition was met on an earlier bar (fill_model.OrderTerms)

    def average_price(self) -> Decimal | None:
        if not self.filled_qty:
            return None
        average = (self.filled_value / self.filled_qty).quantize(Decimal("0.000001")).normalize()
        return average.quantize(Decimal(1)) if average == average.to_integral_value() else average

    def to_json(self) -> dict[str, Any]:
        def when(name: str) -> str | None:
            moment = self.times.get(name)
            return None if moment is None else format_utc(moment)

        average = self.average_price()
        stamps = ("filled_at", "expired_at", "canceled_at", "failed_at", "replaced_at")
        prices = {"limit_price": self.limit_price, "stop_price": self.stop_price}
        return {
            "id": self.id, "client_order_id": self.client_order_id, "created_at": format_utc(self.created_at),
            "updated_at": format_utc(self.updated_at or self.created_at),
            "submitted_at": format_utc(self.created_at), **{name: when(name) for name in stamps},
            "replaced_by": self.replaced_by, "replaces": self.replaces,
            "asset_id": str(uuid.uuid5(uuid.NAMESPACE_URL, self.symbol)), "symbol": self.symbol,
            "asset_class": "us_equity", "qty": str(self.qty), "filled_qty": str(self.filled_qty),
            "filled_avg_price": None if average is None else str(average), "order_class": "",
            "order_type": self.type, "type": self.type, "side": self.side,
            "time_in_force": self.time_in_force,
            "position_intent": "buy_to_open" if self.side == "buy" else "sell_to_close",
            **{name: None if value is None else str(value) for name, value in prices.items()},
            "status": self.status, "extended_hours": False,
            **dict.fromkeys(("expires_at", "notional", "legs", "trail_percent", "trail_price", "hwm")),
        }  # fmt: skip


def _error(status: int, code: int, message: str) -> Reply:
    return status, {}, {"code": code, "message": message}


def _number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


class FakeAlpaca:
    """The fake's state and request handling (thread-safe); see the module docstring."""

    def __init__(self, clock: Clock | None = None, starting_cash: Decimal = Decimal("100000")) -> None:
        self.clock = clock or FixedClock(DEFAULT_NOW)
        self.calendar = nyse()  # built here, not inside a request: the first build takes about a second
        self.url = ""
        self.cash = starting_cash
        self.prices: dict[str, Decimal] = {}
        self.orders: dict[str, FakeOrder] = {}
        self.holdings: dict[str, tuple[int, Decimal]] = {}
        self.activities: list[dict[str, Any]] = []
        self.counts: collections.Counter[str] = collections.Counter()
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, in arrival order
        self.faults: dict[str, collections.deque[Fault]] = collections.defaultdict(collections.deque)
        self.handler_errors: list[str] = []
        self._lock = threading.RLock()
        self._sequence = 0

    # ----------------------------------------------------------- test helpers

    def queue_fault(self, route: str, *faults: Fault) -> None:
        """Script faults for ``route`` (e.g. ``"POST /v2/orders"``), consumed one per request."""
        with self._lock:
            self.faults[route].extend(faults)

    def request_count(self, route: str) -> int:
        with self._lock:
            return self.counts[route]

    def request_methods(self) -> set[str]:
        """The HTTP methods of every request received so far."""
        with self._lock:
            return {method for method, _ in self.requests}

    def set_price(self, symbol: str, price: Decimal | str) -> None:
        with self._lock:
            self.prices[symbol] = Decimal(str(price))

    def orders_for(self, client_order_id: str) -> list[FakeOrder]:
        with self._lock:
            return [order for order in self.orders.values() if order.client_order_id == client_order_id]

    def fill_order(self, client_order_id: str, quantity: int, price: Decimal | str) -> None:
        """Execute ``quantity`` shares of an open order at ``price`` (a partial fill when fewer than left)."""
        with self._lock:
            (order,) = self.orders_for(client_order_id)
            self._fill(order, quantity, Decimal(str(price)), self.clock.now())

    def on_bar(self, bar: SimBar, model: FillModel | None = None) -> None:
        """Fill the open orders on ``bar.symbol`` by the simulator's rules; mark the symbol to the close."""
        model = model or FillModel()
        assert bar.end <= self.clock.now(), "a bar is fed once it has closed"
        with self._lock:
            if self.calendar.is_open(bar.start):
                capacity = model.fill_quantity(10**18, bar)  # shared by the symbol's orders, oldest first
                working = [
                    o for o in self.orders.values() if o.symbol == bar.symbol and o.status in OPEN_STATUSES
                ]
                for order in sorted(working, key=lambda item: (item.created_at, item.id)):
                    if bar.start < order.created_at:
                        continue  # the bar began before the order existed
                    terms = OrderTerms(
                        OrderSide(order.side.upper()), OrderType(order.type.upper()), order.limit_price,
                        order.stop_price, order.triggered,
                    )  # fmt: skip
                    decision = model.decide(terms, bar)
                    order.triggered = order.triggered or decision.triggered
                    quantity = min(order.qty - order.filled_qty, capacity)
                    if decision.price is not None and quantity > 0:
                        self._fill(order, quantity, decision.price, bar.end)
                        capacity -= quantity
            self.prices[bar.symbol] = bar.close

    def _fill(self, order: FakeOrder, quantity: int, amount: Decimal, now: dt.datetime) -> None:
        with self._lock:
            assert order.status in OPEN_STATUSES, f"cannot fill a {order.status} order"
            assert 0 < quantity <= order.qty - order.filled_qty, "fill quantity out of range"
            order.filled_qty += quantity
            order.filled_value += amount * quantity
            order.status = "filled" if order.filled_qty == order.qty else "partially_filled"
            order.updated_at = now
            if order.status == "filled":
                order.times["filled_at"] = now
            self._book(order, quantity, amount)
            self._record_activity(order, quantity, amount, now)

    def reject_order(self, client_order_id: str) -> None:
        with self._lock:
            (order,) = self.orders_for(client_order_id)
            order.status, order.updated_at = "rejected", self.clock.now()
            order.times["failed_at"] = self.clock.now()

    # ----------------------------------------------------------- dispatching

    def handle(self, method: str, raw_path: str, body: Any, headers: dict[str, str]) -> Reply:
        parts = urlsplit(raw_path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        route, order_id = self._route(method, parts.path)
        with self._lock:
            self.counts[route] += 1
            self.requests.append((method, parts.path))
            fault = self.faults[route].popleft() if self.faults[route] else None
        if headers.get("apca-api-key-id") != API_KEY or headers.get("apca-api-secret-key") != SECRET_KEY:
            return _error(401, 40110000, "request is not authorized")
        if fault is not None and not fault.process_first:
            return fault.status or 500, fault.headers, fault.body
        with self._lock:
            reply = self._dispatch(route, order_id, query, body)
            if fault is not None and fault.reject_after_accept and reply[0] == 200:
                reply[2]["status"] = "accepted"
                self.reject_order(reply[2]["client_order_id"])
        if fault is not None and fault.delay_seconds:
            time.sleep(fault.delay_seconds)
        if fault is not None and fault.status is not None:
            return fault.status, fault.headers, fault.body
        return reply

    @staticmethod
    def _route(method: str, path: str) -> tuple[str, str | None]:
        prefix = "/v2/orders/"
        if path.startswith(prefix) and len(path) > len(prefix):
            return f"{method} /v2/orders/{{id}}", path[len(prefix) :]
        return f"{method} {path}", None

    def _dispatch(self, route: str, order_id: str | None, query: dict[str, str], body: Any) -> Reply:
        handlers = {
            "GET /v2/account": lambda: (200, {}, self._account()),
            "GET /v2/clock": lambda: (200, {}, self._clock()),
            "GET /v2/calendar": lambda: (200, {}, self._calendar(query)),
            "GET /v2/positions": lambda: (200, {}, self._positions()),
            "GET /v2/account/activities/FILL": lambda: (200, {}, self._activities(query)),
            "POST /v2/orders": lambda: self._create(body or {}, replacing=None),
            "GET /v2/orders": lambda: (200, {}, self._list_orders(query)),
            "GET /v2/orders:by_client_order_id": lambda: self._by_client_id(query.get("client_order_id", "")),
            "GET /v2/orders/{id}": lambda: self._get(order_id or ""),
            "PATCH /v2/orders/{id}": lambda: self._replace(order_id or "", body or {}),
            "DELETE /v2/orders/{id}": lambda: self._cancel(order_id or ""),
        }
        handler = handlers.get(route)
        if handler is None:
            return _error(404, 40410000, f"route {route} not found")
        return handler()

    # ----------------------------------------------------------------- orders

    def _next_uuid(self, kind: int) -> str:
        self._sequence += 1
        return str(uuid.UUID(int=(kind << 96) + self._sequence))

    def _create(self, body: dict[str, Any], replacing: FakeOrder | None) -> Reply:
        client_order_id = str(body.get("client_order_id") or self._next_uuid(9))
        if self.orders_for(client_order_id):
            return _error(422, 40010001, "client_order_id must be unique")
        symbol, side = str(body.get("symbol", "")), str(body.get("side", ""))
        quantity = _number(body.get("qty"))
        if quantity is None or quantity <= 0 or quantity != quantity.to_integral_value():
            return _error(422, 40010001, "qty must be > 0 and whole")
        if symbol not in self.prices:
            return _error(422, 40010001, f'asset "{symbol}" not found')
        limit, stop = _number(body.get("limit_price")), _number(body.get("stop_price"))
        for name, price in (("limit_price", limit), ("stop_price", stop)):
            if price is not None and (price <= 0 or not is_valid_tick(price)):
                message = (
                    f"invalid {name} {price}. sub-penny increment does not fulfill minimum pricing criteria"
                )
                return _error(422, 42210000, message)
        order = FakeOrder(
            self._next_uuid(1), client_order_id, symbol, side, str(body.get("type", "market")),
            str(body.get("time_in_force", "day")), int(quantity), limit, stop, self.clock.now(),
        )  # fmt: skip
        refusal = self._affordability(order, replacing)
        if refusal is not None:
            return refusal
        self.orders[order.id] = order
        return 200, {}, order.to_json()

    def _affordability(self, order: FakeOrder, replacing: FakeOrder | None) -> Reply | None:
        working = [
            item for item in self.orders.values() if item.status in OPEN_STATUSES and item is not replacing
        ]
        if order.side == "buy":
            reserved = sum((self._reserve(item) for item in working if item.side == "buy"), Decimal(0))
            if self._reserve(order) > self.cash - reserved:
                return _error(403, 40310000, "insufficient buying power")
            return None
        held = sum(
            item.qty - item.filled_qty
            for item in working
            if item.side == "sell" and item.symbol == order.symbol
        )
        available = self.holdings.get(order.symbol, (0, Decimal(0)))[0] - held
        if order.qty > available:
            message = f"insufficient qty available for order (requested: {order.qty}, available: {available})"
            return _error(403, 40310000, message)
        return None

    def _reserve(self, order: FakeOrder) -> Decimal:
        price = order.limit_price or order.stop_price or self.prices[order.symbol]
        return price * (order.qty - order.filled_qty)

    def _find(self, order_id: str) -> FakeOrder | None:
        return self.orders.get(order_id)

    def _get(self, order_id: str) -> Reply:
        order = self._find(order_id)
        return (200, {}, order.to_json()) if order else _error(404, 40410000, "order not found")

    def _by_client_id(self, client_order_id: str) -> Reply:
        matches = self.orders_for(client_order_id)
        return (200, {}, matches[0].to_json()) if matches else _error(404, 40410000, "order not found")

    def _list_orders(self, query: dict[str, str]) -> list[dict[str, Any]]:
        status = query.get("status", "open")
        selected = [
            order
            for order in self.orders.values()
            if status == "all" or (order.status in OPEN_STATUSES) == (status == "open")
        ]
        selected.sort(key=lambda order: (order.created_at, order.id), reverse=query.get("direction") != "asc")
        return [order.to_json() for order in selected[: int(query.get("limit", "50"))]]

    def _replace(self, order_id: str, body: dict[str, Any]) -> Reply:
        old = self._find(order_id)
        if old is None:
            return _error(404, 40410000, "order not found")
        if old.status not in OPEN_STATUSES:
            return _error(422, 42210000, f'order is not replaceable: already in "{old.status}" state')
        for name in ("stop_price", "limit_price"):
            if body.get(name) is not None and getattr(old, name) is None:
                return _error(422, 40010001, f"{name} is not applicable to a {old.type} order")
        merged = {
            "symbol": old.symbol, "side": old.side, "type": old.type, "time_in_force": old.time_in_force,
            "qty": body.get("qty") or old.qty - old.filled_qty,
            "limit_price": body.get("limit_price", old.limit_price),
            "stop_price": body.get("stop_price", old.stop_price),
            "client_order_id": body.get("client_order_id"),
        }  # fmt: skip
        reply = self._create(merged, replacing=old)
        if reply[0] != 200:
            return reply
        new = self.orders[reply[2]["id"]]
        now = self.clock.now()
        new.replaces, old.replaced_by, old.status, old.updated_at = old.id, new.id, "replaced", now
        old.times["replaced_at"] = now
        return 200, {}, new.to_json()

    def _cancel(self, order_id: str) -> Reply:
        order = self._find(order_id)
        if order is None:
            return _error(404, 40410000, "order not found")
        if order.status not in OPEN_STATUSES:
            return _error(422, 42210000, f'order is not cancelable: already in "{order.status}" state')
        order.status, order.updated_at = "canceled", self.clock.now()
        order.times["canceled_at"] = self.clock.now()
        return 204, {}, None

    # ---------------------------------------------------------------- account

    def _book(self, order: FakeOrder, quantity: int, price: Decimal) -> None:
        shares, cost = self.holdings.get(order.symbol, (0, Decimal(0)))
        if order.side == "buy":
            self.cash -= price * quantity
            shares, cost = shares + quantity, cost + price * quantity
        else:
            self.cash += price * quantity
            shares, cost = shares - quantity, cost - cost * quantity / shares
        self.holdings[order.symbol] = (shares, cost)
        if not shares:
            del self.holdings[order.symbol]
        self.prices[order.symbol] = price

    def _record_activity(self, order: FakeOrder, quantity: int, price: Decimal, now: dt.datetime) -> None:
        stamp = now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}"
        self.activities.append(
            {
                "id": f"{stamp}::{self._next_uuid(2)}",
                "account_id": str(uuid.UUID(int=3 << 96)),
                "activity_type": "FILL",
                "transaction_time": format_utc(now),
                "type": "fill" if order.status == "filled" else "partial_fill",
                "price": str(price),
                "qty": str(quantity),
                "side": order.side,
                "symbol": order.symbol,
                "leaves_qty": str(order.qty - order.filled_qty),
                "order_id": order.id,
                "cum_qty": str(order.filled_qty),
                "order_status": order.status,
            }
        )

    def _account(self) -> dict[str, Any]:
        market_value = sum(
            (self.prices[symbol] * shares for symbol, (shares, _) in self.holdings.items()), Decimal(0)
        )
        working = [
            order for order in self.orders.values() if order.status in OPEN_STATUSES and order.side == "buy"
        ]
        buying_power = self.cash - sum((self._reserve(order) for order in working), Decimal(0))
        equity = self.cash + market_value
        return {
            "id": str(uuid.UUID(int=3 << 96)), "account_number": "PA0000000001", "status": "ACTIVE",
            "crypto_status": "ACTIVE", "currency": "USD", "cash": str(self.cash), "equity": str(equity),
            "portfolio_value": str(equity), "last_equity": str(equity), "buying_power": str(buying_power),
            "regt_buying_power": str(buying_power), "non_marginable_buying_power": str(buying_power),
            "daytrading_buying_power": "0", "long_market_value": str(market_value), "short_market_value": "0",
            "initial_margin": "0", "maintenance_margin": "0", "last_maintenance_margin": "0", "sma": "0",
            "multiplier": "1", "shorting_enabled": False, "pattern_day_trader": False,
            "trading_blocked": False, "transfers_blocked": False, "account_blocked": False,
            "trade_suspended_by_user": False,
            "daytrade_count": 0, "accrued_fees": "0", "pending_transfer_in": "0",
            "created_at": "2020-01-02T15:00:00Z",
        }  # fmt: skip

    def _positions(self) -> list[dict[str, Any]]:
        result = []
        for symbol in sorted(self.holdings):
            shares, cost = self.holdings[symbol]
            price = self.prices[symbol]
            value = price * shares
            result.append(
                {
                    "asset_id": str(uuid.uuid5(uuid.NAMESPACE_URL, symbol)), "symbol": symbol,
                    "exchange": "NASDAQ", "asset_class": "us_equity", "asset_marginable": True,
                    "qty": str(shares), "qty_available": str(shares), "side": "long",
                    "avg_entry_price": str(cost / shares), "cost_basis": str(cost),
                    "market_value": str(value), "current_price": str(price), "lastday_price": str(price),
                    "change_today": "0",
                    "unrealized_pl": str(value - cost), "unrealized_plpc": "0", "unrealized_intraday_pl": "0",
                    "unrealized_intraday_plpc": "0",
                }
            )  # fmt: skip
        return result

    def _activities(self, query: dict[str, str]) -> list[dict[str, Any]]:
        selected = list(self.activities)
        if "after" in query:
            after = dt.datetime.fromisoformat(query["after"].replace("Z", "+00:00"))
            selected = [
                item for item in selected if dt.datetime.fromisoformat(item["transaction_time"]) > after
            ]
        descending = query.get("direction", "desc") == "desc"
        selected.sort(key=lambda item: (item["transaction_time"], item["id"]), reverse=descending)
        if "page_token" in query:
            ids = [item["id"] for item in selected]
            selected = selected[ids.index(query["page_token"]) + 1 :]
        return selected[: int(query.get("page_size", "100"))]

    # ------------------------------------------------------------- calendar

    def _clock(self) -> dict[str, Any]:
        now, calendar = self.clock.now(), self.calendar
        day = ny_date(now)
        today = calendar.session(day) if calendar.is_session(day) else None
        upcoming = calendar.session(calendar.next_session(day))
        next_open = today.open if today is not None and now < today.open else upcoming.open
        next_close = today.close if today is not None and now < today.close else upcoming.close
        return {
            "timestamp": now.astimezone(NEW_YORK).isoformat(),
            "is_open": calendar.is_open(now),
            "next_open": next_open.astimezone(NEW_YORK).isoformat(),
            "next_close": next_close.astimezone(NEW_YORK).isoformat(),
        }

    def _calendar(self, query: dict[str, str]) -> list[dict[str, str]]:
        today = ny_date(self.clock.now())
        start = dt.date.fromisoformat(query.get("start", today.isoformat()))
        end = dt.date.fromisoformat(query.get("end", (today + dt.timedelta(days=30)).isoformat()))
        return [
            {
                "date": session.date.isoformat(),
                "open": session.open_ny.strftime("%H:%M"),
                "close": session.close_ny.strftime("%H:%M"),
                "session_open": "0400",
                "session_close": "2000",
            }
            for session in self.calendar.session_records(start, end)
        ]


class _Handler(BaseHTTPRequestHandler):
    server: _FakeServer

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            headers = {key.lower(): value for key, value in self.headers.items()}
            status, extra_headers, payload = self.server.fake.handle(self.command, self.path, body, headers)
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            for key, value in extra_headers.items():
                self.send_header(key, value)
            if data:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout) before we answered: exactly what the fault wanted

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging."""


class _FakeServer(ThreadingHTTPServer):
    # Non-daemon handler threads are joined by server_close(): a handler still sleeping out a timeout fault
    # finishes before the test ends instead of touching the fake afterwards.
    daemon_threads = False
    block_on_close = True

    def __init__(self, fake: FakeAlpaca) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.fake.handler_errors.append(traceback.format_exc())


@contextmanager
def running_fake_alpaca(
    clock: Clock | None = None, starting_cash: Decimal = Decimal("100000")
) -> Iterator[FakeAlpaca]:
    """Start the fake on a free 127.0.0.1 port; stop it (and join handler threads) on exit."""
    fake = FakeAlpaca(clock, starting_cash)
    with serving(_FakeServer(fake)) as url:
        fake.url = url
        yield fake
    assert not fake.handler_errors, fake.handler_errors


def adapter_settings(fake: FakeAlpaca, **overrides: Any) -> AlpacaSettings:
    """AlpacaSettings pointing at ``fake``, with test-sized retry wait and timeout."""
    values: dict[str, Any] = {
        "api_key": API_KEY,
        "secret_key": SECRET_KEY,
        "url_override": fake.url,
        "timeout_seconds": 2.0,
        "retry_wait_seconds": 0.01,
    }
    values.update(overrides)
    return AlpacaSettings(**values)


@pytest.fixture(name="alpaca_server")
def alpaca_server_fixture() -> Iterator[FakeAlpaca]:
    """A running fake Alpaca trading API at ``alpaca_server.url``."""
    with running_fake_alpaca() as fake:
        yield fake
