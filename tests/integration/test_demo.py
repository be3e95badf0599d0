"""The demo end to end: it trades, and two runs from scratch are byte-identical."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
from typer.testing import CliRunner

from avwap.cli.main import build_app
from avwap.core.calendar import nyse
from avwap.core.errors import ConfigurationError
from avwap.demo.home import prepare_demo_home
from avwap.demo.run import run_demo
from avwap.ledger.atomic import Provenance
from avwap.ledger.audit import verify_seals
from avwap.ledger.audit_key import DEMO_AUDIT_KEY
from avwap.ledger.verify import verify_path

SESSIONS = 4


def output_files(home: Path) -> dict[str, bytes]:
    """Every ledger, artifact and report file of a demo home, by relative path."""
    files = {}
    for folder in ("ledger", "artifacts", "reports"):
        for path in sorted((home / folder).rglob("*")):
            if path.is_file():
                files[path.relative_to(home).as_posix()] = path.read_bytes()
    return files


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    first = tmp_path_factory.mktemp("demo-a") / "home"
    second = tmp_path_factory.mktemp("demo-b") / "home"
    outcome = run_demo({}, first, sessions=SESSIONS)
    run_demo({}, second, sessions=SESSIONS)
    return first, second, outcome


def test_two_runs_from_scratch_are_byte_identical(two_runs) -> None:  # type: ignore[no-untyped-def]
    first, second, _ = two_runs
    files_a, files_b = output_files(first), output_files(second)
    assert files_a.keys() == files_b.keys()
    assert len(files_a) > 3 * SESSIONS  # ledgers, candidates (json+csv), snapshots, report
    different = [name for name in files_a if files_a[name] != files_b[name]]
    assert different == []


def test_demo_trades_and_writes_every_output(two_runs) -> None:  # type: ignore[no-untyped-def]
    home, _, outcome = two_runs
    figures = outcome.figures
    assert figures["sessions"] == SESSIONS
    assert figures["decisions"].get("APPROVE", 0) > 0
    assert figures["trades_closed"] + figures["open_positions"] > 0
    assert len(list((home / "artifacts" / "candidates").glob("*.json"))) == SESSIONS
    assert len(list((home / "artifacts" / "snapshots" / "PAPER_SIM").glob("*.json"))) == SESSIONS
    report = (home / "reports" / "demo.html").read_text()
    assert "Equity (end of day)" in report and "anchored VWAP" in report and report.count("<svg") >= 2
    for python_repr in ("{'", "{&#x27;", "Decimal(", "&#x27;APPROVE"):
        assert python_repr not in report, python_repr
    assert "<h3>Control-plane decisions</h3>" in report and "<td>APPROVE</td>" in report
    assert all(item.ok for item in verify_path(home / "ledger"))
    audit = verify_seals(home / "ledger", DEMO_AUDIT_KEY)
    assert audit.problems == [] and audit.seals == SESSIONS and audit.unsealed_days == []


def test_the_demo_is_a_preset_of_the_backtest_engine(two_runs) -> None:  # type: ignore[no-untyped-def]
    """One engine: the demo's sessions ran through BacktestEngine.run (it records each session's resolution),
    at 5 minutes, in the demo's book, with the demo preset's evening reconciliations."""
    from avwap.backtest.engine import BacktestResult
    from avwap.demo.replay import DEMO_PRESET

    _, _, outcome = two_runs
    result = outcome.result
    assert isinstance(result, BacktestResult)
    assert DEMO_PRESET.book_id == "PAPER_SIM" and DEMO_PRESET.morning == "scan_job"
    assert result.resolutions == dict.fromkeys(result.sessions, "5m")
    assert sorted(result.reconciliations) == result.sessions == sorted(result.decisions)


def test_the_morning_scan_is_the_production_scan_job(two_runs) -> None:  # type: ignore[no-untyped-def]
    """Each morning runs `avwap scan`'s job: every artifact it writes exists, stamped as it stamps them."""
    home, _, outcome = two_runs
    sessions = outcome.result.sessions
    for day in sessions:
        name = day.isoformat()
        for path in (
            home / "artifacts" / "diagnostics" / f"{name}.json",
            home / "artifacts" / "watchlists" / f"{name}.txt",
            home / "reports" / f"scan-{name}.html",
        ):
            assert path.is_file(), path
        artifact = json.loads((home / "artifacts" / "candidates" / f"{name}.json").read_text())
        # the scan job's provenance: as of the data's last session (the previous one), rules named
        assert artifact["provenance"]["as_of_date_ny"] == nyse().previous_session(day).isoformat()
        assert artifact["rules_hash"]
        assert "SPY" not in outcome.result.candidates[day]  # the benchmark is not in the scan universe


def test_demo_refuses_to_reset_a_folder_that_is_not_a_demo_home(tmp_path: Path) -> None:
    real_home = tmp_path / "real"
    (real_home / "ledger").mkdir(parents=True)
    with pytest.raises(ConfigurationError, match="not a demo home"):
        prepare_demo_home(real_home)
    assert (real_home / "ledger").is_dir()


# `avwap demo` in a child process that SIGKILLs itself right after the first bar partition of the synthetic
# market is written: the state a demo killed while it writes the market leaves behind.
KILLED_DEMO = """
import os, signal, sys
from avwap.cli.main import build_app
from avwap.data import store
original = store.BarStore.write
def write_then_die(self, frame, frequency):
    original(self, frame, frequency)
    os.kill(os.getpid(), signal.SIGKILL)
store.BarStore.write = write_then_die
build_app()(["demo", "--home", sys.argv[1], "--sessions", "1"])
"""


def test_demo_command_json_after_a_demo_killed_while_writing_the_market(tmp_path: Path) -> None:
    home = tmp_path / "h"
    killed = subprocess.run([sys.executable, "-c", KILLED_DEMO, str(home)], check=False, capture_output=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert list((home / "data" / "bars").rglob("*.parquet")) and not (home / "data" / "market.json").exists()
    result = CliRunner().invoke(
        build_app(), ["demo", "--home", str(tmp_path / "h"), "--sessions", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["sessions"] == 1 and data["files"]["report"].endswith("demo.html")


def test_demo_ledger_lines_hold_no_python_reprs_and_notes_are_structured(two_runs) -> None:  # type: ignore[no-untyped-def]
    home, _, _ = two_runs
    lines = [
        line for path in sorted((home / "ledger").rglob("*.jsonl")) for line in path.read_bytes().splitlines()
    ]
    assert lines
    for marker in (b"Decimal(", b"{'", b"': ", b"datetime.", b"<object"):
        assert not [line for line in lines if marker in line], marker
    notes = [json.loads(line)["record"] for line in lines if b'"type":"Note"' in line]
    for note in notes:  # e.g. an entry that could not be sized: typed fields, decimals as strings
        assert note["intent_id"].startswith("int_") and note["symbol"]
        assert all(isinstance(value, str | int | bool) or value is None for value in note["detail"].values())


def test_a_demo_home_with_a_deleted_day_is_refused_by_every_ledger_reader(  # type: ignore[no-untyped-def]
    two_runs, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(two_runs[0], home)
    days = sorted((home / "ledger" / "PAPER_SIM").glob("*.jsonl"))
    assert len(days) == SESSIONS
    days[1].unlink()
    first, last = days[0].stem, days[-1].stem
    commands = (
        ["ledger", "verify", "--home", str(home)],
        ["ledger", "show", "--home", str(home), "--book", "PAPER_SIM"],
        ["exits", "report", "--home", str(home), "--from", first, "--to", last],
    )
    for command in commands:
        result = CliRunner().invoke(build_app(), command)
        assert result.exit_code == 5, (command, result.output)
        assert f"predecessor {days[1].name} is missing" in result.output, (command, result.output)


def test_every_demo_artifact_and_report_carries_provenance(two_runs) -> None:  # type: ignore[no-untyped-def]
    """Phase A trust check: each JSON artifact and each report of a real demo run says where it came from."""
    home, _, _ = two_runs
    files = sorted(
        path for folder in ("artifacts", "reports") for path in (home / folder).rglob("*") if path.is_file()
    )
    assert any(path.suffix == ".json" for path in files) and any(path.suffix == ".html" for path in files)
    for path in files:
        if path.suffix == ".csv":  # a table view of the JSON artifact next to it, which carries the block
            assert path.with_suffix(".json").is_file(), f"{path} has no JSON twin with provenance"
            continue
        if path.parent.name == "watchlists":  # TradingView's import list (symbols only) of a candidates file
            twin = home / "artifacts" / "candidates" / f"{path.stem}.json"
            assert path.suffix == ".txt" and twin.is_file(), f"{path} has no candidates twin with provenance"
            continue
        provenance = provenance_of(path)
        assert provenance is not None, f"{path.relative_to(home)} carries no provenance block"
        assert provenance.code_version and provenance.code_version != "unknown"
        assert len(provenance.config_hash) == 64 and len(provenance.data_hash) == 64, path
        stem = path.stem.removeprefix("scan-")
        if _is_iso_date(stem):  # dated artifacts describe their own day; a scan's, the data it read
            day = dt.date.fromisoformat(stem)
            scan_output = path.parent.name in ("candidates", "diagnostics") or path.stem.startswith("scan-")
            expected = nyse().previous_session(day) if scan_output else day
            assert provenance.as_of_date_ny == expected, path


def provenance_of(path: Path) -> Provenance | None:
    """The provenance block of a JSON artifact (``provenance`` key) or an HTML report (``<script
    id="provenance">``); None when there is none. Unknown fields or missing ones fail the decode."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        block = json.loads(text).get("provenance")
    elif path.suffix == ".html":
        match = re.search(r'<script type="application/json" id="provenance">(.*?)</script>', text)
        block = json.loads(match.group(1)) if match else None
    else:
        raise AssertionError(f"{path}: an artifact of unknown kind (teach the trust check about it)")
    return None if block is None else msgspec.convert(block, Provenance)


def _is_iso_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def test_the_demo_attributes_each_evening_and_reports_by_strategy(two_runs) -> None:  # type: ignore[no-untyped-def]
    """Phase S4: one attribution artifact per session and one for the run, reconciling to the snapshots;
    the report's "By strategy" section."""
    from avwap.analytics.attribution_artifact import read_attribution
    from avwap.analytics.portfolio_snapshots import read_snapshot

    home, _, outcome = two_runs
    folder = home / "artifacts" / "strategy_attribution" / "PAPER_SIM"
    sessions = outcome.result.sessions
    names = sorted(path.name for path in folder.glob("*.json"))
    assert names == sorted([f"{day}.json" for day in sessions] + [f"{sessions[0]}_{sessions[-1]}.json"])
    run = read_attribution(folder / f"{sessions[0]}_{sessions[-1]}.json")
    last = read_snapshot(home / "artifacts" / "snapshots" / "PAPER_SIM" / f"{sessions[-1]}.json")
    assert run.end_equity == last.equity and run.portfolio.end_unrealized_pnl == last.unrealized_pnl
    assert sum(group.pnl for group in run.strategies) == run.portfolio.pnl
    assert run.daily[-1].portfolio.cumulative_pnl == last.realized_pnl - last.fees + last.unrealized_pnl
    for day in sessions:
        daily = read_attribution(folder / f"{day}.json")
        assert sum(group.pnl for group in daily.strategies) == daily.portfolio.pnl
    report = (home / "reports" / "demo.html").read_text()
    assert "<h2>By strategy</h2>" in report and "S1_AVWAP_CORE" in report


def test_a_failing_attribution_never_changes_trading(  # type: ignore[no-untyped-def]
    two_runs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Analytics fail open: attribution breaks on the second evening; the replay trades on, and its ledger
    is byte-identical to a run whose attribution worked; the failure is logged and the report says so."""
    from avwap.analytics.attribution import AttributionBuilder

    original = AttributionBuilder.add_day
    calls: list[dt.date] = []

    def failing(self, day, records, marks):  # type: ignore[no-untyped-def]
        calls.append(day)
        if len(calls) == 2:
            raise ZeroDivisionError("attribution bug")
        return original(self, day, records, marks)

    monkeypatch.setattr(AttributionBuilder, "add_day", failing)
    home = tmp_path / "home"
    with caplog.at_level("ERROR", logger="avwap.analytics.attribution"):
        outcome = run_demo({}, home, sessions=SESSIONS)
    assert len(calls) == 2  # attribution stopped after the failure; the replay did not
    assert "failed; trading continues" in caplog.text
    assert len(outcome.result.snapshots) == SESSIONS
    reference = two_runs[0]
    ledger = {name: data for name, data in output_files(home).items() if name.startswith("ledger/")}
    expected = {name: data for name, data in output_files(reference).items() if name.startswith("ledger/")}
    assert ledger == expected
    written = sorted(path.name for path in (home / "artifacts" / "strategy_attribution").rglob("*.json"))
    assert written == [f"{outcome.result.sessions[0]}.json"]
    assert "Attribution unavailable: attribution failed on" in (home / "reports" / "demo.html").read_text()
