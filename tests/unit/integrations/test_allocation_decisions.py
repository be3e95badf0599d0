"""Decisions on allocation intents (issue 13): who may ask, where, and how sells pass."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from avwap.control import reasons
from avwap.core.calendar import nyse
from avwap.core.config import load_config
from avwap.integrations.schwab.allocation_decisions import AllocationFacts, decide_allocation
from avwap.ledger.paths import ALPACA_PAPER
from avwap.ledger.record_enums import DecisionOutcome, OrderType, Side
from avwap.strategies.allocation_401k import AllocationIntent, Holdings

DAY = dt.date(2026, 12, 15)
NOW = dt.datetime(2026, 12, 15, 15, 0, tzinfo=dt.UTC)
PRICES = {"FXAIX": Decimal("200"), "VTI": Decimal("100")}
BUY = AllocationIntent(
    book_id="SCHWAB_401K_MANUAL", strategy_id="S_401K_ALLOCATION", date_ny=DAY, symbol="FXAIX", side=Side.BUY,
    quantity=5, order_type=OrderType.MARKET, limit_price=None, reference_price=Decimal("200"),
    reason="rebalance", model_version="S_401K_ALLOCATION/1",
)  # fmt: skip
CAPS = {
    "MAX_RISK_PER_TRADE": "5000", "MAX_RISK_PER_TRADE_PCT": "100", "MAX_NOTIONAL_PER_SYMBOL": "5000",
    "MAX_GROSS_EXPOSURE": "10000", "MAX_GROSS_EXPOSURE_PCT": "100",
}  # fmt: skip


def _facts(**changes: object) -> AllocationFacts:
    facts = AllocationFacts(
        config=load_config(CAPS),
        holdings=Holdings(positions={"VTI": 10}, cash=Decimal("2000")),
        prices=PRICES,
        now=NOW,
        today=DAY,
        kill_switch=False,
        calendar=nyse(),
        data_version="sha256:test",
    )
    return dataclasses.replace(facts, **changes)  # type: ignore[arg-type]


def test_an_allowed_buy_is_approved_and_recorded_as_a_stop_free_intent() -> None:
    (verdict,) = decide_allocation([BUY], _facts())
    assert verdict.decision.outcome == DecisionOutcome.APPROVE and verdict.approved_quantity == 5
    assert (
        verdict.intent.notional == Decimal("1000") and verdict.intent.intent_id == verdict.decision.intent_id
    )
    assert not hasattr(verdict.intent, "stop_price")


def test_a_book_mismatch_and_an_unregistered_strategy_are_rejected_with_their_codes() -> None:
    (other_book,) = decide_allocation([dataclasses.replace(BUY, book_id=ALPACA_PAPER)], _facts())
    assert other_book.decision.outcome == DecisionOutcome.REJECT
    assert other_book.decision.reason_codes[0] == reasons.STRATEGY_BOOK_NOT_ALLOWED
    assert reasons.ALLOCATION_NOT_ALLOWED in other_book.decision.reason_codes
    (unknown,) = decide_allocation([dataclasses.replace(BUY, strategy_id="S_UNKNOWN")], _facts())
    assert unknown.decision.reason_codes[0] == reasons.STRATEGY_UNKNOWN and unknown.approved_quantity == 0


def test_the_kill_switch_blocks_buys_but_never_a_sell() -> None:
    sell = dataclasses.replace(BUY, symbol="VTI", side=Side.SELL, reference_price=Decimal("100"))
    sold, bought = decide_allocation([sell, BUY], _facts(kill_switch=True))
    assert sold.decision.outcome == DecisionOutcome.APPROVE and sold.approved_quantity == 5
    assert bought.decision.reason_codes[0] == reasons.KILL_SWITCH_ACTIVE


def test_a_closed_session_blocks_and_recorded_decisions_are_reused() -> None:
    saturday = dt.date(2026, 12, 19)
    (closed,) = decide_allocation([dataclasses.replace(BUY, date_ny=saturday)], _facts(today=saturday))
    assert reasons.MARKET_CLOSED in closed.decision.reason_codes
    (first,) = decide_allocation([BUY], _facts())
    (again,) = decide_allocation([BUY], _facts(kill_switch=True), [first.intent, first.decision])
    assert again.recorded and again.decision == first.decision  # a re-run posts what was approved


def test_the_whole_new_york_date_is_the_entry_window() -> None:
    evening = dt.datetime(2026, 12, 16, 1, 30, tzinfo=dt.UTC)  # 20:30 in New York on the 15th
    (late,) = decide_allocation([BUY], _facts(now=evening))
    assert late.decision.outcome == DecisionOutcome.APPROVE
    (next_day,) = decide_allocation([BUY], _facts(now=dt.datetime(2026, 12, 16, 5, 0, tzinfo=dt.UTC)))
    assert reasons.ENTRY_WINDOW_CLOSED in next_day.decision.reason_codes


def test_buys_approved_earlier_today_count_against_the_days_entry_cap() -> None:
    (earlier,) = decide_allocation(
        [dataclasses.replace(BUY, symbol="VTI", reference_price=Decimal("100"))], _facts()
    )
    capped = _facts(config=load_config({**CAPS, "MAX_ORDERS_PER_DAY": "1"}))
    (now,) = decide_allocation([BUY], capped, [earlier.intent, earlier.decision])
    assert now.decision.reason_codes == (reasons.MAX_ENTRIES_PER_DAY_REACHED,)
    (alone,) = decide_allocation([BUY], capped)
    assert alone.decision.outcome == DecisionOutcome.APPROVE


def test_the_ruleset_in_force_is_stamped_on_the_intent_and_its_decision_and_omitted_when_unset() -> None:
    from avwap.ledger.records import encode_record

    sell = dataclasses.replace(BUY, symbol="VTI", side=Side.SELL, quantity=2, reference_price=Decimal("100"))
    ruled = dataclasses.replace(load_config(CAPS), ruleset_version="rs-2026-12-01")
    for verdict in decide_allocation([sell, BUY], _facts(config=ruled)):
        assert verdict.intent.ruleset_version == verdict.decision.ruleset_version == "rs-2026-12-01"
    for verdict in decide_allocation([sell, BUY], _facts()):
        assert verdict.intent.ruleset_version is None and verdict.decision.ruleset_version is None
        assert "ruleset_version" not in encode_record(verdict.intent)  # the bytes of an unruled line
        assert "ruleset_version" not in encode_record(verdict.decision)
