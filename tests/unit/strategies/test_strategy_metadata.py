"""The strategy metadata contract (Phase S0): every registered strategy keeps it, and a strategy that breaks
it is refused at load time with a ConfigurationError naming what is wrong."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from avwap.core.errors import ConfigurationError
from avwap.strategies import registry
from avwap.strategies.registry import (
    KNOWN_BOOKS,
    REGISTRY,
    RiskProfile,
    StrategyMetadata,
    is_registered,
    load_strategy,
    may_route_to,
    metadata_problems,
)

GOOD = StrategyMetadata(
    strategy_id="T_GOOD",
    description="test",
    asset_universe="US equities",
    holding_horizon="days",
    execution_style="market",
    risk_profile=RiskProfile.DIRECTIONAL,
    version="2.1",
    books=("PAPER_SIM",),
)


def test_every_registered_strategy_keeps_the_contract() -> None:
    for strategy_id in REGISTRY:
        metadata = load_strategy(strategy_id).metadata
        assert metadata_problems(metadata) == [], strategy_id
        assert metadata.strategy_id == strategy_id and set(metadata.books) <= KNOWN_BOOKS
        assert is_registered(strategy_id)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"strategy_id": "lower_case"}, "strategy_id must be UPPER_SNAKE"),
        ({"description": "  "}, "description must be a non-empty text"),
        ({"asset_universe": ""}, "asset_universe must be a non-empty text"),
        ({"holding_horizon": None}, "holding_horizon must be a non-empty text"),
        ({"execution_style": ""}, "execution_style must be a non-empty text"),
        ({"risk_profile": "directional-ish"}, "risk_profile must be one of"),
        ({"version": "v1"}, "version must be dot-separated integers"),
        ({"version": ""}, "version must be dot-separated integers"),
        ({"books": ()}, "books must be a non-empty tuple"),
        ({"books": ("PAPER_SIM", "PAPER_SIM")}, "books must be a non-empty tuple"),
        ({"books": ["PAPER_SIM"]}, "books must be a non-empty tuple"),
        ({"books": ("NOWHERE",)}, "are not known books"),
        ({"routable": "yes"}, "routable must be a boolean"),
        ({"shadow_of": "S9_NOTHING"}, "shadow_of names an unregistered strategy"),
    ],
)
def test_a_broken_field_is_named(change: dict[str, object], expected: str) -> None:
    assert metadata_problems(GOOD) == []
    problems = metadata_problems(dataclasses.replace(GOOD, **change))  # type: ignore[arg-type]
    assert len(problems) == 1 and expected in problems[0]


def test_a_registered_module_breaking_the_contract_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken_strategy_plugin.py").write_text(
        "from avwap.strategies.registry import RiskProfile, StrategyMetadata\n"
        "class Broken:\n"
        "    metadata = StrategyMetadata('T_BROKEN', 'x', 'y', 'z', 'w', RiskProfile.NEUTRAL, 'one', ())\n"
        "STRATEGY = Broken()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(registry.REGISTRY, "T_BROKEN", "broken_strategy_plugin")
    with pytest.raises(ConfigurationError) as raised:
        load_strategy("T_BROKEN", "ENABLED_STRATEGIES")
    assert raised.value.variable == "ENABLED_STRATEGIES"
    assert "version" in str(raised.value) and "books" in str(raised.value)
    assert not is_registered("T_BROKEN") and not may_route_to("T_BROKEN", "PAPER_SIM")


def test_routing_to_books() -> None:
    assert may_route_to("S1_AVWAP_CORE", "PAPER_SIM") and may_route_to("S1_AVWAP_CORE", "DRY_RUN")
    assert not may_route_to("S1_AVWAP_CORE", "NOWHERE") and not may_route_to("S9_UNKNOWN", "PAPER_SIM")
    assert not is_registered(None) and not is_registered("S9_UNKNOWN")


def test_known_books_are_the_books_the_execution_modes_record_in() -> None:
    from avwap.execution.book import BOOK_FOR_MODE, DRY_RUN_BOOK

    assert registry.DRY_RUN_BOOK == DRY_RUN_BOOK
    assert set(BOOK_FOR_MODE.values()) == set(KNOWN_BOOKS)
