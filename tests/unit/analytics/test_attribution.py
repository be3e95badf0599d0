"""Attribution by strategy on hand-built ledgers of 2-3 strategies: figures by hand, the docs' worked
example, cents apportioned by largest remainder, ownership of realized PnL, sleeves, blocked intents."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D
from pathlib import Path

import msgspec
import pytest
from tests.unit.analytics.attribution_fixtures import S1, S2, S3, LedgerScript

from avwap.analytics.attribution import AttributionBuilder, apportion, attribute_days
from avwap.analytics.attribution_range import StrategyReport, blocked_intents, summarize
from avwap.core.canonical import canonical_json
from avwap.ledger.record_enums import Side
from avwap.ledger.records import PortfolioEnforcementRecorded

DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "STRATEGIES.md"
D1, D2, D3 = dt.date(2026, 4, 1), dt.date(2026, 4, 2), dt.date(2026, 4, 6)  # 2026-04-03: Good Friday
BUY, SELL = Side.BUY, Side.SELL


def worked_example() -> tuple[LedgerScript, dict[dt.date, dict[str, D]]]:
    """The ledger of docs/STRATEGIES.md, "Attribution"."""
    script = LedgerScript().fund(D1, "100000")
    script.trade(D1, S1, "AAA", side=BUY, quantity=100, price="50.00", commission="1.00")
    script.trade(D1, S2, "BBB", side=BUY, quantity=200, price="20.00", commission="1.00")
    script.trade(D2, S1, "AAA", side=SELL, quantity=40, price="55.00", commission="0.50")
    script.decide(D2, S2, "CCC", ("MAX_POSITIONS_REACHED",))
    script.trade(D3, S1, "AAA", side=SELL, quantity=60, price="52.00", commission="0.50")
    marks = {
        D1: {"AAA": D("51.00"), "BBB": D("19.50")},
        D2: {"AAA": D("56.00"), "BBB": D("19.00")},
        D3: {"BBB": D("18.50")},
    }
    return script, marks


def example_report() -> StrategyReport:
    script, marks = worked_example()
    days = attribute_days("PAPER_SIM", script.records, marks)
    return summarize("PAPER_SIM", days, D1, D3, script.records)


def test_daily_figures_by_hand() -> None:
    script, marks = worked_example()
    days = attribute_days("PAPER_SIM", script.records, marks)
    by_day = {day.date_ny: {row.name: row for row in day.by_strategy} for day in days}
    # day 1: AAA +1.00 x 100 - 1.00 fee; BBB -0.50 x 200 - 1.00 fee
    assert (by_day[D1][S1].pnl, by_day[D1][S2].pnl) == (D("99.00"), D("-101.00"))
    # day 2: 40 AAA sold 5.00 above cost (200.00) - 0.50; unrealized of the 60 left: 100.00 -> 360.00
    s1 = by_day[D2][S1]
    assert (s1.realized_pnl, s1.fees, s1.unrealized_change, s1.pnl) == (
        D("200.00"), D("0.50"), D("260.00"), D("459.50"),
    )  # fmt: skip
    assert s1.unrealized_pnl == D("360.00") and s1.gross_exposure == D("3360.00")
    # day 3: 60 AAA sold at 52.00 (+120.00 realized, -360.00 unrealized released), BBB marked 18.50
    assert (by_day[D3][S1].pnl, by_day[D3][S2].pnl) == (D("-240.50"), D("-100.00"))
    assert [day.equity for day in days] == [D("99998.00"), D("100357.50"), D("100017.00")]
    assert days[1].by_strategy[0].contribution == D("0.004595")  # 459.50 / 99,998.00


def test_the_range_report_answers_which_strategy_caused_what() -> None:
    report = example_report()
    strategies = {group.name: group for group in report.strategies}
    assert (strategies[S1].pnl, strategies[S2].pnl, report.portfolio.pnl) == (
        D("318.00"),
        D("-301.00"),
        D("17.00"),
    )
    assert report.drawdown is not None
    assert (report.drawdown.peak_date, report.drawdown.trough_date) == (D2, D3)
    assert report.drawdown.pnl == D("-340.50")
    assert (strategies[S1].drawdown_contribution, strategies[S2].drawdown_contribution) == (
        D("-240.50"), D("-100.00"),
    )  # fmt: skip
    assert strategies[S2].max_drawdown == D("-301.00") and strategies[S1].max_drawdown == D("-240.50")
    assert [(item.strategy_id, item.symbol, item.pnl) for item in report.top_contributors] == [
        (S1, "AAA", D("318.00")),
        (S2, "BBB", D("-301.00")),
    ]
    [blocked] = report.blocked
    assert (blocked.strategy_id, blocked.reason_code, blocked.intents) == (S2, "MAX_POSITIONS_REACHED", 1)


def docs_table(report: StrategyReport) -> str:
    lines = [
        "| strategy | realized | fees | unrealized change | PnL | contribution | gross (end) | max drawdown "
        "| drawdown contribution |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for group in (*report.strategies, report.portfolio):
        lines.append(
            f"| {group.name} | {group.realized_pnl} | {group.fees} | {group.unrealized_change} | {group.pnl} "
            f"| {group.contribution} | {group.end_gross_exposure} | {group.max_drawdown} "
            f"| {group.drawdown_contribution} |"
        )
    return "\n".join(lines)


def test_the_worked_example_of_the_docs_is_what_the_code_computes() -> None:
    text = DOCUMENT.read_text(encoding="utf-8")
    assert docs_table(example_report()) in text
    drawdown = example_report().drawdown
    assert drawdown is not None
    assert f"depth {drawdown.depth}" in text and f"PnL {drawdown.pnl}" in text


def test_apportion_rounds_each_part_and_keeps_the_total() -> None:
    parts = {"A": D("0.333333"), "B": D("0.333333"), "C": D("0.333334")}
    assert apportion(parts, D("1.00")) == {"A": D("0.33"), "B": D("0.33"), "C": D("0.34")}
    # ties go by name; negative parts floor downwards
    assert apportion({"B": D("0.005"), "A": D("0.005")}, D("0.01")) == {"A": D("0.01"), "B": D("0.00")}
    assert apportion({"A": D("-0.004"), "B": D("-0.004")}, D("-0.01")) == {"A": D("0.00"), "B": D("-0.01")}
    with pytest.raises(ValueError, match="cannot apportion"):
        apportion({"A": D("1.00")}, D("5.00"))


def test_sub_cent_fees_and_partial_closes_still_add_up_to_the_cent() -> None:
    script = LedgerScript().fund(D1, "10000")
    for strategy, symbol in ((S1, "AAA"), (S2, "BBB"), (S3, "CCC")):
        script.trade(D1, strategy, symbol, side=BUY, quantity=3, price="10.01", commission="0.0033")
    for strategy, symbol in ((S1, "AAA"), (S2, "BBB"), (S3, "CCC")):
        script.trade(D2, strategy, symbol, side=SELL, quantity=1, price="10.02", commission="0.0033")
    days = attribute_days("PAPER_SIM", script.records, {D1: {}, D2: {}})
    for day in days:
        assert sum(row.fees for row in day.by_strategy) == day.portfolio.fees
        assert sum(row.realized_pnl for row in day.by_strategy) == day.portfolio.realized_pnl
    # 3 x 0.0033 = 0.0099 -> 0.01: equal remainders, so the cent goes to the first name
    assert days[0].portfolio.fees == D("0.01") and [row.fees for row in days[0].by_strategy] == [
        D("0.01"), D("0.00"), D("0.00"),
    ]  # fmt: skip


def test_realized_pnl_belongs_to_the_position_owner_and_fees_to_who_traded() -> None:
    """S2 sells into S1's AAA position (the book holds one position per symbol): the realized part is the
    owner's (S1), the fee S2's."""
    script = LedgerScript().fund(D1, "10000")
    script.trade(D1, S1, "AAA", side=BUY, quantity=10, price="10.00")
    script.trade(D2, S2, "AAA", side=SELL, quantity=10, price="12.00", commission="1.00")
    [_, day] = attribute_days("PAPER_SIM", script.records, {D1: {}, D2: {}})
    rows = {row.name: row for row in day.by_strategy}
    assert (rows[S1].realized_pnl, rows[S1].fees) == (D("20.00"), D("0.00"))
    assert (rows[S2].realized_pnl, rows[S2].fees) == (D("0.00"), D("1.00"))


def test_sleeves_group_strategies_and_default_to_each_strategy() -> None:
    script, marks = worked_example()
    alone = attribute_days("PAPER_SIM", script.records, marks)
    assert [row.name for row in alone[0].by_sleeve] == [S1, S2]
    grouped = attribute_days("PAPER_SIM", script.records, marks, sleeves={S1: "CORE", S2: "CORE"})
    [sleeve] = grouped[1].by_sleeve
    assert sleeve.name == "CORE" and sleeve.pnl == grouped[1].portfolio.pnl


def test_same_ledger_same_bytes_and_days_in_order() -> None:
    assert canonical_json(example_report()) == canonical_json(example_report())
    builder = AttributionBuilder("PAPER_SIM")
    builder.add_day(D2, [], {})
    with pytest.raises(ValueError, match="in order"):
        builder.add_day(D1, [], {})
    script, _ = worked_example()
    with pytest.raises(ValueError, match="cannot be part of the close"):
        AttributionBuilder("PAPER_SIM").add_day(D1, script.records, {})
    with pytest.raises(ValueError, match="no attributed close"):
        summarize("PAPER_SIM", [], D1, D3)


def test_blocked_intents_count_each_intent_once_by_its_first_code() -> None:
    script = LedgerScript()
    script.decide(D1, S1, "AAA", ("MAX_POSITIONS_REACHED", "MAX_GROSS_EXPOSURE_REACHED"))
    script.decide(D1, S1, "BBB", ("MAX_GROSS_EXPOSURE_REACHED",), quantity=5)
    script.decide(D3, S1, "CCC", ("MAX_POSITIONS_REACHED",))  # outside the window
    duplicate = msgspec.structs.replace(script.records[0], decision_id="dec_again")
    enforcement = PortfolioEnforcementRecorded(
        book_id="PAPER_SIM", date_ny=D2, ts=dt.datetime(2026, 4, 2, 14, tzinfo=dt.UTC), strategy_id=S2,
        symbol="DDD", intent_id="int_x", verdict="BLOCK", reason_code="PORTFOLIO_DECISION_BLOCKED",
        artifact="portfolio_decisions/PAPER_SIM/2026-04-02.json", config_hash="c" * 64,
    )  # fmt: skip
    rows = blocked_intents([*script.records, duplicate, enforcement], D1, D2)
    summary = [(r.strategy_id, r.source, r.outcome, r.reason_code, r.intents, r.mentions) for r in rows]
    assert summary == [
        (S1, "control_plane", "REJECT", "MAX_GROSS_EXPOSURE_REACHED", 0, 1),
        (S1, "control_plane", "REJECT", "MAX_POSITIONS_REACHED", 1, 1),
        (S1, "control_plane", "RESIZE", "MAX_GROSS_EXPOSURE_REACHED", 1, 1),
        (S2, "portfolio_enforcement", "BLOCK", "PORTFOLIO_DECISION_BLOCKED", 1, 1),
    ]
    assert re.fullmatch(r"[A-Z_]+", rows[0].reason_code)


def test_the_by_strategy_html_section() -> None:
    from avwap.presentation.attribution_section import strategy_section
    from avwap.presentation.report import render_report

    section = strategy_section(example_report())
    assert section.title == "By strategy" and len(section.charts) == 1
    for table in section.tables:
        assert all(len(row) == len(table.columns) for row in table.rows), table.title
    html = render_report("t", "m", [section])
    assert "S2_AVWAP_SWING" in html and "MAX_POSITIONS_REACHED" in html and "-340.50" in html
    assert "MAX_POSITIONS positions already open" in html  # the rule behind the code
    unavailable = strategy_section(None, "attribution failed on 2026-04-02")
    assert list(unavailable.paragraphs) == ["Attribution unavailable: attribution failed on 2026-04-02."]
