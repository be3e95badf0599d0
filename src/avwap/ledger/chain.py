"""The tamper-evident chain of a ledger file: pure functions over bytes, no I/O.

Each line is the canonical JSON of an envelope ``{"hash", "prev_hash", "record", "seq"}`` plus ``\\n``:
``seq`` counts lines from 1 in each file, ``prev_hash`` is the previous line's ``hash`` (64 zeros on the first
line) and ``hash = sha256(canonical_json({"prev_hash", "record", "seq"}))``. Editing, removing, reordering or
inserting a line therefore breaks the chain at the first line touched.

Public API::

    GENESIS_HASH                                   64 zeros, the prev_hash of seq 1
    ChainTail(seq, hash)                           where a file ends (seq 0 / GENESIS_HASH when empty)
    Envelope(seq, prev_hash, hash, record)         one parsed line
    seal(record, tail) -> (Envelope, bytes)        the next line to append (with its newline)
    scan(data, tail, path=..., ...) -> ChainScan   validate lines that continue ``tail``
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import msgspec

from avwap.core.canonical import canonical_json, sha256_hex, to_plain
from avwap.core.errors import LedgerIntegrityError

GENESIS_HASH: Final = "0" * 64
ENVELOPE_KEYS: Final = frozenset({"seq", "prev_hash", "hash", "record"})


class ChainTail(msgspec.Struct, frozen=True):
    """The last ``seq`` and ``hash`` of a file; the empty file is ``ChainTail()``."""

    seq: int = 0
    hash: str = GENESIS_HASH


class Envelope(msgspec.Struct, frozen=True):
    """One ledger line: the record (plain JSON values) with its place in the chain."""

    seq: int
    prev_hash: str
    hash: str
    record: dict[str, Any]

    @property
    def tail(self) -> ChainTail:
        return ChainTail(self.seq, self.hash)


class ChainScan(msgspec.Struct, frozen=True):
    """Result of :func:`scan`.

    ``envelopes`` are the valid lines; ``valid_length`` the bytes they span. ``torn`` holds the bytes of a
    torn last line (to quarantine) and ``error`` the first bad line in the middle; at most one is set.
    """

    envelopes: list[Envelope]
    tail: ChainTail
    valid_length: int
    torn: bytes | None = None
    torn_reason: str = ""
    error: LedgerIntegrityError | None = None


def _digest(seq: int, prev_hash: str, record: Any) -> str:
    return sha256_hex(canonical_json({"seq": seq, "prev_hash": prev_hash, "record": record}))


def seal(record: Mapping[str, Any], tail: ChainTail) -> tuple[Envelope, bytes]:
    """Wrap ``record`` as the line after ``tail``; returns the envelope and the bytes to write."""
    plain = to_plain(record)
    if not isinstance(plain, dict):
        raise TypeError(f"a ledger record must be a JSON object, got {type(record).__name__}")
    seq = tail.seq + 1
    envelope = Envelope(seq=seq, prev_hash=tail.hash, hash=_digest(seq, tail.hash, plain), record=plain)
    return envelope, canonical_json(envelope) + b"\n"


def _reject_constant(token: str) -> Any:
    raise ValueError(f"non-finite number {token}")


def _parse(raw: bytes) -> Any:
    return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)


def _check(parsed: Any, raw: bytes, tail: ChainTail) -> str | None:
    """Why ``parsed`` (the line ``raw``) cannot follow ``tail``; None when it can."""
    if not isinstance(parsed, dict) or set(parsed) != ENVELOPE_KEYS:
        return "not a ledger envelope (expected exactly seq, prev_hash, hash, record)"
    seq = parsed["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq != tail.seq + 1:
        return f"sequence gap: expected seq {tail.seq + 1}, found {seq!r}"
    if parsed["prev_hash"] != tail.hash:
        return "broken chain: prev_hash does not match the previous line's hash"
    if not isinstance(parsed["record"], dict):
        return "record is not a JSON object"
    try:
        expected = _digest(seq, parsed["prev_hash"], parsed["record"])
        canonical = canonical_json(parsed)
    except (TypeError, ValueError) as error:
        return f"record cannot be serialized canonically: {error}"
    if parsed["hash"] != expected:
        return "hash mismatch: the line was altered after it was written"
    if canonical != raw:
        return "line is not canonical JSON (re-encoded by something other than the ledger)"
    return None


def scan(
    data: bytes, tail: ChainTail | None = None, *, path: str = "<memory>", offset: int = 0, keep: bool = True
) -> ChainScan:
    """Validate ``data`` (lines that follow ``tail``) and report valid lines, a torn tail or the first error.

    A last line without its newline, or a last line that is not JSON at all, is *torn* (a crash mid-write);
    anything else that fails is an integrity error pointing at its 1-based line number. ``offset`` is where
    ``data`` starts in the file, used only for messages; ``keep=False`` skips collecting envelopes.
    """
    envelopes: list[Envelope] = []
    position = 0
    current = tail or ChainTail()
    while position < len(data):
        line_number = current.seq + 1
        newline = data.find(b"\n", position)
        if newline == -1:
            return ChainScan(envelopes, current, position, data[position:], "no trailing newline")
        raw = data[position:newline]
        try:
            parsed = _parse(raw)
        except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            if newline + 1 == len(data):
                return ChainScan(envelopes, current, position, data[position:], f"unparsable: {error}")
            message = f"unparsable line at byte {offset + position}: {error}"
            return ChainScan(
                envelopes, current, position, error=LedgerIntegrityError(path, line_number, message)
            )
        problem = _check(parsed, raw, current)
        if problem is not None:
            return ChainScan(
                envelopes, current, position, error=LedgerIntegrityError(path, line_number, problem)
            )
        envelope = Envelope(parsed["seq"], parsed["prev_hash"], parsed["hash"], parsed["record"])
        if keep:
            envelopes.append(envelope)
        current = envelope.tail
        position = newline + 1
    return ChainScan(envelopes, current, position)
