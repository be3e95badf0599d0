"""Real data, Lean/AlgoSeek through the CLI.

* Importing ``FB.csv`` (an issuer listed 1999-2003, then Facebook from 2012-05-18) keeps only Facebook in the
  store, quarantines the earlier issuer's 716 rows with reason TICKER_REUSED and records the flag with its
  boundary, with the map files and with the gap heuristic alike.
* ``avwap data adjust`` on AAPL with the real ``events_derived.csv`` writes a series that is continuous across
  the 7-for-1 split of 2014-06-09 into ``<data>/adjusted/<mode>/``, leaving the raw store byte-identical.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from avwap.cli.main import build_app
from avwap.data.store import BarStore

pytestmark = pytest.mark.realdata
SPLIT_DAY = dt.date(2014, 6, 9)
BOUNDARY = ["2003-03-28", "2012-05-18"]


def _import(home: Path, shared_data: Path, use_map_files: bool) -> dict:
    lean = shared_data / "lean_algoseek"
    arguments = ["data", "import", str(lean / "daily" / "FB.csv"), "--preset", "lean_daily"]
    map_files = lean / "corporate_actions" / "map_files_raw"
    if use_map_files:
        if not map_files.is_dir():
            pytest.skip(f"no map files at {map_files}")
        arguments += ["--map-files", str(map_files)]
    result = CliRunner().invoke(
        build_app(), [*arguments, "--home", str(home), "--json"], env={"AVWAP_HOME": ""}
    )
    assert result.exit_code == 0, result.stdout
    return json.loads(result.stdout)


@pytest.mark.parametrize(("use_map_files", "method"), [(True, "map_files"), (False, "gap_heuristic")])
def test_fb_import_keeps_facebook_only(
    shared_data: Path, tmp_path: Path, use_map_files: bool, method: str
) -> None:
    home = tmp_path / "home"
    summary = _import(home, shared_data, use_map_files)
    (finding,) = summary["ticker_reuse"]
    assert (finding["symbol"], finding["flag"], finding["method"]) == ("FB", "TICKER_REUSED", method)
    assert finding["boundaries"] == [BOUNDARY]
    assert (finding["kept_from"], finding["rows_quarantined"]) == ("2012-05-18", 716)
    assert summary["rows_imported"] == 2231
    assert summary["quarantined_by_reason"] == {"TICKER_REUSED": 716}
    store = BarStore(home / "data")
    bars = store.read("1d", symbols=["FB"])
    assert len(bars) == 2231
    assert bars["timestamp"].dt.date.iloc[0] == dt.date(2012, 5, 18)
    assert store.symbol_flags("1d")["FB"]["boundaries"] == [BOUNDARY]
    records = store.quarantine("1d")
    assert len(records) == 716 and {record.reasons for record in records} == {("TICKER_REUSED",)}
    assert records[-1].timestamp is not None and records[-1].timestamp.startswith("2003-03-28")


def _jump(bars: pd.DataFrame, day: dt.date) -> float:
    """|close on ``day`` / previous close − 1|."""
    closes = bars.set_index(bars["timestamp"].dt.date)["close"]
    position = closes.index.get_loc(day)
    return abs(float(closes.iloc[position]) / float(closes.iloc[position - 1]) - 1)


@pytest.mark.parametrize("mode", ["split", "all"])
def test_adjusted_aapl_is_continuous_across_the_2014_split(
    shared_data: Path, tmp_path: Path, mode: str
) -> None:
    lean = shared_data / "lean_algoseek"
    home = tmp_path / "home"
    runner = CliRunner()
    imported = runner.invoke(
        build_app(),
        ["data", "import", str(lean / "daily" / "AAPL.csv"), "--preset", "lean_daily", "--home", str(home)],
        env={"AVWAP_HOME": ""},
    )
    assert imported.exit_code == 0, imported.stdout
    raw_store = BarStore(home / "data")
    raw_hash = raw_store.data_hash("1d")
    events = lean / "corporate_actions" / "events_derived.csv"
    arguments = ["data", "adjust", "--events", str(events), "--mode", mode, "--home", str(home), "--json"]
    result = runner.invoke(build_app(), arguments, env={"AVWAP_HOME": ""})
    assert result.exit_code == 0, result.stdout
    summary = json.loads(result.stdout)
    assert summary["symbols"] == ["AAPL"]  # the only symbol with raw bars in this store
    assert summary["store"] == (home / "data" / "adjusted" / mode).as_posix()
    assert raw_store.data_hash("1d") == raw_hash  # raw kept unchanged
    raw = raw_store.read("1d", symbols=["AAPL"])
    adjusted = BarStore(home / "data" / "adjusted" / mode).read("1d", symbols=["AAPL"])
    assert len(adjusted) == len(raw)
    assert _jump(raw, SPLIT_DAY) > 0.8  # 7-for-1: the raw close drops by ~86%
    assert _jump(adjusted, SPLIT_DAY) < 0.05  # adjusted: an ordinary day
    before = float(adjusted.loc[adjusted["timestamp"].dt.date < SPLIT_DAY, "close"].iloc[-1])
    raw_before = float(raw.loc[raw["timestamp"].dt.date < SPLIT_DAY, "close"].iloc[-1])
    if mode == "split":  # later splits: 7-for-1 on 2014-06-09 and 4-for-1 on 2020-08-31
        assert before == pytest.approx(raw_before / 28, rel=1e-9)
    else:  # dividends after 2014-06-06 lower the adjusted price further
        assert before < raw_before / 28
    last = adjusted["timestamp"].dt.date.iloc[-1]
    assert float(adjusted["close"].iloc[-1]) == float(
        raw.loc[raw["timestamp"].dt.date == last, "close"].iloc[0]
    )
