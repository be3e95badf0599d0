"""docs/STOPS.md's worked example is what the code does: both of its tables are read and checked."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import numpy as np
from exit_builders import INTRADAY_LOWS, daily_bars, intraday_bars, ny, position

from avwap.exits.bar_arrays import BarArrays
from avwap.exits.policy import apply_decision, resolve_stop
from avwap.exits.simulator import SimulatedEntry, simulate_intraday

DOC = Path(__file__).resolve().parents[3] / "docs" / "STOPS.md"


def table(name: str) -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, re.DOTALL)
    assert block is not None, f"docs/STOPS.md lost its {name} table"
    rows = [line.strip().strip("|").split("|") for line in block.group(1).strip().splitlines()]
    return [[cell.strip() for cell in row] for row in rows if not set("".join(row)) <= set("-: ")]


def test_bars_in_the_doc_are_the_test_bars() -> None:
    header, lows = table("worked-example-bars")
    assert header[0] == "09:30" and len(header) == len(INTRADAY_LOWS)
    assert [float(value) for value in lows] == list(INTRADAY_LOWS)


def test_decisions_in_the_doc() -> None:
    rows = table("worked-example-decisions")[1:]
    assert len(rows) == 5
    state = position(resolved=False)
    bars, daily = intraday_bars(INTRADAY_LOWS), daily_bars()
    for at, phase, reason, events, stop, basis, revision in rows:
        hour, minute = (int(part) for part in at.split(":"))
        decision = resolve_stop(state, bars, daily, ny(hour, minute))
        state = apply_decision(state, decision)
        expected_events = () if events == "–" else tuple(events.split(", "))
        assert (decision.phase, decision.reason, tuple(decision.events)) == (
            phase,
            reason,
            expected_events,
        ), at
        assert (state.stop_price, str(state.stop_basis), state.stop_revision) == (
            Decimal(stop),
            basis,
            int(revision),
        )


def test_the_gap_fill_in_the_doc() -> None:
    lows = [*INTRADAY_LOWS, 99.30]
    bars = intraday_bars(lows)
    opens = bars.open.copy()
    opens[-1] = 99.40
    gapped = BarArrays(bars.start_ns, opens, bars.high, bars.low, bars.close)
    entry = SimulatedEntry("pos_" + "0" * 32, "MSFT", ny(10, 0), Decimal("100.00"), 10, Decimal("98.30"))
    result = simulate_intraday(entry, gapped, daily_bars())
    assert (result.exit_price, result.exit_time) == (Decimal("99.4"), ny(10, 40))
    assert np.isclose(float(result.revisions[-1].stop), 99.70)
