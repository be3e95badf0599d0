from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from tests.unit.ledger import factories
from typer.testing import CliRunner

from avwap.cli import ledger_command
from avwap.cli.output import EXIT_DATA, EXIT_LEDGER_INTEGRITY, EXIT_OK, EXIT_PROBLEM
from avwap.ledger.paths import quarantine_path
from avwap.ledger.router import Ledger

runner = CliRunner()


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()

    @application.callback()
    def root() -> None:
        """test root"""

    ledger_command.register(application)
    return application


@pytest.fixture
def ledger_home(home: Path) -> Path:
    ledger = Ledger(home / "ledger")
    for record in factories.round_trip():
        ledger.append(record)
    ledger.append_stream("REGIME_E1", factories.DAY, {"label": "RISK_ON", "date_ny": "2026-04-01"})
    return home


def book_file(home: Path) -> Path:
    return home / "ledger" / "PAPER_SIM" / "2026-04-01.jsonl"


def test_verify_clean_home_as_json(app: typer.Typer, ledger_home: Path) -> None:
    result = runner.invoke(app, ["ledger", "verify", "--home", str(ledger_home), "--json"])
    assert result.exit_code == EXIT_OK, result.output
    payload = json.loads(result.stdout)
    assert payload["ok"] is True and payload["first_problem"] is None
    assert [row["status"] for row in payload["files"]] == ["OK", "OK"]
    assert payload["files"][0]["records"] == 12


def test_verify_table_and_default_root_from_environment(
    app: typer.Typer, ledger_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AVWAP_HOME", str(ledger_home))
    result = runner.invoke(app, ["ledger", "verify"])
    assert result.exit_code == EXIT_OK, result.output
    assert "Ledger verification" in result.stdout and "OK" in result.stdout


def test_verify_exits_5_at_the_first_bad_line(app: typer.Typer, ledger_home: Path) -> None:
    path = book_file(ledger_home)
    content = path.read_bytes().splitlines(keepends=True)
    content[4] = content[4].replace(b"accepted", b"rejected")
    path.write_bytes(b"".join(content))
    result = runner.invoke(app, ["ledger", "verify", str(path), "--json"])
    assert result.exit_code == EXIT_LEDGER_INTEGRITY
    payload = json.loads(result.stdout)
    assert payload["ok"] is False
    assert payload["first_problem"]["bad_line"] == 5 and payload["first_problem"]["status"] == "CORRUPT"
    assert f"{path}:5: hash mismatch" in result.stderr


def test_torn_tail_exits_1_and_repair_fixes_it(app: typer.Typer, ledger_home: Path) -> None:
    path = book_file(ledger_home)
    with path.open("ab") as handle:
        handle.write(b'{"seq":13')
    result = runner.invoke(app, ["ledger", "verify", "--home", str(ledger_home), "--json"])
    assert result.exit_code == EXIT_PROBLEM
    assert json.loads(result.stdout)["first_problem"]["status"] == "TORN_TAIL"
    result = runner.invoke(app, ["ledger", "verify", "--home", str(ledger_home), "--repair", "--json"])
    assert result.exit_code == EXIT_OK, result.output
    assert quarantine_path(path).read_bytes() == b'{"seq":13\n'


def test_verify_missing_path_is_a_data_error(app: typer.Typer, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ledger", "verify", str(tmp_path / "absent")])
    assert result.exit_code == EXIT_DATA


def test_verify_empty_home_is_fine(app: typer.Typer, home: Path) -> None:
    result = runner.invoke(app, ["ledger", "verify", "--home", str(home), "--json"])
    assert result.exit_code == EXIT_OK
    assert json.loads(result.stdout)["files"] == []


def test_show_filters_and_json(app: typer.Typer, ledger_home: Path) -> None:
    base = ["ledger", "show", "--home", str(ledger_home), "--json"]
    result = runner.invoke(app, [*base, "--book", "PAPER_SIM", "--type", "Fill"])
    assert result.exit_code == EXIT_OK, result.output
    rows = json.loads(result.stdout)["records"]
    assert [(row["seq"], row["record"]["quantity"]) for row in rows] == [(6, 4), (7, 6), (11, 10)]
    assert {row["name"] for row in rows} == {"PAPER_SIM"}
    everything = json.loads(runner.invoke(app, base).stdout)["records"]
    assert len(everything) == 13 and everything[-1]["name"] == "REGIME_E1"
    other_day = json.loads(runner.invoke(app, [*base, "--date", "2026-04-02"]).stdout)["records"]
    assert other_day == []


def test_show_table_and_bad_book_name(app: typer.Typer, ledger_home: Path) -> None:
    result = runner.invoke(app, ["ledger", "show", "--home", str(ledger_home), "--book", "PAPER_SIM"])
    assert result.exit_code == EXIT_OK, result.output
    assert "TradeIntent" in result.stdout
    result = runner.invoke(app, ["ledger", "show", "--home", str(ledger_home), "--book", "paper"])
    assert result.exit_code == EXIT_DATA
    assert "UPPER_SNAKE" in result.stderr
