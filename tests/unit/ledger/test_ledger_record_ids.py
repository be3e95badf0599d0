from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avwap.core.ids import stable_id
from avwap.ledger import record_ids

DAY = dt.date(2026, 4, 1)
MOMENT = dt.datetime(2026, 4, 1, 15, 30, tzinfo=dt.UTC)

CASH_FIELDS: dict[str, Any] = {
    "book_id": "PAPER_SIM",
    "date_ny": DAY,
    "kind": "DEPOSIT",
    "amount": Decimal("100.00"),
    "reference": "seed",
}

# Pinned: a change here changes every id already written to ledgers (and breaks idempotency).
PINNED = [
    (
        record_ids.intent_id,
        {
            "book_id": "PAPER_SIM",
            "strategy_id": "S1_AVWAP_CORE",
            "date_ny": DAY,
            "symbol": "AAPL",
            "side": "BUY",
            "setup": "YTD",
        },
        "int_e6d296bfdd110ea8f8741114a77c2f8c",
    ),
    (
        record_ids.decision_id,
        {
            "intent_id": "int_x",
            "outcome": "REJECT",
            "approved_quantity": 0,
            "reason_codes": ("KILL_SWITCH", "MAX_ORDERS_PER_DAY"),
        },
        "dec_7b13742f6df74c0d74cb5a3f8ee2358e",
    ),
    (
        record_ids.order_id,
        {"book_id": "PAPER_SIM", "client_order_id": "avw-int_x-entry"},
        "ord_23546de5e631956ea45eaca40434a7fd",
    ),
    (
        record_ids.fill_id,
        {"order_id": "ord_x", "broker_fill_id": "b-1"},
        "fil_8b3d52e262eb54db21615e73494ac746",
    ),
    (
        record_ids.position_id,
        {"book_id": "PAPER_SIM", "strategy_id": "S1_AVWAP_CORE", "symbol": "AAPL", "intent_id": "int_x"},
        "pos_4db9f60d429deec74f61e0876ae84579",
    ),
    (
        record_ids.exit_id,
        {"position_id": "pos_x", "kind": "STOP_RATCHET", "stop_revision": 2, "ts": MOMENT},
        "exi_bdfd3da10b5a5a9f1666e3a78015ae8d",
    ),
    (record_ids.cash_movement_id, CASH_FIELDS, "evt_e1d6218d98f8d86fde2f572ef921aa77"),
]


@pytest.mark.parametrize(
    ("builder", "fields", "expected"), PINNED, ids=lambda value: getattr(value, "__name__", "")
)
def test_ids_are_pinned(builder: Any, fields: dict[str, Any], expected: str) -> None:
    assert builder(**fields) == expected
    assert builder(**dict(reversed(list(fields.items())))) == expected


def test_intent_id_matches_an_independent_computation() -> None:
    fields = {
        "attempt": 0,
        "book_id": "PAPER_SIM",
        "date_ny": "2026-04-01",
        "setup": "YTD",
        "side": "BUY",
        "strategy_id": "S1_AVWAP_CORE",
        "symbol": "AAPL",
    }
    text = json.dumps({"fields": fields, "kind": "int"}, sort_keys=True, separators=(",", ":"))
    assert PINNED[0][2] == "int_" + hashlib.sha256(text.encode()).hexdigest()[:32]


@pytest.mark.parametrize(
    ("builder", "fields", "expected"), PINNED, ids=lambda value: getattr(value, "__name__", "")
)
def test_every_defining_field_matters(builder: Any, fields: dict[str, Any], expected: str) -> None:
    for name, value in fields.items():
        changed: Any
        if isinstance(value, str):
            changed = value + "X"
        elif isinstance(value, dt.datetime):
            changed = value + dt.timedelta(seconds=1)
        elif isinstance(value, dt.date):
            changed = value + dt.timedelta(days=1)
        elif isinstance(value, tuple):
            changed = tuple(reversed(value))  # reason-code order is part of a verdict
        else:
            changed = value + 1
        assert builder(**{**fields, name: changed}) != expected, name


def test_equal_amounts_give_equal_cash_ids() -> None:
    assert record_ids.cash_movement_id(**{**CASH_FIELDS, "amount": Decimal("100")}) == PINNED[-1][2]


field_values = st.one_of(
    st.integers(), st.text(max_size=8), st.dates(), st.decimals(allow_nan=False, allow_infinity=False)
)


@given(
    st.dictionaries(st.text(min_size=1, max_size=6), field_values, max_size=6),
    st.randoms(use_true_random=False),
)
def test_stable_id_does_not_depend_on_key_order(fields: dict[str, Any], random: Any) -> None:
    items = list(fields.items())
    random.shuffle(items)
    assert stable_id("pos", dict(items)) == stable_id("pos", fields)


@given(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=5),
    st.dates(),
    st.sampled_from(["BUY", "SELL"]),
    st.integers(min_value=0, max_value=5),
)
def test_intent_ids_are_pure_functions(symbol: str, day: dt.date, side: str, attempt: int) -> None:
    arguments: dict[str, Any] = {
        "book_id": "PAPER_SIM",
        "strategy_id": "S1_AVWAP_CORE",
        "date_ny": day,
        "symbol": symbol,
        "side": side,
        "setup": "GAP",
        "attempt": attempt,
    }
    first = record_ids.intent_id(**arguments)
    assert first == record_ids.intent_id(**dict(reversed(list(arguments.items()))))
    assert first.startswith("int_") and len(first) == 36
    assert first != record_ids.intent_id(**{**arguments, "attempt": attempt + 1})
