"""``avwap data`` commands: import (preset/spec, overrides, exit codes), presets, coverage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from avwap.cli.main import build_app
from avwap.data.store import BarStore

DAILY = "date,open,high,low,close,volume,Name\n2014-05-19,23.89,23.595,23.85,24.445,1944854,AOS\n"
DAILY += "2014-05-20,10,11,9,10.5,0,AOS\n2014-05-21,10,11,9,10.5,1000,AOS\n"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *arguments: str) -> tuple[int, str]:
    result = runner.invoke(build_app(), list(arguments), env={"AVWAP_HOME": ""})
    return result.exit_code, result.stdout


def test_import_with_a_preset_writes_the_store_and_quarantine(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "AOS_data.csv"
    source.write_text(DAILY)
    home = tmp_path / "home"
    code, output = run(
        runner, "data", "import", str(source), "--preset", "cnuge_daily", "--home", str(home), "--json"
    )
    assert code == 0, output
    summary = json.loads(output)
    assert summary["rows_imported"] == 2
    assert summary["rows_quarantined"] == 1
    assert summary["quarantined_by_reason"] == {
        "CLOSE_OUTSIDE_RANGE": 1,
        "HIGH_BELOW_LOW": 1,
        "OPEN_OUTSIDE_RANGE": 1,
    }
    assert summary["flags"] == {"ZERO_VOLUME": 1}
    store = BarStore(home / "data")
    assert summary["data_hash"] == store.data_hash("1d")
    assert len(store.read("1d")) == 2
    assert [record.line for record in store.quarantine("1d")] == [2]


def test_import_table_output_and_overrides(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "bars.csv"
    source.write_text(
        "datetime_et,open,high,low,close,volume\n"
        "2020-12-01 04:00:00,1,1,1,1,5\n2020-12-01 09:30:00,1,1,1,1,5\n"
    )
    home = tmp_path / "home"
    arguments = (
        "data",
        "import",
        str(source),
        "--preset",
        "lean_minute",
        "--symbol",
        "msft",
        "--home",
        str(home),
    )
    code, output = run(runner, *arguments, "--session", "all")
    assert code == 0, output
    assert "rows imported" in output and "Import into" in output
    assert BarStore(home / "data").symbols("1m") == ["MSFT"]
    assert len(BarStore(home / "data").read("1m")) == 2


def test_import_with_a_spec_file(runner: CliRunner, tmp_path: Path) -> None:
    spec = tmp_path / "vendor.toml"
    spec.write_text(
        'frequency = "1d"\ntimestamp_columns = ["D"]\ntimestamp_formats = ["%d.%m.%Y"]\nsymbol = "xyz"\n'
        '[columns]\nopen = "O"\nhigh = "H"\nlow = "L"\nclose = "C"\nvolume = "V"\n'
    )
    source = tmp_path / "x.csv"
    source.write_text("D;O;H;L;C;V\n19.05.2014;1;2;0.5;1.5;10\n".replace(";", ","))
    code, output = run(
        runner, "data", "import", str(source), "--spec", str(spec), "--home", str(tmp_path), "--json"
    )
    assert code == 0, output
    assert json.loads(output)["preset"] == "vendor"
    assert BarStore(tmp_path / "data").symbols("1d") == ["XYZ"]


@pytest.mark.parametrize(
    "extra",
    [
        ("--preset", "no_such_preset"),
        ("--spec", "/nonexistent/spec.toml"),
    ],
)
def test_unreadable_spec_exits_4(runner: CliRunner, tmp_path: Path, extra: tuple[str, str]) -> None:
    source = tmp_path / "AOS_data.csv"
    source.write_text(DAILY)
    code, _ = run(runner, "data", "import", str(source), *extra, "--home", str(tmp_path))
    assert code == 4


def test_unreadable_or_wrong_family_file_exits_4_and_writes_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    good = tmp_path / "AOS_data.csv"
    good.write_text(DAILY)
    wrong = tmp_path / "BBB_data.csv"
    wrong.write_text("Date,Open,High,Low,Close,Volume\n2014-05-19,1,1,1,1,1\n")
    home = tmp_path / "home"
    for paths in ([str(good), str(tmp_path / "absent.csv")], [str(good), str(wrong)]):
        code, _ = run(runner, "data", "import", *paths, "--preset", "cnuge_daily", "--home", str(home))
        assert code == 4
    assert not (home / "data" / "bars").exists()


def test_missing_preset_or_bad_choice_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    code, _ = run(runner, "data", "import", str(tmp_path), "--home", str(tmp_path))
    assert code == 2
    code, _ = run(runner, "data", "import", str(tmp_path), "--label", "middle", "--preset", "lean_daily")
    assert code == 2


def test_presets_lists_every_family(runner: CliRunner) -> None:
    code, output = run(runner, "data", "presets", "--json")
    assert code == 0
    names = [row["name"] for row in json.loads(output)]
    assert names == sorted(names)
    assert {"cnuge_daily", "ninjatrader_minute", "ib_5min_raw", "alphavantage_1min", "skender_daily"} <= set(
        names
    )


def test_coverage_reports_symbols_and_hash(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "AOS_data.csv"
    source.write_text(DAILY)
    home = tmp_path / "home"
    run(runner, "data", "import", str(source), "--preset", "cnuge_daily", "--home", str(home))
    code, output = run(runner, "data", "coverage", "--home", str(home), "--json")
    assert code == 0
    report = json.loads(output)["frequencies"]["1d"]
    assert report["symbols"] == [
        {
            "symbol": "AOS",
            "first": "2014-05-20T00:00:00-04:00",
            "last": "2014-05-21T00:00:00-04:00",
            "rows": 2,
        }
    ]
    code, output = run(runner, "data", "coverage", "--home", str(home))
    assert code == 0 and "AOS" in output
