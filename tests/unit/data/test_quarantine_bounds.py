"""Quarantine is bounded: counts cover every rejected row, the file keeps a capped sample of them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from avwap.cli.main import build_app
from avwap.data.importing.csv_import import import_csv
from avwap.data.importing.presets import preset
from avwap.data.store import BarStore

ROWS = 200_000
HEADER = "date,open,high,low,close,volume,Name\n"
ROW = "2014-05-20,10,11,9,10.5,1000,AOS\n"


def duplicates_file(folder: Path) -> Path:
    """One good row repeated ROWS times, plus two rows that break a price rule."""
    path = folder / "AOS_data.csv"
    path.write_text(HEADER + ROW * ROWS + "2014-05-21,10,11,12,10.5,1000,AOS\n2014-05-22,-1,11,9,10,5,AOS\n")
    return path


def import_json(path: Path, home: Path, environment: dict[str, str]) -> dict:  # type: ignore[type-arg]
    arguments = ["data", "import", str(path), "--preset", "cnuge_daily", "--home", str(home), "--json"]
    result = CliRunner().invoke(build_app(), arguments, env={"AVWAP_HOME": "", **environment})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_many_duplicate_rows_give_exact_counts_and_a_small_quarantine_file(tmp_path: Path) -> None:
    summary = import_json(duplicates_file(tmp_path), tmp_path / "home", {})
    assert summary["rows_read"] == ROWS + 2
    assert summary["rows_imported"] == 1
    assert summary["rows_quarantined"] == ROWS + 1
    assert summary["quarantined_by_reason"] == {
        "CLOSE_OUTSIDE_RANGE": 1,
        "DUPLICATE_TIMESTAMP": ROWS - 1,
        "HIGH_BELOW_LOW": 1,
        "NON_POSITIVE_PRICE": 1,
        "OPEN_OUTSIDE_RANGE": 2,
    }
    assert summary["rows_read"] == summary["rows_imported"] + sum(summary["dropped_by_reason"].values())
    quarantine = Path(summary["quarantine_file"])
    assert quarantine.stat().st_size < 400_000  # it was ~37 MB for these rows
    records = BarStore(tmp_path / "home" / "data").quarantine("1d")
    assert summary["quarantine_rows_recorded"] == len(records) == 1000 + 2
    duplicates = [record for record in records if record.reasons == ("DUPLICATE_TIMESTAMP",)]
    assert [record.line for record in duplicates] == list(range(3, 1003))  # the first ones, in line order
    assert duplicates[0].raw == ROW.strip()


def test_the_sample_size_is_configurable(tmp_path: Path) -> None:
    summary = import_json(duplicates_file(tmp_path), tmp_path / "home", {"QUARANTINE_SAMPLE_ROWS": "5"})
    assert summary["rows_quarantined"] == ROWS + 1
    assert len(BarStore(tmp_path / "home" / "data").quarantine("1d")) == 5 + 2


def test_the_importer_result_keeps_the_sample_and_the_exact_counts(tmp_path: Path) -> None:
    result = import_csv(duplicates_file(tmp_path), preset("cnuge_daily"), sample_rows=3)
    assert result.rows_quarantined == ROWS + 1
    assert len(result.quarantined) == 3 + 2
    assert result.reason_counts["DUPLICATE_TIMESTAMP"] == ROWS - 1
    assert result.dropped_by_reason == {
        "DUPLICATE_TIMESTAMP": ROWS - 1,
        "HIGH_BELOW_LOW": 1,
        "NON_POSITIVE_PRICE": 1,
    }
