"""The one stop-fill rule: when a stop order triggers on a bar, and at what price (pure, Decimal).

A sell stop (the protective stop of a long position) triggers on a bar whose low is at or below the stop,
at ``min(open, stop)``: at its price, or at the bar's open when the bar gapped down through it. A buy stop
mirrors it (high at or above the stop, at ``max(open, stop)``). The simulated broker's fill model
(:mod:`avwap.execution.fill_model`, which adds slippage and tick rounding on top) and the exit simulators
(:mod:`avwap.exits.simulator`, :mod:`avwap.exits.simulator_daily`) both call :func:`stop_trigger`, so a
backtest and a paper session can never disagree about a stop-out.
"""

from __future__ import annotations

from decimal import Decimal


def stop_trigger(stop: Decimal, open_: Decimal, extreme: Decimal, *, selling: bool = True) -> Decimal | None:
    """The price at which a stop becomes a market order on a bar, or None when the bar does not reach it.

    ``extreme`` is the bar's low for a sell stop and its high for a buy stop.
    """
    if selling:
        return min(open_, stop) if extreme <= stop else None
    return max(open_, stop) if extreme >= stop else None
