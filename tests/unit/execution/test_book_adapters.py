"""Adapter selection keyed by book_id (issue 13, M1-A), and the routing invariant of the Schwab path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from avwap.core.config import Config
from avwap.core.errors import ConfigurationError
from avwap.core.execution_mode import ExecutionMode
from avwap.execution.adapters import ADAPTERS, AdapterKind, adapter_spec, build_adapter
from avwap.execution.book import BOOK_FOR_MODE
from avwap.ledger.paths import (
    ALPACA_LIVE,
    ALPACA_PAPER,
    BOOK_IDS,
    PAPER_SIM,
    SCHWAB_401K_MANUAL,
    ledger_file,
)

SOURCE_ROOT = Path(__file__).resolve().parents[3] / "src"


def test_every_adapter_is_keyed_by_a_known_book() -> None:
    assert set(ADAPTERS) <= BOOK_IDS
    assert all(spec.book_id == book for book, spec in ADAPTERS.items())
    assert adapter_spec(SCHWAB_401K_MANUAL).kind is AdapterKind.MANUAL_TICKET
    assert adapter_spec(ALPACA_PAPER).kind is AdapterKind.BROKER_API


def test_a_book_without_an_adapter_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="book_id"):
        adapter_spec(PAPER_SIM)  # the simulator is built by the demo and the backtest, not selected here
    with pytest.raises(ConfigurationError, match="book_id"):
        adapter_spec("NOT_A_BOOK")


def test_alpaca_modes_build_the_same_adapter_as_before() -> None:
    """No behaviour change: ALPACA_PAPER reaches the paper endpoint, LIVE the live one."""
    from avwap.execution.alpaca_broker import AlpacaBroker

    config = Config(alpaca_api_key="key", alpaca_secret_key="secret")
    paper = build_adapter(BOOK_FOR_MODE[ExecutionMode.ALPACA_PAPER], config)
    live = build_adapter(BOOK_FOR_MODE[ExecutionMode.LIVE], config)
    assert isinstance(paper, AlpacaBroker) and isinstance(live, AlpacaBroker)
    assert paper._settings.paper is True
    assert live._settings.paper is False
    assert BOOK_FOR_MODE[ExecutionMode.LIVE] == ALPACA_LIVE


def test_alpaca_adapter_without_keys_names_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="ALPACA_API_KEY"):
        build_adapter(ALPACA_PAPER, Config())


def test_ledger_path_of_a_book(tmp_path: Path) -> None:
    import datetime as dt

    path = ledger_file(tmp_path, SCHWAB_401K_MANUAL, dt.date(2026, 12, 1))
    assert path == tmp_path / "SCHWAB_401K_MANUAL" / "2026-12-01.jsonl"


ROUTING_PROBE = """
import json, sys
from avwap.core.config import Config
from avwap.execution.adapters import build_adapter
from avwap.strategies.registry import load_strategy
load_strategy("S_401K_ALLOCATION")
adapter = build_adapter("SCHWAB_401K_MANUAL", Config(slack_bot_token="xoxb-x", slack_channel="C0TICKETS"))
print(json.dumps({"adapter": type(adapter).__name__, "modules": sorted(sys.modules)}))
"""


def test_the_schwab_path_imports_no_alpaca_module() -> None:
    """In a fresh interpreter: strategy, adapter selection and the ticket adapter load no Alpaca code."""
    environment = {**os.environ, "PYTHONPATH": str(SOURCE_ROOT)}
    completed = subprocess.run(
        [sys.executable, "-c", ROUTING_PROBE], capture_output=True, text=True, env=environment, check=True
    )
    result = json.loads(completed.stdout)
    assert result["adapter"] == "TicketAdapter"
    alpaca = [name for name in result["modules"] if name.split(".")[0] == "alpaca" or "alpaca" in name]
    assert alpaca == []
    assert "avwap.integrations.schwab.ticket_adapter" in result["modules"]  # the probe saw the real path
