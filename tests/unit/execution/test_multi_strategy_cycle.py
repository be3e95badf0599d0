"""Two strategies in one cycle (Phases S2, S3): conflicts resolved by priority and persisted once, sleeves
enforced from the config, the operator's PnL override, a symbol outside a strategy's universe never ordered,
and a strategy's PnL today derived from the ledger at the cycle's prices."""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.integration.crash_driver import DAY, dependencies, market, write_watchlist
from tests.unit.strategies.test_strategy_plugin import TINY_MODULE, of_type

from avwap.control import reasons
from avwap.core.calendar import NEW_YORK
from avwap.core.clock import FixedClock
from avwap.core.config import load_config
from avwap.execution.book import DRY_RUN_BOOK
from avwap.execution.context import CycleFacts
from avwap.execution.cycle import establish_facts, run_cycle
from avwap.execution.sleeves import derived_pnl
from avwap.ledger import record_ids
from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.record_enums import DecisionOutcome, Side
from avwap.ledger.records import ConflictResolved, Decision, Fill, OrderSubmitted, PositionOpened, TradeIntent
from avwap.ledger.router import Ledger
from avwap.strategies import registry

NOW = dt.datetime.combine(DAY, dt.time(10, 30), NEW_YORK).astimezone(dt.UTC)


@pytest.fixture
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """Two registered test strategies (T_ONE, T_TWO) that want every candidate at $10, stop $9.50."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    for name in ("T_ONE", "T_TWO"):
        module = f"multi_{name.lower()}"
        (folder / f"{module}.py").write_text(TINY_MODULE.replace("T_TINY", name))
        monkeypatch.delitem(sys.modules, module, raising=False)
        monkeypatch.setitem(registry.REGISTRY, name, module)
    monkeypatch.syspath_prepend(str(folder))
    return "T_ONE", "T_TWO"


# Book caps wide enough that only the rules under test decide.
WIDE = {
    "MAX_NOTIONAL_PER_SYMBOL": "100000",
    "MAX_GROSS_EXPOSURE": "1000000",
    "MAX_RISK_PER_TRADE": "100000",
    "MAX_RISK_PER_TRADE_PCT": "100",
}


def cycle(home: Path, environ: dict[str, str], symbols: tuple[str, ...] = ("AAA", "BBB")) -> list[Any]:
    write_watchlist(home / "artifacts", symbols)
    config = load_config({**WIDE, **environ}, home=home)
    run_cycle(dependencies(config, FixedClock(NOW), None, book_id=DRY_RUN_BOOK))
    return Ledger(config.ledger_dir).read_book(DRY_RUN_BOOK)


def test_same_symbol_intents_keep_the_higher_priority_and_record_the_conflict(
    home: Path, pair: tuple[str, str]
) -> None:
    one, two = pair
    records = cycle(home, {"ENABLED_STRATEGIES": f"{one},{two}"})
    owners = sorted((i.symbol, i.strategy_id) for i in of_type(records, TradeIntent))
    assert owners == [("AAA", one), ("BBB", one)]  # no intent at all for the blocked strategy
    conflicts = of_type(records, ConflictResolved)
    summary = sorted((c.symbol, c.strategy_id, c.outcome, c.reason_codes) for c in conflicts)
    assert summary == [
        ("AAA", one, "KEEP", (reasons.CONFLICT_PRIORITY_KEPT,)),
        ("AAA", two, "BLOCK", (reasons.CONFLICT_LOWER_PRIORITY,)),
        ("BBB", one, "KEEP", (reasons.CONFLICT_PRIORITY_KEPT,)),
        ("BBB", two, "BLOCK", (reasons.CONFLICT_LOWER_PRIORITY,)),
    ]
    assert all(c.counterparty_strategy_ids for c in conflicts)
    # a restart: the same resolutions are not recorded twice; T_TWO's plans, arbitrated again, now meet the
    # entries T_ONE has working (held by another strategy), once each
    again = cycle(home, {"ENABLED_STRATEGIES": f"{one},{two}"})
    later = sorted((c.symbol, c.strategy_id, c.reason_codes) for c in of_type(again, ConflictResolved)[4:])
    assert later == [
        ("AAA", two, (reasons.CONFLICT_HELD_BY_OTHER,)),
        ("BBB", two, (reasons.CONFLICT_HELD_BY_OTHER,)),
    ]
    assert len(of_type(again, TradeIntent)) == 2
    third = cycle(home, {"ENABLED_STRATEGIES": f"{one},{two}"})
    assert len(of_type(third, ConflictResolved)) == 6  # nothing new to record


def test_a_plan_blocked_behind_a_rejected_winner_is_decided_next_cycle(
    home: Path, pair: tuple[str, str]
) -> None:
    one, two = pair
    # one entry a day for T_ONE's sleeve: its BBB intent is rejected, and T_TWO's BBB plan, blocked by
    # priority in the first cycle, gets its own decision in the next
    environ = {
        "ENABLED_STRATEGIES": f"{one},{two}",
        "S2_SLEEVES_JSON": sleeves(one, two, max_new_entries_per_day=1),
    }
    cycle(home, environ)
    records = cycle(home, environ)
    decided = sorted((d.symbol, d.strategy_id, d.outcome) for d in of_type(records, Decision))
    assert ("BBB", one, DecisionOutcome.REJECT) in decided
    assert ("BBB", two, DecisionOutcome.APPROVE) in decided


def test_configured_priorities_override_the_enabled_order(home: Path, pair: tuple[str, str]) -> None:
    one, two = pair
    records = cycle(
        home, {"ENABLED_STRATEGIES": f"{one},{two}", "S3_STRATEGY_PRIORITIES": f"{two}=1,{one}=2"}
    )
    assert {i.strategy_id for i in of_type(records, TradeIntent)} == {two}


def sleeves(*names: str, **caps: Any) -> str:
    base = {"max_daily_loss": 500, "max_gross_exposure": 100000, "max_positions": 5}
    return json.dumps({name: {**base, **caps} for name in names})


def test_a_strategy_without_a_sleeve_is_blocked_unless_allowed(home: Path, pair: tuple[str, str]) -> None:
    one, _ = pair
    environ = {"ENABLED_STRATEGIES": one, "S2_SLEEVES_JSON": sleeves("S1_AVWAP_CORE")}
    decided = of_type(cycle(home, environ), Decision)
    assert decided and {d.reason_codes for d in decided} == {(reasons.SLEEVE_MISSING,)}
    other = home.parent / "allowed"
    other.mkdir()
    allowed = of_type(cycle(other, {**environ, "S2_ALLOW_UNSLEEVED": "1"}), Decision)
    assert {d.outcome for d in allowed} == {DecisionOutcome.APPROVE}


def test_sleeve_caps_and_the_operators_pnl_override(home: Path, pair: tuple[str, str]) -> None:
    one, _ = pair
    environ = {
        "ENABLED_STRATEGIES": one,
        "S2_SLEEVES_JSON": sleeves(one, max_new_entries_per_day=1),
        "S2_DAILY_PNL_JSON": json.dumps({one: "-499.99"}),
    }
    decided = [(d.symbol, d.outcome, d.reason_codes) for d in of_type(cycle(home, environ), Decision)]
    assert decided == [
        ("AAA", DecisionOutcome.APPROVE, ()),
        ("BBB", DecisionOutcome.REJECT, (reasons.SLEEVE_MAX_NEW_ENTRIES_REACHED,)),
    ]
    other = home.parent / "loss"
    other.mkdir()
    lost = of_type(cycle(other, {**environ, "S2_DAILY_PNL_JSON": json.dumps({one: "-500"})}), Decision)
    assert {d.reason_codes for d in lost} == {(reasons.SLEEVE_DAILY_LOSS_REACHED,)}
    assert of_type(Ledger(other / "ledger").read_book(DRY_RUN_BOOK), OrderSubmitted) == []


def test_a_symbol_outside_the_strategys_universe_is_rejected_never_ordered(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "rogue"
    folder.mkdir()
    source = TINY_MODULE.replace("T_TINY", "T_ROGUE").replace("symbol=candidate.symbol", 'symbol="ZZZ"')
    (folder / "rogue_strategy.py").write_text(source.replace('"tiny")\n        )', '"tiny")\n        )[:1]'))
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setitem(registry.REGISTRY, "T_ROGUE", "rogue_strategy")
    records = cycle(home, {"ENABLED_STRATEGIES": "T_ROGUE", "INTRADAY_MAX_LAG_MINUTES": "120"})
    decided = of_type(records, Decision)
    assert decided and all(d.symbol == "ZZZ" and d.outcome == DecisionOutcome.REJECT for d in decided)
    assert all(d.reason_codes[0] == reasons.STRATEGY_SYMBOL_OUTSIDE_UNIVERSE for d in decided)
    assert of_type(records, OrderSubmitted) == []


def test_pnl_today_is_derived_from_the_ledger_at_the_cycles_prices(home: Path) -> None:
    """A position of 10 AAA bought at $50.40 today (commission $1): the cycle's price is the latest 5-minute
    close, $50.50, so the PnL today is 10 x 0.10 - 1 = $0.00; bought yesterday, it is measured from the
    previous close ($50.00): 10 x 0.50 = $5.00."""
    config = load_config({"STARTING_CASH": "100000"}, home=home)
    deps = dependencies(config, FixedClock(NOW), None, book_id=PAPER_SIM, market_data=market())
    facts: CycleFacts = establish_facts(deps)
    intent = "int_" + "0" * 32
    position = record_ids.position_id(
        book_id=PAPER_SIM, strategy_id="S1_AVWAP_CORE", symbol="AAA", intent_id=intent
    )
    order = record_ids.order_id(book_id=PAPER_SIM, client_order_id="avw-test")
    fill = record_ids.fill_id(order_id=order, broker_fill_id="b1")
    stamp = {"book_id": PAPER_SIM, "ts": NOW}

    def opened_on(day: dt.date) -> list[Any]:
        common = {
            **stamp,
            "date_ny": day,
            "strategy_id": "S1_AVWAP_CORE",
            "position_id": position,
            "symbol": "AAA",
        }
        return [
            Fill(
                **common,
                fill_id=fill,
                order_id=order,
                client_order_id="avw-test",
                side=Side.BUY,
                quantity=10,
                price=Decimal("50.40"),
                commission=Decimal("1"),
                broker_fill_id="b1",
            ),
            PositionOpened(
                **common, intent_id=intent, quantity=10, average_price=Decimal("50.40"), fill_ids=(fill,)
            ),
        ]

    deps.book.record(*opened_on(DAY))
    assert derived_pnl(deps, facts, "S1_AVWAP_CORE") == Decimal("0.00")
    assert derived_pnl(deps, facts, "S2_AVWAP_SWING") == Decimal("0")
    other = home.parent / "yesterday"
    other.mkdir()
    config = load_config({}, home=other)
    deps = dependencies(config, FixedClock(NOW), None, book_id=PAPER_SIM, market_data=market())
    deps.book.record(*opened_on(DAY - dt.timedelta(days=1)))
    assert derived_pnl(deps, establish_facts(deps), "S1_AVWAP_CORE") == Decimal("5.00")
