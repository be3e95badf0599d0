"""Scan rules from a TOML file: every field configurable, typos and wrong types named, a stable hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from avwap.core.errors import ConfigurationError
from avwap.signals.anchors import AnchorRules
from avwap.signals.scan_rules import ScanRules
from avwap.signals.scan_rules_file import load_scan_rules, scan_rules_hash


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scan_rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_empty_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_scan_rules(write(tmp_path, "")) == ScanRules()


def test_given_keys_override_and_the_rest_keep_their_defaults(tmp_path: Path) -> None:
    text = (
        "min_bars = 100\nmax_distance = 0.05\nmin_avg_volume = 500000\nrequire_stop_below_entry = false\n"
        'benchmark_symbol = "QQQ"\nweekly_fast_sma_bars = 5\nmin_anchor_age_bars = 2\n'
        "[anchors]\ngap_threshold = 0.05\nytd_priority = 110\n"
    )
    rules = load_scan_rules(write(tmp_path, text))
    assert rules == ScanRules(
        min_bars=100,
        max_distance=0.05,
        min_avg_volume=500_000.0,
        require_stop_below_entry=False,
        benchmark_symbol="QQQ",
        weekly_fast_sma_bars=5,
        min_anchor_age_bars=2,
        anchors=AnchorRules(gap_threshold=0.05, ytd_priority=110),
    )
    assert isinstance(rules.min_avg_volume, float)  # an integer is fine for a float field


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("min_barz = 90\n", "ScanRules.min_barz"),
        ("[anchors]\ngap_treshold = 0.05\n", "ScanRules.anchors.gap_treshold"),
        ('min_bars = "90"\n', "ScanRules.min_bars"),
        ("min_bars = 90.5\n", "ScanRules.min_bars"),
        ("max_distance = true\n", "ScanRules.max_distance"),
        ('require_stop_below_entry = "yes"\n', "ScanRules.require_stop_below_entry"),
        ("benchmark_symbol = 5\n", "ScanRules.benchmark_symbol"),
        ("anchors = 3\n", "ScanRules.anchors"),
        ("[anchors]\nytd_priority = 1.5\n", "ScanRules.anchors.ytd_priority"),
        ("top_n = 0\n", "ScanRules.top_n"),  # values are validated too
        ("weekly_fast_sma_bars = 30\n", "ScanRules.weekly_fast_sma_bars"),
    ],
)
def test_unknown_keys_and_wrong_types_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_scan_rules(write(tmp_path, text))
    assert raised.value.variable == key


def test_unreadable_and_malformed_files_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_scan_rules(tmp_path / "absent.toml")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_scan_rules(write(tmp_path, "min_bars = \n"))


def test_the_rules_hash_is_stable_and_changes_with_any_threshold() -> None:
    base = scan_rules_hash(ScanRules())
    assert base == scan_rules_hash(ScanRules()) and len(base) == 64
    assert scan_rules_hash(ScanRules(min_bars=81)) != base
    assert scan_rules_hash(ScanRules(anchors=AnchorRules(gap_threshold=0.05))) != base
