"""Portfolio decision enforcement (2B) in the execution cycle: only an ALLOWed entry goes on, a bad artifact
blocks every entry with its own code, exits go on, each outcome is recorded once, one alert per cycle."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from tests.integration.crash_driver import DAY, SimScenario, write_watchlist

from avwap.control import reasons
from avwap.control.portfolio import artifact as artifact_module
from avwap.control.portfolio.artifact import DECISIONS_KIND, decisions_path
from avwap.control.portfolio.records import (
    GuardrailLimits,
    PortfolioDecision,
    PortfolioDecisionBatch,
    Verdict,
)
from avwap.core.calendar import NEW_YORK
from avwap.core.canonical import sha256_hex, to_plain
from avwap.execution import decision_enforcement
from avwap.execution.events import EntryEnforcementBlocked, StopSubmitted
from avwap.integrations.slack.messages import AlertKind
from avwap.ledger.paths import PAPER_SIM, PORTFOLIO_ENFORCEMENT
from avwap.ledger.record_enums import OrderPurpose
from avwap.ledger.records import OrderSubmitted, PortfolioEnforcementRecorded, TradeIntent
from avwap.ledger.router import Ledger, read_file_records
from avwap.strategies.registry import S1_AVWAP_CORE

ENFORCE = {"PORTFOLIO_DECISION_ENFORCE": "1"}


def ny(hour: int, minute: int, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), NEW_YORK).astimezone(dt.UTC)


def batch(
    candidates_sha256: str | None, *, day: dt.date = DAY, book: str = PAPER_SIM
) -> PortfolioDecisionBatch:
    """AAA allowed, BBB blocked by the daily quota (S1)."""
    return PortfolioDecisionBatch(
        book_id=book,
        date_ny=day,
        decided_at=dt.datetime(2026, 4, 1, 12, 45, tzinfo=dt.UTC),
        strategies=(S1_AVWAP_CORE,),
        inputs_ok=True,
        candidates_sha256=candidates_sha256,
        snapshot_sha256="0" * 64,
        limits=GuardrailLimits(),
        decisions=(
            PortfolioDecision(strategy_id=S1_AVWAP_CORE, symbol="AAA", rank=1, verdict=Verdict.ALLOW),
            PortfolioDecision(
                strategy_id=S1_AVWAP_CORE,
                symbol="BBB",
                rank=2,
                verdict=Verdict.BLOCK,
                reason_codes=(reasons.PORTFOLIO_MAX_NEW_ENTRIES,),
                proposed_notional=D("1000"),
            ),
        ),
        allowed=1,
        blocked=1,
    )


def document(value: PortfolioDecisionBatch) -> dict[str, Any]:
    return {"kind": DECISIONS_KIND, "batch": to_plain(value)}


def write_artifact(home: Path, content: dict[str, Any] | bytes, day: dt.date = DAY) -> Path:
    path = decisions_path(home / "artifacts", PAPER_SIM, day)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content if isinstance(content, bytes) else json.dumps(content, sort_keys=True).encode()
    path.write_bytes(data)
    return path


def candidates_sha(home: Path) -> str:
    return sha256_hex((home / "artifacts" / "candidates" / f"{DAY.isoformat()}.json").read_bytes())


def telemetry(home: Path) -> list[PortfolioEnforcementRecorded]:
    path = home / "ledger" / PORTFOLIO_ENFORCEMENT / f"{DAY.isoformat()}.jsonl"
    if not path.exists():
        return []
    return [item for item in read_file_records(path) if isinstance(item, PortfolioEnforcementRecorded)]


def orders(scenario: SimScenario, purpose: OrderPurpose) -> list[str]:
    return [
        item.symbol
        for item in scenario.records()
        if isinstance(item, OrderSubmitted) and item.purpose == purpose
    ]


@pytest.fixture
def watchlist(home: Path) -> Path:
    return write_watchlist(home / "artifacts")


def test_only_an_allowed_entry_goes_on_and_each_outcome_is_recorded_once(home: Path, watchlist: Path) -> None:
    write_artifact(home, document(batch(candidates_sha(home))))
    scenario = SimScenario(home, breakouts={"BBB": dt.time(11, 0)}, environ=ENFORCE)
    scenario.run_at(ny(10, 30))
    assert orders(scenario, OrderPurpose.ENTRY) == ["AAA"]
    report = scenario.run_at(ny(11, 30))  # BBB triggers at 11:00: its plan is blocked
    assert orders(scenario, OrderPurpose.ENTRY) == ["AAA"]
    assert [item.symbol for item in scenario.records() if isinstance(item, TradeIntent)] == ["AAA"]
    blocked = [event for event in report.events if isinstance(event, EntryEnforcementBlocked)]
    assert [(event.symbol, event.code, event.decision_reasons) for event in blocked] == [
        ("BBB", reasons.PORTFOLIO_DECISION_BLOCKED, (reasons.PORTFOLIO_MAX_NEW_ENTRIES,))
    ]
    (alert,) = [
        alert
        for alert in scenario.notifier.events
        if reasons.PORTFOLIO_DECISION_BLOCKED in alert.reason_codes
    ]
    assert alert.kind == AlertKind.ENTRY_BLOCKED and "1 entry" in alert.title
    scenario.run_at(ny(11, 35))  # re-evaluated: blocked again, not recorded again
    restarted = SimScenario(home, breakouts={"BBB": dt.time(11, 0)}, environ=ENFORCE)
    restarted.broker, restarted.deps.broker = scenario.broker, scenario.broker
    restarted.clock, restarted.deps.clock, restarted._fed = scenario.clock, scenario.clock, scenario._fed
    restarted.run_at(ny(11, 40))  # a restart (empty cache) does not record it twice either
    records = telemetry(home)
    assert [(item.symbol, item.verdict, item.reason_code) for item in records] == [
        ("AAA", "ALLOW", None),
        ("BBB", "BLOCK", reasons.PORTFOLIO_DECISION_BLOCKED),
    ]
    artifact_sha = sha256_hex(decisions_path(home / "artifacts", PAPER_SIM, DAY).read_bytes())
    assert {item.artifact_sha256 for item in records} == {artifact_sha}
    assert {item.candidates_sha256 for item in records} == {candidates_sha(home)}
    assert records[1].decision_reasons == (reasons.PORTFOLIO_MAX_NEW_ENTRIES,)
    assert records[0].intent_id == next(i.intent_id for i in scenario.records() if isinstance(i, TradeIntent))


def _valid(home: Path) -> dict[str, Any]:
    return document(batch(candidates_sha(home)))


def _with_batch(home: Path, **changes: Any) -> dict[str, Any]:
    content = _valid(home)
    content["batch"].update(changes)
    return content


BAD_ARTIFACTS = {
    "missing": (lambda home: None, reasons.PORTFOLIO_DECISION_MISSING),
    "truncated": (lambda home: json.dumps(_valid(home)).encode()[:200], reasons.PORTFOLIO_DECISION_INVALID),
    "wrong schema version": (
        lambda home: _with_batch(home, schema_version=2),
        reasons.PORTFOLIO_DECISION_INVALID,
    ),
    "unknown field": (lambda home: _with_batch(home, surprise=1), reasons.PORTFOLIO_DECISION_INVALID),
    "another kind": (lambda home: {**_valid(home), "kind": "other"}, reasons.PORTFOLIO_DECISION_INVALID),
    "duplicated symbol": (
        lambda home: _with_batch(
            home,
            decisions=[_valid(home)["batch"]["decisions"][0]] * 2,
            allowed=2,
            blocked=0,
        ),
        reasons.PORTFOLIO_DECISION_INVALID,
    ),
    "NaN": (
        lambda home: (
            json.dumps(_valid(home)).replace('"max_correlation": null', '"max_correlation": NaN', 1).encode()
        ),
        reasons.PORTFOLIO_DECISION_INVALID,
    ),
    "wrong date": (
        lambda home: document(batch(candidates_sha(home), day=dt.date(2026, 3, 31))),
        reasons.PORTFOLIO_DECISION_WRONG_DATE,
    ),
    "another book": (
        lambda home: document(batch(candidates_sha(home), book="ALPACA_PAPER")),
        reasons.PORTFOLIO_DECISION_WRONG_BOOK,
    ),
    "mismatched hash": (lambda home: document(batch("f" * 64)), reasons.PORTFOLIO_DECISION_HASH_MISMATCH),
}


@pytest.mark.parametrize("case", list(BAD_ARTIFACTS))
def test_a_bad_artifact_blocks_every_entry_with_its_code_while_exits_go_on(
    home: Path, watchlist: Path, case: str
) -> None:
    # AAA is bought with enforcement off (the artifact is not consulted), then the enforced cycle runs.
    free = SimScenario(home, breakouts={"BBB": dt.time(11, 0)})
    free.run_at(ny(10, 30))
    free.run_at(ny(10, 35))
    assert "AAA" in free.deps.book.state.held_symbols()
    make, code = BAD_ARTIFACTS[case]
    content = make(home)
    if content is not None:
        write_artifact(home, content)
    enforced = SimScenario(home, breakouts={"BBB": dt.time(11, 0)}, environ=ENFORCE)
    enforced.broker, enforced.deps.broker = free.broker, free.broker
    enforced.clock, enforced.deps.clock, enforced._fed = free.clock, free.clock, free._fed
    report = enforced.run_at(ny(11, 30))
    assert any(isinstance(event, StopSubmitted) and event.symbol == "AAA" for event in report.events)
    assert orders(enforced, OrderPurpose.ENTRY) == ["AAA"]  # nothing new recorded ...
    assert [order.symbol for order in free.broker.open_orders() if order.symbol == "BBB"] == []  # ... or sent
    blocked = [event for event in report.events if isinstance(event, EntryEnforcementBlocked)]
    assert [(event.symbol, event.code) for event in blocked] == [("BBB", code)]
    assert [(item.symbol, item.verdict, item.reason_code) for item in telemetry(home)] == [
        ("BBB", "BLOCK", code)
    ]
    assert any(code in alert.reason_codes for alert in enforced.notifier.events)


def test_the_artifact_is_read_once_per_cycle_and_again_only_when_it_changes(
    home: Path, watchlist: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[object] = []
    original = artifact_module.parse_batch

    def counting(data: bytes, origin: object) -> PortfolioDecisionBatch:
        reads.append(origin)
        return original(data, origin)  # type: ignore[arg-type]

    monkeypatch.setattr(decision_enforcement, "parse_batch", counting)
    path = write_artifact(home, document(batch(candidates_sha(home))))
    scenario = SimScenario(home, breakouts={"BBB": dt.time(11, 0)}, environ=ENFORCE)
    scenario.run_at(ny(10, 30))  # AAA allowed: one read
    assert len(reads) == 1 and orders(scenario, OrderPurpose.ENTRY) == ["AAA"]
    scenario.run_at(ny(11, 30))  # BBB blocked, then asked again: the unchanged file is not read again
    scenario.run_at(ny(11, 35))
    assert len(reads) == 1 and orders(scenario, OrderPurpose.ENTRY) == ["AAA"]
    # The operator re-decides (BBB now allowed): the next cycle reads the new file and BBB goes on.
    fixed = document(batch(candidates_sha(home)))
    fixed["batch"]["decisions"][1].update(verdict="ALLOW", reason_codes=[])
    fixed["batch"].update(allowed=2, blocked=0)
    path.with_suffix(".tmp").write_text(json.dumps(fixed))
    path.with_suffix(".tmp").replace(path)
    scenario.run_at(ny(11, 40))
    assert len(reads) == 2 and orders(scenario, OrderPurpose.ENTRY) == ["AAA", "BBB"]
    outcomes = [(item.symbol, item.verdict) for item in telemetry(home)]
    assert outcomes == [("AAA", "ALLOW"), ("BBB", "BLOCK"), ("BBB", "ALLOW")]


def test_an_outcome_that_cannot_be_recorded_blocks_the_entry(home: Path, watchlist: Path) -> None:
    write_artifact(home, document(batch(candidates_sha(home))))
    (home / "ledger").mkdir(exist_ok=True)
    (home / "ledger" / PORTFOLIO_ENFORCEMENT).write_text("not a folder")
    scenario = SimScenario(home, environ=ENFORCE)
    report = scenario.run_at(ny(10, 30))
    assert orders(scenario, OrderPurpose.ENTRY) == []
    codes = {event.code for event in report.events if isinstance(event, EntryEnforcementBlocked)}
    assert codes == {reasons.PORTFOLIO_ENFORCEMENT_UNRECORDED}


def test_off_the_cycle_never_reads_the_artifact_nor_writes_telemetry(home: Path) -> None:
    for environ in ({}, {"PORTFOLIO_DECISION_ENFORCE": "0"}):
        scenario = SimScenario(home / environ.get("PORTFOLIO_DECISION_ENFORCE", "absent"), environ=environ)
        write_watchlist(scenario.config.artifacts_dir)
        write_artifact(scenario.config.home, b"{ garbage")
        scenario.run_at(ny(10, 30))
        assert orders(scenario, OrderPurpose.ENTRY) == ["AAA", "BBB"]  # a garbage artifact is ignored
        assert not (scenario.config.ledger_dir / PORTFOLIO_ENFORCEMENT).exists()
    ledgers = [
        (home / name / "ledger" / PAPER_SIM / f"{DAY.isoformat()}.jsonl").read_bytes()
        for name in ("absent", "0")
    ]
    assert ledgers[0] == ledgers[1]
    assert Ledger(home / "absent" / "ledger").read_book(PAPER_SIM)


def test_a_pending_intent_is_enforced_before_it_is_decided_or_sent(home: Path, watchlist: Path) -> None:
    from avwap.execution.hooks import AFTER_INTENT_WRITE, HookAt
    from avwap.ledger.records import Decision

    def crash(detail: dict[str, Any]) -> None:
        raise RuntimeError("killed after the intent was written")

    good = document(batch(candidates_sha(home)))
    path = write_artifact(home, good)
    scenario = SimScenario(home, environ=ENFORCE)
    scenario.deps.hooks = HookAt(AFTER_INTENT_WRITE, crash, symbol="AAA")
    with pytest.raises(RuntimeError):
        scenario.run_at(ny(10, 30))
    scenario.deps.hooks = HookAt(AFTER_INTENT_WRITE, lambda detail: None)
    write_artifact(home, document(batch("f" * 64)))  # decisions that no longer match today's candidates
    report = scenario.run_at(ny(10, 35))
    blocked = [(e.symbol, e.code) for e in report.events if isinstance(e, EntryEnforcementBlocked)]
    assert ("AAA", reasons.PORTFOLIO_DECISION_HASH_MISMATCH) in blocked
    assert [r for r in scenario.records() if isinstance(r, Decision) and r.symbol == "AAA"] == []
    path.write_text(json.dumps(good))  # re-decided: the pending intent is completed
    scenario.run_at(ny(10, 40))
    assert "AAA" in orders(scenario, OrderPurpose.ENTRY)
