"""Which documented fill rule produced a simulated fill, recorded next to it in the ledger.

The simulated broker fills every order through :class:`avwap.execution.fill_model.FillModel` (one
implementation for the demo, the intraday and the daily backtest); this module only names the rule that
applied, by resolution, order type and side, so every trade of a backtest says how it was filled. After
each session the engine writes one ``Note`` (code :data:`FILL_RULE_CODE`) per broker fill of the session:
``detail`` holds the broker fill id (``Fill.broker_fill_id``), the resolution and the rule.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from avwap.execution.broker import OrderSide, OrderType
from avwap.execution.context import CycleDependencies
from avwap.execution.sim_broker import SimBroker
from avwap.ledger.records import Note

FILL_RULE_CODE: Final = "BACKTEST_FILL_RULE"
BAR_MISSING_CODE: Final = "BACKTEST_BAR_MISSING"

RULES: Final[dict[tuple[str, OrderType, OrderSide], str]] = {
    ("5m", OrderType.MARKET, OrderSide.BUY): "5m market: next 5m bar open x (1 + slippage)",
    ("5m", OrderType.MARKET, OrderSide.SELL): "5m market: next 5m bar open x (1 - slippage)",
    ("5m", OrderType.STOP, OrderSide.SELL): "5m stop: min(open, stop) x (1 - slippage)",
    ("5m", OrderType.STOP, OrderSide.BUY): "5m stop: max(open, stop) x (1 + slippage)",
    ("1d", OrderType.STOP, OrderSide.BUY): "1d stop-entry: max(open, level) x (1 + slippage)",
    ("1d", OrderType.STOP, OrderSide.SELL): "1d stop: min(open, stop) x (1 - slippage)",
    ("1d", OrderType.MARKET, OrderSide.BUY): "1d market: session open x (1 + slippage)",
    ("1d", OrderType.MARKET, OrderSide.SELL): "1d market: session open x (1 - slippage)",
}


def rule_name(resolution: str, order_type: OrderType, side: OrderSide) -> str:
    return RULES.get((resolution, order_type, side), f"{resolution} {order_type} {side}: fill model")


def record_fill_rules(
    deps: CycleDependencies, broker: SimBroker, since: dt.datetime, resolution: str, day: dt.date
) -> int:
    """One note per broker fill at or after ``since``; returns how many were written."""
    written = 0
    for fill in broker.fills(since):
        order = broker.get_order(fill.client_order_id)
        if order is None:
            continue
        rule = rule_name(resolution, order.order_type, order.side)
        deps.book.record(
            Note(
                book_id=deps.book.book_id,
                date_ny=day,
                ts=fill.timestamp,
                code=FILL_RULE_CODE,
                message=f"{fill.fill_id} {fill.symbol} {fill.side} {fill.quantity} @ {fill.price}: {rule}",
                symbol=fill.symbol,
                detail={
                    "broker_fill_id": fill.fill_id,
                    "client_order_id": fill.client_order_id,
                    "resolution": resolution,
                    "fill_rule": rule,
                },
            )
        )
        written += 1
    return written
