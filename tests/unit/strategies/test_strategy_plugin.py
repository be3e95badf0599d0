"""Strategies plug in: one module plus one registry line, and the cycle routes their plans through the
control plane into the ledger under their own strategy_id; execution never reaches into S1."""

from __future__ import annotations

import ast
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.integration.crash_driver import DAY, dependencies, write_watchlist

from avwap.control import reasons
from avwap.core.calendar import NEW_YORK
from avwap.core.clock import FixedClock
from avwap.core.config import load_config
from avwap.core.errors import ConfigurationError
from avwap.execution.book import DRY_RUN_BOOK
from avwap.execution.cycle import run_cycle
from avwap.ledger.record_enums import DecisionOutcome
from avwap.ledger.records import Decision, OrderSubmitted, TradeIntent
from avwap.ledger.router import Ledger
from avwap.strategies import registry
from avwap.strategies.registry import S1_AVWAP_CORE, enabled_strategies

TINY_MODULE = '''
"""A test strategy: wants every candidate it does not hold, at $10 with a $9.50 stop."""
import datetime as dt
from decimal import Decimal
from decimal import Decimal

from avwap.strategies.protocol import EntryPlan, StrategyInputs
from avwap.strategies.registry import RiskProfile, StrategyMetadata


class Tiny:
    metadata = StrategyMetadata(
        "T_TINY", "test strategy", "candidates", "minutes", "market", RiskProfile.DIRECTIONAL, "3",
        ("DRY_RUN", "PAPER_SIM"),
    )

    def entry_window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return (
            dt.datetime.combine(day, dt.time(13, 30), dt.UTC),
            dt.datetime.combine(day, dt.time(20, 0), dt.UTC),
        )

    def entries(self, inputs: StrategyInputs) -> tuple[EntryPlan, ...]:
        return tuple(
            EntryPlan(
                strategy_id="T_TINY",
                symbol=candidate.symbol,
                setup="tiny",
                entry_price=Decimal("10.00"),
                initial_stop=Decimal("9.50"),
                distance_pct=Decimal("0"),
                decided_at=inputs.now - dt.timedelta(minutes=5),
                model_version="T_TINY/3",
                reason="always",
            )
            for candidate in inputs.candidates
            if candidate.symbol not in inputs.held and not inputs.considered(candidate.symbol, "tiny")
        )


STRATEGY = Tiny()
'''


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The whole of adding a strategy: one module and one registry line."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "tiny_strategy_plugin.py").write_text(TINY_MODULE)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setitem(registry.REGISTRY, "T_TINY", "tiny_strategy_plugin")
    return "T_TINY"


def run_once(home: Path, environ: dict[str, str], symbols: tuple[str, ...] = ("AAA", "BBB")) -> list[Any]:
    write_watchlist(home / "artifacts", symbols)
    config = load_config(environ, home=home)
    now = dt.datetime.combine(DAY, dt.time(10, 30), NEW_YORK).astimezone(dt.UTC)
    run_cycle(dependencies(config, FixedClock(now), None, book_id=DRY_RUN_BOOK))
    return Ledger(config.ledger_dir).read_book(DRY_RUN_BOOK)


def of_type(records: list[Any], kind: type) -> list[Any]:
    return [record for record in records if isinstance(record, kind)]


def test_a_registered_strategy_trades_through_the_control_plane_under_its_id(home: Path, tiny: str) -> None:
    records = run_once(home, {"ENABLED_STRATEGIES": tiny})
    intents = of_type(records, TradeIntent)
    assert [(i.symbol, i.strategy_id, i.model_version) for i in intents] == [
        ("AAA", tiny, "T_TINY/3"),
        ("BBB", tiny, "T_TINY/3"),
    ]
    assert {i.stop_price for i in intents} == {Decimal("9.50")}
    decided = of_type(records, Decision)
    assert {(d.symbol, d.strategy_id) for d in decided} == {("AAA", tiny), ("BBB", tiny)}
    assert all(d.outcome != DecisionOutcome.REJECT for d in decided)
    assert {o.strategy_id for o in of_type(records, OrderSubmitted)} == {tiny}


def test_the_control_plane_decides_a_plugged_in_strategys_intents(home: Path, tiny: str) -> None:
    records = run_once(home, {"ENABLED_STRATEGIES": tiny, "KILL_SWITCH": "1"})
    decided = of_type(records, Decision)
    assert len(decided) == 2 and all(d.outcome == DecisionOutcome.REJECT for d in decided)
    assert all(reasons.KILL_SWITCH_ACTIVE in d.reason_codes for d in decided)
    assert {d.strategy_id for d in decided} == {tiny}
    assert of_type(records, OrderSubmitted) == []


def test_every_enabled_strategy_is_asked_and_a_symbol_gets_one_entry(home: Path, tiny: str) -> None:
    # CCC has no intraday bars: S1 cannot trigger on it, the test strategy wants it anyway (a lag longer
    # than the hour since the open keeps the freshness gate from deferring CCC for having no bar yet)
    environ = {"ENABLED_STRATEGIES": f"{S1_AVWAP_CORE},{tiny}", "INTRADAY_MAX_LAG_MINUTES": "120"}
    records = run_once(home, environ, ("AAA", "BBB", "CCC"))
    owners = sorted((i.symbol, i.strategy_id) for i in of_type(records, TradeIntent))
    # S1 is asked first and its breakouts claim AAA and BBB; the test strategy gets only CCC
    assert owners == [("AAA", S1_AVWAP_CORE), ("BBB", S1_AVWAP_CORE), ("CCC", tiny)]


def test_a_symbol_claimed_by_one_strategy_is_not_entered_by_another(home: Path, tiny: str) -> None:
    records = run_once(home, {"ENABLED_STRATEGIES": f"{tiny},{S1_AVWAP_CORE}"})
    owners = sorted((i.symbol, i.strategy_id) for i in of_type(records, TradeIntent))
    assert owners == [("AAA", tiny), ("BBB", tiny)]  # S1's breakouts come second: one position per symbol


def test_unknown_enabled_strategy_is_a_configuration_error_naming_the_variable(home: Path) -> None:
    config = load_config({"ENABLED_STRATEGIES": "S1_AVWAP_CORE,NOT_THERE"}, home=home)
    with pytest.raises(ConfigurationError) as raised:
        enabled_strategies(config)
    assert raised.value.variable == "ENABLED_STRATEGIES" and "NOT_THERE" in str(raised.value)
    with pytest.raises(ConfigurationError):  # the cycle's dependencies refuse it at start-up
        dependencies(config, FixedClock(dt.datetime(2026, 4, 1, 14, 30, tzinfo=dt.UTC)), None)
    with pytest.raises(ConfigurationError) as malformed:
        load_config({"ENABLED_STRATEGIES": "S1;DROP"})
    assert malformed.value.variable == "ENABLED_STRATEGIES"


def test_default_enables_s1_only() -> None:
    (only,) = enabled_strategies(load_config({}))
    assert only.metadata.strategy_id == S1_AVWAP_CORE


def test_execution_does_not_import_strategy_internals() -> None:
    """The cycle knows strategies only through the protocol and the registry."""
    allowed = {"avwap.strategies.protocol", "avwap.strategies.registry"}
    package = Path(__file__).resolve().parents[3] / "src" / "avwap" / "execution"
    offenders = []
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
                names = names[:1] if node.module != "avwap.strategies" else names[1:]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            offenders += [
                f"{path.name}: {name}"
                for name in names
                if name.startswith("avwap.strategies") and name not in allowed
            ]
    assert offenders == []


def test_a_plan_to_sell_short_is_refused() -> None:
    from avwap.ledger.record_enums import Side
    from avwap.strategies.protocol import EntryPlan

    with pytest.raises(ValueError, match="long entries only"):
        EntryPlan(
            strategy_id="T_TINY",
            symbol="AAA",
            setup="x",
            entry_price=Decimal("10"),
            initial_stop=Decimal("11"),
            distance_pct=Decimal("0"),
            decided_at=dt.datetime(2026, 4, 1, 14, 30, tzinfo=dt.UTC),
            model_version="T_TINY/3",
            reason="short",
            side=Side.SELL,
        )
