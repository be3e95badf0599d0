"""The worked example of docs/PORTFOLIO.md is what the code prints (the document cannot drift from it)."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import msgspec
from tests.unit.execution.reconcile_factories import entry, expectation, fill, snapshot_of, stop

from avwap.execution.reconcile import reconcile
from avwap.execution.reconcile_render import render_table

DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "PORTFOLIO.md"


def test_the_worked_example_table_is_the_code_s_output() -> None:
    mine = expectation()
    broker = snapshot_of(
        expectation(
            open_orders=(stop(price="94.50"), entry("NVDA", 2, "120.00", key="manual-nvda"), entry()),
            fills=(fill(), fill("f-2", quantity=3, price="100.10")),
        )
    )
    broker = msgspec.structs.replace(
        broker, account=msgspec.structs.replace(broker.account, cash=D("98697.20"))
    )
    table = render_table(reconcile(mine, broker))
    assert f"```\n{table}```" in DOCUMENT.read_text(encoding="utf-8")
