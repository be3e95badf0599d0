"""Labels from the backtest engine's trades: ``avwap ml build --labels engine --run DIR`` labels each traded
candidate with the trade's own R multiple, R1 before the exit, and the exit date as when it became known."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from tests.unit.ml.market import market, write_store
from typer.testing import CliRunner

from avwap.backtest.run import run_backtest
from avwap.cli.main import build_app
from avwap.core.calendar import nyse
from avwap.core.errors import DataError
from avwap.ml.engine_labels import engine_labels, hit_r1, read_trades
from avwap.ml.store import read_table

START, END = dt.date(2024, 9, 3), dt.date(2025, 2, 28)
runner = CliRunner()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    base = tmp_path_factory.mktemp("engine-labels")
    home, run = base / "home", base / "run"
    write_store(home / "data")
    run_backtest(
        {}, start=START, end=END, data_root=home / "data", out=run, resolution="1d", code_version="t"
    )
    first = nyse().previous_session(START)  # the first session trades the scan as of the session before
    arguments = [
        "ml",
        "build",
        "--from",
        str(first),
        "--to",
        str(END),
        "--labels",
        "engine",
        "--run",
        str(run),
    ]
    result = runner.invoke(build_app(), [*arguments, "--home", str(home), "--json"], env={})
    assert result.exit_code == 0, result.output
    return base, json.loads(result.output)


def test_engine_labels_are_the_trades_own_r_multiples(built: tuple[Path, dict[str, object]]) -> None:
    base, summary = built
    trades = [trade for trade in read_trades(base / "run") if trade["status"] == "CLOSED"]
    labels, _, _ = read_table(base / "home" / "artifacts" / "ml" / "labels.parquet")
    assert summary["labels_from"] == "engine" and summary["engine_trades"] == len(trades) > 5
    assert summary["engine_trades_without_features"] == 0  # every trade was a candidate of its morning scan
    assert len(labels) == summary["labels"] == len(trades)
    by_key = {(row.as_of, row.symbol): row for row in labels.itertuples(index=False)}
    calendar = nyse()
    for trade in trades:
        entered = dt.date.fromisoformat(trade["entry_date_ny"])
        label = by_key[(calendar.previous_session(entered), trade["symbol"])]
        assert label.forward_r == float(trade["r_multiple"])
        assert label.label_known == dt.date.fromisoformat(trade["exit_date_ny"]) > label.as_of
        assert label.exit_reason == trade["exit_reason"]
    assert labels["hit_r1"].any() and not labels["hit_r1"].all()
    # a trade whose R is at least 1 reached R1 (it was above R1 at the exit, net of costs even)
    assert labels.loc[labels["forward_r"] >= 1.0, "hit_r1"].all()
    features, _, _ = read_table(base / "home" / "artifacts" / "ml" / "features.parquet")
    assert set(zip(labels["as_of"], labels["symbol"], strict=True)) <= set(
        zip(features["as_of"], features["symbol"], strict=True)
    )


def test_r1_before_the_exit_reads_the_highs_up_to_the_session_before_it() -> None:
    dates = np.array(["2025-01-02", "2025-01-03", "2025-01-06", "2025-01-07"], dtype="datetime64[D]")
    highs = (dates, np.array([10.5, 11.9, 12.5, 13.0]))
    trade = {"entry_price": "10", "initial_stop": "9", "exit_price": "9.5", "entry_date_ny": "2025-01-02"}
    assert hit_r1(highs, {**trade, "exit_date_ny": "2025-01-07"})  # 12.5 >= 11 on 01-06
    assert hit_r1(highs, {**trade, "exit_date_ny": "2025-01-06"})  # 11.9 on 01-03
    assert not hit_r1(highs, {**trade, "exit_date_ny": "2025-01-03"})  # the exit bar itself is the stop's
    assert hit_r1(None, {**trade, "exit_price": "11.2", "exit_date_ny": "2025-01-03"})


def test_a_run_folder_without_trades_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read the trades"):
        read_trades(tmp_path)
    bars, _ = market()
    import pandas as pd

    found = engine_labels(
        [{"status": "OPEN", "r_multiple": None}], pd.DataFrame(columns=["as_of", "symbol"]), bars
    )
    assert found.trades == 0 and len(found.labels) == 0
