"""``avwap doctor``: a healthy deployment passes every check, and each check fails on its own fault."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import typer
from tests.fakes.alpaca_data_server import make_bars
from typer.testing import CliRunner

from avwap.cli import doctor_command
from avwap.core.clock import FixedClock
from avwap.core.config import load_config
from avwap.core.errors import BrokerError
from avwap.data.bars import normalize_bars
from avwap.data.store import BarStore
from avwap.jobs.doctor import MIN_FREE_BYTES, OK, PROBLEM, SKIPPED, Check, Probes, run_doctor
from avwap.ledger.records import Note
from avwap.ledger.router import Ledger

NOW = dt.datetime(2026, 4, 1, 13, 0, tzinfo=dt.UTC)  # 09:00 New York, a Wednesday session
CLOCK = FixedClock(NOW)
HEALTHY = Probes(
    broker_time=lambda config: NOW + dt.timedelta(milliseconds=300), disk_free=lambda path: 10**11
)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / "state").mkdir(parents=True)
    (home / "numba").mkdir()
    BarStore(home / "data").write(
        normalize_bars(make_bars(["SPY"], dt.date(2026, 3, 2), dt.date(2026, 3, 31))), "1d"
    )
    token = home / "state" / "live_confirm_token.txt"
    token.write_text("token")
    token.chmod(0o600)
    config = load_config({}, home=home)
    note = Note(book_id="PAPER_SIM", date_ny=dt.date(2026, 3, 31), ts=NOW, code="OPERATOR_NOTE", message="hi")
    Ledger(config.ledger_dir).append(note)
    return home


def environment(home: Path, **extra: str) -> dict[str, str]:
    return {"AVWAP_HOME": str(home), "NUMBA_CACHE_DIR": str(home / "numba"), **extra}


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def test_a_healthy_deployment_passes(home: Path) -> None:
    checks = by_name(run_doctor(environment(home), CLOCK, HEALTHY, env_file=None))
    assert {name: check.status for name, check in checks.items()} == {
        "config": OK, "numba_cache": OK, "preflight": OK, "permissions": OK, "ledgers": OK, "data": OK,
        "time_sync": SKIPPED, "disk": OK,
    }  # fmt: skip
    assert "ALPACA_API_KEY" in checks["time_sync"].detail  # a skip says why


def test_a_malformed_setting_fails_config_and_skips_the_rest(home: Path) -> None:
    checks = by_name(run_doctor(environment(home, MAX_POSITIONS="many"), CLOCK, HEALTHY, env_file=None))
    assert checks["config"].status == PROBLEM and "MAX_POSITIONS" in checks["config"].detail
    assert checks["ledgers"].status == SKIPPED


def test_a_missing_state_folder_fails_preflight(home: Path) -> None:
    for path in (home / "state").iterdir():
        path.unlink()
    (home / "state").rmdir()
    checks = by_name(run_doctor(environment(home), CLOCK, HEALTHY, env_file=None))
    assert checks["preflight"].status == PROBLEM and "STATE_DIR_MISSING" in checks["preflight"].detail


def test_a_group_readable_token_or_env_file_is_a_problem(home: Path, tmp_path: Path) -> None:
    (home / "state" / "live_confirm_token.txt").chmod(0o644)
    env_file = tmp_path / "avwap.env"
    env_file.write_text("ALPACA_API_KEY=x\n")
    env_file.chmod(0o640)
    check = by_name(run_doctor(environment(home), CLOCK, HEALTHY, env_file=env_file))["permissions"]
    assert check.status == PROBLEM
    assert "live_confirm_token.txt" in check.detail and "avwap.env" in check.detail
    assert check.fix.startswith("chmod 600 ")


def test_a_tampered_ledger_is_a_problem(home: Path) -> None:
    path = home / "ledger" / "PAPER_SIM" / "2026-03-31.jsonl"
    path.write_text(path.read_text().replace('"hi"', '"HI"'))
    check = by_name(run_doctor(environment(home), CLOCK, HEALTHY, env_file=None))["ledgers"]
    assert check.status == PROBLEM and "2026-03-31.jsonl:1" in check.detail


def test_a_torn_ledger_tail_is_a_problem_with_the_repair_command(home: Path) -> None:
    path = home / "ledger" / "PAPER_SIM" / "2026-03-31.jsonl"
    with path.open("a") as handle:
        handle.write('{"seq": 2, "rec')
    check = by_name(run_doctor(environment(home), CLOCK, HEALTHY, env_file=None))["ledgers"]
    assert check.status == PROBLEM and "--repair" in check.fix


def test_stale_daily_bars_are_a_problem(home: Path) -> None:
    later = FixedClock(dt.datetime(2026, 4, 3 + 3, 13, 0, tzinfo=dt.UTC))  # Monday: needs Thursday's bar
    check = by_name(run_doctor(environment(home), later, HEALTHY, env_file=None))["data"]
    assert check.status == PROBLEM and "2026-03-31" in check.detail and "avwap sync" in check.fix


@pytest.mark.parametrize("cache", ["", "missing"])
def test_an_unset_or_missing_numba_cache_is_a_problem(home: Path, cache: str) -> None:
    value = str(home / cache) if cache else ""
    env = {**environment(home), "NUMBA_CACHE_DIR": value}
    check = by_name(run_doctor(env, CLOCK, HEALTHY, env_file=None))["numba_cache"]
    assert check.status == PROBLEM


def test_time_sync_against_the_broker_clock(home: Path) -> None:
    dry_run = environment(home, ALPACA_API_KEY="k", ALPACA_SECRET_KEY="s")
    assert by_name(run_doctor(dry_run, CLOCK, HEALTHY, env_file=None))["time_sync"].status == SKIPPED
    keys = {**dry_run, "EXECUTION_MODE": "ALPACA_PAPER"}
    assert by_name(run_doctor(keys, CLOCK, HEALTHY, env_file=None))["time_sync"].status == OK
    skewed = Probes(broker_time=lambda config: NOW - dt.timedelta(seconds=9), disk_free=HEALTHY.disk_free)
    check = by_name(run_doctor(keys, CLOCK, skewed, env_file=None))["time_sync"]
    assert check.status == PROBLEM and "+9.000s" in check.detail and "ntp" in check.fix.lower()

    def unreachable(config: object) -> dt.datetime:
        raise BrokerError("connection refused")

    down = Probes(broker_time=unreachable, disk_free=HEALTHY.disk_free)
    assert by_name(run_doctor(keys, CLOCK, down, env_file=None))["time_sync"].status == PROBLEM


def test_low_disk_space_is_a_problem(home: Path) -> None:
    full = Probes(broker_time=None, disk_free=lambda path: MIN_FREE_BYTES - 1)
    assert by_name(run_doctor(environment(home), CLOCK, full, env_file=None))["disk"].status == PROBLEM


def test_the_command_exits_1_with_fixes_and_prints_json(home: Path, tmp_path: Path) -> None:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root."""

    doctor_command.register(app)
    env = {**environment(home), "NUMBA_CACHE_DIR": ""}
    arguments = ["doctor", "--env-file", str(tmp_path / "none.env")]
    result = CliRunner().invoke(app, arguments, env=env)
    assert result.exit_code == 1 and "FIX numba_cache" in result.output
    data = json.loads(CliRunner().invoke(app, [*arguments, "--json"], env=env).output)
    assert data["ok"] is False
    numba = next(check for check in data["checks"] if check["name"] == "numba_cache")
    assert numba["status"] == PROBLEM and numba["fix"]
