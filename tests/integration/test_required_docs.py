"""Phase A trust check: the documents an operator and a reviewer rely on exist and say something."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRED_DOCS = (
    "README.md",
    "docs/ARCHITECTURE.md",
    "docs/RUNBOOK.md",
    "docs/ROADMAP.md",
    "docs/REASON_CODES.md",
    "docs/SCAN.md",
    "docs/STOPS.md",
    "docs/STRATEGIES.md",
    "docs/ML.md",
    "docs/SCHWAB.md",
    "docs/SLACK_REPLIES.md",
)


@pytest.mark.parametrize("name", REQUIRED_DOCS)
def test_required_document_exists_and_has_content(name: str) -> None:
    path = ROOT / name
    assert path.is_file(), f"required document {name} is missing"
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines and lines[0].startswith("#"), f"{name} must start with a title"
    assert len(lines) >= 10 and len(text) >= 500, f"{name} is a stub ({len(lines)} lines)"
