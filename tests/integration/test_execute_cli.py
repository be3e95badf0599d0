"""``avwap execute`` from the command line: exit codes, JSON lines, and a clean stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import typer
from tests.integration.crash_driver import DAY, T_ENTRY
from typer.testing import CliRunner

from avwap.cli import execute_command
from avwap.cli.output import EXIT_CONFIGURATION, EXIT_LEDGER_INTEGRITY, EXIT_OK, EXIT_USAGE
from avwap.core.config import load_config
from avwap.execution.book import DRY_RUN_BOOK, BookRecorder
from avwap.ledger.records import Note
from avwap.ledger.router import Ledger

ROOT = Path(__file__).resolve().parents[2]
# The command as a stand-alone app (the lead registers it in avwap.cli.main; this does not depend on it).
APP_SOURCE = (
    "import sys, typer\n"
    "from avwap.cli import execute_command\n"
    "app = typer.Typer()\n"
    "execute_command.register(app)\n"
    "app.command('version')(lambda: None)\n"
    "app(prog_name='avwap')\n"
)


def app() -> typer.Typer:
    application = typer.Typer()
    execute_command.register(application)
    application.command("version")(lambda: None)
    return application


def invoke(home: Path, *arguments: str, **environment: str) -> object:
    env = {"AVWAP_HOME": str(home), **environment}
    return CliRunner().invoke(app(), ["execute", *arguments], env=env)


def test_once_in_dry_run_prints_one_json_line_and_exits_0(home: Path) -> None:
    result = invoke(home, "--once", "--json")
    assert result.exit_code == EXIT_OK, result.output  # type: ignore[attr-defined]
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]  # type: ignore[attr-defined]
    report = json.loads(lines[0])
    assert (report["mode"], report["book_id"], report["entries_blocked"]) == ("DRY_RUN", "DRY_RUN", [])


@pytest.mark.parametrize(
    ("arguments", "environment", "code", "message"),
    [
        (("--once", "--loop"), {}, EXIT_USAGE, "exclude each other"),
        (("--once",), {"EXECUTION_MODE": "PAPER_SIM"}, EXIT_CONFIGURATION, "avwap demo"),
        (("--once",), {"EXECUTION_MODE": "ALPACA_PAPER"}, EXIT_CONFIGURATION, "ALPACA_API_KEY"),
        (("--once",), {"MAX_POSITIONS": "many"}, EXIT_CONFIGURATION, "MAX_POSITIONS"),
    ],
)
def test_refusals_exit_with_their_code_and_say_why(
    home: Path, arguments: tuple[str, ...], environment: dict[str, str], code: int, message: str
) -> None:
    result = invoke(home, *arguments, **environment)
    assert result.exit_code == code  # type: ignore[attr-defined]
    assert message in result.output  # type: ignore[attr-defined]


def test_a_corrupt_ledger_exits_5_after_running_the_cycle(home: Path) -> None:
    config = load_config({}, home=home)
    book = BookRecorder(Ledger(config.ledger_dir), DRY_RUN_BOOK)
    for text in ("a", "b"):
        book.record(
            Note(book_id=DRY_RUN_BOOK, date_ny=DAY, ts=T_ENTRY, strategy_id="S1", code="X", message=text)
        )
    path = config.ledger_dir / DRY_RUN_BOOK / f"{DAY.isoformat()}.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"a"', b'"A"'))
    result = invoke(home, "--once", "--json")
    assert result.exit_code == EXIT_LEDGER_INTEGRITY, result.output  # type: ignore[attr-defined]
    report = json.loads(next(line for line in result.stdout.splitlines() if line.startswith("{")))  # type: ignore[attr-defined]
    assert report["entries_blocked"] == ["LEDGER_UNREADABLE"] and report["ledger_problem"]


def test_the_loop_stops_cleanly_on_sigterm_after_its_cycle(home: Path) -> None:
    environment = {**os.environ, "AVWAP_HOME": str(home), "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    command = [sys.executable, "-c", APP_SOURCE, "execute", "--loop", "--poll-seconds", "3600", "--json"]
    with subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            first = process.stdout.readline()  # the first cycle's report: the loop is now sleeping
            assert json.loads(first)["mode"] == "DRY_RUN"
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            _, errors = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == EXIT_OK
    assert time.monotonic() - started < 10  # the hour-long sleep was cut short
    assert "execute ended after 1 cycles (SIGTERM)" in errors
