"""`avwap ledger trace`: the lineage intent -> decision -> order -> fill -> position -> exit, from any id."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest
import typer
from tests.unit.ledger import factories
from typer.testing import CliRunner

from avwap.cli import ledger_command
from avwap.cli.output import EXIT_DATA, EXIT_OK
from avwap.ledger.lineage import LedgerRow, trace
from avwap.ledger.records import OrderSubmitted, Record, encode_record
from avwap.ledger.router import Ledger

runner = CliRunner()


def aapl_lifecycle() -> list[Record]:
    """The factories' round trip, its entry order carrying the decision that approved it."""
    records = factories.round_trip()[1:]  # without the book's funding (book-scoped, in no lineage)
    decision = records[1]
    entry = records[2]
    assert isinstance(entry, OrderSubmitted)
    records[2] = msgspec.structs.replace(entry, decision_id=decision.decision_id)
    return records


def other_lifecycle() -> list[Record]:
    """An unrelated MSFT entry (intent, decision, order, fill, position) on the same day and book."""
    trade = factories.intent("MSFT", quantity=5)
    entry = factories.submit(trade)
    bought = factories.fill(entry, 5, "100.00")
    return [trade, factories.approve(trade), entry, bought, factories.opened(trade, [bought], "100.00")]


def rows_of(records: list[Record]) -> list[LedgerRow]:
    return [
        LedgerRow("PAPER_SIM", factories.DAY, seq, encode_record(record))
        for seq, record in enumerate(records, 1)
    ]


def ids_of(record: Record) -> list[str]:
    plain = encode_record(record)
    names = ("intent_id", "decision_id", "order_id", "client_order_id", "fill_id", "position_id", "exit_id")
    return [plain[name] for name in names if plain.get(name)]


def test_every_id_of_a_lineage_traces_to_the_whole_lineage_and_nothing_else() -> None:
    aapl, msft = aapl_lifecycle(), other_lifecycle()
    rows = rows_of([factories.deposit("10000.00"), *aapl, *msft])
    expected = [encode_record(record) for record in aapl]
    identifiers = {identifier for record in aapl for identifier in ids_of(record)}
    assert len(identifiers) >= 9  # intent, decision, 2 orders (+ client ids), 3 fills, position, exit
    for identifier in sorted(identifiers):
        lineage = trace(rows, identifier)
        assert [row.record for row in lineage.rows] == expected, identifier
        assert lineage.strategy_ids == (factories.STRATEGY,)
    chain = trace(rows, identifiers.pop()).chain
    trade, decision, entry = aapl[0], aapl[1], aapl[2]
    assert chain["intent"] == [trade.intent_id]
    assert chain["decision"] == [decision.decision_id]
    assert chain["order"][0] == entry.order_id and len(chain["order"]) == 2
    assert len(chain["fill"]) == 3 and len(chain["position"]) == 1 and len(chain["exit"]) == 1


def test_the_other_lineage_is_traced_apart_and_an_unknown_id_is_empty() -> None:
    msft = other_lifecycle()
    rows = rows_of([*aapl_lifecycle(), *msft])
    lineage = trace(rows, msft[3].fill_id)
    assert [row.record for row in lineage.rows] == [encode_record(record) for record in msft]
    assert trace(rows, "int_" + "0" * 32).rows == ()


def test_a_placeholder_intent_id_does_not_join_lineages() -> None:
    """Adopted broker orders' stops share the placeholder intent ``int_adopted``: it must not be followed."""
    aapl, msft = aapl_lifecycle(), other_lifecycle()
    stops = [
        msgspec.structs.replace(factories.submit(trade), intent_id="int_adopted", client_order_id=client)
        for trade, client in ((aapl[0], "foreign-1"), (msft[0], "foreign-2"))
    ]
    stops = [
        msgspec.structs.replace(stop, position_id=factories.position_of(trade), purpose="STOP")
        for stop, trade in zip(stops, (aapl[0], msft[0]), strict=True)
    ]
    lineage = trace(rows_of([*aapl, *msft, *stops]), aapl[0].intent_id)
    symbols = {row.record["symbol"] for row in lineage.rows}
    assert symbols == {"AAPL"} and len(lineage.rows) == len(aapl) + 1


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()

    @application.callback()
    def root() -> None:
        """test root"""

    ledger_command.register(application)
    return application


@pytest.fixture
def traced_home(home: Path) -> Path:
    ledger = Ledger(home / "ledger")
    for record in [factories.deposit("10000.00"), *aapl_lifecycle(), *other_lifecycle()]:
        ledger.append(record)
    return home


def test_trace_command_json_and_table(app: typer.Typer, traced_home: Path) -> None:
    aapl = aapl_lifecycle()
    position = aapl[6].position_id
    result = runner.invoke(app, ["ledger", "trace", position, "--home", str(traced_home), "--json"])
    assert result.exit_code == EXIT_OK, result.output
    payload = json.loads(result.stdout)
    assert payload["id"] == position and payload["strategy_ids"] == [factories.STRATEGY]
    assert [row["type"] for row in payload["records"]] == [record.__class__.__name__ for record in aapl]
    assert [row["stage"] for row in payload["records"]][:3] == ["intent", "decision", "order"]
    assert payload["chain"]["position"] == [position]
    entry = aapl[2]
    assert isinstance(entry, OrderSubmitted)
    table = runner.invoke(app, ["ledger", "trace", entry.client_order_id, "--home", str(traced_home)])
    assert table.exit_code == EXIT_OK, table.output
    assert "Lineage of" in table.stdout and f"({len(aapl)} records)" in table.stdout


def test_trace_command_unknown_id_fails(app: typer.Typer, traced_home: Path) -> None:
    result = runner.invoke(app, ["ledger", "trace", "dec_" + "f" * 32, "--home", str(traced_home)])
    assert result.exit_code == EXIT_DATA
    assert "carries the id" in result.output
