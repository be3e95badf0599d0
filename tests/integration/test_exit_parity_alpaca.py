"""Parity (D1) for a broker book: trades on the Alpaca adapter (fake Alpaca server, fills at chosen prices
and instants) against the exit simulator over the same bars. ``exit_parity`` lists each divergence with its
cause.

The bars are docs/STOPS.md's worked example: the stop is 99.70 from 10:30 and the 10:40 bar opens at 99.40,
so the simulator exits at 99.40 on the bar 10:40-10:45.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

import pytest
from tests.fakes.alpaca_server import running_fake_alpaca
from tests.integration.test_stops_alpaca import AlpacaStops
from tests.integration.test_stops_docs_example import GAP_BAR
from tests.integration.test_stops_harness import (
    DAY,
    EXAMPLE_LOWS,
    SYMBOL,
    Bar,
    intraday_frame,
    ny,
    session_lows,
)

from avwap.analytics.exit_metrics import DivergenceCause, exit_parity
from avwap.analytics.trades import reconstruct_trades
from avwap.core.clock import SimulatedClock
from avwap.exits.bar_arrays import bar_arrays
from avwap.exits.rules import stop_rules
from avwap.exits.simulator import SimulatedEntry, simulate_intraday

GAP_DAY: list[float | Bar | None] = [*EXAMPLE_LOWS, GAP_BAR, *[99.50] * 10]


Build = Callable[[list[float | Bar | None]], AlpacaStops]


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Build]:
    """Builds an Alpaca scenario over given 5-minute lows (one fake server each, all stopped after)."""
    with ExitStack() as stack:

        def build(lows: list[float | Bar | None]) -> AlpacaStops:
            clock = SimulatedClock(ny(9, 0))
            fake = stack.enter_context(running_fake_alpaca(clock))
            fake.set_price(SYMBOL, "100.00")
            made = AlpacaStops(tmp_path / "home", fake, clock, intraday_frame({DAY: lows}))
            stack.callback(made.adapter.close)
            return made

        yield build


def trade_and_compare(
    alpaca: AlpacaStops, fill_at: tuple[int, int], price: str
) -> list[tuple[str, str | None, str | None]]:
    """Open with the entry stop, let the 10:30 ratchet replace it, fill it at ``fill_at`` for ``price``."""
    alpaca.open_with_stop()
    alpaca.scenario.run_at(ny(10, 30))
    alpaca.scenario.clock.set(ny(*fill_at))
    alpaca.fake.fill_order(alpaca.client_id("stop"), 10, price)
    alpaca.scenario.run_at(ny(*fill_at))
    trades = reconstruct_trades(alpaca.scenario.records())
    (trade,) = trades
    entry = SimulatedEntry(
        trade.position_id, trade.symbol, trade.entry_time, trade.entry_price, trade.entry_quantity,
        trade.initial_stop,
    )  # fmt: skip
    simulated = simulate_intraday(
        entry,
        bar_arrays(alpaca.scenario.intraday),
        bar_arrays(alpaca.scenario.daily),
        stop_rules(alpaca.scenario.config),
    )
    report = exit_parity(trades, [simulated])
    assert report.compared == 1 and report.matched == int(report.ok)
    return [(str(item.cause), item.real, item.simulated) for item in report.divergences]


@pytest.mark.parametrize(
    ("lows", "fill_at", "price", "expected"),
    [
        (GAP_DAY, (10, 45), "99.40", []),  # the broker did what the simulator does
        (GAP_DAY, (10, 45), "99.35", [(DivergenceCause.PRICE_DIFFERS, "99.350000", "99.4")]),  # slippage
        (
            GAP_DAY,
            (10, 50),
            "99.40",
            [(DivergenceCause.TIME_DIFFERS, "2026-04-01T14:50:00Z", "2026-04-01T14:40:00Z")],
        ),
    ],
)
def test_exit_parity_names_each_divergence_of_a_broker_book(
    make: Build,
    lows: list[float | Bar | None],
    fill_at: tuple[int, int],
    price: str,
    expected: list[tuple[DivergenceCause, str | None, str | None]],
) -> None:
    alpaca = make(lows)
    assert trade_and_compare(alpaca, fill_at, price) == [(str(c), r, s) for c, r, s in expected]


def test_a_broker_exit_the_simulator_does_not_make_is_missing_in_simulation(make: Build) -> None:
    alpaca = make(list(session_lows()))  # a steady climb: the 99.70 stop is never touched
    causes = trade_and_compare(alpaca, (10, 45), "99.70")
    assert causes == [(str(DivergenceCause.MISSING_IN_SIMULATION), "2026-04-01T14:45:00Z", None)]
    assert Decimal("99.70") == reconstruct_trades(alpaca.scenario.records())[0].exit_price
