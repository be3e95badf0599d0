"""Symbols whose data ends are closed at their last price through the normal exit path; a missing bar keeps
the stop; quarantined rows never reach the engine."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from tests.unit.backtest.test_backtest_engine import (
    DAILY_FROM,
    DAILY_TO,
    book,
    market_root,
    run,
    truncated_store,
)
from typer.testing import CliRunner

from avwap.backtest.data_ended import DATA_ENDED_CODE, FILL_RULE
from avwap.backtest.engine import BacktestEngine
from avwap.backtest.fill_rules import BAR_MISSING_CODE
from avwap.backtest.run import backtest_config
from avwap.cli.main import build_app
from avwap.core.money import round_price
from avwap.data.store import BarStore
from avwap.ledger.record_enums import OrderPurpose, OrderType, Side
from avwap.ledger.records import Fill, Note, OrderCanceled, OrderSubmitted, PositionClosed
from avwap.ledger.verify import verify_path


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return market_root(str(tmp_path_factory.mktemp("backtest-market")))


@pytest.fixture(scope="module")
def held(market: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dt.date, str, list[dt.date]]:
    """A (day, symbol) held at that day's close in the pinned daily run, and the run's sessions."""
    outcome = run(market, tmp_path_factory.mktemp("daily") / "run", DAILY_FROM, DAILY_TO, "1d")
    day, symbol = next(
        (snapshot.date_ny, snapshot.positions[0].symbol)
        for snapshot in outcome.result.snapshots[3:]
        if snapshot.positions
    )
    return day, symbol, outcome.result.sessions


def test_a_symbol_whose_data_ends_is_closed_at_its_last_close(
    market: Path, held: tuple[dt.date, str, list[dt.date]], tmp_path: Path
) -> None:
    last, symbol, sessions = held
    ends = sessions[sessions.index(last) + 1]

    def until_last(frame: pd.DataFrame) -> pd.Series:
        return ~((frame["symbol"] == symbol) & (frame["timestamp"].dt.date > last))

    root = truncated_store(market, tmp_path / "delisted", until_last)
    out = tmp_path / "run"
    end = sessions[sessions.index(last) + 3]
    outcome = run(root, out, DAILY_FROM, end, "1d", SIM_SLIPPAGE_BPS="10")
    records = book(out)
    mine = [record for record in records if getattr(record, "symbol", None) == symbol]
    notes = [record for record in mine if isinstance(record, Note)]
    data_notes = [
        note for note in notes if note.code.startswith("BACKTEST_") and note.code != "BACKTEST_FILL_RULE"
    ]
    assert [(note.code, note.date_ny) for note in data_notes] == [
        (DATA_ENDED_CODE, ends)
    ]  # once, on the first session without data; never a BAR_MISSING note for it
    (ended,) = [note for note in notes if note.code == DATA_ENDED_CODE]
    assert ended.detail["last_bar"] == last.isoformat()
    daily = BarStore(root).read("1d")
    close = daily.loc[(daily["symbol"] == symbol) & (daily["timestamp"].dt.date == last), "close"].item()
    assert ended.detail["last_close"] == str(round_price(close))
    # the normal exit path: the stop canceled, a MARKET sell (EXIT) recorded, filled, the position closed
    exit_id = ended.detail["client_order_id"]
    assert any(isinstance(r, OrderCanceled) and DATA_ENDED_CODE in r.reason for r in mine)
    (order,) = [r for r in mine if isinstance(r, OrderSubmitted) and r.client_order_id == exit_id]
    assert (order.order_type, order.purpose, order.side) == (OrderType.MARKET, OrderPurpose.EXIT, Side.SELL)
    (fill,) = [r for r in mine if isinstance(r, Fill) and r.client_order_id == exit_id]
    assert fill.date_ny == ends and fill.quantity == order.quantity
    expected = round_price(round_price(close) * (1 - Decimal("0.001")), "down")
    assert fill.price == expected  # the last close, less the configured slippage
    assert any(isinstance(r, PositionClosed) and r.date_ny == ends for r in mine)
    assert symbol not in {position.symbol for position in outcome.result.snapshots[-1].positions}
    rows = list(csv.DictReader((out / "trades.csv").read_text(encoding="utf-8").splitlines()))
    (row,) = [row for row in rows if row["symbol"] == symbol and row["exit_date_ny"] == ends.isoformat()]
    assert row["exit_reason"] == DATA_ENDED_CODE and row["exit_fill_rule"] == FILL_RULE
    assert all(item.ok for item in verify_path(out / "home" / "ledger"))


def test_a_missing_bar_is_not_the_end_of_the_data(
    market: Path, held: tuple[dt.date, str, list[dt.date]], tmp_path: Path
) -> None:
    """Two days without bars, then the symbol trades again: two BAR_MISSING notes, nothing closed."""
    last, symbol, sessions = held
    gap = sessions[sessions.index(last) + 1 : sessions.index(last) + 3]

    def holes(frame: pd.DataFrame) -> pd.Series:
        return ~((frame["symbol"] == symbol) & frame["timestamp"].dt.date.isin(gap))

    root = truncated_store(market, tmp_path / "holes", holes)
    out = tmp_path / "run"
    run(root, out, DAILY_FROM, gap[-1], "1d")  # the run ends inside the gap: the store decides, not the run
    codes = [
        (record.code, record.date_ny)
        for record in book(out)
        if isinstance(record, Note)
        and record.symbol == symbol
        and record.code.startswith("BACKTEST_")
        and record.code != "BACKTEST_FILL_RULE"
    ]
    assert codes == [(BAR_MISSING_CODE, day) for day in gap]


def test_quarantined_rows_never_reach_the_engine(tmp_path: Path) -> None:
    """Rows the importer quarantines (here: high below low, an unparseable close) are not in the store, so
    the engine's bars, market data and sessions never see them."""
    days = pd.bdate_range("2026-03-02", "2026-03-13")
    lines = ["date,open,high,low,close,volume,Name"]
    bad = {days[3].date(): "10,9,11,10,1000", days[6].date(): "10,11,9,abc,1000"}
    for day in days:
        lines.append(f"{day.date()},{bad.get(day.date(), '10,11,9,10.5,1000')},ZZZ")
    source = tmp_path / "ZZZ_data.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    home = tmp_path / "home"
    imported = CliRunner().invoke(
        build_app(), ["data", "import", str(source), "--preset", "cnuge_daily", "--home", str(home), "--json"]
    )
    assert imported.exit_code == 0, imported.output
    root = home / "data"
    quarantined = {record.line for record in BarStore(root).quarantine("1d")}
    assert quarantined == {5, 8}  # the importer did quarantine both rows
    config = backtest_config({}, tmp_path / "out", None)
    engine: Any = BacktestEngine(config, root, start=days[0].date(), end=days[-1].date(), resolution="1d")
    seen = set(engine.daily["timestamp"].dt.date)
    assert seen == {day.date() for day in days} - set(bad)
    assert all(engine.market.daily_close("ZZZ", day) is None for day in bad)
    assert not set(bad) & set(engine.sessions)


def test_at_5_minutes_the_first_cycle_records_the_close(market: Path, tmp_path: Path) -> None:
    """The same close inside the bar-by-bar loop (what the demo preset runs): filled at the last close in the
    first minute, before any 5-minute bar of the day, and recorded by the session's cycles."""
    from tests.unit.backtest.test_backtest_engine import SPEC

    start, end = SPEC.intraday_start, dt.date(2026, 11, 27)
    outcome = run(market, tmp_path / "probe", start, end, "5m")
    sessions = outcome.result.sessions
    day, symbol = next(
        (snapshot.date_ny, snapshot.positions[0].symbol)
        for snapshot in outcome.result.snapshots[:-1]
        if snapshot.positions
    )
    ends = sessions[sessions.index(day) + 1]

    def until_day(frame: pd.DataFrame) -> pd.Series:
        return ~((frame["symbol"] == symbol) & (frame["timestamp"].dt.date > day))

    root = truncated_store(market, tmp_path / "delisted", until_day)
    run(root, tmp_path / "run", start, end, "5m")
    mine = [record for record in book(tmp_path / "run") if getattr(record, "symbol", None) == symbol]
    (ended,) = [r for r in mine if isinstance(r, Note) and r.code == DATA_ENDED_CODE]
    (fill,) = [
        r for r in mine if isinstance(r, Fill) and r.client_order_id == ended.detail["client_order_id"]
    ]
    assert ended.date_ny == fill.date_ny == ends
    assert str(fill.price) == ended.detail["last_close"]  # no slippage configured
    opening = dt.datetime.combine(ends, dt.time(14, 30), tzinfo=dt.UTC)  # 09:30 New York in November
    closed = [r for r in mine if isinstance(r, PositionClosed)]
    assert closed[-1].ts == fill.ts == opening + dt.timedelta(minutes=1)  # the fill bar's end
    assert closed[-1].date_ny == ends and fill.position_id == closed[-1].position_id
