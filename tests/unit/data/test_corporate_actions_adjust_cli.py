"""``avwap data adjust``: adjusted daily bars in their own store (``<data>/adjusted/<mode>/``), raw untouched;
values hand-computed from a 2-for-1 split and a $1 dividend."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from avwap.cli.main import build_app
from avwap.data.store import BarStore

DAYS = [dt.date(2024, 3, 4), dt.date(2024, 3, 5), dt.date(2024, 3, 6), dt.date(2024, 3, 7)]
CLOSES = [100.0, 102.0, 51.0, 50.0]  # the split takes effect on 03-06
EVENTS = (
    "symbol,ex_date,type,value\nABC,2024-03-06,split,2\nABC,2024-03-05,dividend,1\nZZZ,2024-03-05,split,3\n"
)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    frame = pd.DataFrame(
        {
            "symbol": "ABC",
            "timestamp": [pd.Timestamp(day).tz_localize("America/New_York") for day in DAYS],
            "open": CLOSES, "high": CLOSES, "low": CLOSES, "close": CLOSES, "volume": [1000.0] * 4,
        }
    )  # fmt: skip
    other = frame.assign(symbol="KEEP")
    BarStore(tmp_path / "home" / "data").write(pd.concat([frame, other], ignore_index=True), "1d")
    (tmp_path / "events.csv").write_text(EVENTS)
    return tmp_path / "home"


def adjust(home: Path, *extra: str) -> tuple[int, str]:
    events = home.parent / "events.csv"
    arguments = ["data", "adjust", "--events", str(events), "--home", str(home), *extra]
    result = CliRunner().invoke(build_app(), arguments, env={"AVWAP_HOME": "", "COLUMNS": "200"})
    return result.exit_code, result.stdout


@pytest.mark.parametrize(
    ("mode", "closes", "volumes"),
    [
        ("split", [50.0, 51.0, 51.0, 50.0], [2000.0, 2000.0, 1000.0, 1000.0]),
        # dividend factor before 03-05: 1 − 1 / 100 = 0.99
        ("all", [49.5, 51.0, 51.0, 50.0], [2000.0, 2000.0, 1000.0, 1000.0]),
    ],
)
def test_adjusted_series_go_to_their_own_store(
    home: Path, mode: str, closes: list[float], volumes: list[float]
) -> None:
    raw = BarStore(home / "data")
    raw_hash = raw.data_hash("1d")
    code, output = adjust(home, "--mode", mode, "--json")
    assert code == 0, output
    summary = json.loads(output)
    assert summary["symbols"] == ["ABC"] and summary["symbols_without_bars"] == ["ZZZ"]
    assert summary["events_applied"] == {"ABC": 2}
    adjusted = BarStore(home / "data" / "adjusted" / mode)
    assert summary["data_hash"] == adjusted.data_hash("1d")
    bars = adjusted.read("1d")
    assert bars["symbol"].unique().tolist() == ["ABC"]  # only symbols with events
    assert bars["close"].tolist() == pytest.approx(closes, rel=1e-12)
    assert bars["volume"].tolist() == volumes
    assert raw.data_hash("1d") == raw_hash  # the raw store is only read
    assert raw.read("1d", symbols=["ABC"])["close"].tolist() == CLOSES


def test_the_default_mode_is_split_and_the_table_lists_events(home: Path) -> None:
    code, output = adjust(home)
    assert code == 0, output
    assert "Adjusted daily bars (split)" in output and "ABC" in output
    assert (home / "data" / "adjusted" / "split").is_dir()


def test_a_bad_events_file_is_exit_4_and_writes_nothing(home: Path) -> None:
    (home.parent / "events.csv").write_text("symbol,date,kind\nABC,2024-03-06,split\n")
    code, output = adjust(home)
    assert code == 4, output
    assert not (home / "data" / "adjusted").exists()
