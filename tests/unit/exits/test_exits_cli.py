"""``avwap exits report`` / ``simulate`` on a temporary home: a ledger round trip and stored 5-minute bars."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import typer
from tests.unit.analytics.test_trades_reconstruction import round_trip
from typer.testing import CliRunner

from avwap.cli import exits_command
from avwap.cli.output import EXIT_PROBLEM
from avwap.data.store import BarStore
from avwap.ledger.router import Ledger

runner = CliRunner()
ARGS = ["--from", "2026-04-01", "--to", "2026-04-01"]


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()

    @application.callback()
    def root() -> None:
        """test root"""

    exits_command.register(application)
    return application


@pytest.fixture
def exits_home(home: Path) -> Path:
    ledger = Ledger(home / "ledger")
    for record in round_trip():
        ledger.append(record)
    starts = pd.date_range("2026-04-01 09:30", periods=78, freq="5min", tz="America/New_York")
    low, high = np.full(78, 100.5), np.full(78, 101.0)
    low[18], high[42] = 99.0, 102.3
    frame = pd.DataFrame(
        {
            "symbol": "MSFT",
            "timestamp": starts,
            "open": low + 0.1,
            "high": high,
            "low": low,
            "close": high - 0.1,
        }
    )
    frame["volume"] = 1000.0
    BarStore(home / "data").write(frame, "5m")
    return home


def test_report_json(app: typer.Typer, exits_home: Path) -> None:
    result = runner.invoke(app, ["exits", "report", *ARGS, "--home", str(exits_home), "--json", "--write"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    [trade] = payload["trades"]
    assert (trade["mae"], trade["mfe"], trade["r_multiple"], trade["efficiency"]) == (
        "-1.3000",
        "2.0000",
        "0.3500",
        "0.3500",
    )
    assert payload["summary"]["trades"] == 1
    artifact = exits_home / "artifacts" / "exits" / "2026-04-01.json"
    assert json.loads(artifact.read_text())["books"]["PAPER_SIM"]["trades"][0]["symbol"] == "MSFT"


def test_report_table_and_empty_range(app: typer.Typer, exits_home: Path) -> None:
    result = runner.invoke(app, ["exits", "report", *ARGS, "--home", str(exits_home)])
    assert result.exit_code == 0 and "MSFT" in result.output and "0.3500" in result.output
    empty = runner.invoke(
        app, ["exits", "report", "--from", "2026-05-01", "--to", "2026-05-02", "--home", str(exits_home)]
    )
    assert empty.exit_code == 0 and "(0)" in empty.output


def test_simulate_reports_a_divergence(app: typer.Typer, exits_home: Path) -> None:
    # the stored bars never reach the real stop: the simulation keeps the position open
    result = runner.invoke(app, ["exits", "simulate", *ARGS, "--home", str(exits_home), "--json"])
    assert result.exit_code == EXIT_PROBLEM, result.output
    report = json.loads(result.output)["report"]
    assert [item["cause"] for item in report["divergences"]] == ["MISSING_IN_SIMULATION"]


def test_simulate_replays_with_the_configured_stop_rules(
    app: typer.Typer, exits_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from avwap.exits import simulator

    seen = []
    real = simulator.simulate_intraday

    def spy(*arguments: Any, **keywords: Any) -> Any:
        seen.append(arguments[3])
        return real(*arguments, **keywords)

    monkeypatch.setattr(simulator, "simulate_intraday", spy)
    environment = {"STOP_BUFFER": "0.25", "STOP_INTRADAY_RIGHT_BARS": "1"}
    runner.invoke(app, ["exits", "simulate", *ARGS, "--home", str(exits_home), "--json"], env=environment)
    [rules] = seen
    assert (rules.buffer, rules.intraday_right, rules.bar_minutes) == (Decimal("0.25"), 1, 5)
