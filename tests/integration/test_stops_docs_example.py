"""docs/STOPS.md's execution example is what the cycle records: its ledger table is read and checked."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from tests.integration.test_stops_harness import (
    DAY,
    EXAMPLE_LOWS,
    SYMBOL,
    Bar,
    StopScenario,
    assert_never_loosens,
    intraday_frame,
    ny,
)

from avwap.core.calendar import NEW_YORK
from avwap.ledger.records import (
    ExitEvent,
    Fill,
    OrderAcknowledged,
    OrderReplaced,
    OrderSubmitted,
    PositionClosed,
    PositionOpened,
    Record,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "STOPS.md"
GAP_BAR = Bar(open=99.40, high=99.50, low=99.30, close=99.45)  # 10:40: opens below the 99.70 stop


def doc_rows(name: str) -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    block = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, re.DOTALL)
    assert block is not None, f"docs/STOPS.md lost its {name} table"
    rows = [line.strip().strip("|").split("|") for line in block.group(1).strip().splitlines()]
    cells = [[cell.strip().strip("`") for cell in row] for row in rows]
    return [row for row in cells if not set("".join(row)) <= set("-: ")][1:]


def order_name(client_order_id: str, intent_id: str) -> str:
    return client_order_id.replace(intent_id, "<intent>")


def row(record: Record, intent_id: str) -> list[str] | None:
    """One ledger record as a row of the doc's table (None for records the table leaves out)."""
    at = record.ts.astimezone(NEW_YORK).strftime("%H:%M")
    if isinstance(record, OrderSubmitted):
        price = record.stop_price or "market"
        cells = [
            f"OrderSubmitted {record.purpose}",
            f"{price}",
            order_name(record.client_order_id, intent_id),
        ]
        return [at, *cells, str(record.quantity)]
    if isinstance(record, OrderAcknowledged):
        return [at, "OrderAcknowledged", "–", order_name(record.client_order_id, intent_id), "–"]
    if isinstance(record, OrderReplaced):
        order = order_name(record.new_client_order_id, intent_id)
        return [at, "OrderReplaced", str(record.new_price), order, "–"]
    if isinstance(record, Fill):
        return [at, f"Fill {record.side}", str(record.price), order_name(record.client_order_id, intent_id),
                str(record.quantity)]  # fmt: skip
    if isinstance(record, PositionOpened):
        return [at, "PositionOpened", f"stop {record.initial_stop_price}", "–", str(record.quantity)]
    if isinstance(record, PositionClosed):
        return [at, "PositionClosed", f"pnl {record.realized_pnl}", "–", str(record.quantity)]
    if isinstance(record, ExitEvent):
        return [
            at,
            f"ExitEvent {record.kind}",
            str(record.stop_price),
            f"revision {record.stop_revision}",
            "–",
        ]
    return None


def run_example(home: Path) -> tuple[StopScenario, str]:
    lows: list[float | Bar | None] = [*EXAMPLE_LOWS, GAP_BAR, *[99.50] * 10]
    scenario = StopScenario(home, intraday=intraday_frame({DAY: lows}))
    scenario.run_at(ny(9, 55))
    intent = scenario.enter(10)
    scenario.run_every(ny(10, 0), ny(10, 50))
    return scenario, intent.intent_id


def test_the_ledger_of_the_execution_example_is_the_doc_table(tmp_path: Path) -> None:
    scenario, intent_id = run_example(tmp_path / "home")
    records = scenario.records()
    actual = [cells for record in records if (cells := row(record, intent_id)) is not None]
    assert actual == doc_rows("execution-example")
    assert_never_loosens(records)


def test_the_gap_fills_at_the_open_and_the_realized_pnl_is_exact(tmp_path: Path) -> None:
    scenario, _ = run_example(tmp_path / "home")
    records = scenario.records()
    (closed,) = [record for record in records if isinstance(record, PositionClosed)]
    # bought 10 at the 09:55 bar's open 100.10; the stop at 99.70 filled at the 10:40 bar's open 99.40
    assert (closed.exit_price, closed.realized_pnl) == (Decimal("99.40"), Decimal("-7.00"))
    assert not scenario.deps.book.state.lots_of(SYMBOL)
    assert scenario.broker.open_orders() == [] and scenario.broker.positions() == []
    assert scenario.deps.book.state.realized_pnl == Decimal("-7.00")
