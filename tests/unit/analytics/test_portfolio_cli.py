"""``avwap portfolio snapshot|show|reconcile|decide`` end to end on a temporary home."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import typer
from tests.unit.analytics.portfolio_fixtures import DAY, PREVIOUS, write_candidates_artifact, write_daily_bars
from tests.unit.ledger import factories
from typer.testing import CliRunner

from avwap.analytics.portfolio_snapshots import read_snapshot, snapshot_path
from avwap.cli import portfolio_command
from avwap.cli.output import EXIT_BROKER, EXIT_CONFIGURATION, EXIT_DATA, EXIT_OK, EXIT_PROBLEM
from avwap.core.clock import FixedClock
from avwap.core.errors import BrokerUnavailableError
from avwap.data.store import BarStore
from avwap.execution.broker import BrokerAccount, BrokerPosition
from avwap.execution.reconcile_render import read_report, report_path
from avwap.integrations.slack import notifier as slack_notifier
from avwap.integrations.slack.notifier import RecordingNotifier
from avwap.ledger.router import Ledger

runner = CliRunner()
CLOSE_CLOCK = FixedClock(dt.datetime(2026, 4, 1, 21, 0, tzinfo=dt.UTC))  # after the 2026-04-01 close


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setattr(portfolio_command, "system_clock", lambda: CLOSE_CLOCK)
    application = typer.Typer()

    @application.callback()
    def root() -> None:
        """test root"""

    portfolio_command.register(application)
    return application


@pytest.fixture
def sim_home(home: Path) -> Path:
    """PAPER_SIM funded with 10,000 and holding 10 AAPL @ 100 (stop 99) on 2026-04-01; AAPL bars stored."""
    ledger = Ledger(home / "ledger")
    for record in factories.round_trip()[:9]:
        ledger.append(record)
    return home


def invoke(app: typer.Typer, home: Path, *args: str) -> Any:
    return runner.invoke(app, ["portfolio", *args, "--home", str(home)], env={"EXECUTION_MODE": "PAPER_SIM"})


def test_snapshot_values_the_book_at_the_close_and_show_prints_it(app: typer.Typer, sim_home: Path) -> None:
    from avwap.core.config import load_config

    config = load_config({}, home=sim_home)
    write_daily_bars(config, ["AAPL"], PREVIOUS)
    close = BarStore(config.data_dir).read("1d", ["AAPL"], start=PREVIOUS, end=PREVIOUS)["close"].iloc[0]
    result = invoke(app, sim_home, "snapshot")  # default date: the last closed session, 2026-04-01
    assert result.exit_code == EXIT_OK, result.output
    snapshot = read_snapshot(snapshot_path(config.artifacts_dir, "PAPER_SIM", PREVIOUS))
    (line,) = snapshot.positions
    assert (line.symbol, line.quantity, line.stop_price) == ("AAPL", 10, Decimal("99.00"))
    assert line.mark == Decimal(str(round(close, 2)))
    assert snapshot.cash == Decimal("8998.00") and snapshot.equity == snapshot.cash + line.market_value
    assert snapshot.daily_return == ((snapshot.equity / Decimal("10000")) - 1).quantize(Decimal("0.000001"))
    shown = invoke(app, sim_home, "show", "--json")
    assert shown.exit_code == EXIT_OK and json.loads(shown.output)["equity"] == str(snapshot.equity)
    table = invoke(app, sim_home, "show")
    assert table.exit_code == EXIT_OK and "AAPL" in table.output and str(snapshot.equity) in table.output


def test_snapshot_without_a_close_values_at_cost_and_says_so(app: typer.Typer, sim_home: Path) -> None:
    result = invoke(app, sim_home, "snapshot", "--date", "2026-04-01", "--json")
    assert result.exit_code == EXIT_OK, result.output
    document = json.loads(result.output)
    assert document["unmarked"] == ["AAPL"] and document["snapshot"]["positions"][0]["mark"] == "100.000000"


def test_snapshot_on_a_holiday_and_show_without_snapshot_are_data_errors(
    app: typer.Typer, sim_home: Path
) -> None:
    assert invoke(app, sim_home, "snapshot", "--date", "2026-04-03").exit_code == EXIT_DATA  # Good Friday
    assert invoke(app, sim_home, "show").exit_code == EXIT_DATA


class FakeView:
    """A broker view answering from fixed records (what the fake Alpaca server would say)."""

    def __init__(self, positions: list[BrokerPosition] | None = None, fail: bool = False) -> None:
        self.held = positions or []
        self.fail = fail
        self.closed = False

    def account(self) -> BrokerAccount:
        if self.fail:
            raise BrokerUnavailableError("Alpaca unreachable (outcome unknown): ReadTimeout")
        return BrokerAccount(
            equity=Decimal("10000"),
            cash=Decimal("10000"),
            buying_power=Decimal("10000"),
            status="ACTIVE",
            currency="USD",
        )

    def positions(self) -> list[BrokerPosition]:
        return self.held

    def open_orders(self) -> list[Any]:
        return []

    def fills(self, since: dt.datetime | None) -> list[Any]:
        return []

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def alpaca_home(home: Path) -> Path:
    Ledger(home / "ledger").append(factories.deposit("10000.00", book="ALPACA_PAPER"))
    return home


@pytest.fixture
def alerts(monkeypatch: pytest.MonkeyPatch) -> RecordingNotifier:
    recorder = RecordingNotifier()
    monkeypatch.setattr(slack_notifier, "build_notifier", lambda config, clock: recorder)
    return recorder


def _reconcile(app: typer.Typer, home: Path, view: FakeView, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(portfolio_command, "view_factory", lambda config, book: view)
    return invoke(app, home, "reconcile", "--book", "ALPACA_PAPER", "--date", "2026-04-01")


def test_reconcile_clean_exits_0_without_alert(
    app: typer.Typer, alpaca_home: Path, alerts: RecordingNotifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = FakeView()
    result = _reconcile(app, alpaca_home, view, monkeypatch)
    assert result.exit_code == EXIT_OK, result.output
    assert "no drift" in result.output and view.closed and alerts.events == ()
    report = read_report(report_path(alpaca_home / "artifacts", "ALPACA_PAPER", PREVIOUS))
    assert report.complete and report.cash_checked and report.items == ()


def test_reconcile_drift_exits_1_and_alerts(
    app: typer.Typer, alpaca_home: Path, alerts: RecordingNotifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    manual = BrokerPosition(
        symbol="NVDA", quantity=3, average_entry_price=Decimal("120"), cost_basis=Decimal("360"),
        market_value=None, current_price=None,
    )  # fmt: skip
    result = _reconcile(app, alpaca_home, FakeView([manual]), monkeypatch)
    assert result.exit_code == EXIT_PROBLEM and "UNKNOWN_AT_BROKER" in result.output
    (event,) = alerts.events
    assert event.kind == "RECONCILIATION_DRIFT" and event.reason_codes == ("UNKNOWN_AT_BROKER",)
    # the HTML section beside the artifact: the same items, the provenance embedded, byte-stable
    html_file = alpaca_home / "reports" / "reconciliation" / "ALPACA_PAPER" / f"{PREVIOUS.isoformat()}.html"
    html = html_file.read_text(encoding="utf-8")
    assert "Complete: 1 drift item(s)." in html and "<td>UNKNOWN_AT_BROKER</td><td>NVDA</td>" in html
    assert '<script type="application/json" id="provenance">' in html
    first = html_file.read_bytes()
    assert _reconcile(app, alpaca_home, FakeView([manual]), monkeypatch).exit_code == EXIT_PROBLEM
    assert html_file.read_bytes() == first


def test_reconcile_broker_timeout_is_incomplete_exit_6_and_alerts(
    app: typer.Typer, alpaca_home: Path, alerts: RecordingNotifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _reconcile(app, alpaca_home, FakeView(fail=True), monkeypatch)
    assert result.exit_code == EXIT_BROKER and "INCOMPLETE (BROKER_UNAVAILABLE)" in result.output
    report = read_report(report_path(alpaca_home / "artifacts", "ALPACA_PAPER", PREVIOUS))
    assert not report.complete
    html_file = alpaca_home / "reports" / "reconciliation" / "ALPACA_PAPER" / f"{PREVIOUS.isoformat()}.html"
    assert "INCOMPLETE (BROKER_UNAVAILABLE)" in html_file.read_text(encoding="utf-8")
    (event,) = alerts.events
    assert event.severity == "CRITICAL" and event.reason_codes == ("BROKER_UNAVAILABLE",)


def test_reconcile_refuses_paper_sim_with_the_reason(app: typer.Typer, sim_home: Path) -> None:
    result = invoke(app, sim_home, "reconcile", "--date", "2026-04-01")
    assert result.exit_code == EXIT_CONFIGURATION and "PAPER_SIM" in result.output


def test_decide_exit_codes_follow_the_inputs(app: typer.Typer, sim_home: Path) -> None:
    from avwap.core.config import load_config

    config = load_config({}, home=sim_home)
    missing = invoke(app, sim_home, "decide", "--date", DAY.isoformat(), "--json")
    assert missing.exit_code == EXIT_PROBLEM
    assert json.loads(missing.output)["batch"]["input_reasons"] == [
        "PORTFOLIO_CANDIDATES_MISSING",
        "PORTFOLIO_SNAPSHOT_MISSING",
    ]
    write_daily_bars(config, ["AAPL", "MSFT"], PREVIOUS)
    assert invoke(app, sim_home, "snapshot", "--date", PREVIOUS.isoformat()).exit_code == EXIT_OK
    write_candidates_artifact(config, DAY, ["MSFT"])
    result = invoke(app, sim_home, "decide", "--date", DAY.isoformat())
    assert result.exit_code == EXIT_OK, result.output
    assert "MSFT" in result.output and "S1_AVWAP_CORE_SHADOW" in result.output


def test_a_slack_misconfiguration_is_a_warning_and_keeps_the_drift_exit_code(
    app: typer.Typer, alpaca_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manual = BrokerPosition(
        symbol="NVDA", quantity=3, average_entry_price=Decimal("120"), cost_basis=Decimal("360"),
        market_value=None, current_price=None,
    )  # fmt: skip
    monkeypatch.setattr(portfolio_command, "view_factory", lambda config, book: FakeView([manual]))
    result = runner.invoke(
        app,
        [
            "portfolio",
            "reconcile",
            "--book",
            "ALPACA_PAPER",
            "--date",
            "2026-04-01",
            "--home",
            str(alpaca_home),
        ],
        env={"SLACK_CHANNEL": "#ops", "SLACK_BOT_TOKEN": ""},
    )
    assert result.exit_code == EXIT_PROBLEM and "no Slack alert" in result.output


def test_the_snapshot_job_seals_the_day_when_an_audit_key_is_set(
    app: typer.Typer, sim_home: Path, tmp_path: Path
) -> None:
    from avwap.ledger.audit import verify_seals
    from avwap.ledger.audit_key import generate_audit_key, read_anchors

    key_path, anchors = tmp_path / "keys" / "audit.key", tmp_path / "keys" / "anchors.jsonl"
    key = generate_audit_key(key_path, sim_home)
    environ = {
        "EXECUTION_MODE": "PAPER_SIM",
        "AVWAP_AUDIT_KEY_FILE": str(key_path),
        "AVWAP_AUDIT_ANCHOR_FILE": str(anchors),
    }
    arguments = ["portfolio", "snapshot", "--date", "2026-04-01", "--json", "--home", str(sim_home)]
    result = runner.invoke(app, arguments, env=environ)
    assert result.exit_code == EXIT_OK, result.output
    root = json.loads(result.stdout)["audit_root"]
    assert root and read_anchors(anchors)[0]["root"] == root
    check = verify_seals(sim_home / "ledger", key)
    assert check.problems == [] and check.sealed_days == ["2026-04-01"]
    unsealed = invoke(
        app, sim_home, "snapshot", "--date", "2026-04-01", "--json"
    )  # no key: no seal, no error
    assert unsealed.exit_code == EXIT_OK and json.loads(unsealed.stdout)["audit_root"] is None
