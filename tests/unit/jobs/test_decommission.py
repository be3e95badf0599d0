"""Decommission: the kill switch stops entries, status follows open positions to an archivable end."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

import typer
from tests.unit.ledger import factories
from typer.testing import CliRunner

from avwap.cli import decommission_command
from avwap.control.state_files import kill_switch_active
from avwap.core.clock import FixedClock
from avwap.core.config import load_config
from avwap.jobs.decommission import status, stop_entries
from avwap.ledger.router import Ledger

CLOCK = FixedClock(dt.datetime(2026, 4, 1, 20, 0, tzinfo=dt.UTC))


def test_sequence_from_open_position_to_archivable(tmp_path: Path) -> None:
    config = load_config({}, home=tmp_path)
    records = factories.round_trip()
    Ledger(config.ledger_dir).append_together(records[:9])  # position open, stop ratcheted to 99
    first = status(config)
    assert not first.kill_switch and not first.done
    assert first.next_step == "avwap decommission stop-entries"
    path = stop_entries(config, CLOCK, "end of strategy")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and "end of strategy" in path.read_text()
    assert kill_switch_active(False, config.state_dir)  # what every execute cycle checks
    stop_entries(config, CLOCK, "again")  # idempotent: the first reason is kept
    assert "end of strategy" in path.read_text()
    held = status(config)
    assert [(item.symbol, item.quantity, item.stop_price) for item in held.positions] == [
        ("AAPL", 10, "99.00")
    ]
    assert "avwap-execute.timer" in held.next_step and not held.done
    Ledger(config.ledger_dir).append_together(records[9:])  # the stop (here: an exit) closed it
    final = status(config)
    assert final.done and "avwap audit export" in final.next_step


def test_a_broken_ledger_comes_first(tmp_path: Path) -> None:
    config = load_config({}, home=tmp_path)
    Ledger(config.ledger_dir).append_together(factories.round_trip())
    path = config.ledger_dir / "PAPER_SIM" / "2026-04-01.jsonl"
    path.write_text(path.read_text().replace("10000.00", "90000.00"))
    report = status(config)
    assert not report.ledgers_ok and not report.done and "2026-04-01.jsonl" in report.next_step


def test_the_commands(tmp_path: Path) -> None:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root."""

    decommission_command.register(app)
    env = {"AVWAP_HOME": str(tmp_path), "KILL_SWITCH": "0"}
    runner = CliRunner()
    assert runner.invoke(app, ["decommission", "status"], env=env).exit_code == 1
    assert runner.invoke(app, ["decommission", "stop-entries"], env=env).exit_code == 0
    result = runner.invoke(app, ["decommission", "status", "--json"], env=env)
    assert result.exit_code == 0 and json.loads(result.output)["done"] is True
