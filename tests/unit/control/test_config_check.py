"""``avwap config-check`` through typer's CliRunner, and the state-folder readers behind it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from avwap.cli import config_check_command
from avwap.control import reasons as r
from avwap.control.preflight import build_preflight, report_data
from avwap.control.state_files import StateFiles, read_state_files, read_token_file
from avwap.core.config import load_config

TOKEN = "s3cret-token-42"
LIVE = {
    "EXECUTION_MODE": "LIVE",
    "LIVE_TRADING": "1",
    "LIVE_CONFIRM_TOKEN": TOKEN,
    "ALPACA_TRADING_URL": "https://api.alpaca.markets",
}


def make_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """Test root, so that config-check stays a sub-command."""

    config_check_command.register(app)
    return app


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "state").mkdir()
    return tmp_path


def run(home: Path, environment: dict[str, str], *arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        make_app(),
        ["config-check", "--today", "2026-04-01", *arguments],
        env={"AVWAP_HOME": str(home), **environment},
    )
    return result.exit_code, result.output


def run_json(home: Path, environment: dict[str, str]) -> tuple[int, dict[str, Any]]:
    code, output = run(home, environment, "--json")
    return code, json.loads(output)


def problem_codes(data: dict[str, Any]) -> list[str]:
    return [item["code"] for item in data["problems"]]


def test_clean_default_config_exits_0_in_dry_run(home: Path) -> None:
    code, output = run(home, {})
    assert code == 0, output
    assert "Effective mode: DRY_RUN" in output and "OK: no problems" in output
    assert "kill_switch" in output and "MAX_GROSS_EXPOSURE" in output and str(home / "state") in output


def test_json_parses_and_lists_every_gate_and_cap(home: Path) -> None:
    code, data = run_json(home, {})
    assert code == 0 and data["ok"] is True
    assert data["mode"] == {
        "requested": "DRY_RUN",
        "effective": "DRY_RUN",
        "live_confirmed": False,
        "reasons": [],
        "alerts": [],
    }
    assert [gate["gate"] for gate in data["gates"]][:3] == ["kill_switch", "execution_mode", "clock"]
    caps = {cap["variable"]: cap["value"] for cap in data["caps"]}
    assert (
        caps["MAX_ORDERS_PER_DAY"] == 5
        and caps["MAX_GROSS_EXPOSURE"] == "5000"
        and caps["MAX_RISK_PER_SHARE"] == "3.00"
    )
    assert data["paths"]["state"] == (home / "state").as_posix()


def test_live_without_token_exits_1_and_names_the_reason(home: Path) -> None:
    environment = {key: value for key, value in LIVE.items() if key != "LIVE_CONFIRM_TOKEN"}
    code, output = run(home, environment)
    assert code == 1
    assert "LIVE_TOKEN_MISSING" in output and "LIVE_TOKEN_FILE_MISSING" in output
    code, data = run_json(home, environment)
    assert code == 1
    assert problem_codes(data) == [r.LIVE_NOT_CONFIRMED, r.LIVE_TOKEN_MISSING, r.LIVE_TOKEN_FILE_MISSING]
    assert data["mode"]["effective"] == "DRY_RUN"


def test_live_with_all_three_keys_is_clean_and_never_prints_the_token(home: Path) -> None:
    (home / "state" / "live_confirm_token.txt").write_text(TOKEN + "\n")
    code, output = run(home, LIVE)
    assert code == 0, output
    assert "Effective mode: LIVE" in output and TOKEN not in output
    code, data = run_json(home, LIVE)
    assert data["mode"]["live_confirmed"] is True and data["live_keys"]["token_matches"] is True


def test_token_mismatch_exits_1_without_leaking_either_token(home: Path) -> None:
    (home / "state" / "live_confirm_token.txt").write_text("the-other-one")
    code, output = run(home, LIVE)
    assert code == 1 and "LIVE_TOKEN_MISMATCH" in output
    assert TOKEN not in output and "the-other-one" not in output


@pytest.mark.parametrize(
    ("extra", "codes"),
    [
        (
            {"ALLOWLIST_SYMBOLS": "AAPL,MSFT", "LIVE_ENABLE_DATE_NY": "2026-04-01"},
            [r.PHASE_C_ALLOWLIST_NOT_SINGLE],
        ),
        ({"ALLOWLIST_SYMBOLS": "AAPL", "LIVE_ENABLE_DATE_NY": "2026-03-31"}, [r.PHASE_C_DATE_MISMATCH]),
        ({"ALLOWLIST_SYMBOLS": "AAPL"}, [r.PHASE_C_DATE_MISSING]),
        ({"ALLOWLIST_SYMBOLS": "AAPL", "LIVE_ENABLE_DATE_NY": "2026-04-01"}, []),
    ],
)
def test_phase_c_problems(home: Path, extra: dict[str, str], codes: list[str]) -> None:
    (home / "state" / "live_confirm_token.txt").write_text(TOKEN)
    code, data = run_json(home, {**LIVE, "PHASE_C": "1", **extra})
    assert problem_codes(data) == codes
    assert code == (1 if codes else 0)
    assert data["phase_c"]["applies"] is True


def test_phase_c_outside_live_is_a_notice(home: Path) -> None:
    code, data = run_json(
        home, {"PHASE_C": "1", "ALLOWLIST_SYMBOLS": "AAPL", "LIVE_ENABLE_DATE_NY": "2026-04-01"}
    )
    assert code == 0
    assert [item["code"] for item in data["notices"]] == [r.PHASE_C_OUTSIDE_LIVE]


def test_cap_of_zero_is_a_problem(home: Path) -> None:
    code, data = run_json(home, {"MAX_POSITIONS": "0"})
    assert code == 1 and problem_codes(data) == [r.CAP_ZERO]
    gates = {gate["gate"]: gate["state"] for gate in data["gates"]}
    assert gates["max_positions"] == "blocking"


def test_kill_switch_file_is_shown_but_not_a_problem(home: Path) -> None:
    (home / "state" / "KILL_SWITCH").write_text("")
    code, data = run_json(home, {})
    assert code == 0
    assert data["kill_switch"] == {"env": False, "file": True, "active": True}
    assert [item["code"] for item in data["notices"]] == [r.KILL_SWITCH_ACTIVE]


def test_paper_book_on_the_live_endpoint_is_a_problem(home: Path) -> None:
    code, data = run_json(
        home, {"EXECUTION_MODE": "ALPACA_PAPER", "ALPACA_TRADING_URL": "https://api.alpaca.markets"}
    )
    assert code == 1 and problem_codes(data) == [r.PAPER_MODE_LIVE_ENDPOINT]


def test_dry_run_over_live_is_a_notice(home: Path) -> None:
    code, data = run_json(home, {"EXECUTION_MODE": "LIVE", "DRY_RUN": "1"})
    assert code == 0
    notices = [item["code"] for item in data["notices"]]
    assert notices == [r.DRY_RUN_FORCED, r.LIVE_KEYS_IGNORED]


def test_missing_state_folder_is_a_problem(tmp_path: Path) -> None:
    code, data = run_json(tmp_path, {})
    assert code == 1 and problem_codes(data) == [r.STATE_DIR_MISSING]
    (tmp_path / "state").write_text("not a folder")
    code, data = run_json(tmp_path, {})
    assert code == 1 and problem_codes(data) == [r.STATE_DIR_MISSING]


def test_state_folder_override(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    code, data = run_json(tmp_path, {"AVWAP_STATE_DIR": str(tmp_path / "elsewhere")})
    assert code == 0 and data["paths"]["state"] == (tmp_path / "elsewhere").as_posix()


def test_unwritable_state_folder_is_a_problem(tmp_path: Path) -> None:
    files = StateFiles(tmp_path, exists=True, writable=False, kill_switch_file=False, token_text=None)
    report = build_preflight(load_config({}, home=tmp_path), files, dt.date(2026, 4, 1))
    assert [item.code for item in report.problems] == [r.STATE_DIR_NOT_WRITABLE]
    assert report_data(report)["ok"] is False


def test_malformed_setting_exits_3_naming_it(home: Path) -> None:
    code, output = run(home, {"MAX_POSITIONS": "five"})
    assert code == 3 and "MAX_POSITIONS" in output


def test_without_today_option_the_clock_decides(home: Path) -> None:
    result = CliRunner().invoke(make_app(), ["config-check", "--json"], env={"AVWAP_HOME": str(home)})
    assert result.exit_code == 0
    assert dt.date.fromisoformat(json.loads(result.output)["phase_c"]["today_ny"])


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"tok\n", "tok\n"), (b"", ""), (b"\xff\xfe", None), (b"x" * 5000, None)],
)
def test_token_file_reader(tmp_path: Path, content: bytes, expected: str | None) -> None:
    (tmp_path / "live_confirm_token.txt").write_bytes(content)
    assert read_token_file(tmp_path) == expected


def test_token_file_reader_fails_closed(tmp_path: Path) -> None:
    assert read_token_file(tmp_path) is None
    (tmp_path / "live_confirm_token.txt").mkdir()
    assert read_token_file(tmp_path) is None
    assert read_state_files(tmp_path / "absent") == StateFiles(tmp_path / "absent", False, False, False, None)


@pytest.mark.parametrize(
    ("environment", "variable"),
    [
        ({"STOP_DAILY_LOOKBACK": "3"}, "STOP_DAILY_LOOKBACK"),
        ({"STOP_EARLY_TREND_MINUTES": "5"}, "STOP_EARLY_TREND_MINUTES"),
        ({"ENABLED_STRATEGIES": "S1_AVWAP_CORE,S9_UNKNOWN"}, "ENABLED_STRATEGIES"),
    ],
)
def test_stop_rules_and_strategies_are_checked_naming_the_variable(
    home: Path, environment: dict[str, str], variable: str
) -> None:
    code, output = run(home, environment)
    assert code == 3 and variable in output


def test_the_intraday_data_gate_shows_its_lag_and_where_bars_come_from(home: Path) -> None:
    _, data = run_json(home, {"INTRADAY_MAX_LAG_MINUTES": "20", "ALPACA_DATA_FEED": "sip"})
    (gate,) = [gate for gate in data["gates"] if gate["gate"] == "intraday_data"]
    assert gate["state"] == "enabled" and "INTRADAY_MAX_LAG_MINUTES=20" in gate["detail"]
    assert "Alpaca" in gate["detail"] and "ALPACA_DATA_FEED=sip" in gate["detail"]
    _, data = run_json(home, {"INTRADAY_REFRESH": "off"})
    (gate,) = [gate for gate in data["gates"] if gate["gate"] == "intraday_data"]
    assert "store kept elsewhere" in gate["detail"]
