"""The demo runs the portfolio decision layer each morning and reconciles each evening (issue 10), and
decision enforcement is invisible while off: the book ledgers equal those of a run without the feature."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from avwap.backtest.engine import BacktestEngine
from avwap.control.portfolio.artifact import decisions_path, read_batch
from avwap.control.portfolio.records import Verdict
from avwap.core.errors import BrokerUnavailableError
from avwap.demo import replay as replay_module
from avwap.demo.home import prepare_demo_home
from avwap.demo.run import DemoOutcome, run_demo
from avwap.execution import entries
from avwap.execution.decision_enforcement import OPEN
from avwap.execution.reconcile_render import read_report
from avwap.integrations.slack.messages import AlertKind, Severity
from avwap.ledger.paths import PAPER_SIM, PORTFOLIO_DECISIONS, PORTFOLIO_ENFORCEMENT
from avwap.ledger.record_enums import OrderPurpose
from avwap.ledger.records import OrderSubmitted, PortfolioEnforcementRecorded
from avwap.ledger.router import Ledger, read_file_records
from avwap.ledger.verify import verify_path

SESSIONS = 4


def book_files(home: Path) -> dict[str, bytes]:
    folder = home / "ledger" / PAPER_SIM
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, DemoOutcome]]:
    homes = {name: tmp_path_factory.mktemp(f"demo-{name}") / "home" for name in ("absent", "without", "on")}
    outcomes = {"absent": (homes["absent"], run_demo({}, homes["absent"], sessions=SESSIONS))}
    with pytest.MonkeyPatch.context() as patch:
        # The code as it was before 2B and the demo wiring: no enforcement hook, no decisions, no reconcile.
        patch.setattr(entries, "admits", lambda *_: True)
        patch.setattr(entries, "admission", lambda *_: OPEN)  # allowed, no E2 order cap
        patch.setattr(BacktestEngine, "decide", lambda self, day: None)
        patch.setattr(BacktestEngine, "reconcile", lambda self, day: None)
        environ = {"PORTFOLIO_DECISION_ENFORCE": "0"}
        outcomes["without"] = (homes["without"], run_demo(environ, homes["without"], sessions=SESSIONS))
    environ = {"PORTFOLIO_DECISION_ENFORCE": "1"}
    outcomes["on"] = (homes["on"], run_demo(environ, homes["on"], sessions=SESSIONS))
    return outcomes


def test_off_the_book_ledgers_equal_a_run_without_the_feature(runs: Any) -> None:
    absent, without = runs["absent"][0], runs["without"][0]
    assert book_files(absent) == book_files(without)
    assert len(book_files(absent)) >= SESSIONS
    assert not (absent / "ledger" / PORTFOLIO_ENFORCEMENT).exists()
    assert not (without / "ledger" / PORTFOLIO_DECISIONS).exists()  # the comparison run had no decisions


def test_each_morning_decides_and_each_evening_reconciles(runs: Any) -> None:
    home, outcome = runs["absent"]
    sessions = outcome.result.sessions
    for day in sessions:
        batch = read_batch(decisions_path(home / "artifacts", PAPER_SIM, day))
        assert batch == outcome.result.decisions[day] and batch.date_ny == day
        report = read_report(home / "artifacts" / "reconciliation" / PAPER_SIM / f"{day.isoformat()}.json")
        assert report.complete and report.cash_checked and report.items == ()
    first, later = outcome.result.decisions[sessions[0]], outcome.result.decisions[sessions[1]]
    assert first.input_reasons == ("PORTFOLIO_SNAPSHOT_MISSING",)  # no close before the first session
    assert later.inputs_ok and later.allowed > 0 and later.snapshot_date == sessions[0]
    recorded = [path.stem for path in sorted((home / "ledger" / PORTFOLIO_DECISIONS).glob("*.jsonl"))]
    assert recorded == [day.isoformat() for day in sessions]
    html = (home / "reports" / "demo.html").read_text()
    assert "<h2>Portfolio decisions</h2>" in html and "<h2>Reconciliation</h2>" in html
    assert "<h3>Decisions per session</h3>" in html and "<td>PORTFOLIO_MAX_NEW_ENTRIES</td>" in html
    assert "<th>drift items</th>" in html
    for python_repr in ("{'", "{&#x27;", "Decimal(", "Verdict."):
        assert python_repr not in html, python_repr


def test_enforced_every_entry_was_allowed_that_morning_and_each_outcome_is_recorded(runs: Any) -> None:
    home, outcome = runs["on"]
    entries_made = [
        record
        for record in Ledger(home / "ledger").read_book(PAPER_SIM)
        if isinstance(record, OrderSubmitted) and record.purpose == OrderPurpose.ENTRY
    ]
    assert entries_made, "the enforced demo still trades what was allowed"
    for order in entries_made:
        verdict = outcome.result.decisions[order.date_ny].verdict_for(order.strategy_id, order.symbol)
        assert verdict is not None and verdict.verdict is Verdict.ALLOW, order.symbol
    assert outcome.result.sessions[0] not in {order.date_ny for order in entries_made}  # everything blocked
    telemetry = [
        item
        for path in sorted((home / "ledger" / PORTFOLIO_ENFORCEMENT).glob("*.jsonl"))
        for item in read_file_records(path)
        if isinstance(item, PortfolioEnforcementRecorded)
    ]
    keys = [(item.date_ny, item.intent_id, item.reason_code, item.artifact_sha256) for item in telemetry]
    assert len(keys) == len(set(keys))  # once per outcome, though blocked plans are asked every cycle
    assert {item.verdict for item in telemetry} == {"ALLOW", "BLOCK"}
    assert {item.intent_id for item in telemetry if item.verdict == "ALLOW"} >= {
        o.intent_id for o in entries_made
    }
    absent_entries = [
        record
        for record in Ledger(runs["absent"][0] / "ledger").read_book(PAPER_SIM)
        if isinstance(record, OrderSubmitted) and record.purpose == OrderPurpose.ENTRY
    ]
    assert len(entries_made) < len(absent_entries)  # enforcement changed what was traded
    assert all(item.ok for item in verify_path(home / "ledger"))  # the telemetry stream is chained too


class FailingView:
    """A broker view that times out on every read."""

    def _fail(self, *_: Any) -> Any:
        raise BrokerUnavailableError("Alpaca unreachable (outcome unknown): ReadTimeout")

    account = positions = open_orders = fills = _fail


def test_a_broker_timeout_during_reconciliation_is_an_incomplete_report_and_a_critical_alert(
    tmp_path: Path,
) -> None:
    config = replay_module.demo_config({}, prepare_demo_home(tmp_path / "home"))
    from avwap.data.synthetic import SyntheticMarketSpec, ensure_market

    ensure_market(SyntheticMarketSpec(seed=config.demo_seed), config.data_dir, owned=True)
    replay = replay_module.demo_engine(config, config.data_dir, 1)
    replay.broker_view = lambda _config, _book: FailingView()
    result = replay.run()
    (day,) = result.sessions
    report = result.reconciliations[day].report
    assert not report.complete and str(report.incomplete_code) == "BROKER_UNAVAILABLE"
    stored = json.loads(result.reconciliations[day].path.read_bytes())
    assert stored["report"]["complete"] is False
    alerts = [event for event in replay.deps.notifier.events if event.kind == AlertKind.RECONCILIATION_DRIFT]
    assert [(alert.severity, alert.reason_codes) for alert in alerts] == [
        (Severity.CRITICAL, ("BROKER_UNAVAILABLE",))
    ]
    assert isinstance(day, dt.date)
