"""docs/STRATEGIES.md names what the code holds: registered strategies and their books, the allow-lists,
the identity reason codes."""

from __future__ import annotations

from pathlib import Path

from avwap.control import reasons
from avwap.ledger.scope import BOOK_SCOPED, UNSCOPED_ARTIFACTS
from avwap.strategies.registry import REGISTRY, load_strategy

DOC = (Path(__file__).resolve().parents[3] / "docs" / "STRATEGIES.md").read_text(encoding="utf-8")


def test_the_doc_lists_every_strategy_with_its_books() -> None:
    for strategy_id, module in REGISTRY.items():
        row = next(line for line in DOC.splitlines() if line.startswith(f"| `{strategy_id}` |"))
        assert f"`{module}`" in row
        books = load_strategy(strategy_id).metadata.books
        assert row.endswith(" | as S1 |") or all(book in row for book in books), row


def test_the_doc_lists_the_allow_lists_and_codes() -> None:
    for name in BOOK_SCOPED:
        assert name == "RecordBase" or f"| `{name}` |" in DOC, name
    for folder in UNSCOPED_ARTIFACTS:
        assert f"`{folder}`" in DOC, folder
    for code in (reasons.STRATEGY_UNKNOWN, reasons.STRATEGY_BOOK_NOT_ALLOWED, reasons.STRATEGY_NOT_ROUTABLE):
        assert f"`{code}`" in DOC and code in reasons.REASONS
