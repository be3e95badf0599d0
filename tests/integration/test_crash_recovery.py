"""Crash injection: SIGKILL the cycle at each step of the order lifecycle, restart, and compare.

For every hook point (see :mod:`avwap.execution.hooks`), a driver subprocess runs the scenario's cycle against
a fake Alpaca served by this process and kills itself at that point; the same cycle is then run again without
the hook, and the rest of the scenario follows. The outcome must be indistinguishable from an uninterrupted
run: no duplicate broker order (one order per client id, the same number of order POSTs), no lost ledger
record (each intent decided, each approval ordered, each order answered), a ledger that verifies, and the
same projection bytes.
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.fakes.alpaca_server import FakeAlpaca, running_fake_alpaca
from tests.integration.crash_driver import T_ENTRY, T_FILL, T_STOP, entry_price, run_step, write_watchlist

from avwap.core.clock import SimulatedClock
from avwap.execution import hooks
from avwap.ledger.paths import ALPACA_PAPER
from avwap.ledger.projection import fold_book, state_bytes
from avwap.ledger.record_enums import DecisionOutcome, OrderPurpose
from avwap.ledger.records import (
    Decision,
    OrderAcknowledged,
    OrderRejected,
    OrderSubmitted,
    PositionOpened,
    Record,
    TradeIntent,
)
from avwap.ledger.router import Ledger
from avwap.ledger.verify import verify_path

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("crash_driver.py")
ENTRY_STEP, STOP_STEP = 1, 3


@dataclass(frozen=True)
class Outcome:
    state: bytes
    records: list[Record]
    client_ids: collections.Counter[str]
    order_posts: int


def fill_entries(fake: FakeAlpaca, clock: SimulatedClock) -> None:
    """Step 2: the broker fills every entry order in full at the scenario's entry price."""
    clock.set(T_FILL)
    for order in sorted(fake.orders.values(), key=lambda item: item.client_order_id):
        if order.side == "buy" and order.status == "new":
            fake.fill_order(order.client_order_id, order.qty, entry_price(order.symbol))


def run_scenario(
    home: Path, fake: FakeAlpaca, clock: SimulatedClock, crash: tuple[str, str | None, int] | None
) -> None:
    """Steps 1 (entries), 2 (fills) and 3 (stops); ``crash`` = (point, purpose, step) kills that step once."""
    write_watchlist(home / "artifacts")
    for step, now in ((ENTRY_STEP, T_ENTRY), (2, T_FILL), (STOP_STEP, T_STOP)):
        if step == 2:
            fill_entries(fake, clock)
            continue
        clock.set(now)
        if crash is not None and crash[2] == step:
            killed = run_killed(home, fake.url, now, crash[0], crash[1])
            assert killed.returncode == -9, (killed.returncode, killed.stdout, killed.stderr)
            left = len(Ledger(home / "ledger").read_book(ALPACA_PAPER))
            run_step(home, fake.url, now)
            assert len(Ledger(home / "ledger").read_book(ALPACA_PAPER)) > left, "the kill was not mid-cycle"
            continue
        run_step(home, fake.url, now)


def run_killed(
    home: Path, url: str, now: dt.datetime, point: str, purpose: str | None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(DRIVER), "--home", str(home), "--url", url, "--now", now.isoformat()]
    command += ["--kill-at", point] + (["--purpose", purpose] if purpose else [])
    environment = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    return subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120, check=False
    )


def outcome(home: Path, fake: FakeAlpaca) -> Outcome:
    records = Ledger(home / "ledger").read_book(ALPACA_PAPER)
    client_ids = collections.Counter(order.client_order_id for order in fake.orders.values())
    return Outcome(
        state_bytes(fold_book(records, ALPACA_PAPER)),
        records,
        client_ids,
        fake.request_count("POST /v2/orders"),
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    home = tmp_path_factory.mktemp("reference") / "home"
    clock = SimulatedClock(T_ENTRY)
    with running_fake_alpaca(clock) as fake:
        for symbol in ("AAA", "BBB"):
            fake.set_price(symbol, entry_price(symbol))
        run_scenario(home, fake, clock, None)
        yield outcome(home, fake)


def test_the_uninterrupted_run_trades_and_protects(reference: Outcome) -> None:
    kinds = collections.Counter(type(record).__name__ for record in reference.records)
    assert kinds["TradeIntent"] == 2 and kinds["Fill"] == 2 and kinds["PositionOpened"] == 2
    purposes = collections.Counter(r.purpose for r in reference.records if isinstance(r, OrderSubmitted))
    assert purposes == {OrderPurpose.ENTRY: 2, OrderPurpose.STOP: 2}
    assert reference.order_posts == 4 and set(reference.client_ids.values()) == {1}


CRASHES = [
    (hooks.AFTER_INTENT_WRITE, None, ENTRY_STEP),
    (hooks.AFTER_DECISION_WRITE, None, ENTRY_STEP),
    (hooks.AFTER_ORDER_RECORD_BEFORE_SUBMIT, "ENTRY", ENTRY_STEP),
    (hooks.AFTER_SUBMIT_BEFORE_ACK_WRITE, "ENTRY", ENTRY_STEP),
    (hooks.AFTER_ACK_WRITE, "ENTRY", ENTRY_STEP),
    (hooks.DURING_STOP_SUBMISSION, "STOP", STOP_STEP),
    (hooks.AFTER_SUBMIT_BEFORE_ACK_WRITE, "STOP", STOP_STEP),
    (hooks.AFTER_ACK_WRITE, "STOP", STOP_STEP),
]


def assert_lifecycle_complete(records: list[Record]) -> None:
    intents = {r.intent_id for r in records if isinstance(r, TradeIntent)}
    decisions = {r.intent_id: r for r in records if isinstance(r, Decision)}
    assert intents == set(decisions), "an intent lost its decision"
    approved = {key for key, decision in decisions.items() if decision.outcome != DecisionOutcome.REJECT}
    entries = {
        r.intent_id for r in records if isinstance(r, OrderSubmitted) and r.purpose == OrderPurpose.ENTRY
    }
    assert approved == entries, "an approved decision lost its order"
    submitted = {r.client_order_id for r in records if isinstance(r, OrderSubmitted)}
    answered = {r.client_order_id for r in records if isinstance(r, OrderAcknowledged | OrderRejected)}
    assert submitted == answered, "an order lost its broker answer"
    opened = [r.position_id for r in records if isinstance(r, PositionOpened)]
    assert len(opened) == len(set(opened)) == len(entries)


@pytest.mark.parametrize(
    ("point", "purpose", "step"), CRASHES, ids=[f"{p}-{u or 'any'}" for p, u, _ in CRASHES]
)
def test_a_kill_at_each_point_converges_to_the_uninterrupted_run(
    tmp_path: Path, reference: Outcome, point: str, purpose: str | None, step: int
) -> None:
    home = tmp_path / "home"
    clock = SimulatedClock(T_ENTRY)
    with running_fake_alpaca(clock) as fake:
        for symbol in ("AAA", "BBB"):
            fake.set_price(symbol, entry_price(symbol))
        run_scenario(home, fake, clock, (point, purpose, step))
        result = outcome(home, fake)
    assert set(result.client_ids.values()) == {1}, f"duplicate broker orders: {result.client_ids}"
    assert result.client_ids == reference.client_ids
    assert result.order_posts == reference.order_posts
    assert all(report.ok for report in verify_path(home / "ledger"))
    assert_lifecycle_complete(result.records)
    assert result.state == reference.state
