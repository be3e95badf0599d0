"""`avwap demo --data DIR` on imported real bars (Lean daily + minute bars of SPY, AIG, BAC, IBM)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from avwap.cli.main import build_app
from avwap.data.bars import NEW_YORK
from avwap.data.importing.csv_import import import_csv
from avwap.data.importing.presets import preset
from avwap.data.store import BarStore

pytestmark = pytest.mark.realdata
SYMBOLS = ("SPY", "AIG", "BAC", "IBM")


def import_real_bars(root: Path, minutes_before: pd.Timestamp | None) -> Path:
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip(f"real market data not found at {SHARED_DATA}")
    store = BarStore(root)
    for symbol in SYMBOLS:
        daily = import_csv(SHARED_DATA / "lean_algoseek" / "daily" / f"{symbol}.csv", preset("lean_daily"))
        store.write(daily.bars, "1d")
        minutes = import_csv(
            SHARED_DATA / "lean_algoseek" / "minute" / f"{symbol}.csv", preset("lean_minute")
        ).bars
        if minutes_before is not None:
            minutes = minutes.loc[minutes["timestamp"] < minutes_before]
        store.write(minutes, "1m")
    return root


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Lean minute bars for the four symbols cover 2013-10-04 .. 2013-10-11; SPY's 2023-08-03 is left out."""
    return import_real_bars(
        tmp_path_factory.mktemp("real") / "store", pd.Timestamp("2014-01-01", tz=NEW_YORK)
    )


def test_a_replay_across_the_ten_year_gap_is_refused(tmp_path: Path) -> None:
    # With SPY's 2023-08-03 minute bars, the last sessions would join 2013-10-11 to 2023-08-03.
    store = import_real_bars(tmp_path / "store", None)
    result = CliRunner().invoke(build_app(), ["demo", "--home", str(tmp_path / "demo"), "--data", str(store)])
    assert result.exit_code == 4, result.output
    assert "first missing: 2013-10-14" in result.output and "--sessions 1" in result.output


def test_demo_runs_on_imported_real_bars(real_store: Path, tmp_path: Path) -> None:
    home = tmp_path / "demo"
    result = CliRunner().invoke(
        build_app(), ["demo", "--home", str(home), "--data", str(real_store), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["first_session"] == "2013-10-04"
    assert data["sessions"] == 6 and data["last_session"] == "2013-10-11"
    assert "imported bars" in data["market"]
    assert (home / "reports" / "demo.html").is_file()
    assert len(list((home / "artifacts" / "candidates").glob("*.json"))) == data["sessions"]
