"""No anonymous trades in a real run (Phase S0/S1): a demo run's every ledger record and artifact is scoped
to a registered strategy (or book-scoped on the documented allow-lists), every intent names the candidates
artifact it came from by sha256, and every lineage can be walked both ways from any of its ids."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from avwap.cli.main import build_app
from avwap.demo.run import run_demo
from avwap.ledger.lineage import LedgerRow, trace
from avwap.ledger.paths import ledger_date, list_ledger_names
from avwap.ledger.records import RECORD_TYPES, decode_record
from avwap.ledger.router import read_linked
from avwap.ledger.scope import BOOK_SCOPED, UNSCOPED_ARTIFACTS
from avwap.strategies.registry import REGISTRY

SESSIONS = 2
LINEAGE_KEYS = ("intent_id", "decision_id", "order_id", "fill_id", "position_id", "exit_id")


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("scope") / "home"
    run_demo({}, home, sessions=SESSIONS)
    return home


def ledger_rows(home: Path) -> list[LedgerRow]:
    root = home / "ledger"
    rows = []
    for name in list_ledger_names(root):
        for path, envelopes in read_linked(root, name):
            rows += [LedgerRow(name, ledger_date(path), item.seq, item.record) for item in envelopes]
    return rows


def test_every_ledger_record_is_scoped_to_a_registered_strategy(demo_home: Path) -> None:
    rows = ledger_rows(demo_home)
    kinds = {row.record["type"] for row in rows}
    assert {"TradeIntent", "Decision", "OrderSubmitted", "Fill", "PositionOpened", "ExitEvent"} <= kinds
    for row in rows:
        kind = row.record["type"]
        assert kind in RECORD_TYPES, kind
        decode_record(row.record)  # the record keeps its contract
        strategy = row.record.get("strategy_id")
        if kind in BOOK_SCOPED:
            if row.record.get("intent_id") is not None:  # about one strategy's intent: names it
                assert strategy in REGISTRY, row.record
            continue
        assert strategy in REGISTRY, row.record


def test_intents_name_their_candidates_artifact_and_orders_their_decision(demo_home: Path) -> None:
    records = [row.record for row in ledger_rows(demo_home)]
    intents = [record for record in records if record["type"] == "TradeIntent"]
    assert intents
    for intent in intents:
        artifact = demo_home / "artifacts" / "candidates" / f"{intent['date_ny']}.json"
        assert intent["data_version"] == hashlib.sha256(artifact.read_bytes()).hexdigest()
    decisions = {record["intent_id"]: record for record in records if record["type"] == "Decision"}
    entries = [r for r in records if r["type"] == "OrderSubmitted" and r["purpose"] == "ENTRY"]
    assert entries
    for order in entries:
        decision = decisions[order["intent_id"]]
        assert order["decision_id"] == decision["decision_id"] and decision["outcome"] != "REJECT"


def test_every_position_traces_the_same_lineage_from_any_of_its_ids(demo_home: Path) -> None:
    rows = ledger_rows(demo_home)
    positions = [row.record for row in rows if row.record["type"] == "PositionOpened"]
    assert positions
    for position in positions:
        lineage = trace(rows, position["position_id"])
        chain = lineage.chain
        assert chain["intent"] == [position["intent_id"]] and len(chain["decision"]) == 1
        assert chain["order"] and set(position["fill_ids"]) <= set(chain["fill"])
        assert lineage.strategy_ids == (position["strategy_id"],)
        every_id = {row.record[key] for row in lineage.rows for key in LINEAGE_KEYS if row.record.get(key)}
        for identifier in sorted(every_id):
            assert trace(rows, identifier).rows == lineage.rows, identifier


def test_trace_command_on_the_demo_ledger(demo_home: Path) -> None:
    rows = ledger_rows(demo_home)
    fill = next(row.record for row in rows if row.record["type"] == "Fill")
    result = CliRunner().invoke(
        build_app(), ["ledger", "trace", fill["fill_id"], "--home", str(demo_home), "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["chain"]["fill"][0] and fill["fill_id"] in payload["chain"]["fill"]
    assert [row["stage"] for row in payload["records"]][:2] == ["intent", "decision"]


def unscoped_objects(value: Any, where: str) -> list[str]:
    """Record-like objects (a lineage id, or a symbol with a quantity) without a strategy_id."""
    found = []
    if isinstance(value, dict):
        record_like = any(key in value for key in LINEAGE_KEYS) or ("symbol" in value and "quantity" in value)
        if record_like and value.get("strategy_id") not in REGISTRY:
            found.append(f"{where}: {sorted(value)}")
        for key, item in value.items():
            found += unscoped_objects(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += unscoped_objects(item, f"{where}[{index}]")
    return found


def test_every_artifact_is_scoped_or_on_the_allow_list(demo_home: Path) -> None:
    artifacts = demo_home / "artifacts"
    folders = sorted(
        {path.relative_to(artifacts).parts[0] for path in artifacts.rglob("*") if path.is_file()}
    )
    assert "snapshots" in folders and "candidates" in folders
    checked = [folder for folder in folders if folder not in UNSCOPED_ARTIFACTS]
    assert checked == ["portfolio_decisions", "snapshots", "strategy_attribution"], (
        f"classify the new artifact folders {checked} (avwap.ledger.scope)"
    )
    lines = 0
    for path in sorted((artifacts / "snapshots").rglob("*.json")):
        document = json.loads(path.read_bytes())
        assert unscoped_objects(document, path.name) == []
        lines += len(document["snapshot"]["positions"])
    assert lines > 0  # the walk met position lines, each naming its strategy
    decisions = 0
    for path in sorted((artifacts / "portfolio_decisions").rglob("*.json")):
        document = json.loads(path.read_bytes())
        assert unscoped_objects(document, path.name) == []
        decisions += len(document.get("batch", {}).get("decisions", []))
    assert decisions > 0  # each decision line names its strategy
    contributors = 0
    for path in sorted((artifacts / "strategy_attribution").rglob("*.json")):
        document = json.loads(path.read_bytes())
        assert unscoped_objects(document, path.name) == []
        report = document["report"]
        contributors += len(report["top_contributors"])
        assert {row["strategy_id"] for row in report["top_contributors"] + report["blocked"]} <= set(REGISTRY)
    assert contributors > 0  # S4: each (strategy, symbol) contributor and blocked count names its strategy
    assert unscoped_objects({"x": [{"symbol": "AAA", "quantity": 1}]}, "probe") != []  # the walk can fail


def test_both_strategies_trade_the_demo_and_overlap_on_some_days(demo_home: Path) -> None:
    """The demo enables S1 and S2 (each in its sleeve); on the synthetic market they want the same symbols
    on some days, and every overlap is a persisted conflict resolution naming both strategies."""
    records = [row.record for row in ledger_rows(demo_home)]
    intents = {(record["strategy_id"]) for record in records if record["type"] == "TradeIntent"}
    assert intents == {"S1_AVWAP_CORE", "S2_AVWAP_SWING"}
    conflicts = [record for record in records if record["type"] == "ConflictResolved"]
    assert conflicts, "the two strategies never met on the demo market"
    by_day: dict[str, set[str]] = {}
    for record in conflicts:
        assert set(record["counterparty_strategy_ids"]) | {record["strategy_id"]} == {
            "S1_AVWAP_CORE",
            "S2_AVWAP_SWING",
        }
        by_day.setdefault(record["date_ny"], set()).add(record["symbol"])
        if record["outcome"] == "BLOCK":  # a blocked plan is no intent in that cycle (maybe in a later one)
            assert not any(
                item["type"] == "TradeIntent"
                and item["intent_id"] == record["intent_id"]
                and item["ts"] == record["ts"]
                for item in records
            )
    assert len(by_day) == SESSIONS  # overlapping symbols on every replayed day
    codes = {code for record in conflicts for code in record["reason_codes"]}
    assert {"CONFLICT_PRIORITY_KEPT", "CONFLICT_LOWER_PRIORITY"} <= codes
    batches = [record for record in records if record["type"] == "PortfolioDecisionsRecorded"]
    assert batches and all(
        {line["strategy_id"] for line in batch["sleeves"]} == {"S1_AVWAP_CORE", "S2_AVWAP_SWING"}
        for batch in batches
    )
