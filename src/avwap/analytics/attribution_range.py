"""Which strategy caused what, over a day or a range (Phase S4): the diagnostics of attributed days.

:func:`summarize` folds the :class:`~avwap.analytics.attribution.DayAttribution` of the window into one
:class:`StrategyReport`: per strategy, sleeve and symbol the window's PnL (realized, fees, unrealized change),
its contribution to the portfolio return (PnL over the equity at the close before the window), the exposure
at the end and on average, its own largest drawdown (money, on its cumulative PnL) and its share of the
portfolio's largest drawdown (its PnL from the portfolio's peak to the trough), and the annualized
volatility of its daily contributions. Money figures of the groups add up to the portfolio's to the cent.
The largest (strategy, symbol) contributors and the intents the control plane blocked or resized (by
strategy and reason code, the first code being the deciding gate's) complete it. Pure and deterministic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Final

import msgspec

from avwap.analytics.attribution import PORTFOLIO, ZERO, DayAttribution, GroupDay
from avwap.analytics.portfolio import RATIO_PLACES, rolling_volatility
from avwap.control.reasons import describe
from avwap.core.money import round_money
from avwap.ledger.record_enums import DecisionOutcome
from avwap.ledger.records import Decision, PortfolioEnforcementRecorded, Record

REPORT_SCHEMA_VERSION: Final = 1
TOP_CONTRIBUTORS: Final = 10


class GroupRange(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    name: str
    realized_pnl: Decimal
    fees: Decimal
    unrealized_change: Decimal
    pnl: Decimal
    contribution: Decimal
    end_unrealized_pnl: Decimal
    end_gross_exposure: Decimal
    end_net_exposure: Decimal
    average_gross_exposure: Decimal
    max_drawdown: Decimal
    drawdown_contribution: Decimal
    volatility: Decimal | None


class Contributor(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    strategy_id: str
    symbol: str
    pnl: Decimal
    realized_pnl: Decimal
    fees: Decimal
    unrealized_change: Decimal


class DrawdownWindow(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The window's deepest fall of equity from a running peak; ``peak_date`` None: the close before the
    window. ``pnl``: the portfolio's PnL from peak to trough (what the groups' ``drawdown_contribution``
    add up to)."""

    peak_date: dt.date | None
    trough_date: dt.date
    peak_equity: Decimal
    trough_equity: Decimal
    depth: Decimal
    pnl: Decimal


class BlockedCount(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Intents of one strategy stopped or resized, by reason code: ``intents`` whose first (deciding) code
    it is, ``mentions`` that list it at all. ``source``: ``control_plane`` (a Decision) or
    ``portfolio_enforcement`` (the 2B gate); ``rule``: what the code means (docs/REASON_CODES.md)."""

    strategy_id: str
    source: str
    outcome: str
    reason_code: str
    rule: str
    intents: int
    mentions: int


class StrategyReport(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    schema_version: int = REPORT_SCHEMA_VERSION
    book_id: str
    date_from: dt.date
    date_to: dt.date
    days: int
    start_equity: Decimal
    end_equity: Decimal
    portfolio: GroupRange
    strategies: tuple[GroupRange, ...]
    sleeves: tuple[GroupRange, ...]
    symbols: tuple[GroupRange, ...]
    top_contributors: tuple[Contributor, ...]
    drawdown: DrawdownWindow | None
    blocked: tuple[BlockedCount, ...]
    daily: tuple[DayAttribution, ...]  # by strategy and sleeve (symbols: see ``symbols``)


def _ratio(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(RATIO_PLACES)


def _share(value: Decimal, base: Decimal) -> Decimal:
    return _ratio(value / base) if base > 0 else _ratio(0)


RowsOf = Callable[[DayAttribution], Sequence[GroupDay]]


def _cumulative(days: Sequence[DayAttribution], rows_of: RowsOf) -> dict[str, list[Decimal]]:
    """Each group's cumulative PnL at the close before the window, then at each day's close (a group not
    listed on a day neither moved nor held anything: its figure carries over)."""
    paths: dict[str, list[Decimal]] = {}
    for index, day in enumerate(days):
        seen = set()
        for row in rows_of(day):
            path = paths.setdefault(row.name, [row.cumulative_pnl - row.pnl] * (index + 1))
            path.append(row.cumulative_pnl)
            seen.add(row.name)
        for name, path in paths.items():
            if name not in seen:
                path.append(path[-1])
    return paths


def _drawdown(days: Sequence[DayAttribution]) -> DrawdownWindow | None:
    """The deepest fractional fall of equity from a running peak, the close before the window included."""
    points: list[tuple[dt.date | None, Decimal]] = [(None, days[0].previous_equity)]
    points += [(day.date_ny, day.equity) for day in days]
    best: tuple[Decimal, int, int] | None = None
    peak = 0
    for index, (_, equity) in enumerate(points):
        if equity > points[peak][1]:
            peak = index
        depth = _share(equity - points[peak][1], points[peak][1])
        if depth < 0 and (best is None or depth < best[0]):
            best = (depth, peak, index)
    if best is None:
        return None
    depth, peak, trough = best
    path = _cumulative(days, lambda day: (day.portfolio,))[PORTFOLIO]
    trough_date = points[trough][0]
    assert trough_date is not None  # the close before the window is never below its own peak
    return DrawdownWindow(
        peak_date=points[peak][0],
        trough_date=trough_date,
        peak_equity=points[peak][1],
        trough_equity=points[trough][1],
        depth=depth,
        pnl=path[trough] - path[peak],
    )


def _position(days: Sequence[DayAttribution], date: dt.date | None) -> int:
    """Index of a close in a cumulative path (0: the close before the window)."""
    return 0 if date is None else 1 + next(i for i, day in enumerate(days) if day.date_ny == date)


def _groups(
    days: Sequence[DayAttribution], rows_of: RowsOf, window: DrawdownWindow | None, start_equity: Decimal
) -> tuple[GroupRange, ...]:
    paths = _cumulative(days, rows_of)
    listed: dict[str, list[GroupDay]] = {}
    for day in days:
        for row in rows_of(day):
            listed.setdefault(row.name, []).append(row)
    last = {row.name: row for row in rows_of(days[-1])}
    peak = _position(days, window.peak_date) if window is not None else 0
    trough = _position(days, window.trough_date) if window is not None else 0
    return tuple(
        _group_range(
            name,
            listed[name],
            path=paths[name],
            end=last.get(name),
            days=len(days),
            start_equity=start_equity,
            peak=peak,
            trough=trough,
        )
        for name in sorted(listed)
    )


def _group_range(
    name: str,
    rows: Sequence[GroupDay],
    *,
    path: Sequence[Decimal],
    end: GroupDay | None,
    days: int,
    start_equity: Decimal,
    peak: int,
    trough: int,
) -> GroupRange:
    pnl = sum((row.pnl for row in rows), ZERO)
    running, deepest = path[0], ZERO
    for value in path:
        running = max(running, value)
        deepest = min(deepest, value - running)
    # Days a group is not listed it contributed nothing: zeros, so every group's series spans the window.
    contributions = [float(row.contribution) for row in rows] + [0.0] * (days - len(rows))
    volatility = rolling_volatility(contributions, window=days)
    return GroupRange(
        name=name,
        realized_pnl=sum((row.realized_pnl for row in rows), ZERO),
        fees=sum((row.fees for row in rows), ZERO),
        unrealized_change=sum((row.unrealized_change for row in rows), ZERO),
        pnl=pnl,
        contribution=_share(pnl, start_equity),
        end_unrealized_pnl=end.unrealized_pnl if end else ZERO,
        end_gross_exposure=end.gross_exposure if end else ZERO,
        end_net_exposure=end.net_exposure if end else ZERO,
        average_gross_exposure=round_money(sum((row.gross_exposure for row in rows), ZERO) / days),
        max_drawdown=deepest,
        drawdown_contribution=path[trough] - path[peak],
        volatility=_ratio(volatility) if volatility is not None else None,
    )


def _contributors(days: Sequence[DayAttribution], limit: int = TOP_CONTRIBUTORS) -> tuple[Contributor, ...]:
    totals: dict[str, list[Decimal]] = {}
    for day in days:
        for row in day.by_strategy_symbol:
            figures = totals.setdefault(row.name, [ZERO, ZERO, ZERO, ZERO])
            for index, value in enumerate((row.pnl, row.realized_pnl, row.fees, row.unrealized_change)):
                figures[index] += value
    ranked = sorted(totals.items(), key=lambda item: (-abs(item[1][0]), item[0]))
    result = []
    for name, (pnl, realized, fees, change) in ranked[:limit]:
        strategy_id, symbol = name.split("/", 1)
        result.append(
            Contributor(
                strategy_id=strategy_id,
                symbol=symbol,
                pnl=pnl,
                realized_pnl=realized,
                fees=fees,
                unrealized_change=change,
            )
        )
    return tuple(result)


def blocked_intents(
    records: Iterable[Record], date_from: dt.date, date_to: dt.date
) -> tuple[BlockedCount, ...]:
    """Intents rejected or resized by the control plane, and entries the 2B gate blocked, in the window,
    counted by (strategy, source, outcome, reason code); an intent decided twice counts once."""
    seen: set[tuple[str, str]] = set()
    counts: dict[tuple[str, str, str, str], list[int]] = {}
    for record in records:
        if not date_from <= record.date_ny <= date_to:
            continue
        if isinstance(record, Decision) and record.outcome != DecisionOutcome.APPROVE:
            source, outcome, codes = "control_plane", str(record.outcome), record.reason_codes
        elif isinstance(record, PortfolioEnforcementRecorded) and record.reason_code is not None:
            source, outcome, codes = "portfolio_enforcement", record.verdict, (record.reason_code,)
        else:
            continue
        if (source, record.intent_id) in seen:
            continue
        seen.add((source, record.intent_id))
        for position, code in enumerate(dict.fromkeys(codes)):
            figures = counts.setdefault((record.strategy_id, source, outcome, code), [0, 0])
            figures[0] += position == 0
            figures[1] += 1
    return tuple(
        BlockedCount(
            strategy_id=strategy_id,
            source=source,
            outcome=outcome,
            reason_code=code,
            rule=describe(code),
            intents=intents,
            mentions=mentions,
        )
        for (strategy_id, source, outcome, code), (intents, mentions) in sorted(counts.items())
    )


def summarize(
    book_id: str,
    days: Sequence[DayAttribution],
    date_from: dt.date,
    date_to: dt.date,
    records: Iterable[Record] = (),
) -> StrategyReport:
    """The report of the attributed ``days`` dated in [``date_from``, ``date_to``]; ``records``: the book's
    (and the enforcement stream's) records, for the blocked intents. ValueError when no day is in it."""
    window = [day for day in days if date_from <= day.date_ny <= date_to]
    if not window:
        raise ValueError(f"no attributed close of {book_id} between {date_from} and {date_to}")
    drawdown = _drawdown(window)
    start = window[0].previous_equity
    portfolio = _groups(window, lambda day: (day.portfolio,), drawdown, start)[0]
    return StrategyReport(
        book_id=book_id,
        date_from=date_from,
        date_to=date_to,
        days=len(window),
        start_equity=start,
        end_equity=window[-1].equity,
        portfolio=portfolio,
        strategies=_groups(window, lambda day: day.by_strategy, drawdown, start),
        sleeves=_groups(window, lambda day: day.by_sleeve, drawdown, start),
        symbols=_groups(window, lambda day: day.by_symbol, drawdown, start),
        top_contributors=_contributors(window),
        drawdown=drawdown,
        blocked=blocked_intents(records, date_from, date_to),
        daily=tuple(msgspec.structs.replace(day, by_symbol=(), by_strategy_symbol=()) for day in window),
    )
