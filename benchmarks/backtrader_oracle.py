"""An independent implementation of avwap's daily backtest rules in backtrader 1.9.78 (the parity oracle).

It shares one input with avwap: the candidates of each session (symbol, anchored VWAP, rank; what
``avwap backtest`` writes as each session's candidates artifact from its panel scan). Everything else is
re-implemented here on backtrader's own broker, from docs/BACKTEST.md, without importing avwap's rules:

* **entries**: at the close of session T, every candidate of the next session (the scan as of T) that is not
  held gets a buy ``Stop`` order at its level, the anchored VWAP rounded up to a tick; unfilled entries are
  canceled at the close of the next session (DAY orders). backtrader fills a buy stop at the open when the
  bar gaps above it, else at the stop price when the high reaches it: ``max(open, level)``.
* **initial stop and the daily stop**: the latest confirmed swing low (low strictly below the 2 bars before,
  at or below the 2 bars after, confirmed once those closed) of the last 120 bars, minus $0.10, rounded
  down to a tick; the stop for session D is ``max(stop so far, that level from bars through D-1)`` (it only
  tightens). A position's first stop is placed after the close of its entry session (no same-day exit).
  backtrader fills a sell stop at ``min(open, stop)`` (open on a gap through it).
* **sizing**: ``scale = min(1, max(0.25, 1 - distance% / 6))``, ``allocation = min(equity x 2 % x scale,
  equity x 10 %)`` floored to the cent, ``shares = floor(allocation / level)``; refused when the stop is
  missing, or risk per share ``level - stop`` is <= 0 or > $3.00. Equity: backtrader's broker value at the
  close of T (cash + positions at their last close), rounded to the cent.
* **caps**: MAX_POSITIONS (held + today's entry orders) and MAX_ORDERS_PER_DAY (entry orders a session).
  The dollar caps (gross exposure, notional per symbol, risk per trade) are not implemented: the parity
  settings make them non-binding, and the parity check asserts that avwap resized or rejected nothing.
* **costs**: slippage in basis points, adverse, then the price rounded to a tick adversely (buys up, sells
  down; tick $0.01, $0.0001 below $1), in :class:`TickBroker`; commission ``max(minimum, per share x
  shares)`` per order rounded half-even to the cent, in :class:`PerShareCommission`.

Decimal arithmetic is used where a rule rounds (levels, stops, sizing, fill prices), floats are read
through their shortest repr; backtrader keeps its own float cash and positions.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Context, Decimal, localcontext
from typing import Any, Final

import backtrader as bt

CENT: Final = Decimal("0.01")
SUB_PENNY: Final = Decimal("0.0001")
HUNDRED: Final = Decimal(100)
ARITHMETIC: Final = Context(prec=28, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class OracleSettings:
    """The rule parameters both engines run with (avwap's defaults unless a parity setting says otherwise)."""

    starting_cash: Decimal = Decimal("100000")
    slippage_bps: Decimal = Decimal(0)
    commission_per_share: Decimal = Decimal(0)
    commission_minimum: Decimal = Decimal(0)
    base_risk_pct: Decimal = Decimal(2)
    max_allocation_pct: Decimal = Decimal(10)
    min_scale: Decimal = Decimal("0.25")
    distance_scale_pct: Decimal = Decimal(6)
    max_risk_per_share: Decimal = Decimal("3.00")
    stop_buffer: Decimal = Decimal("0.10")
    pivot_left: int = 2
    pivot_right: int = 2
    stop_lookback: int = 120
    max_positions: int = 5
    max_entries_per_day: int = 5


@dataclass(frozen=True)
class OracleCandidate:
    symbol: str
    avwap: Decimal
    rank: int


@dataclass(frozen=True)
class OracleTrade:
    symbol: str
    entry_date: dt.date
    quantity: int
    entry_price: Decimal
    exit_date: dt.date | None
    exit_price: Decimal | None
    commissions: Decimal
    initial_stop: Decimal


@dataclass
class _Open:
    symbol: str
    entry_date: dt.date
    quantity: int
    entry_price: Decimal
    commission: Decimal
    initial_stop: Decimal
    stop: Decimal
    stop_order: Any = None


@dataclass
class OracleResult:
    trades: list[OracleTrade] = field(default_factory=list)
    bars: int = 0  # stock bars inside the run window (the bar events)
    entry_orders: int = 0


# ------------------------------------------------------------------ price rules (Decimal)


def decimal_of(value: float | Decimal | str) -> Decimal:
    return (
        value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else value)
    )


def to_tick(value: Decimal, up: bool) -> Decimal:
    """``value`` rounded to its tick ($0.01 from $1, else $0.0001), up or down."""
    mode = ROUND_CEILING if up else ROUND_FLOOR
    rounded = value.quantize(CENT if value >= 1 else SUB_PENNY, rounding=mode)
    return rounded.quantize(CENT if rounded >= 1 else SUB_PENNY, rounding=mode)


def swing_low_stop(lows: Sequence[float], settings: OracleSettings) -> Decimal | None:
    """The daily stop from ``lows`` (oldest first, bars closed before the session the stop is for)."""
    window = list(lows)[-settings.stop_lookback :]
    left, right = settings.pivot_left, settings.pivot_right
    for index in range(len(window) - 1 - right, left - 1, -1):  # newest confirmed pivot first
        centre = window[index]
        if not math.isfinite(centre):
            continue
        before = window[index - left : index]
        after = window[index + 1 : index + 1 + right]
        if all(centre < low for low in before) and all(centre <= low for low in after):
            level = decimal_of(float(centre)) - settings.stop_buffer
            if level <= 0:
                return None
            stop = to_tick(level, up=False)
            return stop if stop > 0 else None
    return None


def entry_size(
    equity: Decimal, level: Decimal, avwap: Decimal, stop: Decimal | None, settings: OracleSettings
) -> int:
    """Shares to buy at ``level`` (0: no entry)."""
    if stop is None or stop <= 0 or equity <= 0:
        return 0
    risk = level - stop
    if risk <= 0 or risk > settings.max_risk_per_share:
        return 0
    distance = (level - avwap) / avwap * HUNDRED
    with localcontext(ARITHMETIC):
        scale = min(Decimal(1), max(settings.min_scale, 1 - distance / settings.distance_scale_pct))
        wanted = equity * settings.base_risk_pct / HUNDRED * scale
        ceiling = equity * settings.max_allocation_pct / HUNDRED
        allocation = min(wanted, ceiling).quantize(CENT, rounding=ROUND_FLOOR)
        return int(allocation // level)


# ------------------------------------------------------------------ backtrader pieces


class PerShareCommission(bt.CommInfoBase):  # type: ignore[misc]
    """``max(minimum, per_share x shares)`` per order, rounded half-even to the cent."""

    params = (
        ("stocklike", True),
        ("commtype", bt.CommInfoBase.COMM_FIXED),
        ("per_share", 0.0),
        ("minimum", 0.0),
    )

    def _getcommission(self, size: float, price: float, pseudoexec: bool) -> float:
        per_share = decimal_of(str(self.p.per_share)) * abs(int(size))
        total = max(decimal_of(str(self.p.minimum)), per_share.quantize(CENT, rounding=ROUND_HALF_EVEN))
        return float(total)


class TickBroker(bt.brokers.BackBroker):  # type: ignore[misc]
    """backtrader's broker with the documented fill price: slippage then a tick, both adverse, never capped
    by the bar's range; and no fill on a bar a data feed did not print (backtrader would otherwise retry an
    order on the feed's last, already seen, bar)."""

    params = (("slippage_bps", 0.0),)

    def _adverse(self, price: float, up: bool) -> float:
        fraction = decimal_of(str(self.p.slippage_bps)) / Decimal(10_000)
        slipped = decimal_of(float(price)) * (1 + fraction if up else 1 - fraction)
        return float(to_tick(slipped, up=up))

    def _slip_up(self, pmax: float, price: float, doslip: bool = True, lim: bool = False) -> float:
        return self._adverse(price, up=True)

    def _slip_down(self, pmin: float, price: float, doslip: bool = True, lim: bool = False) -> float:
        return self._adverse(price, up=False)

    def _try_exec(self, order: Any) -> None:
        stamp = order.data.datetime[0]
        if stamp <= getattr(order, "last_bar_tried", order.created.dt):
            return
        order.last_bar_tried = stamp
        super()._try_exec(order)


class DailyRules(bt.Strategy):  # type: ignore[misc]
    """The daily rule set (module docstring). ``datas[0]`` is the clock (a bar on every session some stock
    traded: a benchmark file with a missing day would make backtrader skip that session), never traded."""

    params = (("candidates", None), ("settings", None), ("result", None), ("first", None), ("last", None))

    def __init__(self) -> None:
        self.settings: OracleSettings = self.p.settings
        self.result: OracleResult = self.p.result
        self.candidates: Mapping[dt.date, Sequence[OracleCandidate]] = self.p.candidates
        self.stocks = {data._name: data for data in self.datas[1:]}
        self.open: dict[str, _Open] = {}
        self.entries: dict[int, tuple[str, Decimal]] = {}  # order ref -> (symbol, initial stop)
        self.working_entries: list[Any] = []

    def prenext(self) -> None:  # stocks listed later than others have no bar yet
        self.next()

    def today(self) -> dt.date:
        day: dt.date = bt.num2date(self.datas[0].datetime[0]).date()
        return day

    def traded(self, data: Any, day: dt.date) -> bool:
        return len(data) > 0 and bt.num2date(data.datetime[0]).date() == day

    def notify_order(self, order: Any) -> None:
        if order.status != order.Completed:
            return
        symbol = order.data._name
        day = bt.num2date(order.data.datetime[0]).date()
        price = decimal_of(float(order.executed.exbits[-1].price))  # .price is a float average
        commission = decimal_of(str(order.executed.comm)).quantize(CENT)
        if order.isbuy():
            _, initial = self.entries.pop(order.ref)
            size = int(order.executed.size)
            self.open[symbol] = _Open(symbol, day, size, price, commission, initial, initial)
            return
        held = self.open.pop(symbol)
        self.result.trades.append(
            OracleTrade(
                symbol,
                held.entry_date,
                held.quantity,
                held.entry_price,
                day,
                price,
                held.commission + commission,
                held.initial_stop,
            )
        )

    def next(self) -> None:
        day = self.today()
        if self.p.first <= day <= self.p.last:
            self.result.bars += sum(self.traded(data, day) for data in self.stocks.values())
        for order in self.working_entries:  # DAY orders: whatever did not fill today expires
            if order.alive():
                self.cancel(order)
                self.entries.pop(order.ref, None)
        self.working_entries = []
        self.follow_stops()
        if day < self.p.last:
            self.enter(day)

    def lows(self, data: Any) -> list[float]:
        return list(data.low.get(size=min(len(data), self.settings.stop_lookback)))

    def follow_stops(self) -> None:
        """The stop for the next session: the ratchet of the stop so far and today's swing-low stop."""
        for symbol in sorted(self.open):
            held, data = self.open[symbol], self.stocks[symbol]
            candidate = swing_low_stop(self.lows(data), self.settings)
            stop = held.stop if candidate is None else max(held.stop, candidate)
            if held.stop_order is not None and stop == held.stop:
                continue
            if held.stop_order is not None:
                self.cancel(held.stop_order)
            held.stop = stop
            held.stop_order = self.sell(
                data=data, size=held.quantity, exectype=bt.Order.Stop, price=float(stop)
            )

    def equity(self) -> Decimal:
        return decimal_of(float(self.broker.getvalue())).quantize(CENT, rounding=ROUND_HALF_EVEN)

    def enter(self, day: dt.date) -> None:
        settings, equity = self.settings, self.equity()
        placed = 0
        for candidate in self.candidates.get(day, ()):
            data = self.stocks.get(candidate.symbol)
            if data is None or len(data) == 0 or candidate.symbol in self.open or candidate.avwap <= 0:
                continue
            if len(self.open) + placed >= settings.max_positions or placed >= settings.max_entries_per_day:
                continue
            level = to_tick(candidate.avwap, up=True)
            stop = swing_low_stop(self.lows(data), settings)
            shares = entry_size(equity, level, candidate.avwap, stop, settings)
            if shares < 1 or stop is None:
                continue
            order = self.buy(data=data, size=shares, exectype=bt.Order.Stop, price=float(level))
            self.entries[order.ref] = (candidate.symbol, stop)
            self.working_entries.append(order)
            self.result.entry_orders += 1
            placed += 1


def clock_frame(bars: Mapping[str, Any]) -> Any:
    """A constant feed with one bar on every session of ``bars`` (the strategy's clock)."""
    import pandas as pd

    sessions = sorted(set().union(*(frame.index for frame in bars.values())))
    return pd.DataFrame(
        {"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 0.0}, index=pd.DatetimeIndex(sessions)
    )


def run_oracle(
    bars: Mapping[str, Any],
    candidates: Mapping[dt.date, Sequence[OracleCandidate]],
    settings: OracleSettings,
    *,
    first: dt.date,
    last: dt.date,
) -> OracleResult:
    """Run the rules over ``bars`` (symbol -> DataFrame indexed by session date: open, high, low, close,
    volume) and ``candidates`` (keyed by their as-of session: the orders placed at its close), counting
    the bars of ``first`` to ``last``. Open positions at the end are returned with no exit."""
    cerebro = bt.Cerebro(stdstats=False, runonce=False, preload=True)
    broker = TickBroker(slippage_bps=float(settings.slippage_bps))
    broker.set_cash(float(settings.starting_cash))
    broker.set_checksubmit(False)  # the dollar caps are non-binding; avwap's broker checks cash, not margin
    broker.addcommissioninfo(
        PerShareCommission(
            per_share=float(settings.commission_per_share), minimum=float(settings.commission_minimum)
        )
    )
    cerebro.broker = broker
    cerebro.adddata(bt.feeds.PandasData(dataname=clock_frame(bars), openinterest=None), name="__clock__")
    for symbol in sorted(bars):
        cerebro.adddata(bt.feeds.PandasData(dataname=bars[symbol], openinterest=None), name=symbol)
    result = OracleResult()
    cerebro.addstrategy(
        DailyRules, candidates=candidates, settings=settings, result=result, first=first, last=last
    )
    cerebro.run()
    strategy_open = cerebro.runstrats[0][0].open
    for held in sorted(strategy_open.values(), key=lambda item: (item.entry_date, item.symbol)):
        result.trades.append(
            OracleTrade(
                held.symbol,
                held.entry_date,
                held.quantity,
                held.entry_price,
                None,
                None,
                held.commission,
                held.initial_stop,
            )
        )
    return result
