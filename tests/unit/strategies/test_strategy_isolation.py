"""Strategies plan, they never write capital state (Phase S1): no module under avwap/strategies can reach a
ledger writer, a broker, the caps or the network, and what a strategy is handed holds no such handle."""

from __future__ import annotations

import ast
import dataclasses
import json
import subprocess
import sys
from pathlib import Path

from avwap.strategies.protocol import StrategyInputs

PACKAGE = Path(__file__).resolve().parents[3] / "src" / "avwap" / "strategies"
# avwap packages a strategy may import from; of avwap.ledger only the vocabularies and book names
ALLOWED_PACKAGES = ("avwap.core", "avwap.signals", "avwap.exits", "avwap.strategies")
ALLOWED_LEDGER = {"avwap.ledger.record_enums", "avwap.ledger.paths"}
FORBIDDEN_CORE = {"avwap.core.files", "avwap.core.http"}  # file writes and the network
FORBIDDEN_STDLIB = {"os", "shutil", "socket", "subprocess", "urllib", "http", "requests", "httpx", "alpaca"}
FORBIDDEN_CALLS = {"open", "write_text", "write_bytes", "unlink", "mkdir", "rename"}
WRITER_MODULES = (
    "avwap.ledger.store",
    "avwap.ledger.router",
    "avwap.ledger.chain",
    "avwap.ledger.atomic",
    "avwap.ledger.links",
    "avwap.execution",
    "avwap.control",
    "avwap.integrations",
    "avwap.data.store",
    "avwap.core.files",
    "avwap.core.http",
)


def imported_modules(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names if node.module == "avwap.ledger"]
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for name in imported_modules(tree):
        top = name.split(".")[0]
        if name == "avwap.ledger":
            continue  # the submodule names are checked one by one
        if name.startswith("avwap.ledger"):
            ok = name in ALLOWED_LEDGER
        elif name.startswith("avwap"):
            ok = name.startswith(ALLOWED_PACKAGES) and name not in FORBIDDEN_CORE
        else:
            ok = top not in FORBIDDEN_STDLIB
        if not ok:
            found.append(f"{path.name}: imports {name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if called in FORBIDDEN_CALLS:
                found.append(f"{path.name}:{node.lineno}: calls {called}()")
    return found


def test_strategy_modules_import_no_writer_broker_or_network() -> None:
    paths = sorted(PACKAGE.glob("*.py"))
    assert len(paths) >= 5
    assert [item for path in paths for item in offences(path)] == []


def test_the_checker_catches_a_strategy_that_writes(tmp_path: Path) -> None:
    rogue = tmp_path / "rogue.py"
    rogue.write_text(
        "from avwap.ledger.router import Ledger\nfrom avwap.execution.broker import Broker\n"
        "import socket\nopen('x', 'w')\n"
    )
    assert len(offences(rogue)) == 4


def test_loading_every_registered_strategy_loads_no_writer_or_broker() -> None:
    script = (
        "import json, sys\n"
        "from avwap.strategies import registry\n"
        "[registry.load_strategy(name) for name in registry.REGISTRY]\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('avwap.'))))\n"
    )
    output = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    loaded = json.loads(output.stdout)
    assert "avwap.strategies.s1" in loaded
    assert [name for name in loaded if name.startswith(WRITER_MODULES)] == []


def test_strategy_inputs_hold_no_ledger_or_broker_handle() -> None:
    kinds = " ".join(str(field.type) for field in dataclasses.fields(StrategyInputs))
    for handle in ("Ledger", "Broker", "BookRecorder", "Notifier", "Config", "Path"):
        assert handle not in kinds
