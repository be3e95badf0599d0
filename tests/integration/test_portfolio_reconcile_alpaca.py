"""``avwap portfolio reconcile`` on the fake Alpaca server: Config -> read-only view -> report, GET only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import typer
from tests.fakes.alpaca_server import (
    API_KEY,
    SECRET_KEY,
    FakeAlpaca,
    adapter_settings,
    alpaca_server_fixture,  # noqa: F401 - registers the ``alpaca_server`` fixture
)
from typer.testing import CliRunner

from avwap.cli import portfolio_command
from avwap.cli.output import EXIT_PROBLEM
from avwap.core.clock import FixedClock
from avwap.execution.alpaca_broker import AlpacaBroker
from avwap.execution.broker import OrderRequest, OrderSide, OrderType, TimeInForce
from avwap.execution.reconcile_render import read_report, report_path


def test_reconcile_reads_alpaca_with_get_only_and_reports_what_the_ledger_lacks(
    alpaca_server: FakeAlpaca, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = alpaca_server
    fake.set_price("AAPL", "100.25")
    with AlpacaBroker(adapter_settings(fake)) as trader:  # a trade the ALPACA_PAPER ledger never saw
        request = OrderRequest(
            symbol="AAPL", side=OrderSide.BUY, order_type=OrderType.MARKET, quantity=10,
            client_order_id="manual-aapl", time_in_force=TimeInForce.GTC,
        )  # fmt: skip
        trader.submit_order(request)
        fake.fill_order("manual-aapl", 10, "100.00")
    with fake._lock:
        fake.requests.clear()
    monkeypatch.setattr(
        portfolio_command, "system_clock", lambda: FixedClock(dt.datetime(2026, 4, 1, 21, tzinfo=dt.UTC))
    )
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """test root"""

    portfolio_command.register(app)
    environment = {
        "EXECUTION_MODE": "ALPACA_PAPER",
        "ALPACA_API_KEY": API_KEY,
        "ALPACA_SECRET_KEY": SECRET_KEY,
        "ALPACA_TRADING_URL": fake.url,
    }
    result = CliRunner().invoke(
        app, ["portfolio", "reconcile", "--date", "2026-04-01", "--home", str(home)], env=environment
    )
    assert result.exit_code == EXIT_PROBLEM, result.output
    report = read_report(report_path(home / "artifacts", "ALPACA_PAPER", dt.date(2026, 4, 1)))
    codes = {(item.code, item.symbol) for item in report.items}
    assert ("UNKNOWN_AT_BROKER", "AAPL") in codes and ("FILL_UNRECORDED", "AAPL") in codes
    assert report.complete and report.cash_checked is False  # the ledger recorded no funding
    assert fake.request_methods() == {"GET"}
