"""The tamper-evident chain of a ledger file: pure functions over bytes, no I/O.

Each line is the canonical JSON of an envelope ``{"hash", "prev_hash", "record", "seq"}`` plus ``\\n``:
``seq`` counts lines from 1 in each file, ``prev_hash`` is the previous line's ``hash`` and
``hash = sha256(canonical_json({"prev_hash", "record", "seq"}))``. Editing, removing, reordering or
inserting a line therefore breaks the chain at the first line touched.

The first line of a file also carries ``anchor = {"file", "seq"}`` (inside the hash): the name and last
``seq`` of the previous non-empty file of the same book or stream, whose last ``hash`` is the first line's
``prev_hash``. The first file of a stream anchors to the genesis (``file`` null, ``seq`` 0, 64 zeros). Files
are thereby chained too: a deleted day, or a predecessor cut at a line boundary, no longer matches its
successor's anchor (checked by :mod:`avwap.ledger.links`; a file alone cannot know its neighbours).

Public API::

    GENESIS_HASH                                   64 zeros, the prev_hash of the first file's seq 1
    ChainTail(seq, hash)                           where a file ends (seq 0 / GENESIS_HASH when empty)
    Anchor(file, seq, hash)                        what a file's first line commits to (GENESIS_ANCHOR)
    Envelope(seq, prev_hash, hash, record, anchor) one parsed line (anchor only on seq 1)
    seal(record, tail, anchor) -> (Envelope, bytes)   the next line to append (with its newline)
    seal_plain(plain, tail, anchor)                the same for a record to_plain already returned
    scan(data, tail, path=..., ...) -> ChainScan   validate lines that continue ``tail``
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from json.encoder import encode_basestring
from typing import Any, Final

import msgspec

from avwap.core.canonical import canonical_json, plain_canonical_json, sha256_hex, to_plain
from avwap.core.errors import LedgerIntegrityError

GENESIS_HASH: Final = "0" * 64
ENVELOPE_KEYS: Final = frozenset({"seq", "prev_hash", "hash", "record"})
FIRST_ENVELOPE_KEYS: Final = ENVELOPE_KEYS | {"anchor"}
ANCHOR_KEYS: Final = frozenset({"file", "seq"})
_FILE_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}\.jsonl$")


class ChainTail(msgspec.Struct, frozen=True):
    """The last ``seq`` and ``hash`` of a file; the empty file is ``ChainTail()``."""

    seq: int = 0
    hash: str = GENESIS_HASH


class Anchor(msgspec.Struct, frozen=True):
    """The end of the previous file (``file`` None: the stream's genesis) that a first line commits to."""

    file: str | None = None
    seq: int = 0
    hash: str = GENESIS_HASH

    @property
    def tail(self) -> ChainTail:
        return ChainTail(self.seq, self.hash)

    def describe(self) -> str:
        return "the genesis" if self.file is None else f"{self.file} seq {self.seq} hash {self.hash[:12]}"


GENESIS_ANCHOR: Final = Anchor()


class Envelope(msgspec.Struct, frozen=True):
    """One ledger line: the record (plain JSON values) with its place in the chain."""

    seq: int
    prev_hash: str
    hash: str
    record: dict[str, Any]
    anchor: Anchor | None = None

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
    anchor: Anchor | None = None  # the first line's anchor, when the scan started at the top of a file


def _digest(seq: int, prev_hash: str, record: Any, anchor: Any = None) -> str:
    body = {"seq": seq, "prev_hash": prev_hash, "record": record}
    if anchor is not None:
        body["anchor"] = anchor
    return sha256_hex(canonical_json(body))


def seal(record: Mapping[str, Any], tail: ChainTail, anchor: Anchor | None = None) -> tuple[Envelope, bytes]:
    """Wrap ``record`` as the line after ``tail``; returns the envelope and the bytes to write.

    The first line of a file (``tail.seq == 0``) commits to ``anchor`` (default: the genesis). The record
    is serialized once: the hashed body and the line are the canonical JSON of the envelope's fields
    around those bytes (:func:`_envelope_bytes`, equal to :func:`_digest`'s and :func:`line_fields`'s)."""
    plain = to_plain(record)
    if not isinstance(plain, dict):
        raise TypeError(f"a ledger record must be a JSON object, got {type(record).__name__}")
    return seal_plain(plain, tail, anchor)


def seal_plain(
    plain: dict[str, Any], tail: ChainTail, anchor: Anchor | None = None
) -> tuple[Envelope, bytes]:
    """:func:`seal` of a record that :func:`~avwap.core.canonical.to_plain` just returned (the ledger's
    writer makes every record plain first), without walking it again; the same envelope and bytes."""
    body = plain_canonical_json(plain)
    seq = tail.seq + 1
    first = None if seq != 1 else anchor or GENESIS_ANCHOR
    prev_hash = tail.hash if first is None else first.hash
    committed = None if first is None else canonical_json({"file": first.file, "seq": first.seq})
    digest = sha256_hex(_envelope_bytes(committed, None, prev_hash, body, seq))
    envelope = Envelope(seq, prev_hash, digest, plain, first)
    return envelope, _envelope_bytes(committed, digest, prev_hash, body, seq) + b"\n"


def _envelope_bytes(
    anchor: bytes | None, digest: str | None, prev_hash: str, record: bytes, seq: int
) -> bytes:
    """Canonical JSON of ``{anchor?, hash?, prev_hash, record, seq}`` (keys in sorted order, compact) from
    the canonical bytes of the record and of the anchor."""
    parts = [b"{"]
    if anchor is not None:
        parts += [b'"anchor":', anchor, b","]
    if digest is not None:
        parts += [b'"hash":', _json_string(digest), b","]
    parts += [b'"prev_hash":', _json_string(prev_hash), b',"record":', record, b',"seq":', b"%d" % seq, b"}"]
    return b"".join(parts)


def _json_string(text: str) -> bytes:
    """``canonical_json(text)`` of a str: json's own string encoder (what ``json.dumps`` calls for a str
    with ``ensure_ascii=False``), without the rest of ``json.dumps``."""
    return encode_basestring(text).encode("utf-8")


def line_fields(envelope: Envelope) -> dict[str, Any]:
    line: dict[str, Any] = {
        "seq": envelope.seq,
        "prev_hash": envelope.prev_hash,
        "hash": envelope.hash,
        "record": envelope.record,
    }
    if envelope.anchor is not None:
        line["anchor"] = {"file": envelope.anchor.file, "seq": envelope.anchor.seq}
    return line


def _anchor_problem(parsed: dict[str, Any]) -> str | None:
    anchor = parsed.get("anchor")
    if not isinstance(anchor, dict) or set(anchor) != ANCHOR_KEYS:
        return "first line has no anchor {file, seq} to its predecessor file"
    file, seq = anchor["file"], anchor["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        return f"anchor seq must be a count, found {seq!r}"
    if file is None:
        if seq != 0 or parsed["prev_hash"] != GENESIS_HASH:
            return "a genesis anchor (file null) must have seq 0 and a prev_hash of 64 zeros"
        return None
    if not isinstance(file, str) or not _FILE_NAME.fullmatch(file) or seq < 1:
        return f"anchor must name a predecessor file YYYY-MM-DD.jsonl with seq >= 1, found {anchor!r}"
    return None


def envelope_of(parsed: dict[str, Any]) -> Envelope:
    """The :class:`Envelope` of a parsed line already accepted by :func:`scan`."""
    raw_anchor = parsed.get("anchor")
    anchor = (
        None if raw_anchor is None else Anchor(raw_anchor["file"], raw_anchor["seq"], parsed["prev_hash"])
    )
    return Envelope(parsed["seq"], parsed["prev_hash"], parsed["hash"], parsed["record"], anchor)


def _reject_constant(token: str) -> Any:
    raise ValueError(f"non-finite number {token}")


def _parse(raw: bytes) -> Any:
    return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)


def _without_hash(canonical: bytes, recorded: Any) -> bytes:
    """The hashed body (:func:`_digest`'s bytes) cut out of the canonical JSON of the whole envelope: with
    sorted keys and compact separators, dropping the ``"hash"`` member leaves exactly the canonical JSON of
    the other members, so a line is encoded once, not twice. A bare ``"hash":`` can only be a key (inside a
    JSON string a quote is escaped) and the only object before it is the anchor, whose keys are checked."""
    start = canonical.index(b'"hash":')
    end = start + len(b'"hash":') + len(canonical_json(recorded)) + 1  # the member and its comma
    return canonical[:start] + canonical[end:]


def _check(parsed: Any, raw: bytes, tail: ChainTail) -> str | None:
    """Why ``parsed`` (the line ``raw``) cannot follow ``tail``; None when it can.

    The first line's ``prev_hash`` is not compared with ``tail`` (it names the previous *file*'s end, which
    :mod:`avwap.ledger.links` checks); its anchor must be well formed and is covered by the hash."""
    first = tail.seq == 0
    if not isinstance(parsed, dict) or set(parsed) != (FIRST_ENVELOPE_KEYS if first else ENVELOPE_KEYS):
        expected_keys = "seq, prev_hash, hash, record" + (", anchor" if first else "")
        return f"not a ledger envelope (expected exactly {expected_keys})"
    seq = parsed["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool) or seq != tail.seq + 1:
        return f"sequence gap: expected seq {tail.seq + 1}, found {seq!r}"
    if not isinstance(parsed["prev_hash"], str):
        return "prev_hash is not a string"
    if first:
        problem = _anchor_problem(parsed)
        if problem is not None:
            return problem
    elif parsed["prev_hash"] != tail.hash:
        return "broken chain: prev_hash does not match the previous line's hash"
    if not isinstance(parsed["record"], dict):
        return "record is not a JSON object"
    try:
        canonical = canonical_json(parsed)
        expected = sha256_hex(_without_hash(canonical, parsed["hash"]))
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
    anchor: Anchor | None = None
    while position < len(data):
        line_number = current.seq + 1
        newline = data.find(b"\n", position)
        if newline == -1:
            return ChainScan(
                envelopes, current, position, data[position:], "no trailing newline", anchor=anchor
            )
        raw = data[position:newline]
        try:
            parsed = _parse(raw)
        except ValueError as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            if newline + 1 == len(data):
                torn_reason = f"unparsable: {error}"
                return ChainScan(envelopes, current, position, data[position:], torn_reason, anchor=anchor)
            message = f"unparsable line at byte {offset + position}: {error}"
            failure = LedgerIntegrityError(path, line_number, message)
            return ChainScan(envelopes, current, position, error=failure, anchor=anchor)
        problem = _check(parsed, raw, current)
        if problem is not None:
            failure = LedgerIntegrityError(path, line_number, problem)
            return ChainScan(envelopes, current, position, error=failure, anchor=anchor)
        envelope = envelope_of(parsed)
        if envelope.anchor is not None:
            anchor = envelope.anchor
        if keep:
            envelopes.append(envelope)
        current = envelope.tail
        position = newline + 1
    return ChainScan(envelopes, current, position, anchor=anchor)
