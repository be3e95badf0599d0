"""Daily attribution of a book by strategy, sleeve and symbol (Phase S4): PnL, exposure, contribution.

The portfolio side is the existing snapshot analytics: each day the book's fold is valued by
:func:`avwap.analytics.portfolio.build_snapshot` with that day's marks. The strategy side observes the same
fold record by record (:class:`~avwap.ledger.projection_fold.FoldAccumulator`, the projection's own code), so
every realized dollar and every fee lands on exactly one (strategy, symbol) key:

* realized PnL (gross of fees, as in the snapshot) goes to the strategy that owned the position the fill
  reduced; fees go to the strategy of the fill;
* unrealized PnL and exposure come from the snapshot's position lines, which name their strategy.

**Reconciliation, to the cent.** Unrealized PnL and exposure are sums of the snapshot's cent-rounded lines,
so groups add up exactly. Realized PnL and fees are exact decimals (a partial close releases basis to six
places); the portfolio shows them rounded to cents, so the cents of each dimension are apportioned by
largest remainder (:func:`apportion`): the groups' cumulative cents always add up to the snapshot's figure.
Day figures are differences of cumulative cents, so they add up too. ``pnl = realized - fees +
unrealized change`` for every group and for the portfolio.

Public API::

    AttributionBuilder(book_id, starting_equity=None, sleeves=None)
      .add_day(day, records, marks) -> DayAttribution     records: those not fed yet, dated <= day
    attribute_days(book_id, records, marks_by_day, ...) -> list[DayAttribution]
    GroupDay, DayAttribution                                 frozen records
    apportion(parts, target) -> dict                         largest-remainder rounding to cents
    sleeve_of(strategy_id, sleeves) -> str                   the seam for S2 sleeves (default: the id)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal
from typing import Final

import msgspec

from avwap.analytics.portfolio import RATIO_PLACES, PortfolioSnapshot, build_snapshot
from avwap.analytics.portfolio_snapshots import held_positions
from avwap.core.money import CENT
from avwap.ledger.projection_fold import FoldAccumulator
from avwap.ledger.projection_state import BookState
from avwap.ledger.record_enums import CashMovementKind
from avwap.ledger.records import CashMovement, Fill, PositionClosed, Record

PORTFOLIO: Final = "PORTFOLIO"
ZERO: Final = Decimal("0.00")  # money: cents, also when nothing happened
Key = tuple[str, str]  # (strategy_id, symbol)


class GroupDay(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One group's figures on one day. Day figures: ``realized_pnl`` (gross of fees), ``fees``,
    ``unrealized_change``, ``pnl`` (= realized - fees + unrealized change) and ``contribution`` (pnl over the
    previous close's equity). At the close: ``unrealized_pnl``, ``cumulative_pnl`` (since the book's first
    record), exposures and open positions."""

    name: str
    realized_pnl: Decimal
    fees: Decimal
    unrealized_change: Decimal
    pnl: Decimal
    contribution: Decimal
    unrealized_pnl: Decimal
    cumulative_pnl: Decimal
    gross_exposure: Decimal
    net_exposure: Decimal
    open_positions: int


class DayAttribution(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A day of a book: the portfolio (from its snapshot) and the same figures by strategy, sleeve and
    symbol (a symbol appears on a day when it moved or is held; a strategy or sleeve once seen, always)."""

    book_id: str
    date_ny: dt.date
    previous_equity: Decimal
    equity: Decimal
    drawdown: Decimal
    portfolio: GroupDay
    by_strategy: tuple[GroupDay, ...]
    by_sleeve: tuple[GroupDay, ...]
    by_symbol: tuple[GroupDay, ...]
    by_strategy_symbol: tuple[GroupDay, ...]  # name "<strategy_id>/<symbol>"


def sleeve_of(strategy_id: str, sleeves: Mapping[str, str] | None) -> str:
    """The sleeve a strategy's capital sits in. Until S2 sleeves map strategies explicitly, each strategy
    is its own sleeve; a mapping (strategy id -> sleeve name) is the seam."""
    return (sleeves or {}).get(strategy_id, strategy_id)


def apportion(parts: Mapping[str, Decimal], target: Decimal) -> dict[str, Decimal]:
    """Round ``parts`` to cents so that they add up to ``target`` (the cent-rounded total): each part is
    floored, and the missing cents go to the largest remainders (ties: by name). Deterministic."""
    floors = {name: value.quantize(CENT, rounding=ROUND_FLOOR) for name, value in parts.items()}
    missing = (target - sum(floors.values(), ZERO)) / CENT
    if missing != missing.to_integral_value() or not 0 <= missing <= len(parts):
        raise ValueError(f"cannot apportion {target} over parts summing to {sum(parts.values(), ZERO)}")
    ranked = sorted(parts, key=lambda name: (-(parts[name] - floors[name]), name))
    for name in ranked[: int(missing)]:
        floors[name] += CENT
    return floors


def _ratio(value: Decimal, base: Decimal) -> Decimal:
    return (value / base).quantize(RATIO_PLACES) if base > 0 else ZERO.quantize(RATIO_PLACES)


class _Cumulative(msgspec.Struct, frozen=True):
    realized: Decimal = ZERO
    fees: Decimal = ZERO
    unrealized: Decimal = ZERO


class AttributionBuilder:
    """Feeds a book's records day by day through the fold and values each close (see the module doc)."""

    def __init__(
        self,
        book_id: str,
        *,
        starting_equity: Decimal | None = None,
        sleeves: Mapping[str, str] | None = None,
    ) -> None:
        self.book_id = book_id
        self.sleeves = dict(sleeves or {})
        self.fold = FoldAccumulator(BookState(book_id=book_id))
        self.starting_equity = starting_equity
        self.funding = ZERO
        self.realized: dict[Key, Decimal] = {}
        self.fees: dict[Key, Decimal] = {}
        self.realized_by_symbol: dict[str, Decimal] = {}
        self.equities: list[Decimal] = []
        self.previous: dict[str, dict[str, _Cumulative]] = {}
        self.last_day: dt.date | None = None

    def _apply(self, record: Record) -> None:
        if isinstance(record, Fill) and record.fill_id not in self.fold.fill_ids:
            owner = self.fold.positions.get(record.symbol)
            realized_before = self.fold.realized_pnl
            self.fold.apply(record)
            # The realized part belongs to the position the fill reduced, the fee to whoever traded.
            realized_key = (owner.strategy_id if owner is not None else record.strategy_id, record.symbol)
            fee_key = (record.strategy_id, record.symbol)
            gained = self.fold.realized_pnl - realized_before
            self.realized[realized_key] = self.realized.get(realized_key, ZERO) + gained
            self.fees[fee_key] = self.fees.get(fee_key, ZERO) + record.commission
            return
        if isinstance(record, CashMovement) and record.movement_id not in self.fold.movement_ids:
            sign = 1 if record.kind == CashMovementKind.DEPOSIT else -1
            self.funding += sign * record.amount
        elif isinstance(record, PositionClosed):
            total = self.realized_by_symbol.get(record.symbol, ZERO)
            self.realized_by_symbol[record.symbol] = total + record.realized_pnl
        self.fold.apply(record)

    def add_day(
        self, day: dt.date, records: Iterable[Record], marks: Mapping[str, Decimal]
    ) -> DayAttribution:
        """Fold ``records`` (the book's records not fed yet, dated on or before ``day``, in ledger order)
        and attribute the close of ``day`` valued at ``marks`` (a held symbol without one: at cost)."""
        if self.last_day is not None and day <= self.last_day:
            raise ValueError(f"days are attributed in order: {day} after {self.last_day}")
        for record in records:
            if record.date_ny > day:
                raise ValueError(f"a record dated {record.date_ny} cannot be part of the close of {day}")
            self._apply(record)
        if self.starting_equity is None:
            self.starting_equity = self.funding
        snapshot = self._snapshot(day, marks)
        previous_equity = self.equities[-1] if self.equities else self.starting_equity
        self.equities.append(snapshot.equity)
        self.last_day = day
        return self._attribute(snapshot, previous_equity)

    def _snapshot(self, day: dt.date, marks: Mapping[str, Decimal]) -> PortfolioSnapshot:
        state = BookState(
            book_id=self.book_id,
            cash=self.fold.cash,
            realized_pnl=self.fold.realized_pnl,
            commissions=self.fold.commissions,
            positions=dict(self.fold.positions),
        )
        return build_snapshot(
            book_id=self.book_id,
            date_ny=day,
            cash=state.cash,
            positions=held_positions(state),
            marks=marks,
            realized_pnl=state.realized_pnl,
            fees=state.commissions,
            realized_by_symbol=self.realized_by_symbol,
            equity_history=[*([self.starting_equity] if self.starting_equity else []), *self.equities],
        )

    def _attribute(self, snapshot: PortfolioSnapshot, previous_equity: Decimal) -> DayAttribution:
        dimensions: dict[str, Callable[[Key], str]] = {
            "strategy": lambda key: key[0],
            "sleeve": lambda key: sleeve_of(key[0], self.sleeves),
            "symbol": lambda key: key[1],
            "strategy_symbol": lambda key: f"{key[0]}/{key[1]}",
        }
        rows = {
            name: self._groups(
                name, function, snapshot, previous_equity, keep_all=name in ("strategy", "sleeve")
            )
            for name, function in dimensions.items()
        }
        portfolio = self._groups(PORTFOLIO, lambda _key: PORTFOLIO, snapshot, previous_equity, keep_all=True)
        return DayAttribution(
            book_id=self.book_id,
            date_ny=snapshot.date_ny,
            previous_equity=previous_equity,
            equity=snapshot.equity,
            drawdown=snapshot.drawdown,
            portfolio=portfolio[0],
            by_strategy=rows["strategy"],
            by_sleeve=rows["sleeve"],
            by_symbol=rows["symbol"],
            by_strategy_symbol=rows["strategy_symbol"],
        )

    def _groups(
        self,
        dimension: str,
        group_of: Callable[[Key], str],
        snapshot: PortfolioSnapshot,
        previous_equity: Decimal,
        *,
        keep_all: bool,
    ) -> tuple[GroupDay, ...]:
        realized = _sum_by(self.realized, group_of)
        fees = _sum_by(self.fees, group_of)
        values: dict[str, list[Decimal]] = {}
        unrealized: dict[str, Decimal] = {}
        for line in snapshot.positions:
            name = group_of((line.strategy_id, line.symbol))
            values.setdefault(name, []).append(line.market_value)
            unrealized[name] = unrealized.get(name, ZERO) + line.unrealized_pnl
        names = set(realized) | set(fees) | set(values) | ({PORTFOLIO} if dimension == PORTFOLIO else set())
        realized = {name: realized.get(name, ZERO) for name in names}
        fees = {name: fees.get(name, ZERO) for name in names}
        realized_cents = apportion(realized, snapshot.realized_pnl)
        fee_cents = apportion(fees, snapshot.fees)
        before = self.previous.get(dimension, {})
        now: dict[str, _Cumulative] = {}
        result = []
        for name in sorted(names | set(before)):
            current = _Cumulative(
                realized_cents.get(name, ZERO), fee_cents.get(name, ZERO), unrealized.get(name, ZERO)
            )
            now[name] = current
            row = _row(name, current, before.get(name, _Cumulative()), values.get(name, []), previous_equity)
            if keep_all or row.pnl or row.realized_pnl or row.fees or row.open_positions:
                result.append(row)
        self.previous[dimension] = now
        return tuple(result)


def _sum_by(values: Mapping[Key, Decimal], group_of: Callable[[Key], str]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for key, value in values.items():
        name = group_of(key)
        totals[name] = totals.get(name, ZERO) + value
    return totals


def _row(
    name: str, now: _Cumulative, before: _Cumulative, values: Sequence[Decimal], previous_equity: Decimal
) -> GroupDay:
    realized = now.realized - before.realized
    fees = now.fees - before.fees
    change = now.unrealized - before.unrealized
    pnl = realized - fees + change
    return GroupDay(
        name=name,
        realized_pnl=realized,
        fees=fees,
        unrealized_change=change,
        pnl=pnl,
        contribution=_ratio(pnl, previous_equity),
        unrealized_pnl=now.unrealized,
        cumulative_pnl=now.realized - now.fees + now.unrealized,
        gross_exposure=sum((abs(value) for value in values), ZERO),
        net_exposure=sum(values, ZERO),
        open_positions=len(values),
    )


def attribute_days(
    book_id: str,
    records: Sequence[Record],
    marks_by_day: Mapping[dt.date, Mapping[str, Decimal]],
    *,
    starting_equity: Decimal | None = None,
    sleeves: Mapping[str, str] | None = None,
) -> list[DayAttribution]:
    """Attribute every day of ``marks_by_day`` (ascending) over the book's ``records`` (ledger order)."""
    builder = AttributionBuilder(book_id, starting_equity=starting_equity, sleeves=sleeves)
    ordered = sorted(records, key=lambda record: record.date_ny)  # stable: ledger order within a day
    position = 0
    days = []
    for day in sorted(marks_by_day):
        end = position
        while end < len(ordered) and ordered[end].date_ny <= day:
            end += 1
        days.append(builder.add_day(day, ordered[position:end], marks_by_day[day]))
        position = end
    return days
