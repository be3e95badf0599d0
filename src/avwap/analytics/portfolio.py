"""Portfolio snapshots and metrics (Phase D2): pure functions over positions, marks and equity history.

A snapshot is derived, never authoritative: the ledger projection gives cash, positions and realized PnL;
closing prices give the marks. Money stays ``Decimal`` (rounded to cents); ratios are rounded to fixed places
so that the serialized snapshot is byte-stable.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal

import msgspec

from avwap.core.money import round_money

SNAPSHOT_SCHEMA_VERSION = 1
RATIO_PLACES = Decimal("0.000001")


class HeldPosition(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A position as the ledger projection sees it. ``strategy_id`` is required: a snapshot line never
    falls back to a default strategy (no anonymous exposure, docs/STRATEGIES.md)."""

    symbol: str
    quantity: int
    average_price: Decimal
    strategy_id: str
    stop_price: Decimal | None = None


class PositionLine(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    symbol: str
    strategy_id: str
    quantity: int
    average_price: Decimal
    mark: Decimal
    market_value: Decimal
    unrealized_pnl: Decimal
    stop_price: Decimal | None
    weight: Decimal


class PortfolioSnapshot(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """End-of-day state of one book (Phase D2 canonical schema)."""

    schema_version: int
    book_id: str
    date_ny: dt.date
    cash: Decimal
    equity: Decimal
    gross_exposure: Decimal
    net_exposure: Decimal
    open_positions: int
    positions: tuple[PositionLine, ...]
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    fees: Decimal
    peak_equity: Decimal
    drawdown: Decimal
    max_drawdown: Decimal
    daily_return: Decimal
    rolling_volatility_20d: Decimal | None
    contribution_by_symbol: dict[str, Decimal]


def _ratio(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(RATIO_PLACES)


def drawdown_series(equity: Sequence[Decimal]) -> list[Decimal]:
    """Peak-to-trough drawdown at each point, as a non-positive fraction of the running peak."""
    result: list[Decimal] = []
    peak = Decimal("0")
    for value in equity:
        peak = max(peak, value)
        result.append(_ratio((value - peak) / peak) if peak > 0 else Decimal("0").quantize(RATIO_PLACES))
    return result


def daily_returns(equity: Sequence[Decimal]) -> list[float]:
    """Simple returns between consecutive equity values (float: statistics only, never money)."""
    return [
        float(current / previous - 1) if previous > 0 else 0.0
        for previous, current in itertools.pairwise(equity)
    ]


def rolling_volatility(returns: Sequence[float], window: int = 20) -> float | None:
    """Annualized sample standard deviation of the last ``window`` returns; None with fewer than 2."""
    tail = list(returns[-window:])
    if len(tail) < 2:
        return None
    mean = sum(tail) / len(tail)
    variance = sum((value - mean) ** 2 for value in tail) / (len(tail) - 1)
    return math.sqrt(variance) * math.sqrt(252)


def build_snapshot(
    *,
    book_id: str,
    date_ny: dt.date,
    cash: Decimal,
    positions: Sequence[HeldPosition],
    marks: Mapping[str, Decimal],
    realized_pnl: Decimal,
    fees: Decimal,
    realized_by_symbol: Mapping[str, Decimal],
    equity_history: Sequence[Decimal],
) -> PortfolioSnapshot:
    """Build the snapshot for ``date_ny``; ``equity_history`` is the equity of earlier days, oldest first.

    A position without a mark is valued at its average price (and its unrealized PnL is zero) rather than
    guessed: the report shows the mark used.
    """
    lines: list[PositionLine] = []
    for position in sorted(positions, key=lambda item: (item.symbol, item.strategy_id)):  # a line per lot
        mark = marks.get(position.symbol, position.average_price)
        value = round_money(mark * position.quantity)
        unrealized = round_money((mark - position.average_price) * position.quantity)
        lines.append(
            PositionLine(
                symbol=position.symbol,
                strategy_id=position.strategy_id,
                quantity=position.quantity,
                average_price=position.average_price,
                mark=mark,
                market_value=value,
                unrealized_pnl=unrealized,
                stop_price=position.stop_price,
                weight=Decimal("0"),
            )
        )
    gross = sum((abs(line.market_value) for line in lines), Decimal("0"))
    net = sum((line.market_value for line in lines), Decimal("0"))
    equity = round_money(cash + net)
    lines = [msgspec.structs.replace(line, weight=_weight(line.market_value, equity)) for line in lines]
    history = [*equity_history, equity]
    drawdowns = drawdown_series(history)
    returns = daily_returns(history)
    volatility = rolling_volatility(returns)
    unrealized_total = sum((line.unrealized_pnl for line in lines), Decimal("0"))
    contribution = {symbol: round_money(value) for symbol, value in realized_by_symbol.items()}
    for line in lines:
        contribution[line.symbol] = round_money(
            contribution.get(line.symbol, Decimal("0")) + line.unrealized_pnl
        )
    return PortfolioSnapshot(
        schema_version=SNAPSHOT_SCHEMA_VERSION,
        book_id=book_id,
        date_ny=date_ny,
        cash=round_money(cash),
        equity=equity,
        gross_exposure=round_money(gross),
        net_exposure=round_money(net),
        open_positions=len(lines),
        positions=tuple(lines),
        realized_pnl=round_money(realized_pnl),
        unrealized_pnl=round_money(unrealized_total),
        fees=round_money(fees),
        peak_equity=max(history),
        drawdown=drawdowns[-1],
        max_drawdown=min(drawdowns),
        daily_return=_ratio(returns[-1]) if returns else _ratio(0),
        rolling_volatility_20d=_ratio(volatility) if volatility is not None else None,
        contribution_by_symbol=dict(sorted(contribution.items())),
    )


def _weight(value: Decimal, equity: Decimal) -> Decimal:
    return _ratio(value / equity) if equity > 0 else _ratio(0)
