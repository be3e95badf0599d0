"""Canonical JSON: the one byte representation of every record, artifact and id input.

Rules: keys sorted, compact separators, UTF-8, ``Decimal`` as its string, dates and datetimes as ISO-8601
(UTC datetimes end in ``Z``), tuples and lists as arrays, msgspec structs as objects. ``NaN`` and
``Infinity`` are rejected: a number that is not a number must be handled before serialization, never hidden.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import math
from collections.abc import Mapping
from decimal import Decimal
from pathlib import PurePath
from typing import Any, Final

import msgspec

# Exact types answered before the isinstance chain below (records are mostly these; the chain, with its
# ABC checks, is what made serialization a hot spot). Subclasses (a StrEnum is a str) still take the chain.
_AS_IS: Final = frozenset({str, int, bool, type(None)})


def _struct_fields(value: msgspec.Struct) -> dict[str, Any]:
    """The fields of ``value``; a Struct declared ``omit_defaults`` leaves out fields at their default (an
    optional field added later then keeps the bytes of everything written before it)."""
    fields = msgspec.structs.asdict(value)
    if not value.__struct_config__.omit_defaults:
        return fields
    defaults = {
        field.name: field.default
        for field in msgspec.structs.fields(value)
        if field.default is not msgspec.NODEFAULT
    }
    return {name: item for name, item in fields.items() if name not in defaults or item != defaults[name]}


def to_plain(value: Any) -> Any:
    """Convert ``value`` into JSON-ready builtins with canonical representations."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    # Leaves of the exact builtin types and str keys are taken as they are without a call per item (a
    # record is mostly those); anything else goes through to_plain as before.
    if kind is dict:
        return {
            (key if type(key) is str else str(key)): (item if type(item) in _AS_IS else to_plain(item))
            for key, item in value.items()
        }
    if kind is list or kind is tuple:
        return [item if type(item) in _AS_IS else to_plain(item) for item in value]
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"canonical JSON rejects non-finite float {value!r}")
        return value
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"canonical JSON rejects non-finite Decimal {value!r}")
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return format_utc(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return to_plain(value.value)
    if isinstance(value, msgspec.Struct):
        return to_plain(_struct_fields(value))
    if isinstance(value, Mapping):
        return {str(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(to_plain(item) for item in value)
    if isinstance(value, PurePath):
        return value.as_posix()
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return to_plain(value.item())
    raise TypeError(f"canonical JSON cannot encode {type(value).__name__}")


def format_utc(moment: dt.datetime) -> str:
    """ISO-8601 in UTC with a ``Z`` suffix; naive datetimes are refused (their zone is unknown)."""
    if moment.tzinfo is None:
        raise ValueError("canonical JSON refuses naive datetimes; attach a time zone")
    utc = moment.astimezone(dt.UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}"
    return text + "Z"


def canonical_json(value: Any) -> bytes:
    """Serialize ``value`` to canonical JSON bytes (no trailing newline)."""
    text = json.dumps(
        to_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def plain_canonical_json(plain: Any) -> bytes:
    """:func:`canonical_json` of a value :func:`to_plain` already returned (its output is its own plain
    form, so the walk is not repeated): the ledger serializes each record it has just made plain."""
    text = json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def canonical_text(value: Any) -> str:
    """Canonical JSON as ``str``."""
    return canonical_json(value).decode("utf-8")


def pretty_json(value: Any) -> str:
    """Stable, human-readable JSON (sorted keys, 2-space indent) for artifacts people read.

    The bytes of ``json.dumps(..., sort_keys=True, indent=2, ensure_ascii=False)``, made faster: the
    compact text comes from json's C encoder (an indent forces its pure-Python one) and msgspec re-indents
    it token by token (same separators, empty containers and escapes; tests compare the two)."""
    plain = to_plain(value)
    compact = json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    try:
        return msgspec.json.format(compact, indent=2) + "\n"
    except UnicodeEncodeError:  # a lone surrogate: msgspec needs UTF-8, json.dumps does not
        return json.dumps(plain, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def content_hash(value: Any) -> str:
    """sha256 of the canonical JSON of ``value``."""
    return sha256_hex(canonical_json(value))
