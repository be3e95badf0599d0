"""E3 inside the backtest (the decision job's seam each morning): events, summaries, windows and the Slack
summary per session; every trading output byte-identical with the E3 flags on; and E3.4's paired report
(with vs without E2) checked against the two runs' own ledgers and snapshots."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from avwap.analytics import risk_attribution_slack
from avwap.analytics.portfolio_snapshots import read_snapshot, snapshot_dates, snapshot_path
from avwap.analytics.risk_attribution_diagnostics import diagnostics, load_run
from avwap.analytics.risk_attribution_store import (
    ROLLING_FOLDER,
    SUMMARY_FOLDER,
    read_events,
    rolling_path,
    summary_path,
)
from avwap.backtest.run import run_backtest
from avwap.cli import regime_command
from avwap.core.canonical import content_hash
from avwap.data.synthetic import SyntheticMarketSpec, ensure_market
from avwap.jobs import risk_attribution
from avwap.ledger.paths import BACKTEST, PORTFOLIO_RISK_ATTRIBUTION
from avwap.ledger.record_enums import Side
from avwap.ledger.records import Fill
from avwap.ledger.router import Ledger

SPEC = SyntheticMarketSpec(
    seed=7, symbols=30, daily_start=dt.date(2025, 9, 2), daily_end=dt.date(2026, 10, 30),
    intraday_start=dt.date(2026, 10, 26),
)  # fmt: skip
START, END = dt.date(2026, 9, 14), dt.date(2026, 9, 25)
E3 = {
    "E3_RISK_ATTRIBUTION_WRITE": "1",
    "E3_RISK_ATTRIBUTION_SUMMARY_WRITE": "1",
    "E3_RISK_ATTRIBUTION_ROLLING_WRITE": "1",
    "E3_RISK_ATTRIBUTION_SLACK_SUMMARY": "1",
}
# Half risk even in a calm market, so the synthetic sample is modulated every morning.
E2 = {"E2_REGIME_MODULATION": "1", "E2_MULTIPLIERS_RISK_ON": "0.5,0.7"}
E3_PARTS = (PORTFOLIO_RISK_ATTRIBUTION, SUMMARY_FOLDER, ROLLING_FOLDER)


def _run(market: Path, out: Path, **environ: str) -> Any:
    return run_backtest(
        {"PORTFOLIO_DECISION_ENFORCE": "1", **environ}, start=START, end=END, data_root=market, out=out,
        resolution="1d", code_version="test",
    )  # fmt: skip


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("e3-backtest")
    ensure_market(SPEC, base / "market", owned=True)
    sent: list[Any] = []
    real = risk_attribution.summary_event
    patch = pytest.MonkeyPatch()
    patch.setattr(risk_attribution, "summary_event", lambda *args: sent.append(real(*args)) or sent[-1])
    try:
        outcomes = {
            "plain": _run(base / "market", base / "plain", **E2),
            "attributed": _run(base / "market", base / "attributed", **E2, **E3),
            "baseline": _run(base / "market", base / "baseline"),
        }
    finally:
        patch.undo()
    return {"base": base, "sent": sent, **outcomes}


def home(runs: dict[str, Any], name: str) -> Path:
    return runs["base"] / name / "home"


def files(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not any(part in E3_PARTS for part in path.parts)
    }


def test_every_decided_session_is_attributed_summarized_and_messaged(runs: dict[str, Any]) -> None:
    ledger = home(runs, "attributed") / "ledger"
    batches = runs["attributed"].result.decisions
    decided = [day for day, batch in sorted(batches.items()) if batch.inputs_ok]
    assert len(decided) >= len(batches) - 1  # the first session has no snapshot before it
    for day in decided:
        events = read_events(ledger, day)
        assert len(events) == len(batches[day].decisions)
        assert all(event.policy_reference.startswith("E2_MULTIPLIERS_") for event in events)
        summary = json.loads(summary_path(ledger, day).read_bytes())
        assert Decimal(summary["regime_delta"]) < 0  # half risk: the regime took something every morning
        assert rolling_path(ledger, "5D", day).exists()
    assert [json.loads(summary_path(ledger, decided[-1]).read_bytes())["date_ny"]] == [
        decided[-1].isoformat()
    ]
    assert len(runs["sent"]) == len(decided)
    assert all(isinstance(item, risk_attribution_slack.AlertEvent) for item in runs["sent"])


def test_trading_outputs_are_byte_identical_with_the_e3_flags_on(runs: dict[str, Any]) -> None:
    plain, attributed = runs["base"] / "plain", runs["base"] / "attributed"
    assert not any((home(runs, "plain") / "ledger" / part).exists() for part in E3_PARTS)
    assert files(plain) == files(attributed)


def fills_notional(folder: Path) -> Decimal:
    records = Ledger(folder / "home" / "ledger").read_book(BACKTEST)
    return sum(
        (item.quantity * item.price for item in records if isinstance(item, Fill) and item.side == Side.BUY),
        Decimal("0"),
    )


def test_the_paired_report_matches_the_runs_own_records(runs: dict[str, Any]) -> None:
    base = runs["base"]
    report = diagnostics(
        load_run(base / "attributed", BACKTEST), load_run(base / "baseline", BACKTEST), BACKTEST
    )
    totals = report["totals"]
    days = snapshot_dates(home(runs, "attributed") / "artifacts", BACKTEST)
    assert totals["days"] == len(days) and report["unpaired_days"] == []
    realized = fills_notional(base / "attributed") - fills_notional(base / "baseline")
    assert Decimal(totals["realized_entry_delta"]) == realized
    ledger = home(runs, "attributed") / "ledger"
    hypothetical = sum(
        (
            Decimal(json.loads(path.read_bytes())["regime_delta"])
            for path in (ledger / SUMMARY_FOLDER).glob("*.json")
        ),
        Decimal("0"),
    )
    assert Decimal(totals["hypothetical_regime_delta"]) == hypothetical < 0

    def last_equity(name: str) -> Decimal:
        artifacts = home(runs, name) / "artifacts"
        return read_snapshot(snapshot_path(artifacts, BACKTEST, days[-1])).equity

    assert Decimal(totals["pnl_delta"]) == last_equity("attributed") - last_equity("baseline")
    assert Decimal(totals["loss_avoided"]) + Decimal(totals["gain_forgone"]) + sum(
        Decimal(row["pnl_delta"]) for row in report["days"] if Decimal(row["baseline_pnl"]) == 0
    ) == Decimal(totals["pnl_delta"])
    assert sum(item["days"] for item in report["by_regime"].values()) == totals["days"]
    assert report["days_with_events"] == sum(
        1 for batch in runs["attributed"].result.decisions.values() if batch.inputs_ok
    )


def test_the_report_command_prints_the_same_report(runs: dict[str, Any]) -> None:
    base = runs["base"]
    app = typer.Typer()
    app.callback()(lambda: None)
    regime_command.register(app)
    arguments = ["regime", "attribution", "report", "--modulated", str(base / "attributed"),
                 "--baseline", str(base / "baseline")]  # fmt: skip
    result = CliRunner().invoke(app, [*arguments, "--json"])
    assert result.exit_code == 0, result.output
    expected = diagnostics(
        load_run(base / "attributed", BACKTEST), load_run(base / "baseline", BACKTEST), BACKTEST
    )
    assert json.loads(result.stdout) == json.loads(json.dumps(expected))
    table = CliRunner().invoke(app, [*arguments, "--from", START.isoformat(), "--to", END.isoformat()])
    assert table.exit_code == 0 and "Advisory only" in table.stdout
    nowhere = ["regime", "attribution", "report", "--modulated", str(base / "nowhere"),
               "--baseline", str(base / "baseline")]  # fmt: skip
    missing = CliRunner().invoke(app, nowhere)
    assert missing.exit_code == 4


def test_summarize_check_confirms_the_summaries_rebuild(runs: dict[str, Any]) -> None:
    app = typer.Typer()
    app.callback()(lambda: None)
    regime_command.register(app)
    folder = home(runs, "attributed")
    day = max(day for day, batch in runs["attributed"].result.decisions.items() if batch.inputs_ok)
    arguments = [
        "regime",
        "attribution",
        "summarize",
        "--date",
        day.isoformat(),
        "--home",
        str(folder),
        "--check",
    ]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert "matches its rebuild" in result.stdout
    path = summary_path(folder / "ledger", day)
    original = path.read_bytes()
    try:
        path.write_bytes(original.replace(b'"decisions"', b'"decisions" ', 1))
        assert CliRunner().invoke(app, arguments).exit_code == 1
    finally:
        path.write_bytes(original)


def test_an_operator_review_of_the_report_is_recorded_once_and_listed(
    runs: dict[str, Any], tmp_path: Path
) -> None:
    base = runs["base"]
    app = typer.Typer()
    app.callback()(lambda: None)
    regime_command.register(app)
    where = ["--home", str(tmp_path / "home")]
    review = ["regime", "attribution", "review", "--modulated", str(base / "attributed"),
              "--baseline", str(base / "baseline"), "--reviewer", "Dana", "--conclusion", "more_data",
              "--note", "one synthetic window", *where]  # fmt: skip
    first = CliRunner().invoke(app, review)
    assert first.exit_code == 0, first.output
    assert "review recorded: Dana: MORE_DATA" in first.stdout and "No setting was changed" in first.stdout
    again = CliRunner().invoke(app, review)
    assert again.exit_code == 0 and "already recorded" in again.stdout
    refused = CliRunner().invoke(app, [*review[:-4], "--conclusion", "SHIP_IT", *where])
    assert refused.exit_code == 3 and "--conclusion" in refused.output
    listed = CliRunner().invoke(app, ["regime", "attribution", "reviews", "--json", *where])
    assert listed.exit_code == 0, listed.output
    [note] = json.loads(listed.stdout)["reviews"]
    report = diagnostics(
        load_run(base / "attributed", BACKTEST), load_run(base / "baseline", BACKTEST), BACKTEST
    )
    assert note["detail"]["report_sha256"] == content_hash(report)
    assert note["detail"]["conclusion"] == "MORE_DATA" and note["detail"]["e2_enabled"] is False
