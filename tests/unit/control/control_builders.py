"""Builders for control-plane tests: one healthy context that APPROVEs, changed one field at a time.

The healthy context: buy 10 AAPL at $50.00 with a stop at $48.00 (risk/share $2, risk $20, notional $500)
in PAPER_SIM, equity $100,000, one open MSFT position of $400 (gross $400), 1 entry today, default caps
(5 entries, 5 positions, $5,000 gross, 100 % gross, $1,000 per symbol, $100 risk, 1 % risk, $3 risk/share).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from avwap.control.context import EntryIntent, GateContext, GateRules, PortfolioView, SessionView
from avwap.control.live_gate import ModeResolution
from avwap.core.execution_mode import ExecutionMode

TODAY = dt.date(2026, 4, 1)

HEALTHY = GateContext(
    intent=EntryIntent(symbol="AAPL", quantity=10, entry_price=Decimal("50.00"), stop_price=Decimal("48.00")),
    mode=ModeResolution(ExecutionMode.PAPER_SIM, ExecutionMode.PAPER_SIM),
    today_ny=TODAY,
    kill_switch=False,
    portfolio=PortfolioView(
        positions={"MSFT": Decimal("400")},
        gross_exposure=Decimal("400"),
        entries_today=1,
        equity=Decimal("100000"),
    ),
    session=SessionView(market_open=True, in_entry_window=True, broker_market_open=None),
    rules=GateRules(),
)

LIVE_CONFIRMED = ModeResolution(ExecutionMode.LIVE, ExecutionMode.LIVE, live_confirmed=True)


def build(base: GateContext = HEALTHY, **changes: Any) -> GateContext:
    """Nested replace by ``__`` path, e.g. ``build(intent__quantity=5, kill_switch=True)``."""
    top: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for key, value in changes.items():
        if "__" in key:
            part, name = key.split("__", 1)
            nested.setdefault(part, {})[name] = value
        else:
            top[key] = value
    for part, fields in nested.items():
        top[part] = replace(top.get(part, getattr(base, part)), **fields)
    return replace(base, **top)


def live(**changes: Any) -> GateContext:
    """A healthy context in confirmed LIVE (the broker clock agrees), then ``changes``."""
    return build(build(mode=LIVE_CONFIRMED, session__broker_market_open=True), **changes)
