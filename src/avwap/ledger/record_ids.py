"""Stable ids of ledger records: pure functions of the fields that define each record.

Built on :func:`avwap.core.ids.stable_id` (``<prefix>_<32 hex>``), so the same inputs give the same id in
any process, on any day, and a retry after a crash finds the record it already wrote. The chain::

    intent_id(book, strategy, date, symbol, side, setup, attempt)
      └─ decision_id(intent_id, outcome, approved_quantity, reason_codes)
      └─ client_order_id(intent_id, purpose, revision)       (avwap.core.ids; the broker-facing key)
           └─ order_id(book_id, client_order_id)
                └─ fill_id(order_id, broker_fill_id)
      └─ position_id(book, strategy, symbol, intent_id)        (the entry intent opens the position)
           └─ exit_id(position_id, kind, stop_revision, ts)
    cash_movement_id(book, date, kind, amount, reference)

All builders take keyword arguments only, so two fields can never be swapped silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from avwap.core.ids import stable_id


def intent_id(
    *, book_id: str, strategy_id: str, date_ny: dt.date, symbol: str, side: str, setup: str, attempt: int = 0
) -> str:
    """One entry idea per (book, strategy, day, symbol, side, setup); ``attempt`` numbers re-entries."""
    return stable_id(
        "int",
        {
            "book_id": book_id,
            "strategy_id": strategy_id,
            "date_ny": date_ny,
            "symbol": symbol,
            "side": str(side),
            "setup": setup,
            "attempt": attempt,
        },
    )


def decision_id(*, intent_id: str, outcome: str, approved_quantity: int, reason_codes: Sequence[str]) -> str:
    """The same verdict on the same intent has the same id (reason-code order is part of the verdict)."""
    return stable_id(
        "dec",
        {
            "intent_id": intent_id,
            "outcome": str(outcome),
            "approved_quantity": approved_quantity,
            "reason_codes": list(reason_codes),
        },
    )


def order_id(*, book_id: str, client_order_id: str) -> str:
    """Our id of the order known to the broker as ``client_order_id`` in ``book_id``."""
    return stable_id("ord", {"book_id": book_id, "client_order_id": client_order_id})


def fill_id(*, order_id: str, broker_fill_id: str) -> str:
    """One execution of an order; ``broker_fill_id`` is the broker's (or simulator's) execution id."""
    return stable_id("fil", {"order_id": order_id, "broker_fill_id": broker_fill_id})


def position_id(*, book_id: str, strategy_id: str, symbol: str, intent_id: str) -> str:
    """The position opened by the entry intent ``intent_id``."""
    return stable_id(
        "pos", {"book_id": book_id, "strategy_id": strategy_id, "symbol": symbol, "intent_id": intent_id}
    )


def exit_id(*, position_id: str, kind: str, stop_revision: int, ts: dt.datetime) -> str:
    """One exit-management event of a position at instant ``ts``."""
    return stable_id(
        "exi", {"position_id": position_id, "kind": str(kind), "stop_revision": stop_revision, "ts": ts}
    )


def cash_movement_id(*, book_id: str, date_ny: dt.date, kind: str, amount: Decimal, reference: str) -> str:
    """A deposit or withdrawal; ``reference`` tells apart equal movements on the same day (100 == 100.00)."""
    return stable_id(
        "evt",
        {
            "book_id": book_id,
            "date_ny": date_ny,
            "kind": str(kind),
            "amount": amount.normalize(),
            "reference": reference,
        },
    )


def resolution_id(*, intent_id: str, outcome: str, quantity: int, reason_codes: Sequence[str]) -> str:
    """The same conflict resolution of the same would-be intent has the same id (recorded once)."""
    return stable_id(
        "cfl",
        {
            "intent_id": intent_id,
            "outcome": outcome,
            "quantity": quantity,
            "reason_codes": list(reason_codes),
        },
    )


def confirmation_id(*, event_id: str) -> str:
    """One confirmation per Slack event: a retried delivery of the same event finds the record it wrote."""
    return stable_id("cnf", {"event_id": event_id})
