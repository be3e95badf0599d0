"""No anonymous trades (Phase S0): every ledger record type requires a strategy_id or is book-scoped on the
documented allow-list (avwap.ledger.scope.BOOK_SCOPED). Types are discovered, not listed by hand."""

from __future__ import annotations

import inspect
import typing

import msgspec
import pytest
from tests.unit.ledger import factories

from avwap.ledger import records
from avwap.ledger.scope import BOOK_SCOPED


def struct_types() -> dict[str, type[msgspec.Struct]]:
    """Every msgspec Struct of the record modules (avwap.ledger.record_*), which records exports."""
    return {
        name: value
        for name, value in vars(records).items()
        if inspect.isclass(value)
        and issubclass(value, msgspec.Struct)
        and value.__module__.startswith("avwap.ledger.record_")
    }


def requires_strategy(cls: type[msgspec.Struct]) -> bool:
    """True when ``strategy_id`` is a field without a default whose type is exactly ``str``."""
    hints = typing.get_type_hints(cls)
    fields = {field.name: field for field in msgspec.structs.fields(cls)}
    field = fields.get("strategy_id")
    return field is not None and field.required and hints["strategy_id"] is str


def test_every_record_type_is_strategy_scoped_or_on_the_book_allow_list() -> None:
    discovered = struct_types()
    assert set(records.RECORD_TYPES) <= set(discovered)  # discovery sees every tagged record
    unscoped = sorted(
        name for name, cls in discovered.items() if not requires_strategy(cls) and name not in BOOK_SCOPED
    )
    assert unscoped == [], f"record types without a required strategy_id: {unscoped}"


def test_the_allow_list_is_exact_and_documented() -> None:
    discovered = struct_types()
    for name, why in BOOK_SCOPED.items():
        assert name in discovered, f"stale allow-list entry {name}"
        assert not requires_strategy(discovered[name]), f"{name} is strategy-scoped: drop it from the list"
        assert len(why) > 40, name


def test_the_trade_lifecycle_is_strategy_scoped() -> None:
    lifecycle = (
        "TradeIntent", "Decision", "OrderSubmitted", "OrderAcknowledged", "OrderRejected", "OrderCanceled",
        "OrderReplaced", "Fill", "PositionOpened", "PositionClosed", "ExitEvent", "PortfolioDecisionLine",
    )  # fmt: skip
    discovered = struct_types()
    assert all(requires_strategy(discovered[name]) for name in lifecycle)


def test_a_record_without_strategy_id_is_refused() -> None:
    plain = records.encode_record(factories.intent())
    del plain["strategy_id"]
    with pytest.raises(records.RecordValidationError, match="strategy_id"):
        records.decode_record(plain)
