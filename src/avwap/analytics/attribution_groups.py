"""The group accounts behind :mod:`avwap.analytics.attribution`: running sums per dimension, cents apportioned
by largest remainder, one :class:`GroupDay` per group and day.

Cost stays linear in the activity of a day, not in the history: the raw sums are kept per group as records
arrive, only groups with sub-cent sums take part in the apportioning (a group already at whole cents never
receives a cent: the missing cents never outnumber the groups with a remainder), and a symbol-level group is
recomputed only when it traded, is or was held, or has a sub-cent sum.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Final

import msgspec

from avwap.analytics.portfolio import RATIO_PLACES, PositionLine
from avwap.core.money import CENT

ZERO: Final = Decimal("0.00")  # money: cents, also when nothing happened


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


def ratio(value: Decimal, base: Decimal) -> Decimal:
    return (value / base).quantize(RATIO_PLACES) if base > 0 else ZERO.quantize(RATIO_PLACES)


class Cumulative(msgspec.Struct, frozen=True):
    realized: Decimal = ZERO
    fees: Decimal = ZERO
    unrealized: Decimal = ZERO


@dataclass
class _Sums:
    """Exact running sums of one figure by group, and the groups whose sum is not whole cents."""

    raw: dict[str, Decimal] = field(default_factory=dict)
    fractional: set[str] = field(default_factory=set)

    def add(self, name: str, amount: Decimal) -> None:
        value = self.raw.get(name, ZERO) + amount
        self.raw[name] = value
        if value == value.quantize(CENT):
            self.fractional.discard(name)
        else:
            self.fractional.add(name)

    def cents(self, exact_total: Decimal, shown_total: Decimal) -> Callable[[str], Decimal]:
        """Whole-cent sums adding up to ``shown_total`` (the portfolio's figure, rounded from
        ``exact_total``): groups at whole cents keep theirs, the others share what is left."""
        parts = {name: self.raw[name] for name in self.fractional}
        target = shown_total - (exact_total - sum(parts.values(), ZERO))
        shared = apportion(parts, target) if parts else {}

        def value(name: str) -> Decimal:
            return shared[name] if name in shared else self.raw.get(name, ZERO).quantize(CENT)

        return value


@dataclass
class GroupAccounts:
    """The accounts of one dimension (strategy, sleeve, symbol, ...)."""

    keep_all: bool
    realized: _Sums = field(default_factory=_Sums)
    fees: _Sums = field(default_factory=_Sums)
    touched: set[str] = field(default_factory=set)
    held_before: set[str] = field(default_factory=set)
    previous: dict[str, Cumulative] = field(default_factory=dict)

    def credit(self, name: str, realized: Decimal, fee: Decimal) -> None:
        self.realized.add(name, realized)
        self.fees.add(name, fee)
        self.touched.add(name)

    def close(
        self,
        lines: Sequence[tuple[str, PositionLine]],
        totals: tuple[Decimal, Decimal, Decimal, Decimal],
        previous_equity: Decimal,
    ) -> tuple[GroupDay, ...]:
        """The day's rows: ``lines`` are (group, position line) pairs; ``totals`` the exact and shown
        realized PnL, then the exact and shown fees of the book."""
        values: dict[str, list[Decimal]] = {}
        unrealized: dict[str, Decimal] = {}
        for name, line in lines:
            values.setdefault(name, []).append(line.market_value)
            unrealized[name] = unrealized.get(name, ZERO) + line.unrealized_pnl
        realized = self.realized.cents(totals[0], totals[1])
        fees = self.fees.cents(totals[2], totals[3])
        active = (
            self.touched | set(values) | self.held_before | self.realized.fractional | self.fees.fractional
        )
        if self.keep_all:
            active |= set(self.previous) | set(self.realized.raw) | set(self.fees.raw)
        rows = []
        for name in sorted(active):
            now = Cumulative(realized(name), fees(name), unrealized.get(name, ZERO))
            row = _row(
                name, now, self.previous.get(name, Cumulative()), values.get(name, []), previous_equity
            )
            self.previous[name] = now
            if self.keep_all or row.pnl or row.realized_pnl or row.fees or row.open_positions:
                rows.append(row)
        self.touched = set()
        self.held_before = set(values)
        return tuple(rows)


def _row(
    name: str, now: Cumulative, before: Cumulative, values: Sequence[Decimal], previous_equity: Decimal
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
        contribution=ratio(pnl, previous_equity),
        unrealized_pnl=now.unrealized,
        cumulative_pnl=now.realized - now.fees + now.unrealized,
        gross_exposure=sum((abs(value) for value in values), ZERO),
        net_exposure=sum(values, ZERO),
        open_positions=len(values),
    )
