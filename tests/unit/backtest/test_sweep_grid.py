"""The sweep grid: deterministic expansion and ids, every value checked by the normal parsers, and a
ConfigurationError naming the key for anything unknown or malformed."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from avwap.backtest.sweep_grid import grid_from_mapping, load_grid
from avwap.core.errors import ConfigurationError
from avwap.signals.scan_rules import ScanRules

GRID: dict[str, Any] = {
    "STOP_BUFFER": [0.05, 0.10],
    "MAX_POSITIONS": [5, 10],
    "scan": {"max_distance": [0.04, 0.06], "anchors": {"gap_threshold": [0.03]}},
}


def test_expansion_order_ids_and_values_are_deterministic() -> None:
    grid = grid_from_mapping(GRID)
    assert grid.keys == ("MAX_POSITIONS", "STOP_BUFFER", "scan.anchors.gap_threshold", "scan.max_distance")
    assert [item.id for item in grid.sets] == [f"p{index:03d}" for index in range(8)]
    # The last key varies fastest; values keep the file's order.
    assert [dict(item.values)["scan.max_distance"] for item in grid.sets[:2]] == [0.04, 0.06]
    assert dict(grid.sets[0].values) == {
        "MAX_POSITIONS": 5,
        "STOP_BUFFER": 0.05,
        "scan.anchors.gap_threshold": 0.03,
        "scan.max_distance": 0.04,
    }
    assert dict(grid.sets[-1].values)["MAX_POSITIONS"] == 10
    assert grid_from_mapping(GRID) == grid  # same mapping, same sets and ids
    assert grid.varying() == ("MAX_POSITIONS", "STOP_BUFFER", "scan.max_distance")


def test_a_set_becomes_config_settings_and_scan_rules() -> None:
    item = grid_from_mapping(GRID).sets[-1]
    assert item.settings() == {"max_positions": 10, "stop_buffer": Decimal("0.1")}
    rules = item.rules()
    assert rules.max_distance == 0.06 and rules.anchors.gap_threshold == 0.03
    assert rules.min_price == ScanRules().min_price  # the rest keeps its default


@pytest.mark.parametrize(
    ("mapping", "variable"),
    [
        ({"STOP_BUFER": [0.1]}, "STOP_BUFER"),  # a typo is never ignored
        ({"STOP_BUFFER": ["wide"]}, "STOP_BUFFER"),
        ({"STOP_BUFFER": [-1]}, "STOP_BUFFER"),
        ({"STOP_BUFFER": 0.1}, "STOP_BUFFER"),  # not a list
        ({"STOP_BUFFER": []}, "STOP_BUFFER"),
        ({"STOP_BUFFER": [0.1, 0.1]}, "STOP_BUFFER"),
        ({"SIZING_BASE_RISK_PCT": [2, 500]}, "SIZING_BASE_RISK_PCT"),  # range checked on the Config
        ({"KILL_SWITCH": [True, False]}, "KILL_SWITCH"),  # safety switches are not parameters
        ({"AVWAP_HOME": ["/tmp"]}, "AVWAP_HOME"),
        ({"ALPACA_SECRET_KEY": ["x"]}, "ALPACA_SECRET_KEY"),
        ({"scan": {"max_distanse": [0.1]}}, "scan.max_distanse"),
        ({"scan": {"max_distance": ["far"]}}, "scan.max_distance"),
        ({"scan": {"anchors": {"gap_treshold": [0.1]}}}, "scan.anchors.gap_treshold"),
        ({"scan": {"top_n": [0]}}, "scan.top_n"),  # ScanRules' own check
        ({"scan": [1]}, "scan"),
        ({}, "--grid"),
        ({"STOP_BUFFER": list(range(100)), "MAX_POSITIONS": list(range(101))}, "--grid"),  # 10,100 sets
    ],
)
def test_unknown_keys_and_bad_values_name_the_key(mapping: dict[str, Any], variable: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        grid_from_mapping(mapping)
    assert raised.value.variable == variable


def test_load_grid_reads_toml_and_names_the_option_on_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "grid.toml"
    path.write_text("STOP_BUFFER = [0.05, 0.2]\n[scan]\nmax_distance = [0.05]\n", encoding="utf-8")
    assert len(load_grid(path).sets) == 2
    path.write_text("STOP_BUFFER = [0.05,\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as raised:
        load_grid(path)
    assert raised.value.variable == "--grid"
    with pytest.raises(ConfigurationError):
        load_grid(tmp_path / "missing.toml")
