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
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Final

import msgspec

from avwap.analytics.attribution_groups import ZERO, GroupAccounts, GroupDay, apportion
from avwap.analytics.portfolio import PortfolioSnapshot, build_snapshot, drawdown_series
from avwap.analytics.portfolio_snapshots import held_positions
from avwap.ledger.projection_fold import FoldAccumulator
from avwap.ledger.projection_state import BookState
from avwap.ledger.record_enums import CashMovementKind
from avwap.ledger.records import CashMovement, Fill, PositionClosed, Record

__all__ = [
    "PORTFOLIO",
    "ZERO",
    "AttributionBuilder",
    "DayAttribution",
    "GroupDay",
    "apportion",
    "attribute_days",
    "sleeve_of",
]

PORTFOLIO: Final = "PORTFOLIO"
DIMENSIONS: Final = ("strategy", "sleeve", "symbol", "strategy_symbol", PORTFOLIO)
VOLATILITY_HISTORY: Final = 21  # closes a snapshot needs for its daily return and 20-day volatility
Key = tuple[str, str]  # (strategy_id, symbol)


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
        self.accounts = {
            name: GroupAccounts(keep_all=name not in ("symbol", "strategy_symbol")) for name in DIMENSIONS
        }
        self.realized_by_symbol: dict[str, Decimal] = {}
        self.equities: list[Decimal] = []
        self.peak = ZERO  # the running peak of the equity history (funding, then each close)
        self.last_day: dt.date | None = None

    def _apply(self, record: Record) -> None:
        if isinstance(record, Fill) and record.fill_id not in self.fold.fill_ids:
            owner = self.fold.lot_for(record)  # the lot the fill moves (its strategy's, with overlap)
            realized_before = self.fold.realized_pnl
            self.fold.apply(record)
            # The realized part belongs to the position the fill reduced, the fee to whoever traded.
            realized_key = (owner.strategy_id if owner is not None else record.strategy_id, record.symbol)
            fee_key = (record.strategy_id, record.symbol)
            self._credit(realized_key, self.fold.realized_pnl - realized_before, ZERO)
            self._credit(fee_key, ZERO, record.commission)
            return
        if isinstance(record, CashMovement) and record.movement_id not in self.fold.movement_ids:
            sign = 1 if record.kind == CashMovementKind.DEPOSIT else -1
            self.funding += sign * record.amount
        elif isinstance(record, PositionClosed):
            total = self.realized_by_symbol.get(record.symbol, ZERO)
            self.realized_by_symbol[record.symbol] = total + record.realized_pnl
        self.fold.apply(record)

    def _names(self, key: Key) -> tuple[str, ...]:
        """The key's group in each dimension, in the order of DIMENSIONS."""
        return (key[0], sleeve_of(key[0], self.sleeves), key[1], f"{key[0]}/{key[1]}", PORTFOLIO)

    def _credit(self, key: Key, realized: Decimal, fee: Decimal) -> None:
        for dimension, name in zip(DIMENSIONS, self._names(key), strict=True):
            self.accounts[dimension].credit(name, realized, fee)

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
        self.peak = max([self.peak, *self._history()[-1:], snapshot.equity])
        drawdown = drawdown_series([self.peak, snapshot.equity])[-1]
        self.equities.append(snapshot.equity)
        self.last_day = day
        return self._attribute(snapshot, previous_equity, drawdown)

    def _history(self) -> list[Decimal]:
        """The equity history a snapshot of the next close would get: funding (when any), then closes."""
        return [*([self.starting_equity] if self.starting_equity else []), *self.equities]

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
            # The snapshot reads the last 21 values (daily return, 20-day volatility); the drawdown over the
            # whole history is kept here with the running peak, so a year costs no quadratic re-scan.
            equity_history=self._history()[-VOLATILITY_HISTORY:],
        )

    def _attribute(
        self, snapshot: PortfolioSnapshot, previous_equity: Decimal, drawdown: Decimal
    ) -> DayAttribution:
        keyed = [(self._names((line.strategy_id, line.symbol)), line) for line in snapshot.positions]
        totals = (self.fold.realized_pnl, snapshot.realized_pnl, self.fold.commissions, snapshot.fees)
        rows = {
            dimension: self.accounts[dimension].close(
                [(names[index], line) for names, line in keyed], totals, previous_equity
            )
            for index, dimension in enumerate(DIMENSIONS)
        }
        portfolio = rows[PORTFOLIO] or (
            GroupDay(
                name=PORTFOLIO, realized_pnl=ZERO, fees=ZERO, unrealized_change=ZERO, pnl=ZERO,
                contribution=Decimal("0.000000"), unrealized_pnl=ZERO, cumulative_pnl=ZERO,
                gross_exposure=ZERO, net_exposure=ZERO, open_positions=0,
            ),
        )  # fmt: skip
        return DayAttribution(
            book_id=self.book_id,
            date_ny=snapshot.date_ny,
            previous_equity=previous_equity,
            equity=snapshot.equity,
            drawdown=drawdown,
            portfolio=portfolio[0],
            by_strategy=rows["strategy"],
            by_sleeve=rows["sleeve"],
            by_symbol=rows["symbol"],
            by_strategy_symbol=rows["strategy_symbol"],
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
