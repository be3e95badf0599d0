"""Stable ids: pure functions of their inputs, ``<prefix>_<sha256(canonical_json(fields))[:32]>``.

The same intent, order or position always gets the same id, across processes and restarts; that is what
makes idempotent retries and crash recovery possible.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from avwap.core.canonical import content_hash

ID_PREFIXES: Final = frozenset(
    {"int", "dec", "ord", "fil", "pos", "exi", "stp", "snp", "cand", "run", "evt", "tkt", "cnf", "cfl"}
)
DIGEST_LENGTH: Final = 32
CLIENT_ORDER_ID_PREFIX: Final = "avw-"  # every order avwap places carries it; anything else is foreign


def stable_id(prefix: str, fields: Mapping[str, Any]) -> str:
    """Return ``prefix_<digest>`` for ``fields``; the prefix must be a registered kind."""
    if prefix not in ID_PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}; known: {sorted(ID_PREFIXES)}")
    return f"{prefix}_{content_hash({'kind': prefix, 'fields': dict(fields)})[:DIGEST_LENGTH]}"


def client_order_id(intent_id: str, purpose: str = "entry", revision: int = 0) -> str:
    """Broker ``client_order_id`` derived from an intent id (never regenerated, at most 128 chars).

    ``purpose`` distinguishes the orders one intent may cause (``entry``, ``stop``); ``revision`` numbers
    stop replacements so each revision has its own derived id.
    """
    if not intent_id:
        raise ValueError("client_order_id needs an intent id")
    suffix = purpose if revision == 0 else f"{purpose}-r{revision}"
    value = f"{CLIENT_ORDER_ID_PREFIX}{intent_id}-{suffix}"
    if len(value) > 128:
        raise ValueError(f"client_order_id too long ({len(value)} > 128)")
    return value
