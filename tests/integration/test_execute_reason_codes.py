"""docs/REASON_CODES.md is generated from the code and must be current (run scripts/reason_codes.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from avwap.control.reasons import PREFLIGHT_CODES, REASONS
from avwap.execution.broker import RejectCode
from avwap.exits.reasons import StopReason

ROOT = Path(__file__).resolve().parents[2]


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reason_codes", ROOT / "scripts" / "reason_codes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_code_has_a_meaning() -> None:
    assert generator().missing_meanings() == []


def test_the_committed_document_is_current() -> None:
    committed = (ROOT / "docs" / "REASON_CODES.md").read_text(encoding="utf-8")
    assert committed == generator().render(), "run: .venv/bin/python scripts/reason_codes.py"


def test_the_document_names_every_code_once_per_table() -> None:
    text = generator().render()
    for code in [*REASONS, *PREFLIGHT_CODES, *RejectCode, *StopReason]:
        assert f"| `{code}` |" in text, code
