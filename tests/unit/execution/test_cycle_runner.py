"""The execution loop: cadence, failures, stop requests, start-up ledger verification, mode per cycle."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from tests.integration.crash_driver import DAY, market, write_watchlist

from avwap.control import reasons
from avwap.core.clock import SimulatedClock
from avwap.core.config import Config, load_config
from avwap.core.errors import ConfigurationError
from avwap.core.execution_mode import ExecutionMode
from avwap.execution.book import DRY_RUN_BOOK, BookRecorder
from avwap.execution.context import CycleDependencies
from avwap.execution.cycle import CycleReport
from avwap.execution.market_protocol import MarketData
from avwap.execution.runner import Assembly, LoopSettings, Runner, StopFlag, seconds_until_next, verify_book
from avwap.integrations.slack.messages import AlertKind, Severity
from avwap.integrations.slack.notifier import RecordingNotifier
from avwap.ledger.records import Decision, Note, OrderSubmitted
from avwap.ledger.router import Ledger

START = dt.datetime(2026, 4, 1, 14, 30, tzinfo=dt.UTC)  # 10:30 New York


class ClockSleeper:
    """Sleeping moves the simulated clock; every wait is recorded."""

    def __init__(self, clock: SimulatedClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds)


def no_broker(mode: ExecutionMode) -> Any:
    raise AssertionError(f"no broker may be built in this test (asked for {mode})")


def build(
    config: Config, *, loader: Any = None, clock: SimulatedClock | None = None
) -> tuple[Assembly, SimulatedClock, RecordingNotifier]:
    clock = clock or SimulatedClock(START)
    notifier = RecordingNotifier()
    scenario_market = market()
    assembly = Assembly(
        config,
        clock,
        notifier,
        broker_factory=no_broker,
        market_loader=loader or (lambda deps: scenario_market),
    )
    return assembly, clock, notifier


def run(
    assembly: Assembly, clock: SimulatedClock, **settings: Any
) -> tuple[Any, list[CycleReport], ClockSleeper]:
    reports: list[CycleReport] = []
    sleeper = ClockSleeper(clock)
    runner = Runner(
        assembly, LoopSettings(**settings), sleeper=sleeper, stop=StopFlag(), on_report=reports.append
    )
    return runner.run(), reports, sleeper


def test_dry_run_loop_decides_records_would_be_orders_and_never_builds_a_broker(config: Config) -> None:
    write_watchlist(config.artifacts_dir)
    assembly, clock, _ = build(config)
    outcome, reports, sleeper = run(assembly, clock, poll_seconds=300, max_cycles=3)
    assert (outcome.cycles, outcome.failed_cycles, outcome.stopped_by, outcome.error) == (
        3,
        0,
        "max cycles",
        None,
    )
    assert sleeper.waits == [300.0, 300.0]
    assert [report.now for report in reports] == [START + dt.timedelta(minutes=5 * i) for i in range(3)]
    records = Ledger(config.ledger_dir).read_book(DRY_RUN_BOOK)
    assert len([r for r in records if isinstance(r, Decision)]) == 2  # AAA and BBB, decided once each
    assert len([r for r in records if isinstance(r, OrderSubmitted)]) == 2


def test_a_failing_cycle_is_alerted_and_the_loop_goes_on(config: Config) -> None:
    calls = {"count": 0}
    scenario_market = market()

    def flaky(deps: CycleDependencies) -> MarketData:
        calls["count"] += 1
        if calls["count"] <= 2:
            raise RuntimeError("bar store is being rewritten")
        return scenario_market

    assembly, clock, notifier = build(config, loader=flaky)
    outcome, reports, _ = run(assembly, clock, poll_seconds=60, max_cycles=4, max_consecutive_failures=3)
    assert (outcome.cycles, outcome.failed_cycles, outcome.error) == (4, 2, None)
    assert len(reports) == 2
    failures = [event for event in notifier.events if event.title == "Execution cycle failed"]
    assert len(failures) == 2 and "bar store is being rewritten" in failures[0].details[0]


def test_consecutive_failures_end_the_loop_with_the_error(config: Config) -> None:
    def broken(deps: CycleDependencies) -> MarketData:
        raise RuntimeError("always")

    assembly, clock, _ = build(config, loader=broken)
    outcome, _, sleeper = run(assembly, clock, poll_seconds=60, max_consecutive_failures=3)
    assert (outcome.cycles, outcome.failed_cycles, outcome.stopped_by) == (3, 3, "consecutive failures")
    assert isinstance(outcome.error, RuntimeError) and len(sleeper.waits) == 2


def test_a_stop_request_ends_the_loop_after_the_current_cycle(config: Config) -> None:
    assembly, clock, _ = build(config)
    stop = StopFlag()
    sleeper = ClockSleeper(clock)
    runner = Runner(
        assembly,
        LoopSettings(poll_seconds=300),
        sleeper=sleeper,
        stop=stop,
        on_report=lambda report: stop.request("SIGTERM"),
    )
    outcome = runner.run()
    assert (outcome.cycles, outcome.stopped_by, sleeper.waits) == (1, "SIGTERM", [])


@pytest.mark.parametrize(
    ("started", "now", "expected"), [(0, 0, 300.0), (0, 12, 288.0), (0, 300, 0.0), (0, 900, 0.0)]
)
def test_cycles_start_one_poll_interval_apart(started: int, now: int, expected: float) -> None:
    base = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    later = base + dt.timedelta(seconds=now)
    assert seconds_until_next(base + dt.timedelta(seconds=started), later, 300) == expected


def corrupt_dry_run_ledger(config: Config) -> Path:
    book = BookRecorder(Ledger(config.ledger_dir), DRY_RUN_BOOK)
    for message in ("one", "two", "three"):
        book.record(
            Note(book_id=DRY_RUN_BOOK, date_ny=DAY, ts=START, strategy_id="S1", code="X", message=message)
        )
    path = config.ledger_dir / DRY_RUN_BOOK / f"{DAY.isoformat()}.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"two"', b'"TWO"')
    path.write_bytes(b"".join(lines))
    return path


def test_a_corrupt_ledger_at_start_up_blocks_entries_alerts_and_is_reported(config: Config) -> None:
    path = corrupt_dry_run_ledger(config)
    assert verify_book(config.ledger_dir, DRY_RUN_BOOK).startswith(f"{path}:2")
    write_watchlist(config.artifacts_dir)
    assembly, clock, notifier = build(config)
    outcome, reports, _ = run(assembly, clock, once=True)
    assert reports[0].entries_blocked == (reasons.LEDGER_UNREADABLE,)
    assert outcome.ledger_problem.startswith(str(path)) and outcome.error is None
    assert len(path.read_bytes().splitlines()) == 3  # nothing appended to a corrupt book
    critical = [event for event in notifier.events if event.severity == Severity.CRITICAL]
    assert any(reasons.LEDGER_UNREADABLE in event.reason_codes for event in critical)


def test_a_ledger_with_a_deleted_day_blocks_entries_at_start_up(config: Config) -> None:
    book = BookRecorder(Ledger(config.ledger_dir), DRY_RUN_BOOK)
    days = (DAY - dt.timedelta(days=2), DAY - dt.timedelta(days=1), DAY)
    for day in days:
        book.record(
            Note(book_id=DRY_RUN_BOOK, date_ny=day, ts=START, strategy_id="S1", code="X", message="n")
        )
    folder = config.ledger_dir / DRY_RUN_BOOK
    (folder / f"{days[1].isoformat()}.jsonl").unlink()
    missing = f"predecessor {days[1].isoformat()}.jsonl is missing"
    assert missing in verify_book(config.ledger_dir, DRY_RUN_BOOK)
    reloaded = BookRecorder(Ledger(config.ledger_dir), DRY_RUN_BOOK)
    assert not reloaded.readable and missing in reloaded.problem
    write_watchlist(config.artifacts_dir)
    assembly, clock, _ = build(config)
    outcome, reports, _ = run(assembly, clock, once=True)
    assert reports[0].entries_blocked == (reasons.LEDGER_UNREADABLE,)
    assert missing in outcome.ledger_problem and outcome.error is None


def test_live_without_its_keys_runs_on_the_dry_run_book_and_alerts(home: Path) -> None:
    config = load_config({"EXECUTION_MODE": "LIVE", "LIVE_TRADING": "1"}, home=home)
    write_watchlist(config.artifacts_dir)
    assembly, clock, notifier = build(config)
    outcome, reports, _ = run(assembly, clock, once=True)
    assert (reports[0].mode, reports[0].book_id, outcome.error) == ("DRY_RUN", DRY_RUN_BOOK, None)
    assert AlertKind.LIVE_FALLBACK in {event.kind for event in notifier.events}
    assert not (config.ledger_dir / "ALPACA_LIVE").exists()


@pytest.mark.parametrize("mode", [ExecutionMode.PAPER_SIM, ExecutionMode.SCHWAB_401K_MANUAL])
def test_modes_the_loop_does_not_serve_are_refused_with_the_reason(
    config: Config, mode: ExecutionMode
) -> None:
    assembly, _, _ = build(dataclasses.replace(config, execution_mode=mode))
    with pytest.raises(ConfigurationError, match="EXECUTION_MODE") as raised:
        assembly.dependencies()
    if mode is ExecutionMode.PAPER_SIM:
        assert "avwap demo" in str(raised.value)


def test_the_mode_is_resolved_once_per_cycle_and_the_cycle_uses_that_answer(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    from avwap.control import live_gate
    from avwap.execution import cycle, runner

    calls: list[dt.date] = []

    def counting(config: Config, token: str | None, today: dt.date) -> live_gate.ModeResolution:
        calls.append(today)
        return live_gate.resolve_mode(config, token, today)

    monkeypatch.setattr(runner, "resolve_mode", counting)
    monkeypatch.setattr(cycle, "resolve_mode", counting)
    write_watchlist(config.artifacts_dir)
    assembly, clock, _ = build(config)
    outcome, reports, _ = run(assembly, clock, poll_seconds=300, max_cycles=3)
    assert outcome.cycles == 3 and len(calls) == 3  # not once for the book and again for the facts
    assert [report.mode for report in reports] == ["DRY_RUN"] * 3
