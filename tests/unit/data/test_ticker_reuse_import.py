"""``avwap data import`` on daily bars: a ticker reused by two issuers keeps only the current issuer; the
earlier issuer's rows are quarantined (reason TICKER_REUSED, with their lines) and the flag with its
boundaries is in the summary and in the store's flags record."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from avwap.cli.main import build_app
from avwap.core.calendar import nyse
from avwap.data.importing.csv_import import import_many
from avwap.data.importing.presets import preset
from avwap.data.importing.reuse import screen_ticker_reuse
from avwap.data.store import BarStore

# 21 sessions at $10 (Jan 1 and MLK day are holidays), then 8 sessions at $50 five years later
EARLY = nyse().sessions(dt.date(2001, 1, 2), dt.date(2001, 1, 31))
LATE = nyse().sessions(dt.date(2006, 3, 1), dt.date(2006, 3, 10))
BOUNDARY = (dt.date(2001, 1, 31), dt.date(2006, 3, 1))


def cnuge(symbol: str, days: list[dt.date], price: float) -> str:
    rows = [f"{day},{price},{price + 1},{price - 1},{price},1000,{symbol}" for day in days]
    return "date,open,high,low,close,volume,Name\n" + "\n".join(rows) + "\n"


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    reused = tmp_path / "XYZ_data.csv"
    reused.write_text(cnuge("XYZ", EARLY, 10.0) + cnuge("XYZ", LATE, 50.0).split("\n", 1)[1])
    plain = tmp_path / "ABC_data.csv"
    plain.write_text(cnuge("ABC", LATE, 20.0))
    return [plain, reused]


def import_cli(home: Path, *paths: Path, extra: tuple[str, ...] = ()) -> dict:
    arguments = ["data", "import", *map(str, paths), "--preset", "cnuge_daily", "--home", str(home), "--json"]
    result = CliRunner().invoke(build_app(), [*arguments, *extra], env={"AVWAP_HOME": ""})
    assert result.exit_code == 0, result.stdout
    return json.loads(result.stdout)


def test_the_screen_keeps_the_current_issuer_and_quarantines_the_earlier_lines(files: list[Path]) -> None:
    screen = screen_ticker_reuse(import_many(files, preset("cnuge_daily")))
    (finding,) = screen.findings
    assert (finding.symbol, finding.method, finding.boundaries) == ("XYZ", "gap_heuristic", (BOUNDARY,))
    assert (finding.kept_from, finding.rows_quarantined) == (LATE[0], len(EARLY))
    xyz = screen.batch.bars[screen.batch.bars["symbol"] == "XYZ"]
    assert xyz["timestamp"].dt.date.tolist() == LATE
    assert len(screen.batch.bars[screen.batch.bars["symbol"] == "ABC"]) == len(LATE)  # one issuer: untouched
    assert [record.line for record in screen.records] == list(range(2, 2 + len(EARLY)))
    assert {record.reasons for record in screen.records} == {("TICKER_REUSED",)}
    assert screen.records[0].raw == f"{EARLY[0]},10.0,11.0,9.0,10.0,1000,XYZ"


def test_import_cli_records_the_flag_and_never_stores_two_issuers(tmp_path: Path, files: list[Path]) -> None:
    home = tmp_path / "home"
    store = BarStore(home / "data")
    # An older import (before the screen existed) left the earlier issuer in the store: it must go.
    store.write(import_many(files, preset("cnuge_daily")).bars, "1d")
    summary = import_cli(home, *files)
    assert summary["ticker_reuse"] == [
        {
            "symbol": "XYZ",
            "flag": "TICKER_REUSED",
            "method": "gap_heuristic",
            "segments": [
                {"issuer": "segment-1", "first": "2001-01-02", "last": "2001-01-31", "rows": 21},
                {"issuer": "segment-2", "first": "2006-03-01", "last": "2006-03-10", "rows": 8},
            ],
            "boundaries": [["2001-01-31", "2006-03-01"]],
            "kept_from": "2006-03-01",
            "rows_quarantined": 21,
        }
    ]
    assert summary["flags"] == {"TICKER_REUSED": 1}
    assert summary["quarantined_by_reason"] == {"TICKER_REUSED": 21}
    assert (summary["rows_imported"], summary["rows_quarantined"]) == (16, 21)
    stored = store.read("1d", symbols=["XYZ"])
    assert stored["timestamp"].dt.date.min() == LATE[0]  # the earlier issuer is gone from the store
    assert store.symbol_flags("1d")["XYZ"]["boundaries"] == [["2001-01-31", "2006-03-01"]]
    quarantined = [record for record in store.quarantine("1d") if record.symbol == "XYZ"]
    assert len(quarantined) == 21 and quarantined[0].reasons == ("TICKER_REUSED",)
    assert summary["data_hash"] == store.data_hash("1d")


def test_import_table_shows_the_boundaries(tmp_path: Path, files: list[Path]) -> None:
    arguments = ["data", "import", *map(str, files), "--preset", "cnuge_daily", "--home", str(tmp_path / "h")]
    result = CliRunner().invoke(build_app(), arguments, env={"AVWAP_HOME": "", "COLUMNS": "300"})
    assert result.exit_code == 0, result.stdout
    assert "TICKER_REUSED: XYZ" in result.stdout
    assert "2001-01-31 | 2006-03-01" in result.stdout


def test_a_missing_map_files_folder_is_exit_4(tmp_path: Path, files: list[Path]) -> None:
    arguments = ["data", "import", str(files[0]), "--preset", "cnuge_daily", "--home", str(tmp_path / "h")]
    result = CliRunner().invoke(
        build_app(), [*arguments, "--map-files", str(tmp_path / "absent")], env={"AVWAP_HOME": ""}
    )
    assert result.exit_code == 4
    assert not (tmp_path / "h").exists()
