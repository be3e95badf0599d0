"""Sleeves in the pre-open portfolio decisions (Phase S2): each strategy's caps, a symbol another strategy
holds, a strategy without a sleeve; the batch records the sleeve configuration and bounded summaries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.unit.control.test_portfolio_decisions import SECTORS, candidate, independent_returns, panel

from avwap.control import reasons as r
from avwap.control.portfolio.engine import decide
from avwap.control.portfolio.records import BookInput, GuardrailLimits, HeldInput
from avwap.control.portfolio.sleeves import SLEEVE_CODES, SleeveRules
from avwap.core.config_parsers import Sleeve
from avwap.ledger.records import SLEEVE_SAMPLE
from avwap.strategies.registry import S1_AVWAP_CORE, S1_AVWAP_CORE_SHADOW, S2_AVWAP_SWING

DAY = dt.date(2026, 4, 2)
AT = dt.datetime(2026, 4, 2, 12, 0, tzinfo=dt.UTC)
SYMBOLS = ("XOM", "JPM", "MSFT", "AAPL")


def batch(rules: SleeveRules, **limits: object):  # type: ignore[no-untyped-def]
    held = (HeldInput(symbol="AAPL", market_value=Decimal("5000"), strategy_id=S1_AVWAP_CORE),)
    book = BookInput(
        book_id="PAPER_SIM",
        snapshot_date=dt.date(2026, 4, 1),
        equity=Decimal("100000"),
        gross_exposure=Decimal("5000"),
        positions=held,
        equity_history=(Decimal("100000"),),
    )
    return decide(
        book_id="PAPER_SIM",
        date_ny=DAY,
        decided_at=AT,
        strategies=(S1_AVWAP_CORE, S2_AVWAP_SWING, S1_AVWAP_CORE_SHADOW),
        shadow_strategies=(S1_AVWAP_CORE_SHADOW,),
        candidates=tuple(candidate(symbol, rank) for rank, symbol in enumerate(SYMBOLS, start=1)),
        book=book,
        returns=panel(**independent_returns(*SYMBOLS)),
        sectors=SECTORS,
        limits=GuardrailLimits(max_new_entries=10, max_sector_pct=Decimal("100"), **limits),  # type: ignore[arg-type]
        sleeve_rules=rules,
    )


def verdicts(result, strategy: str) -> dict[str, tuple[str, ...]]:  # type: ignore[no-untyped-def]
    return {item.symbol: item.reason_codes for item in result.decisions if item.strategy_id == strategy}


def test_each_strategy_is_held_to_its_own_sleeve() -> None:
    sleeves = {
        S1_AVWAP_CORE: Sleeve(None, Decimal("7000"), 5, None),  # $5,000 held: room for one $2,000 entry
        S2_AVWAP_SWING: Sleeve(None, None, 5, 1),  # one new entry a day
    }
    result = batch(SleeveRules(sleeves))
    one, two = verdicts(result, S1_AVWAP_CORE), verdicts(result, S2_AVWAP_SWING)
    assert one["XOM"] == () and one["JPM"] == (r.PORTFOLIO_SLEEVE_GROSS_EXPOSURE,)
    assert two["XOM"] == () and two["JPM"] == (r.PORTFOLIO_SLEEVE_MAX_NEW_ENTRIES,)
    # AAPL is S1's: S2 may not enter it; the shadow is recorded without sleeve rules
    assert r.PORTFOLIO_SYMBOL_HELD_BY_OTHER_STRATEGY in two["AAPL"]
    assert not any(
        r.PORTFOLIO_SLEEVE_MISSING in codes for codes in verdicts(result, S1_AVWAP_CORE_SHADOW).values()
    )
    assert [line.strategy_id for line in result.sleeves] == [S1_AVWAP_CORE, S2_AVWAP_SWING]
    summary = {item.strategy_id: item for item in result.s2_enforcement}
    assert set(summary) == {S1_AVWAP_CORE, S2_AVWAP_SWING}
    assert (summary[S1_AVWAP_CORE].open_positions, summary[S1_AVWAP_CORE].gross_exposure) == (
        1,
        Decimal("5000"),
    )
    assert summary[S2_AVWAP_SWING].allowed == 1 and summary[S2_AVWAP_SWING].blocked_by_sleeve == 3
    assert len(summary[S2_AVWAP_SWING].blocked_sample) <= SLEEVE_SAMPLE


def test_a_missing_sleeve_blocks_unless_allowed_and_overlap_can_be_allowed() -> None:
    rules = SleeveRules({S1_AVWAP_CORE: Sleeve(None, None, None)})
    blocked = verdicts(batch(rules), S2_AVWAP_SWING)
    assert all(r.PORTFOLIO_SLEEVE_MISSING in codes for codes in blocked.values())
    lenient = batch(SleeveRules(rules.sleeves, allow_unsleeved=True, allow_symbol_overlap=True))
    lenient_codes = verdicts(lenient, S2_AVWAP_SWING)
    assert not any(code in SLEEVE_CODES for codes in lenient_codes.values() for code in codes)
    assert lenient_codes["XOM"] == ()
    assert batch(SleeveRules()).sleeves == ()  # not configured: nothing to snapshot
