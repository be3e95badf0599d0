"""The dashboard over HTTP against a real uvicorn on 127.0.0.1 and a demo home: every page, the figures equal
the CLI's --json, security (token login on a non-loopback bind, CSRF, headers, traversal), a corrupted ledger
shown as HALTED, the kill switch recorded and blocking the next cycle, caches invalidated by a new record."""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.dashboard.conftest import (
    BOOK,
    after_close,
    cli_json,
    fields,
    home_config,
    home_copy,
    last_session,
    serving,
)
from tests.unit.ledger import factories

from avwap.backtest.run import run_backtest
from avwap.core.calendar import nyse
from avwap.core.clock import FixedClock
from avwap.core.errors import ConfigurationError
from avwap.dashboard import performance as performance_module
from avwap.dashboard.app import create_app
from avwap.dashboard.books import BookReaders
from avwap.dashboard.kill_switch import KILL_SWITCH_ENGAGED
from avwap.dashboard.overview import book_facts
from avwap.dashboard.positions import open_positions
from avwap.dashboard.signature import MemoCache
from avwap.demo.home import prepare_demo_home
from avwap.demo.replay import demo_config, demo_engine
from avwap.ledger.record_enums import AlertLevel, DecisionOutcome, OrderPurpose
from avwap.ledger.records import Alert, Decision, Note, OrderSubmitted, PositionOpened, TradeIntent
from avwap.ledger.router import Ledger

PAGES = ("/", "/positions", "/today", "/performance", "/audit", "/kill-switch")
TOKEN = "a-long-test-token-0123456789"


def client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, follow_redirects=False, timeout=30)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None, html[:2000]
    return match.group(1)


@pytest.fixture(scope="module")
def served(demo_home: Path) -> object:
    with serving(home_config(demo_home), after_close(last_session(demo_home))) as url:
        yield url


def test_every_page_answers_with_strict_security_headers(served: str) -> None:
    with client(served) as http:
        for path in (*PAGES, "/static/dashboard.js", "/static/dashboard.css", "/api/version"):
            response = http.get(path)
            assert response.status_code == 200, (path, response.text[:500])
            policy = response.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy, path
            assert "script-src 'self'" in policy and "style-src 'self'" in policy
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["x-content-type-options"] == "nosniff"
            if path in PAGES:
                assert "<script>" not in response.text and " style=" not in response.text, path
                assert "cdn" not in response.text.lower() and "https://" not in response.text, path


def test_the_overview_shows_the_figures_of_portfolio_show(served: str, demo_home: Path) -> None:
    snapshot = cli_json(demo_home, "portfolio", "show", "--book", BOOK)
    with client(served) as http:
        page = http.get("/").text
    shown = fields(page)
    for name in ("equity", "cash", "daily_return", "drawdown", "gross_exposure"):
        assert Decimal(shown[name]) == Decimal(snapshot[name]), name
    assert int(shown["open_positions"]) == snapshot["open_positions"]
    assert shown["state"] == "ACTIVE" and "paper" in page
    status = cli_json(demo_home, "decommission", "status")
    assert status["kill_switch"] is False and 'id="kill-switch">off' in page
    # jobs are judged against the last session: all ran that day; the regime was never labelled
    assert page.count("health-ok") >= 5 and "health-unknown" not in page
    assert "unknown (no REGIME_E1 record" in page


def test_job_health_is_unknown_without_output_and_stale_when_old(tmp_path: Path, demo_home: Path) -> None:
    home = home_copy(demo_home, tmp_path / "home")
    for folder in ("candidates", "reconciliation"):
        for path in (home / "artifacts" / folder).rglob("*.json"):
            path.unlink()
    later = FixedClock(nyse().session_close(nyse().next_session(last_session(home))) + dt.timedelta(hours=1))
    with serving(home_config(home), later) as url, client(url) as http:
        page = http.get("/").text
    assert re.search(r'health-unknown" data-job="scan"', page)
    assert re.search(r'health-unknown" data-job="reconciliation"', page)
    assert re.search(r'health-stale" data-job="snapshot"', page) and "health-ok" not in page


def test_positions_today_trace_and_audit_match_the_cli(served: str, demo_home: Path) -> None:
    snapshot = cli_json(demo_home, "portfolio", "show", "--book", BOOK)
    verify = cli_json(demo_home, "ledger", "verify")
    with client(served) as http:
        positions = http.get("/positions").text
        for line in snapshot["positions"]:
            row = re.search(rf'data-symbol="{line["symbol"]}">(.*?)</tr>', positions, re.S)
            assert row is not None, line["symbol"]
            assert Decimal(fields(row.group(1))["mark"]) == Decimal(line["mark"])
            assert Decimal(fields(row.group(1))["stop"]) == Decimal(line["stop_price"])
        assert positions.count("<svg") == len(snapshot["positions"]) and "AVWAP" in positions
        position_id = re.search(r'href="/trace/(pos_[0-9a-f]+)"', positions).group(1)  # type: ignore[union-attr]
        lineage = cli_json(demo_home, "ledger", "trace", position_id)
        trace = http.get(f"/trace/{position_id}").text
        assert trace.count("<tr>") - 1 == len(lineage["records"])
        assert all(stage in trace for stage in lineage["chain"])
        today = http.get("/today").text
        assert "Decisions" in today and "<code>" in today
        codes = re.findall(r"&amp;code=([A-Z_]+)\"", today)
        assert codes, "no reason code to filter by"
        filtered = http.get("/today", params={"code": codes[0]}).text
        decisions = re.search(r'id="decisions">(.*?)</table>', filtered, re.S).group(1)  # type: ignore[union-attr]
        rows = decisions.split("<tr>")[2:]
        assert rows and all(f"<code>{codes[0]}</code>" in row for row in rows)
        audit = http.get("/audit").text
    assert f"{len(verify['files'])} files, 0 with a problem" in audit and verify["ok"] is True


def test_performance_matches_exits_and_strategies_reports(served: str, demo_home: Path) -> None:
    with client(served) as http:
        page = http.get("/performance").text
    span = re.search(r"(\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d) \(the span", page)
    assert span is not None
    first, last = span.groups()
    exits = cli_json(demo_home, "exits", "report", "--book", BOOK, "--from", first, "--to", last)
    summary = re.search(r'id="exit-summary">(.*?)</dl>', page, re.S).group(1)  # type: ignore[union-attr]
    shown = fields(summary)
    for key, value in exits["summary"].items():
        assert shown[key] == str(value), key
    strategies = cli_json(demo_home, "strategies", "report", "--book", BOOK, "--from", first, "--to", last)
    for group in strategies["report"]["strategies"]:
        row = re.search(rf'data-strategy="{group["name"]}">(.*?)</tr>', page, re.S)
        assert row is not None and Decimal(fields(row.group(1))["pnl"]) == Decimal(group["pnl"])
    assert page.count("<svg") == 2 and "Monthly returns" in page


def test_a_backtest_run_folder_has_its_performance_page(tmp_path: Path, demo_home: Path) -> None:
    runs = tmp_path / "runs"
    day = last_session(demo_home)
    run_backtest(
        {}, start=nyse().previous_session(day), end=day, data_root=demo_home / "data", out=runs / "r1"
    )
    (runs / "escape").symlink_to(demo_home)
    config = home_config(demo_home, dashboard_runs_dir=runs)
    with serving(config, after_close(day)) as url, client(url) as http:
        page = http.get("/performance/run/r1")
        assert page.status_code == 200 and "Backtest run r1" in page.text and "Exit quality" in page.text
        assert 'href="/performance/run/r1"' in http.get("/performance").text
        for name in ("escape", "%2e%2e", "..%2F..%2Fetc", "nope", ".hidden"):
            assert http.get(f"/performance/run/{name}").status_code == 404, name


def test_path_parameters_are_validated_and_traversal_is_404(served: str) -> None:
    with client(served) as http:
        for path in (
            "/today?book=..%2F..%2Fetc", "/positions?book=PAPER_SIM%2F..", "/today?date=..%2Fx",
            "/today?code=..%2Fetc", "/trace/..%2F..%2Fetc%2Fpasswd", "/trace/%2e%2e",
            "/static/..%2F..%2Fcore%2Fconfig.py", "/static/%2e%2e/app.py", "/performance/run/x",
            "/nope",
        ):  # fmt: skip
            response = http.get(path)
            assert response.status_code == 404, (path, response.status_code)
            assert "Traceback" not in response.text and "avwap/core" not in response.text


def test_a_non_loopback_bind_needs_a_token(demo_home: Path) -> None:
    with pytest.raises(ConfigurationError, match="AVWAP_DASHBOARD_TOKEN"):
        create_app(
            home_config(demo_home, dashboard_host="0.0.0.0"),
            FixedClock(dt.datetime(2026, 1, 2, tzinfo=dt.UTC)),
        )


def test_with_a_token_every_page_needs_a_login_and_no_secret_is_shown(
    tmp_path: Path, demo_home: Path
) -> None:
    home = home_copy(demo_home, tmp_path / "home")
    config = home_config(
        home, dashboard_host="0.0.0.0", dashboard_token=TOKEN, alpaca_secret_key="SECRET-ALPACA-KEY-42"
    )
    with serving(config, after_close(last_session(home))) as url, client(url) as http:
        for path in (*PAGES, "/api/version", "/trace/x"):
            response = http.get(path)
            assert response.status_code == 303 and response.headers["location"] == "/login", path
        assert http.post("/kill-switch", data={"confirm": "ENGAGE", "who": "x"}).status_code == 403
        login = http.get("/login")
        csrf = csrf_of(login.text)
        assert http.post("/login", data={"token": TOKEN}).status_code == 403  # no CSRF token
        assert http.post("/login", data={"csrf": csrf, "token": TOKEN[:-1] + "x"}).status_code == 403
        assert http.get("/").status_code == 303
        before = http.cookies.get("avwap_dashboard_session")
        accepted = http.post("/login", data={"csrf": csrf, "token": TOKEN})
        assert accepted.status_code == 303 and http.cookies.get("avwap_dashboard_session") != before
        for path in PAGES:
            page = http.get(path)
            assert page.status_code == 200, path
            assert TOKEN not in page.text and "SECRET-ALPACA-KEY-42" not in page.text
    assert not (home / "state" / "KILL_SWITCH").exists()


def test_the_kill_switch_needs_csrf_and_confirmation_and_is_recorded(tmp_path: Path, demo_home: Path) -> None:
    home = home_copy(demo_home, tmp_path / "home")
    switch = home / "state" / "KILL_SWITCH"
    with serving(home_config(home), after_close(last_session(home))) as url, client(url) as http:
        csrf = csrf_of(http.get("/kill-switch").text)
        form = {"who": "operator one", "reason": "testing", "confirm": "ENGAGE"}
        assert http.post("/kill-switch", data=form).status_code == 403
        assert http.post("/kill-switch", data={**form, "csrf": csrf[::-1]}).status_code == 403
        assert http.post("/kill-switch", data={**form, "csrf": csrf, "confirm": "yes"}).status_code == 400
        assert http.post("/kill-switch", data={**form, "csrf": csrf, "who": "<script>"}).status_code == 400
        padded = {**form, "csrf": csrf, "reason": "x" * 10_000}  # a body over 8 kB is an empty form
        assert http.post("/kill-switch", data=padded).status_code == 403
        many = "&".join(f"f{number}=1" for number in range(40)) + f"&csrf={csrf}&who=a&confirm=ENGAGE"
        headers = {"content-type": "application/x-www-form-urlencoded"}
        assert http.post("/kill-switch", content=many, headers=headers).status_code == 403
        assert not switch.exists()
        engaged = http.post("/kill-switch", data={**form, "csrf": csrf})
        assert engaged.status_code == 200 and 'id="kill-outcome"' in engaged.text
        overview = http.get("/").text
    assert switch.exists() and "dashboard, by operator one: testing" in switch.read_text()
    assert fields(overview)["state"] == "REDUCING" and 'id="kill-switch">ENGAGED' in overview
    notes = [
        r
        for r in Ledger(home / "ledger").read_book(BOOK)
        if isinstance(r, Note) and r.code == KILL_SWITCH_ENGAGED
    ]
    assert (
        len(notes) == 1
        and notes[0].detail["who"] == "operator one"
        and notes[0].detail["source"] == "dashboard"
    )
    assert cli_json(home, "decommission", "status")["kill_switch"] is True


def test_engaging_through_http_blocks_the_next_cycle(tmp_path: Path, demo_home: Path) -> None:
    """The kill switch engaged through the dashboard is the one the cycle reads: the demo engine's next
    sessions (the production cycle) plan entries and the control plane rejects every one of them."""
    config = demo_config({}, prepare_demo_home(tmp_path / "home"))
    config.data_dir.parent.mkdir(parents=True, exist_ok=True)
    home_copy(demo_home / "data", config.data_dir)
    first = demo_engine(config, config.data_dir, 2).sessions[0]
    before = FixedClock(nyse().session_close(nyse().previous_session(first)) + dt.timedelta(hours=1))
    with serving(config, before) as url, client(url) as http:
        csrf = csrf_of(http.get("/kill-switch").text)
        form = {"csrf": csrf, "who": "operator", "reason": "halt entries", "confirm": "ENGAGE"}
        assert http.post("/kill-switch", data=form).status_code == 200
    demo_engine(config, config.data_dir, 2).run()
    records = Ledger(config.ledger_dir).read_book(BOOK)
    decisions = [record for record in records if isinstance(record, Decision)]
    assert len([record for record in records if isinstance(record, TradeIntent)]) > 0
    assert decisions and all(d.outcome is DecisionOutcome.REJECT for d in decisions)
    assert all(d.reason_codes[0] == "KILL_SWITCH_ACTIVE" for d in decisions)
    entries = [r for r in records if isinstance(r, OrderSubmitted) and r.purpose is OrderPurpose.ENTRY]
    assert entries == [] and not any(isinstance(record, PositionOpened) for record in records)


def test_a_corrupted_ledger_shows_halted_with_the_reason(tmp_path: Path, demo_home: Path) -> None:
    home = home_copy(demo_home, tmp_path / "home")
    day_file = sorted((home / "ledger" / BOOK).glob("*.jsonl"))[1]
    lines = day_file.read_text().splitlines(keepends=True)
    lines[2] = (
        lines[2].replace('"quantity":', '"quantity":1', 1) if '"quantity":' in lines[2] else "garbage\n"
    )
    day_file.write_text("".join(lines))
    with serving(home_config(home), after_close(last_session(home))) as url, client(url) as http:
        overview = http.get("/")
        assert overview.status_code == 200
        shown = fields(overview.text)
        assert shown["state"] == "HALTED" and day_file.name in shown["reason"]
        for path in ("/positions", "/today", "/performance", "/audit"):
            response = http.get(path)
            assert response.status_code == 200, path
        audit = http.get("/audit").text
    verify = cli_json(home, "ledger", "verify", codes=(1, 5))
    problems = [row for row in verify["files"] if row["status"] != "OK"]
    assert verify["ok"] is False and Path(verify["first_problem"]["path"]).name == day_file.name
    assert (
        f"{len(verify['files'])} files, {len(problems)} with a problem: first {BOOK}/{day_file.name}" in audit
    )


def test_a_new_record_invalidates_the_cached_overview(tmp_path: Path, demo_home: Path) -> None:
    home = home_copy(demo_home, tmp_path / "home")
    day = last_session(home)
    clock = after_close(day)
    with serving(home_config(home), clock) as url, client(url) as http:
        version = http.get("/api/version").json()["version"]
        assert "DASHBOARD_TEST_ALERT" not in http.get("/").text
        assert "DASHBOARD_TEST_ALERT" not in http.get("/").text  # served from the cache
        alert = Alert(
            book_id=BOOK, date_ny=day, ts=clock.now(), level=AlertLevel.WARNING,
            code="DASHBOARD_TEST_ALERT", message="a new record",
        )  # fmt: skip
        Ledger(home / "ledger").append(alert)
        assert "DASHBOARD_TEST_ALERT" in http.get("/").text
        assert http.get("/api/version").json()["version"] != version


def test_the_command_refuses_a_public_bind_without_a_token(demo_home: Path) -> None:
    from typer.testing import CliRunner

    from avwap.cli.main import build_app

    result = CliRunner().invoke(
        build_app(), ["dashboard", "--host", "0.0.0.0", "--home", str(demo_home)], env={"AVWAP_HOME": ""}
    )
    assert result.exit_code == 3 and "AVWAP_DASHBOARD_TOKEN" in result.output
    bad_port = CliRunner().invoke(build_app(), ["dashboard", "--port", "70000", "--home", str(demo_home)])
    assert bad_port.exit_code == 3 and "--port" in bad_port.output


def test_the_command_serves_the_pages_until_stopped(demo_home: Path) -> None:
    """``avwap dashboard`` as the systemd unit runs it: a real process, stopped by SIGTERM."""
    import signal
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "avwap.cli.main",
        "dashboard",
        "--port",
        str(port),
        "--home",
        str(demo_home),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "the dashboard did not start"
                time.sleep(0.2)
        assert response.status_code == 200 and "PAPER_SIM" in response.text
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    # uvicorn shuts down cleanly, then re-raises the signal: systemd counts a SIGTERM end as a clean stop
    assert process.returncode in (0, -signal.SIGTERM) and "Application shutdown complete" in output, output
    assert f"avwap dashboard on http://127.0.0.1:{port}/" in output


def test_the_today_page_shows_advisory_scores_beside_the_candidates(tmp_path: Path, demo_home: Path) -> None:
    """The ML advisory artifact ``avwap ml score --trading-date D`` writes (named by the candidates'
    data-through date) shows as a column; it never changes a decision."""
    import json

    from avwap.watchlist.artifact import read_candidates

    home = home_copy(demo_home, tmp_path / "home")
    day = last_session(home)
    watchlist = read_candidates(home / "artifacts", day)
    first = watchlist.candidates[0].symbol
    artifact = {"as_of": watchlist.data_through.isoformat(), "advisory_only": True, "model_sha256": "ab" * 32,
                "scores": [{"symbol": first, "rank": 1, "p_hit_r1": 0.6123}]}  # fmt: skip
    folder = home / "artifacts" / "ml"
    folder.mkdir(parents=True)
    (folder / f"advisory_scores_{watchlist.data_through.isoformat()}.json").write_text(json.dumps(artifact))
    with serving(home_config(home), after_close(day)) as url, client(url) as http:
        with_scores = http.get("/today", params={"date": day.isoformat()}).text
    assert "P(R1) advisory" in with_scores and "0.6123" in with_scores and "model abababababab" in with_scores
    with serving(home_config(demo_home), after_close(day)) as url, client(url) as http:
        assert "P(R1) advisory" not in http.get("/today", params={"date": day.isoformat()}).text


def test_a_new_fill_reaches_the_positions_and_only_the_newest_day_is_read_again(
    tmp_path: Path, demo_home: Path
) -> None:
    home = home_copy(demo_home, tmp_path / "home")
    day = last_session(home)
    config, readers, cache = home_config(home), BookReaders(), MemoCache()
    before = book_facts(config, BOOK, readers, cache)
    assert before.state is not None and not before.state.lots_of("ZZZT")
    trade = factories.intent("ZZZT", 7, day)
    entry = factories.submit(trade)
    fills = [factories.fill(entry, 7, "50.00")]
    for record in (trade, factories.approve(trade), entry, *fills, factories.opened(trade, fills, "50.00")):
        Ledger(home / "ledger").append(record)
    follower_files = list(before.ledger.files)
    after = book_facts(config, BOOK, readers, cache)
    assert after.state is not None and after.state.lots_of("ZZZT")[0].quantity == 7
    assert [item.trade.symbol for item in open_positions(after)].count("ZZZT") == 1
    assert after.ledger.files == tuple(follower_files)  # the same day: no new file
    full = book_facts(config, BOOK)  # a one-off full read agrees with the incremental one
    assert full.ledger.records == after.ledger.records and full.state == after.state


def test_the_cache_does_not_hide_a_closed_day_edited_in_place(tmp_path: Path, demo_home: Path) -> None:
    home = home_copy(demo_home, tmp_path / "home")
    day_file = sorted((home / "ledger" / BOOK).glob("*.jsonl"))[1]
    with serving(home_config(home), after_close(last_session(home))) as url, client(url) as http:
        assert fields(http.get("/").text)["state"] != "HALTED"
        assert fields(http.get("/").text)["state"] != "HALTED"  # from the caches
        data = day_file.read_bytes()
        stat = day_file.stat()
        digits = re.search(rb'"ts":"\d{4}-\d{2}-\d{2}T(\d)', data)
        assert digits is not None
        spot = digits.start(1)
        changed = b"1" if data[spot : spot + 1] != b"1" else b"2"
        day_file.write_bytes(data[:spot] + changed + data[spot + 1 :])  # same size, one byte changed
        os.utime(day_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the old mtime
        assert day_file.stat().st_size == stat.st_size
        shown = fields(http.get("/").text)
        assert shown["state"] == "HALTED" and day_file.name in shown["reason"]


def test_the_performance_page_is_recomputed_for_its_snapshot_day_not_for_later_records(
    tmp_path: Path, demo_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = home_copy(demo_home, tmp_path / "home")
    day = last_session(home)
    clock = after_close(day)
    built: list[str] = []
    original = performance_module.performance

    def counted(config: Any, book: str, data_dir: Any = None) -> Any:
        built.append(book)
        return original(config, book, data_dir)

    monkeypatch.setattr(performance_module, "performance", counted)

    def alert(date_ny: dt.date, code: str) -> Alert:
        return Alert(
            book_id=BOOK, date_ny=date_ny, ts=clock.now(), level=AlertLevel.INFO, code=code, message="x"
        )

    with serving(home_config(home), clock) as url, client(url) as http:
        first = http.get("/performance").text
        assert http.get("/performance").text == first and len(built) == 1
        Ledger(home / "ledger").append(alert(day, "SNAPSHOT_DAY"))
        assert http.get("/performance").text == first and len(built) == 2  # the newest snapshot's day
        Ledger(home / "ledger").append(alert(day + dt.timedelta(days=1), "LATER_DAY"))
        assert "LATER_DAY" in http.get("/").text  # the book's facts were rebuilt...
        assert http.get("/performance").text == first and len(built) == 2  # ...not the page: after it
