"""Writing the synthetic market to a bar store folder: byte-identical rewrites, reuse, regeneration, CLI."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from avwap.cli import market_command
from avwap.core.errors import DataError
from avwap.data.store import BarStore
from avwap.data.synthetic import (
    MARKET_FILE,
    UNIVERSE_FILE,
    SyntheticMarketSpec,
    ensure_market,
    generate_market,
    universe_csv,
    write_market,
)

SPEC = SyntheticMarketSpec(symbols=6, daily_start=dt.date(2026, 6, 1), intraday_start=dt.date(2026, 11, 23))


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` except the writers' lock file."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != ".lock"
    }


def test_writing_twice_gives_byte_identical_files(tmp_path: Path) -> None:
    first = write_market(SPEC, tmp_path / "a")
    files = snapshot(tmp_path / "a")
    second = write_market(SPEC, tmp_path / "a")
    write_market(SPEC, tmp_path / "b")
    assert snapshot(tmp_path / "a") == files == snapshot(tmp_path / "b")
    assert first.to_record() | {"root": ""} == second.to_record() | {"root": ""}
    assert {"market.json", "universe.csv", "bars/1d/2026.parquet", "bars/5m/2026-11-27.parquet"} <= set(files)
    assert not first.reused and not second.reused


def test_another_process_with_another_hash_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    write_market(SPEC, tmp_path / "here")
    script = (
        "import datetime as dt, sys; from pathlib import Path; "
        "from avwap.data.synthetic import SyntheticMarketSpec, write_market; "
        "spec = SyntheticMarketSpec(symbols=6, daily_start=dt.date(2026, 6, 1), "
        "intraday_start=dt.date(2026, 11, 23)); "
        "write_market(spec, Path(sys.argv[1]))"
    )
    environment = os.environ | {"PYTHONHASHSEED": "12345", "TZ": "America/Los_Angeles"}
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "there")], check=True, env=environment)
    assert snapshot(tmp_path / "here") == snapshot(tmp_path / "there")


def test_the_store_holds_the_generated_frames(tmp_path: Path) -> None:
    write_market(SPEC, tmp_path)
    market = generate_market(SPEC)
    store = BarStore(tmp_path)
    pd.testing.assert_frame_equal(store.read("1d"), market.daily, check_exact=True)
    pd.testing.assert_frame_equal(store.read("5m"), market.intraday, check_exact=True)
    assert (tmp_path / UNIVERSE_FILE).read_bytes() == universe_csv(market.universe)


def test_market_json_describes_the_market(tmp_path: Path) -> None:
    summary = write_market(SPEC, tmp_path)
    description = json.loads((tmp_path / MARKET_FILE).read_text())
    assert description == summary.description
    assert description["synthetic"] is True
    assert description["seed"] == 7 and description["symbol_count"] == 6
    assert description["benchmarks"] == ["IWM", "SPY"]
    assert description["spec"] == SPEC.to_record()
    assert description["spec_hash"] == SPEC.spec_hash
    assert description["daily"]["start"] == "2026-06-01" and description["daily"]["end"] == "2026-11-30"
    assert description["intraday"] == description["intraday"] | {
        "frequency": "5m",
        "start": "2026-11-23",
        "end": "2026-11-30",
        "sessions": 5,  # 11-26 is Thanksgiving, 11-27 closes at 13:00
        "rows": 8 * (4 * 78 + 42),
    }
    assert len(description["content_hash"]) == 64


def test_universe_csv_bytes_are_fixed() -> None:
    universe = pd.DataFrame(
        {
            "symbol": ["ABC", "QXYZ"],
            "name": ["Synthetic Co 001", "Synthetic Co 002"],
            "sector": ["Energy", "Health Care"],
            "weight": [12.5, 87.5],
        }
    )
    assert universe_csv(universe) == (
        b"symbol,name,sector,weight\n"
        b"ABC,Synthetic Co 001,Energy,12.500000\n"
        b"QXYZ,Synthetic Co 002,Health Care,87.500000\n"
    )


def test_ensure_reuses_a_matching_market_without_writing(tmp_path: Path) -> None:
    write_market(SPEC, tmp_path)
    files = snapshot(tmp_path)
    modified = {path: path.stat().st_mtime_ns for path in tmp_path.rglob("*.parquet")}
    summary = ensure_market(SPEC, tmp_path)
    assert summary.reused
    assert summary.spec_hash == SPEC.spec_hash
    assert snapshot(tmp_path) == files
    assert {path: path.stat().st_mtime_ns for path in tmp_path.rglob("*.parquet")} == modified


def test_ensure_regenerates_for_another_spec_and_drops_stale_symbols(tmp_path: Path) -> None:
    write_market(SPEC, tmp_path)
    smaller = SyntheticMarketSpec(
        seed=9, symbols=3, daily_start=dt.date(2026, 6, 1), intraday_start=dt.date(2026, 11, 23)
    )
    summary = ensure_market(smaller, tmp_path)
    assert not summary.reused
    assert json.loads((tmp_path / MARKET_FILE).read_text())["spec_hash"] == smaller.spec_hash
    expected = sorted(generate_market(smaller).daily["symbol"].unique())
    assert BarStore(tmp_path).symbols("1d") == expected
    assert BarStore(tmp_path).symbols("5m") == expected


@pytest.mark.parametrize("damage", ["corrupt_json", "missing_partitions", "missing_universe"])
def test_ensure_regenerates_an_incomplete_market(tmp_path: Path, damage: str) -> None:
    write_market(SPEC, tmp_path)
    files = snapshot(tmp_path)
    if damage == "corrupt_json":
        (tmp_path / MARKET_FILE).write_text("{not json")
    elif damage == "missing_partitions":
        for path in (tmp_path / "bars" / "5m").glob("*.parquet"):
            path.unlink()
    else:
        (tmp_path / UNIVERSE_FILE).unlink()
    assert not ensure_market(SPEC, tmp_path).reused
    assert snapshot(tmp_path) == files


def test_a_folder_with_foreign_bars_is_refused(tmp_path: Path) -> None:
    foreign = generate_market(SPEC).daily.head(3)
    BarStore(tmp_path).write(foreign, "1d")
    with pytest.raises(DataError, match="not a synthetic market"):
        write_market(SPEC, tmp_path)
    with pytest.raises(DataError, match="not a synthetic market"):
        ensure_market(SPEC, tmp_path)


# A writer that SIGKILLs its own process right after the first bar partition is written: what a kill
# mid-write (Ctrl-C twice, OOM killer, power loss) leaves behind.
KILLED_WRITER = """
import datetime as dt, os, signal, sys
from pathlib import Path
from avwap.data import store
from avwap.data.synthetic import SyntheticMarketSpec, write_market
original = store.BarStore.write
def write_then_die(self, frame, frequency):
    original(self, frame, frequency)
    os.kill(os.getpid(), signal.SIGKILL)
store.BarStore.write = write_then_die
spec = SyntheticMarketSpec(symbols=6, daily_start=dt.date(2026, 6, 1), intraday_start=dt.date(2026, 11, 23))
write_market(spec, Path(sys.argv[1]))
"""


def kill_a_writer_mid_write(root: Path) -> None:
    completed = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(root)], check=False)
    assert completed.returncode == -9
    assert BarStore(root).partitions("1d") and not (root / MARKET_FILE).exists()


def test_a_market_whose_writer_was_killed_is_regenerated(tmp_path: Path) -> None:
    write_market(SPEC, tmp_path / "clean")
    kill_a_writer_mid_write(tmp_path / "killed")
    summary = ensure_market(SPEC, tmp_path / "killed")
    assert not summary.reused
    assert snapshot(tmp_path / "killed") == snapshot(tmp_path / "clean")
    assert ensure_market(SPEC, tmp_path / "killed").reused


def test_a_folder_the_caller_owns_is_cleared_even_without_any_marker(tmp_path: Path) -> None:
    BarStore(tmp_path).write(generate_market(SPEC).daily.head(3), "1d")  # e.g. left by an older avwap
    assert not ensure_market(SPEC, tmp_path, owned=True).reused
    assert BarStore(tmp_path).symbols("1d") == sorted(generate_market(SPEC).daily["symbol"].unique())


def test_a_market_without_intraday_bars(tmp_path: Path) -> None:
    spec = SyntheticMarketSpec(symbols=4, daily_start=dt.date(2026, 6, 1), intraday_start=None)
    summary = write_market(spec, tmp_path)
    assert summary.description["intraday"] is None
    assert BarStore(tmp_path).partitions("5m") == []
    assert ensure_market(spec, tmp_path).reused


# --- avwap market generate ---------------------------------------------------------------------------------


def market_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root."""

    market_command.register(app)
    return app


def test_cli_generates_then_reuses(tmp_path: Path) -> None:
    runner = CliRunner()
    home = str(tmp_path / "home")
    arguments = ["market", "generate", "--symbols", "4", "--start", "2026-06-01", "--home", home, "--json"]
    first = runner.invoke(market_app(), arguments, env={"AVWAP_HOME": ""})
    assert first.exit_code == 0, first.output
    record = json.loads(first.stdout)
    assert record["reused"] is False and record["symbol_count"] == 4 and record["seed"] == 7
    assert record["intraday"]["start"] == "2026-10-26"
    assert Path(record["root"]) == tmp_path / "home" / "data"
    second = runner.invoke(market_app(), arguments, env={"AVWAP_HOME": ""})
    assert json.loads(second.stdout)["reused"] is True
    table = runner.invoke(market_app(), [*arguments[:-1], "--force"], env={"AVWAP_HOME": ""})
    assert table.exit_code == 0 and "Synthetic market" in table.stdout


def test_cli_moves_the_intraday_weeks_with_end_and_maps_bad_specs_to_exit_3(tmp_path: Path) -> None:
    spec = market_command.build_spec(seed=1, symbols=5, start=None, end=dt.date(2025, 6, 30))
    assert spec.daily_end == dt.date(2025, 6, 30)
    assert spec.intraday_start == dt.date(2025, 5, 23)  # 25 sessions back, Memorial Day skipped
    result = CliRunner().invoke(
        market_app(),
        ["market", "generate", "--start", "2026-11-02", "--home", str(tmp_path)],
        env={"AVWAP_HOME": ""},
    )
    assert result.exit_code == 3
