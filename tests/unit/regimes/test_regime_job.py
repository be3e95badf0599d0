"""The regime shell: label a range from a bar store, append REGIME_E1 records, `avwap regime show|label`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from avwap.cli import regime_command
from avwap.cli.output import EXIT_OK
from avwap.core.calendar import NEW_YORK, nyse
from avwap.core.clock import FixedClock
from avwap.core.config import Config, load_config
from avwap.data.bars import normalize_bars
from avwap.data.store import BarStore
from avwap.jobs.regime import label_history, record_history
from avwap.ledger.paths import REGIME_E1
from avwap.ledger.verify import verify_path
from avwap.regimes import rules as codes
from avwap.regimes.recorded import read_recorded
from avwap.regimes.rules import Regime

runner = CliRunner()
FIRST = dt.date(2023, 1, 3)
LAST = dt.date(2024, 12, 31)
MISSING = dt.date(2024, 6, 12)  # the benchmark has no bar that day
SYMBOLS = 35


def _frame(symbol: str, days: list[dt.date], close: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": symbol,
            "timestamp": [pd.Timestamp(dt.datetime.combine(day, dt.time(), NEW_YORK)) for day in days],
            "open": close, "high": close * 1.01, "low": close * 0.99, "close": close, "volume": 1_000_000.0,
        }
    )  # fmt: skip


@pytest.fixture
def config(tmp_path: Path) -> Config:
    days = nyse().sessions(FIRST, LAST)
    rng = np.random.default_rng(12)
    drift = np.where(np.arange(len(days)) < 330, 0.0008, -0.004)  # calm, then a slide
    spy = 400 * np.exp(np.cumsum(drift + rng.normal(0, 0.008, len(days))))
    frames = [_frame("SPY", [day for day in days if day != MISSING], spy[[day != MISSING for day in days]])]
    for number in range(SYMBOLS):
        frames.append(_frame(f"S{number:02d}", days, spy * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))))
    store = BarStore(tmp_path / "home" / "data")
    store.write(normalize_bars(pd.concat(frames, ignore_index=True)), "1d")
    return load_config({}, home=tmp_path / "home")


def test_a_range_is_labelled_from_the_store_with_its_provenance(config: Config) -> None:
    history = label_history(config, dt.date(2024, 6, 3), dt.date(2024, 6, 28))
    assert [day.date for day in history.days] == nyse().sessions(dt.date(2024, 6, 3), dt.date(2024, 6, 28))
    missing = next(day for day in history.days if day.date == MISSING)
    assert missing.label is Regime.UNKNOWN and missing.reasons == (codes.BENCHMARK_MISSING,)
    known = [day for day in history.days if day.date != MISSING]
    assert all(day.breadth is not None and day.breadth_symbols == SYMBOLS for day in known)
    assert history.universe_symbols == SYMBOLS and history.bars_source == "store"
    assert len(history.data_sha256) == 64 and history.config_hash == config.config_hash()
    assert MISSING not in history.closes and len(history.closes) == len(known)


def test_a_range_label_does_not_depend_on_where_the_range_starts(config: Config) -> None:
    long = label_history(config, dt.date(2024, 1, 2), LAST)
    short = label_history(config, dt.date(2024, 10, 1), LAST)
    assert short.days == [day for day in long.days if day.date >= dt.date(2024, 10, 1)]
    assert {day.label for day in long.days} >= {Regime.RISK_ON, Regime.RISK_OFF}


def test_records_are_appended_once_per_date_in_order(config: Config) -> None:
    clock = FixedClock(dt.datetime(2025, 1, 2, 22, 0, tzinfo=dt.UTC))
    first = record_history(config, label_history(config, dt.date(2024, 12, 2), dt.date(2024, 12, 13)), clock)
    assert len(first.written) == 10 and not first.already_recorded
    again = record_history(config, label_history(config, dt.date(2024, 12, 9), dt.date(2024, 12, 20)), clock)
    assert again.already_recorded == nyse().sessions(dt.date(2024, 12, 9), dt.date(2024, 12, 13))
    assert again.written == nyse().sessions(dt.date(2024, 12, 16), dt.date(2024, 12, 20))
    records = read_recorded(config.ledger_dir, dt.date(2024, 12, 1), dt.date(2024, 12, 31))
    assert [record.date_ny for record in records] == first.written + again.written
    history = label_history(config, dt.date(2024, 12, 2), dt.date(2024, 12, 20))
    assert [record.label for record in records] == [day.label.value for day in history.days]
    assert all(record.book_id == REGIME_E1 and record.rules_version == "REGIME_E1_V1" for record in records)
    reports = verify_path(config.ledger_dir / REGIME_E1)
    assert reports and all(report.status.value == "OK" for report in reports)


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()

    @application.callback()
    def root() -> None:
        """test root"""

    regime_command.register(application)
    return application


def test_cli_show_prints_json_and_writes_a_chart(config: Config, app: typer.Typer, tmp_path: Path) -> None:
    chart = tmp_path / "regime.svg"
    arguments = ["regime", "show", "--from", "2024-06-10", "--to", "2024-06-14", "--home", str(config.home)]
    result = runner.invoke(app, [*arguments, "--json", "--chart", str(chart)])
    assert result.exit_code == EXIT_OK, result.output
    data = json.loads(result.output)
    assert [day["date"] for day in data["days"]] == [f"2024-06-{day}" for day in (10, 11, 12, 13, 14)]
    assert data["days"][2]["label"] == "UNKNOWN" and data["days"][2]["reason_codes"] == [
        "REGIME_BENCHMARK_MISSING"
    ]
    assert sum(data["distribution"].values()) == 5 and data["benchmark"] == "SPY"
    svg = chart.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and svg.count("<title>UNKNOWN</title>") == 1
    assert not (config.ledger_dir / REGIME_E1).exists()  # show writes no record
    again = runner.invoke(app, [*arguments, "--json", "--chart", str(chart)])
    assert again.output == result.output and chart.read_text(encoding="utf-8") == svg
    table = runner.invoke(app, arguments)
    assert table.exit_code == EXIT_OK and "regime summary" in table.output


def test_cli_label_appends_records(config: Config, app: typer.Typer) -> None:
    arguments = ["regime", "label", "--from", "2024-12-23", "--to", "2024-12-31", "--home", str(config.home)]
    result = runner.invoke(app, [*arguments, "--json"])
    assert result.exit_code == EXIT_OK, result.output
    assert json.loads(result.output)["written"] == [
        str(day) for day in nyse().sessions(dt.date(2024, 12, 23), LAST)
    ]
    repeat = runner.invoke(app, arguments)
    assert repeat.exit_code == EXIT_OK and "not appended" in repeat.output


def test_cli_refuses_a_malformed_setting(
    config: Config, app: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGIME_TREND_CUTS", "0.1,0.2,0.3")
    result = runner.invoke(
        app, ["regime", "show", "--from", "2024-06-10", "--to", "2024-06-14", "--home", str(config.home)]
    )
    assert result.exit_code == 3 and "REGIME_TREND_CUTS" in result.output


def test_no_benchmark_at_all_is_unknown_everywhere(tmp_path: Path) -> None:
    config = load_config({}, home=tmp_path / "empty")
    history = label_history(config, dt.date(2024, 6, 3), dt.date(2024, 6, 7))
    assert {day.label for day in history.days} == {Regime.UNKNOWN} and len(history.days) == 5
