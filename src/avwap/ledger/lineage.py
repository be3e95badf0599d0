"""The lineage of a trade (Phase S1): intent -> decision -> order -> fill -> position -> exit, both ways.

Every ledger record names the ids it descends from (see :mod:`avwap.ledger.record_ids`): a decision its
``intent_id``; an entry order its ``intent_id`` and ``decision_id``; a fill its ``order_id``,
``client_order_id`` and ``position_id``; a position the ``intent_id`` that opened it; an exit event, a stop
order and the close their ``position_id``; order lifecycle records (acknowledged, rejected, canceled,
replaced) their ``client_order_id``, and a replacement the ``new_client_order_id`` it created.

:func:`trace` starts from any one id (intent, decision, order or client order id, fill, position, exit) and
follows those links to a fixed point, upstream and downstream alike, so the answer is the same whichever id
of the lineage it starts from. It works on plain record dicts (what the ledger stores), so records of every
book and stream take part. Only well-formed stable ids are followed: a placeholder such as the
``int_adopted`` of adopted broker orders would otherwise join unrelated lineages.

Public API::

    LedgerRow(name, date, seq, record)          one stored record and where it is
    trace(rows, identifier) -> Lineage          DataError-free: an id no record carries gives an empty lineage
    Lineage.rows, Lineage.chain, Lineage.strategy_ids
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

# The id fields a record may carry, in lineage order; each names one kind of link.
LINK_FIELDS: Final = (
    "intent_id",
    "decision_id",
    "order_id",
    "client_order_id",
    "new_order_id",
    "new_client_order_id",
    "fill_id",
    "fill_ids",
    "position_id",
    "exit_id",
)
# The fields an id given on the command line is looked up in.
SEED_FIELDS: Final = (*LINK_FIELDS, "broker_order_id", "broker_fill_id")
# The stage of each record type in the walk intent -> decision -> order -> fill -> position -> exit.
STAGES: Final[Mapping[str, str]] = {
    "TradeIntent": "intent",
    "AllocationTradeIntent": "intent",
    "Note": "intent",
    "ConflictResolved": "intent",
    "Decision": "decision",
    "OrderSubmitted": "order",
    "OrderAcknowledged": "order",
    "OrderRejected": "order",
    "OrderCanceled": "order",
    "OrderReplaced": "order",
    "Fill": "fill",
    "PositionOpened": "position",
    "ExitEvent": "exit",
    "PositionClosed": "exit",
}
STAGE_ORDER: Final = ("intent", "decision", "order", "fill", "position", "exit")
# The id that names each stage's records in the chain summary.
STAGE_IDS: Final[Mapping[str, str]] = {
    "TradeIntent": "intent_id",
    "AllocationTradeIntent": "intent_id",
    "Decision": "decision_id",
    "OrderSubmitted": "order_id",
    "Fill": "fill_id",
    "PositionOpened": "position_id",
    "ExitEvent": "exit_id",
}
_STABLE_ID: Final = re.compile(r"^[a-z]{3}_[0-9a-f]{32}$")


@dataclass(frozen=True)
class LedgerRow:
    """One stored record: its book or stream, its file's date, its line sequence and its plain fields."""

    name: str
    date: dt.date | None
    seq: int
    record: Mapping[str, Any]


@dataclass(frozen=True)
class Lineage:
    """The records linked to the traced id, in ledger order (book/stream, date, line)."""

    identifier: str
    rows: tuple[LedgerRow, ...] = ()
    chain: dict[str, list[str]] = field(default_factory=dict)

    @property
    def strategy_ids(self) -> tuple[str, ...]:
        found = {row.record.get("strategy_id") for row in self.rows}
        return tuple(sorted(item for item in found if isinstance(item, str)))


def _values(record: Mapping[str, Any], names: Iterable[str]) -> set[str]:
    values: set[str] = set()
    for name in names:
        value = record.get(name)
        if isinstance(value, str):
            values.add(value)
        elif isinstance(value, list | tuple):
            values.update(item for item in value if isinstance(item, str))
    return values


def _followable(value: str) -> bool:
    """Stable ids (``int_<32 hex>``...) and avwap's client order ids; never placeholders."""
    return bool(_STABLE_ID.fullmatch(value)) or value.startswith("avw-")


def _keys(record: Mapping[str, Any]) -> set[str]:
    return {value for value in _values(record, LINK_FIELDS) if _followable(value)}


def trace(rows: Iterable[LedgerRow], identifier: str) -> Lineage:
    """Every record linked to ``identifier`` through the lineage ids (see the module docstring)."""
    candidates = [row for row in rows if isinstance(row.record, Mapping) and _values(row.record, LINK_FIELDS)]
    seeds = [row for row in candidates if identifier in _values(row.record, SEED_FIELDS)]
    keys: set[str] = set().union(*(_keys(row.record) for row in seeds)) if seeds else set()
    keys.add(identifier)
    linked: list[LedgerRow] = []
    remaining = [(row, _keys(row.record)) for row in candidates]
    while True:  # grow the set of ids until no record adds one (a fixed point: both directions at once)
        found = [(row, own) for row, own in remaining if own & keys]
        if not found:
            break
        remaining = [(row, own) for row, own in remaining if not own & keys]
        for row, own in found:
            linked.append(row)
            keys |= own
    ordered = tuple(sorted({id(row): row for row in [*seeds, *linked]}.values(), key=_row_order))
    return Lineage(identifier, ordered, _chain(ordered))


def _row_order(row: LedgerRow) -> tuple[str, dt.date, int]:
    return (row.name, row.date or dt.date.min, row.seq)


def _chain(rows: tuple[LedgerRow, ...]) -> dict[str, list[str]]:
    """The ids of each stage, in ledger order (one entry lineage: one intent, one decision, ...)."""
    chain: dict[str, list[str]] = {stage: [] for stage in STAGE_ORDER}
    for row in rows:
        kind = str(row.record.get("type"))
        name = STAGE_IDS.get(kind)
        value = row.record.get(name) if name else None
        if isinstance(value, str) and value not in chain[STAGES[kind]]:
            chain[STAGES[kind]].append(value)
    return chain


def stage_of(record: Mapping[str, Any]) -> str:
    """The lineage stage of a record ("other" for a type outside the walk)."""
    return STAGES.get(str(record.get("type")), "other")
