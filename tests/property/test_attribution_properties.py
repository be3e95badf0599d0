"""Attribution reconciles exactly: over random ledgers of 2-3 strategies (fills of any size, partial closes,
fills crossing zero, another strategy trading a held symbol, sub-cent commissions, unmarked days), every
day's strategy, sleeve, symbol and (strategy, symbol) figures add up, to the cent, to the portfolio totals
of the existing snapshot analytics (``snapshot_of_book`` over ``fold_book``), and the range report's
groups add up to its portfolio row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.analytics.attribution_fixtures import S1, S2, S3, LedgerScript

from avwap.analytics.attribution import DayAttribution, GroupDay, attribute_days
from avwap.analytics.attribution_range import summarize
from avwap.analytics.portfolio_snapshots import funding, snapshot_of_book
from avwap.core.calendar import nyse
from avwap.ledger.projection import fold_book
from avwap.ledger.record_enums import Side
from avwap.ledger.records import Record

DAYS = nyse().sessions(dt.date(2026, 4, 1), dt.date(2026, 4, 14))
SYMBOLS = ("AAA", "BBB", "CCC", "DDD")
MONEY_FIELDS = (
    "realized_pnl",
    "fees",
    "unrealized_change",
    "pnl",
    "unrealized_pnl",
    "cumulative_pnl",
    "gross_exposure",
    "net_exposure",
)
prices = st.integers(min_value=100, max_value=50_000).map(lambda cents: str(Decimal(cents) / 100))
commissions = st.integers(min_value=0, max_value=25_000).map(lambda units: str(Decimal(units) / 10_000))
operations = st.tuples(
    st.integers(min_value=0, max_value=len(DAYS) - 1),
    st.sampled_from((S1, S2, S3)),
    st.sampled_from(SYMBOLS),
    st.sampled_from((Side.BUY, Side.SELL)),
    st.integers(min_value=1, max_value=300),
    prices,
    commissions,
)
marks = st.dictionaries(st.sampled_from(SYMBOLS), prices, max_size=len(SYMBOLS))


def _ledger(ops: list[tuple[int, str, str, Side, int, str, str]], *, lots: bool = False) -> LedgerScript:
    script = LedgerScript(lots=lots).fund(DAYS[0], "100000")
    for day_index, strategy, symbol, side, quantity, price, commission in sorted(ops, key=lambda op: op[0]):
        script.trade(
            DAYS[day_index],
            strategy,
            symbol,
            side=side,
            quantity=quantity,
            price=price,
            commission=commission,
        )
    return script


def _assert_adds_up(rows: tuple[GroupDay, ...], total: GroupDay, what: str, *, every_group: bool) -> None:
    """Day figures and what is held add up over the listed rows; the cumulative PnL over every group (a
    symbol is listed only on days it moved or is held)."""
    for name in MONEY_FIELDS if every_group else MONEY_FIELDS[:-3] + MONEY_FIELDS[-2:]:
        summed = sum((getattr(row, name) for row in rows), Decimal(0))
        assert summed == getattr(total, name), f"{what}.{name}: {summed} != {getattr(total, name)}"
    assert sum(row.open_positions for row in rows) == total.open_positions


@settings(max_examples=60)
@given(ops=st.lists(operations, min_size=1, max_size=40), day_marks=st.lists(marks, min_size=len(DAYS)))
def test_strategy_totals_reconcile_to_the_portfolio_to_the_cent(
    ops: list[tuple[int, str, str, Side, int, str, str]], day_marks: list[dict[str, str]]
) -> None:
    _check_ledger(_ledger(ops).records, day_marks)


@settings(max_examples=60)
@given(ops=st.lists(operations, min_size=1, max_size=40), day_marks=st.lists(marks, min_size=len(DAYS)))
def test_with_lots_of_several_strategies_in_one_symbol_totals_still_reconcile(
    ops: list[tuple[int, str, str, Side, int, str, str]], day_marks: list[dict[str, str]]
) -> None:
    """S2_ALLOW_SYMBOL_OVERLAP=1: each strategy holds its own lot of a symbol (opened under its own
    position id, moved only by its own fills); every figure still adds up to the portfolio to the cent."""
    records = _ledger(ops, lots=True).records
    state = fold_book(records, "PAPER_SIM")
    owners = [(position.symbol, position.strategy_id) for position in state.positions.values()]
    assert len(owners) == len(set(owners))  # one lot per (symbol, strategy)
    _check_ledger(records, day_marks)


def _check_ledger(records: list[Record], day_marks: list[dict[str, str]]) -> None:
    marks_by_day = {
        day: {symbol: Decimal(value) for symbol, value in day_marks[index].items()}
        for index, day in enumerate(DAYS)
    }
    days = attribute_days("PAPER_SIM", records, marks_by_day, sleeves={S3: "SHARED", S2: "SHARED"})
    equities = [funding(records) or Decimal(0)]
    for day, attribution in zip(DAYS, days, strict=True):
        until = [record for record in records if record.date_ny <= day]
        snapshot = snapshot_of_book(
            fold_book(until, "PAPER_SIM"), until, day, marks=marks_by_day[day], equity_history=equities
        )
        equities.append(snapshot.equity)
        _check_day(attribution, snapshot)
    report = summarize("PAPER_SIM", days, DAYS[0], DAYS[-1], records)
    for groups in (report.strategies, report.sleeves, report.symbols):
        for name in ("realized_pnl", "fees", "unrealized_change", "pnl", "drawdown_contribution"):
            assert sum((getattr(row, name) for row in groups), Decimal(0)) == getattr(report.portfolio, name)
        assert (
            sum((row.end_gross_exposure for row in groups), Decimal(0)) == report.portfolio.end_gross_exposure
        )
    if report.drawdown is not None:
        assert report.portfolio.drawdown_contribution == report.drawdown.pnl
    assert report.portfolio.pnl == days[-1].portfolio.cumulative_pnl - (
        days[0].portfolio.cumulative_pnl - days[0].portfolio.pnl
    )


def _check_day(attribution: DayAttribution, snapshot: object) -> None:
    from avwap.analytics.portfolio import PortfolioSnapshot

    assert isinstance(snapshot, PortfolioSnapshot)
    portfolio = attribution.portfolio
    assert attribution.equity == snapshot.equity
    assert attribution.drawdown == snapshot.drawdown
    assert portfolio.unrealized_pnl == snapshot.unrealized_pnl
    assert portfolio.gross_exposure == snapshot.gross_exposure
    assert portfolio.net_exposure == snapshot.net_exposure
    assert portfolio.open_positions == snapshot.open_positions
    assert portfolio.cumulative_pnl == snapshot.realized_pnl - snapshot.fees + snapshot.unrealized_pnl
    for rows, what in (
        (attribution.by_strategy, "strategy"),
        (attribution.by_sleeve, "sleeve"),
        (attribution.by_symbol, "symbol"),
        (attribution.by_strategy_symbol, "strategy_symbol"),
    ):
        _assert_adds_up(
            rows, portfolio, f"{attribution.date_ny} {what}", every_group=what in ("strategy", "sleeve")
        )
        for row in rows:
            assert row.pnl == row.realized_pnl - row.fees + row.unrealized_change
            assert row.realized_pnl == row.realized_pnl.quantize(Decimal("0.01"))
