"""The disaster-recovery drill on a broker-backed book (RUNBOOK section 16, steps 2-7): an ALPACA_PAPER home
that traded through alpaca-py against the fake Alpaca server is backed up, the server "dies", the broker
fills the resting stop meanwhile, and a new home restored from the backup is verified, reconciled against
the broker (clean, then drift once the broker moved on) and resumed: the next cycle books the broker's
fill, sends nothing twice, and reconciliation is clean again."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.fakes.alpaca_server import API_KEY, SECRET_KEY, running_fake_alpaca
from tests.integration.test_stops_alpaca import AlpacaStops
from tests.integration.test_stops_harness import DAY, SYMBOL, ny, of_type
from typer.testing import CliRunner

from avwap.cli import portfolio_command
from avwap.cli.main import build_app
from avwap.core.clock import FixedClock, SimulatedClock
from avwap.execution.reconcile_render import read_report, report_path
from avwap.ledger.records import Fill, OrderSubmitted, PositionClosed

runner = CliRunner()


def _cli(home: Path, *args: str, url: str = "") -> tuple[int, str]:
    environment = {
        "EXECUTION_MODE": "ALPACA_PAPER",
        "ALPACA_API_KEY": API_KEY,
        "ALPACA_SECRET_KEY": SECRET_KEY,
    }
    if url:
        environment["ALPACA_TRADING_URL"] = url
    result = runner.invoke(build_app(), [*args, "--home", str(home)], env=environment)
    return result.exit_code, result.output


def _reconcile(home: Path, url: str) -> tuple[int, set[tuple[str, str]]]:
    code, output = _cli(
        home, "portfolio", "reconcile", "--date", DAY.isoformat(), "--book", "ALPACA_PAPER", url=url
    )
    assert code in (0, 1), output
    report = read_report(report_path(home / "artifacts", "ALPACA_PAPER", DAY))
    assert report.complete, output
    return code, {(str(item.code), item.symbol) for item in report.items}


def test_a_restored_broker_backed_home_is_reconciled_and_resumed_without_a_duplicate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(portfolio_command, "system_clock", lambda: FixedClock(ny(16, 30)))
    clock = SimulatedClock(ny(9, 0))
    with running_fake_alpaca(clock) as fake:
        fake.set_price(SYMBOL, "100.00")
        old = AlpacaStops(tmp_path / "old", fake, clock)
        try:
            old.open_with_stop()  # 10 STP bought at 100.10; the stop 98.30 rests at the broker
            stop_id = old.client_id("stop")
        finally:
            old.adapter.close()

        # step 2 on the old server; then it dies
        code, output = _cli(old.scenario.config.home, "backup", str(tmp_path / "backups"))
        assert code == 0, output
        (archive,) = sorted((tmp_path / "backups").glob("backup-*"))
        # while nobody watches, the broker fills the stop
        clock.set(ny(10, 40))
        fake.fill_order(stop_id, 10, "98.30")
        orders_at_broker = len(fake.orders)

        new_home = tmp_path / "new"
        code, output = _cli(new_home, "restore", str(archive))  # step 3
        assert code == 0, output
        code, output = _cli(new_home, "ledger", "verify")  # step 4
        assert code == 0, output

        # step 5: reconcile against the broker: the fill the old server never saw is drift
        code, drift = _reconcile(new_home, fake.url)
        assert code == 1
        assert drift == {  # the position the ledger holds is gone at the broker, by a fill it never saw
            ("FILL_UNRECORDED", SYMBOL),
            ("MISSING_AT_BROKER", SYMBOL),
            ("STOP_MISSING", SYMBOL),
            ("CASH_MISMATCH", ""),
        }, drift

        # step 7: resume: the next cycles on the restored home book the broker's fill, once
        new = AlpacaStops(new_home, fake, clock)
        try:
            new.scenario.run_every(ny(10, 45), ny(10, 55))
            records = new.scenario.records()
        finally:
            new.adapter.close()
        (closed,) = of_type(records, PositionClosed)
        assert closed.symbol == SYMBOL
        fills = [fill for fill in of_type(records, Fill) if fill.client_order_id == stop_id]
        assert len(fills) == 1 and fills[0].quantity == 10
        assert len(fake.orders) == orders_at_broker  # nothing was sent twice (no second exit, no re-entry)
        assert len(of_type(records, OrderSubmitted)) == 2  # the entry and its stop, from before the backup
        assert new.scenario.deps.book.state.positions == {}

        code, drift = _reconcile(new_home, fake.url)  # reconciled again: clean
        assert code == 0 and drift == set(), drift
