"""Versioned rulesets: canonical hashes, the ledger-recorded registry, next-session activation, rollback,
and the version recorded on intents, decisions and artifact provenance."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from avwap.cli import rules_command
from avwap.control.ruleset_registry import (
    activate,
    activations,
    config_in_force,
    rollback,
    ruleset_in_force,
    rulesets_dir,
)
from avwap.control.rulesets import RULE_VARIABLES, apply_ruleset, parse_ruleset, render_ruleset
from avwap.core.clock import FixedClock
from avwap.core.config import Config, load_config
from avwap.core.config_settings import SETTINGS
from avwap.core.errors import ConfigurationError
from avwap.ledger.atomic import atomic_write_json, build_provenance
from avwap.ledger.paths import RULESETS, list_ledger_files
from avwap.ledger.records import Decision, TradeIntent, decode_record, encode_record
from avwap.ledger.router import read_linked
from avwap.ledger.rulesets_stream import activation_in_force
from avwap.signals.scan_rules import ScanRules

# 2026-04-01 is a Wednesday session; 10:30 New York (14:30 UTC) is mid-session.
MID_SESSION = FixedClock(dt.datetime(2026, 4, 1, 14, 30, tzinfo=dt.UTC))
WEDNESDAY, THURSDAY, MONDAY = (
    dt.date(2026, 4, 1),
    dt.date(2026, 4, 2),
    dt.date(2026, 4, 6),
)  # 3rd: Good Friday

V1 = 'version = "v1"\n[config]\nMAX_POSITIONS = 4\n[scan]\ntop_n = 15\n'
V2 = 'version = "v2"\n[config]\nMAX_POSITIONS = 3\nSIZING_BASE_RISK_PCT = "1.5"\n[scan]\ntop_n = 10\n'


@pytest.fixture
def config(tmp_path: Path) -> Config:
    config = load_config({}, home=tmp_path)
    rulesets_dir(config).mkdir(parents=True)
    (rulesets_dir(config) / "v1.toml").write_text(V1, encoding="utf-8")
    (rulesets_dir(config) / "v2.toml").write_text(V2, encoding="utf-8")
    return config


def test_every_rule_variable_is_a_setting() -> None:
    names = {spec.variable for spec in SETTINGS}
    assert set(RULE_VARIABLES) <= names
    assert "KILL_SWITCH" not in RULE_VARIABLES and "DRY_RUN" not in RULE_VARIABLES  # switches, not rules


def test_hash_is_canonical_over_the_rules_not_the_layout() -> None:
    base = parse_ruleset(V1)
    reordered = parse_ruleset('version = "v1" # c\n[scan]\ntop_n = 15\n[config]\nMAX_POSITIONS = 4\n')
    renamed = parse_ruleset(V1.replace('"v1"', '"v9"'))
    changed = parse_ruleset(V1.replace("top_n = 15", "top_n = 16"))
    assert base.sha256 == reordered.sha256 == renamed.sha256
    assert changed.sha256 != base.sha256
    assert base.scan_rules.top_n == 15 and base.config_values == {"MAX_POSITIONS": 4}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ('version = "x"\n[config]\nKILL_SWITCH = true\n', "KILL_SWITCH"),
        ('version = "x"\n[config]\nMAX_POSITIONS = "many"\n', "MAX_POSITIONS"),
        ('version = "x"\n[scan]\ntop_nn = 3\n', "ScanRules.top_nn"),
        ('version = "x"\nextra = 1\n', "extra"),
        ("[config]\nMAX_POSITIONS = 1\n", "version"),
    ],
)
def test_a_bad_ruleset_names_the_key(text: str, name: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_ruleset(text)
    assert raised.value.variable == name


def test_init_renders_a_complete_ruleset_that_reproduces_the_config(tmp_path: Path) -> None:
    config = load_config({}, home=tmp_path, max_positions=7, stop_buffer_atr_fraction=None)
    ruleset = parse_ruleset(render_ruleset("base", config, ScanRules()))
    assert set(ruleset.config_values) == set(RULE_VARIABLES)
    assert ruleset.scan_rules == ScanRules()
    applied = apply_ruleset(load_config({}, home=tmp_path), ruleset)
    assert applied.config_hash() == config.config_hash()
    assert applied.ruleset_version == "base"


def test_activation_is_effective_from_the_next_session_never_mid_session(config: Config) -> None:
    with pytest.raises(ConfigurationError, match="not after today"):
        activate(config, "v1", MID_SESSION, WEDNESDAY)
    record = activate(config, "v1", MID_SESSION)
    assert record.effective_from_ny == THURSDAY and record.date_ny == WEDNESDAY
    assert ruleset_in_force(config, WEDNESDAY) is None  # today's session keeps the rules it started with
    in_force = ruleset_in_force(config, THURSDAY)
    assert in_force is not None and in_force.version == "v1"
    with pytest.raises(ConfigurationError, match="not an NYSE session"):
        activate(config, "v2", MID_SESSION, dt.date(2026, 4, 4))  # a Saturday


def test_activations_are_ledger_records_and_rollback_restores_the_previous_version(config: Config) -> None:
    activate(config, "v1", MID_SESSION)
    next_day = FixedClock(dt.datetime(2026, 4, 2, 15, 0, tzinfo=dt.UTC))
    second = activate(config, "v2", next_day)
    assert (second.previous_version, second.effective_from_ny) == ("v1", MONDAY)  # Good Friday skipped
    back = rollback(config, FixedClock(dt.datetime(2026, 4, 3, 15, 0, tzinfo=dt.UTC)))
    assert back.effective_from_ny == MONDAY  # cancels v2 before it ever governed a session
    assert (back.action, back.version, back.previous_version) == ("ROLLBACK", "v1", "v2")
    history = activations(config)
    assert [record.version for record in history] == ["v1", "v2", "v1"]
    assert activation_in_force(history, dt.date(2026, 4, 3)) == history[0]
    assert activation_in_force(history, MONDAY) == back  # same start: the later record wins
    in_force = ruleset_in_force(config, MONDAY)
    assert in_force is not None and in_force.version == "v1"
    files = list_ledger_files(config.ledger_dir, RULESETS)
    assert len(files) == 3
    assert sum(len(envelopes) for _, envelopes in read_linked(config.ledger_dir, RULESETS)) == 3


def test_rollback_without_history_is_refused(config: Config) -> None:
    with pytest.raises(ConfigurationError, match="nothing to roll back"):
        rollback(config, MID_SESSION)
    activate(config, "v1", MID_SESSION)
    with pytest.raises(ConfigurationError, match="nothing to roll back"):
        rollback(config, MID_SESSION)


def test_an_edited_ruleset_file_fails_closed(config: Config) -> None:
    activate(config, "v1", MID_SESSION)
    (rulesets_dir(config) / "v1.toml").write_text(V1.replace("= 4", "= 40"), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="changed since it was activated"):
        ruleset_in_force(config, THURSDAY)


def test_the_ruleset_in_force_wins_and_a_conflicting_variable_is_refused(config: Config) -> None:
    activate(config, "v2", MID_SESSION)
    applied = config_in_force(config, {}, THURSDAY)
    assert applied.max_positions == 3 and applied.sizing_base_risk_pct == Decimal("1.5")
    assert applied.ruleset_version == "v2" and applied.config_hash() != config.config_hash()
    assert config_in_force(config, {}, WEDNESDAY) == config
    conflicting = load_config({"MAX_POSITIONS": "9"}, home=config.home)
    with pytest.raises(ConfigurationError) as raised:
        config_in_force(conflicting, {"MAX_POSITIONS": "9"}, THURSDAY)
    assert raised.value.variable == "MAX_POSITIONS"
    agreeing = load_config({"MAX_POSITIONS": "3"}, home=config.home)
    assert config_in_force(agreeing, {"MAX_POSITIONS": "3"}, THURSDAY).max_positions == 3


def _intent(ruleset_version: str | None) -> TradeIntent:
    from tests.unit.ledger import factories

    return factories.intent().__replace__(ruleset_version=ruleset_version)  # type: ignore[attr-defined]


def test_records_carry_the_version_and_keep_old_bytes_when_unset() -> None:
    from tests.unit.ledger import factories

    plain = encode_record(factories.intent())
    assert "ruleset_version" not in plain  # ledgers written before rulesets keep their exact bytes
    stamped = encode_record(_intent("v2"))
    assert stamped["ruleset_version"] == "v2"
    assert decode_record(stamped) == _intent("v2")
    decision = factories.approve(factories.intent())
    assert "ruleset_version" not in encode_record(decision)
    assert isinstance(decode_record({**encode_record(decision), "ruleset_version": "v2"}), Decision)


def test_provenance_names_the_ruleset_only_when_one_is_in_force(tmp_path: Path) -> None:
    without = build_provenance("c" * 64, "d" * 64, WEDNESDAY, code_version="0")
    with_version = build_provenance("c" * 64, "d" * 64, WEDNESDAY, code_version="0", ruleset_version="v2")
    atomic_write_json(tmp_path / "a.json", {}, without)
    atomic_write_json(tmp_path / "b.json", {}, with_version)
    assert "ruleset_version" not in json.loads((tmp_path / "a.json").read_text())["provenance"]
    assert json.loads((tmp_path / "b.json").read_text())["provenance"]["ruleset_version"] == "v2"


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root."""

    rules_command.register(app)
    return app


def test_rules_cli_init_show_diff_activate_rollback(tmp_path: Path) -> None:
    env = {"AVWAP_HOME": str(tmp_path)}
    runner = CliRunner()
    assert runner.invoke(_app(), ["rules", "init", "base"], env=env).exit_code == 0
    assert runner.invoke(_app(), ["rules", "init", "base"], env=env).exit_code == 1  # never rewritten
    (tmp_path / "rulesets" / "tight.toml").write_text(V2.replace('"v2"', '"tight"'), encoding="utf-8")
    diff = runner.invoke(_app(), ["rules", "diff", "base", "tight", "--json"], env=env)
    changes = {item["rule"]: item for item in json.loads(diff.output)["changes"]}
    assert changes["config.MAX_POSITIONS"]["base"] == 5 and changes["config.MAX_POSITIONS"]["tight"] == 3
    assert runner.invoke(_app(), ["rules", "activate", "base"], env=env).exit_code == 0
    assert runner.invoke(_app(), ["rules", "activate", "tight"], env=env).exit_code == 0
    shown = json.loads(runner.invoke(_app(), ["rules", "show", "--json"], env=env).output)
    assert [row["version"] for row in shown["activations"]] == ["base", "tight"]
    result = runner.invoke(_app(), ["rules", "rollback"], env=env)
    assert result.exit_code == 0, result.output
    assert "ruleset base" in result.output
    missing = runner.invoke(_app(), ["rules", "activate", "nope"], env=env)
    assert missing.exit_code == 3 and "no ruleset 'nope'" in missing.output


@pytest.mark.parametrize("version", ["v2", ""])
def test_the_cycle_stamps_intents_and_decisions_with_the_version_in_force(home: Path, version: str) -> None:
    from tests.integration.crash_driver import DAY, SimScenario, write_watchlist

    from avwap.core.calendar import NEW_YORK

    write_watchlist(home / "artifacts")
    scenario = SimScenario(home, ruleset_version=version)
    scenario.run_at(dt.datetime.combine(DAY, dt.time(10, 30), NEW_YORK).astimezone(dt.UTC))
    stamped = [record for record in scenario.records() if isinstance(record, TradeIntent | Decision)]
    assert len(stamped) >= 2
    assert {record.ruleset_version for record in stamped} == {version or None}
