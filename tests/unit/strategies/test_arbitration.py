"""Arbitration (Phase S1): the control plane approves, resizes or rejects every strategy's intent with
deterministic reason codes; the same intent is decided once (also across a restart); identity is checked
(an unregistered strategy, or one not allowed in the book, is rejected with its own code); the intent says
where it came from (data_version = the candidates artifact's sha256) and the order names its decision."""

from __future__ import annotations

import datetime as dt
import hashlib
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from tests.integration.crash_driver import DAY, dependencies, write_watchlist
from tests.unit.strategies.test_strategy_plugin import TINY_MODULE, of_type, run_once

from avwap.control import reasons
from avwap.core.calendar import NEW_YORK
from avwap.core.clock import FixedClock
from avwap.core.config import load_config
from avwap.execution.book import DRY_RUN_BOOK
from avwap.execution.cycle import run_cycle
from avwap.execution.hooks import AFTER_INTENT_WRITE, HookAt
from avwap.ledger.record_enums import DecisionOutcome, OrderPurpose, Side
from avwap.ledger.records import Decision, OrderSubmitted, TradeIntent
from avwap.strategies import registry
from avwap.watchlist.artifact import candidates_path


def plug(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, books: str = '("DRY_RUN", "PAPER_SIM")') -> str:
    folder = tmp_path / "plugins"
    folder.mkdir(exist_ok=True)
    source = TINY_MODULE.replace('("DRY_RUN", "PAPER_SIM")', books)
    module = f"tiny_arbitration_{hashlib.sha256(books.encode()).hexdigest()[:8]}"
    (folder / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, module, raising=False)
    monkeypatch.setitem(registry.REGISTRY, "T_TINY", module)
    return "T_TINY"


def decisions(records: list[object]) -> list[tuple[str, str, int, tuple[str, ...]]]:
    return [
        (d.symbol, str(d.outcome), d.approved_quantity, d.reason_codes) for d in of_type(records, Decision)
    ]


def test_approve_with_lineage_and_data_version(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny = plug(tmp_path, monkeypatch)
    records = run_once(home, {"ENABLED_STRATEGIES": tiny})
    digest = hashlib.sha256(candidates_path(home / "artifacts", DAY).read_bytes()).hexdigest()
    intents = of_type(records, TradeIntent)
    assert intents and {intent.data_version for intent in intents} == {digest}
    assert {(i.side, i.time_in_force, i.model_version) for i in intents} == {(Side.BUY, "DAY", "T_TINY/3")}
    assert all(
        i.notional == i.quantity * i.entry_price and i.risk_per_share == Decimal("0.50") for i in intents
    )
    decided = {d.intent_id: d for d in of_type(records, Decision)}
    assert DecisionOutcome.REJECT not in {d.outcome for d in decided.values()}
    entries = [o for o in of_type(records, OrderSubmitted) if o.purpose == OrderPurpose.ENTRY]
    assert len(entries) == len(intents)
    for order in entries:  # the order names the decision that approved it, and carries its quantity
        assert order.decision_id == decided[order.intent_id].decision_id
        assert order.quantity == decided[order.intent_id].approved_quantity


def test_resize_and_reject_carry_deterministic_reason_codes(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny = plug(tmp_path, monkeypatch)
    # $10 entries: a $55 notional cap resizes every entry to 5 shares; one entry a day rejects the second
    environ = {"ENABLED_STRATEGIES": tiny, "MAX_NOTIONAL_PER_SYMBOL": "55", "MAX_ORDERS_PER_DAY": "1"}
    first = decisions(run_once(home, environ))
    code = reasons.MAX_NOTIONAL_PER_SYMBOL_EXCEEDED
    assert first[0] == ("AAA", "RESIZE", 5, (code,))
    assert first[1][:3] == ("BBB", "REJECT", 0)
    assert first[1][3][0] == reasons.MAX_ENTRIES_PER_DAY_REACHED
    other = tmp_path / "again"
    other.mkdir()
    assert decisions(run_once(other, environ)) == first  # same inputs, same verdicts and codes


def test_the_same_intent_is_one_decision_across_a_restart(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny = plug(tmp_path, monkeypatch)
    once = run_once(home, {"ENABLED_STRATEGIES": tiny})
    twice = run_once(home, {"ENABLED_STRATEGIES": tiny})  # new dependencies: a restart reading the ledger
    assert len(of_type(twice, TradeIntent)) == len(of_type(once, TradeIntent)) == 2
    assert len(of_type(twice, Decision)) == 2
    assert len({d.intent_id for d in of_type(twice, Decision)}) == 2
    assert len(of_type(twice, OrderSubmitted)) == len(of_type(once, OrderSubmitted))


def test_a_strategy_not_allowed_in_the_book_is_rejected(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny = plug(tmp_path, monkeypatch, books='("PAPER_SIM",)')  # the cycle below records in DRY_RUN
    records = run_once(home, {"ENABLED_STRATEGIES": tiny})
    decided = of_type(records, Decision)
    assert len(decided) == 2 and {d.outcome for d in decided} == {DecisionOutcome.REJECT}
    assert {d.reason_codes[0] for d in decided} == {reasons.STRATEGY_BOOK_NOT_ALLOWED}  # the primary reason
    assert of_type(records, OrderSubmitted) == []


def test_an_intent_of_an_unregistered_strategy_is_rejected_as_unknown(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An intent recorded under a strategy that is no longer registered (a restart with another code
    version) is completed by the next cycle: rejected with STRATEGY_UNKNOWN first, never ordered."""
    tiny = plug(tmp_path, monkeypatch)
    write_watchlist(home / "artifacts", ("AAA", "BBB"))
    config = load_config({"ENABLED_STRATEGIES": tiny}, home=home)
    now = dt.datetime.combine(DAY, dt.time(10, 30), NEW_YORK).astimezone(dt.UTC)
    deps = dependencies(config, FixedClock(now), None, book_id=DRY_RUN_BOOK)

    def crash(detail: dict[str, object]) -> None:
        raise SystemExit("killed after the intent was written")

    deps.hooks = HookAt(AFTER_INTENT_WRITE, crash)
    with pytest.raises(SystemExit):  # the cycle dies right after recording the first intent
        run_cycle(deps)
    monkeypatch.delitem(registry.REGISTRY, tiny)
    records = run_once(home, {})  # S1 only, and T_TINY no longer registered
    decided = [d for d in of_type(records, Decision) if d.strategy_id == tiny]
    assert len(decided) == 1
    assert decided[0].outcome == DecisionOutcome.REJECT
    assert decided[0].reason_codes[0] == reasons.STRATEGY_UNKNOWN
    assert reasons.STRATEGY_NOT_ROUTABLE in decided[0].reason_codes
    assert [o for o in of_type(records, OrderSubmitted) if o.strategy_id == tiny] == []


def test_an_intent_without_its_candidates_artifact_has_no_data_version() -> None:
    from avwap.control.live_gate import ModeResolution
    from avwap.core.errors import DataError
    from avwap.core.execution_mode import ExecutionMode
    from avwap.execution.context import CycleFacts
    from avwap.execution.entries import data_version

    mode = ModeResolution(ExecutionMode.DRY_RUN, ExecutionMode.DRY_RUN)
    facts = CycleFacts(dt.datetime(2026, 4, 1, 14, 30, tzinfo=dt.UTC), DAY, True, True, mode, False)
    with pytest.raises(DataError, match="data_version"):
        data_version(facts)


def test_an_intent_left_undecided_by_a_crash_is_decided_once(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny = plug(tmp_path, monkeypatch)
    write_watchlist(home / "artifacts", ("AAA", "BBB"))
    config = load_config({"ENABLED_STRATEGIES": tiny}, home=home)
    now = dt.datetime.combine(DAY, dt.time(10, 30), NEW_YORK).astimezone(dt.UTC)
    deps = dependencies(config, FixedClock(now), None, book_id=DRY_RUN_BOOK)

    def crash(detail: dict[str, object]) -> None:
        raise SystemExit("killed after the intent was written")

    deps.hooks = HookAt(AFTER_INTENT_WRITE, crash)
    with pytest.raises(SystemExit):
        run_cycle(deps)
    first = run_once(home, {"ENABLED_STRATEGIES": tiny})  # restart: completes the intent, plans BBB
    second = run_once(home, {"ENABLED_STRATEGIES": tiny})  # and again: nothing new
    for records in (first, second):
        decided = of_type(records, Decision)
        assert sorted(d.symbol for d in decided) == ["AAA", "BBB"]
        assert len({d.intent_id for d in decided}) == len(of_type(records, TradeIntent)) == 2
    assert first == second
