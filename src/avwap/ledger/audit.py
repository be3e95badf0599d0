"""The daily audit seal: an ``AUDIT`` stream whose records commit, under a key kept outside the home, to
the head of every ledger file of a day (see docs/LEDGER.md, "Audit trail").

A seal of day D lists one *entry* ``{"name","file","seq","hash"}`` per non-empty ledger file dated D (every
book and stream except ``AUDIT`` itself), at the line that was last when it was sealed, sorted by name.
``root = sha256(canonical_json({"day": D, "entries": [...]}))`` (a digest over the whole sorted list), and
``mac = HMAC-SHA256(key, canonical_json({"day","key_id","previous_mac","root"}))``: ``previous_mac`` is the
mac of the seal before it, so seals are chained too and removing one in the middle breaks the next one.

Why it stops a forger: the hash chain alone is unkeyed, so whoever rewrites a line (a quantity 11 -> 110)
can recompute every later hash, anchor and head. The root of that day then changes; rewriting the seal's
root to match needs a new mac, which needs the key (outside the home). Deleting the newest seal is caught by
the external anchor file (:mod:`avwap.ledger.audit_key`).

Public API::

    AUDIT                                     the stream name
    seal_day(root, day, key, clock, *, anchor_file=None, home=None) -> dict   append the seal, return it
    day_entries(root, day) -> list[dict]      the entries a seal of ``day`` commits to (chains checked)
    verify_seals(root, key, anchors=None) -> AuditCheck
    read_seals(root, key, anchors=None) -> SealsRead; check_sealed_lines(root, read, known) -> AuditCheck
                                              the same in two halves (the first needs no ledger file)
    AuditProblem(path, line, reason); AuditCheck(seals, sealed_days, unsealed_days, problems, authenticated)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import msgspec

from avwap.core.calendar import ny_date
from avwap.core.canonical import canonical_json, content_hash
from avwap.core.clock import Clock
from avwap.core.errors import LedgerIntegrityError
from avwap.ledger.audit_key import AuditKey, append_anchor
from avwap.ledger.chain import Envelope, scan
from avwap.ledger.links import peek_last_envelope
from avwap.ledger.paths import ledger_date, ledger_file, list_ledger_files, list_ledger_names
from avwap.ledger.router import Ledger, read_linked
from avwap.ledger.verify import verify_path

AUDIT: Final = "AUDIT"
SEAL_TYPE: Final = "AuditSeal"
SEAL_VERSION: Final = 1


class AuditProblem(msgspec.Struct, frozen=True):
    path: str
    line: int | None
    reason: str

    @property
    def location(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


class AuditCheck(msgspec.Struct, frozen=True):
    """What :func:`verify_seals` found; ``authenticated``: the macs were checked with a key."""

    seals: int
    sealed_days: list[str]
    unsealed_days: list[str]
    problems: list[AuditProblem]
    authenticated: bool


def day_entries(root: Path, day: dt.date) -> list[dict[str, Any]]:
    """Entries of every non-empty ledger file dated ``day``; refuses (LedgerIntegrityError) to seal a file
    whose chain or links are already broken: a seal must never bless damage."""
    entries = []
    for name in list_ledger_names(root):
        path = ledger_file(root, name, day)
        if name == AUDIT or not path.is_file():
            continue
        report = next(item for item in verify_path(path) if item.path == str(path))
        if report.integrity_failure:
            raise LedgerIntegrityError(report.path, report.bad_line or 0, f"cannot seal: {report.reason}")
        if report.last_seq:
            entries.append(
                {"name": name, "file": path.name, "seq": report.last_seq, "hash": report.last_hash}
            )
    return entries


def seal_root(day: str, entries: list[dict[str, Any]]) -> str:
    return content_hash({"day": day, "entries": entries})


def _mac_message(day: str, key_id: str, previous_mac: str | None, root: str) -> bytes:
    return canonical_json({"day": day, "key_id": key_id, "previous_mac": previous_mac, "root": root})


def _seals(root: Path) -> list[tuple[Path, Envelope]]:
    return [
        (path, envelope)
        for path, envelopes in read_linked(root, AUDIT)
        for envelope in envelopes
        if envelope.record.get("type") == SEAL_TYPE
    ]


def _last_mac(root: Path) -> str | None:
    """The mac of the newest seal: O(1) from the end of the newest AUDIT file, else by reading the stream."""
    files = list_ledger_files(root, AUDIT)
    peeked = peek_last_envelope(files[-1]) if files else None
    if peeked is not None and peeked[1].record.get("type") == SEAL_TYPE:
        return str(peeked[1].record["mac"])
    earlier = _seals(root) if files else []
    return str(earlier[-1][1].record["mac"]) if earlier else None


def seal_day(
    root: Path,
    day: dt.date,
    key: AuditKey,
    clock: Clock,
    *,
    anchor_file: Path | None = None,
    home: Path | None = None,
) -> dict[str, Any]:
    """Seal ``day``: append its AuditSeal to today's AUDIT file, then anchor it outside the home."""
    root = Path(root)
    entries = day_entries(root, day)
    previous_mac = _last_mac(root)
    digest = seal_root(day.isoformat(), entries)
    mac = key.mac(_mac_message(day.isoformat(), key.key_id, previous_mac, digest))
    now = clock.now()
    record = {
        "type": SEAL_TYPE,
        "book_id": AUDIT,
        "date_ny": ny_date(now).isoformat(),
        "version": SEAL_VERSION,
        "sealed_day": day.isoformat(),
        "ts": now,
        "entries": entries,
        "root": digest,
        "key_id": key.key_id,
        "previous_mac": previous_mac,
        "mac": mac,
    }
    Ledger(root).append_stream(AUDIT, ny_date(now), record)
    if anchor_file is not None:
        append_anchor(anchor_file, home if home is not None else root.parent, _anchor_line(record))
    return record


def _anchor_line(record: dict[str, Any]) -> dict[str, Any]:
    return {"day": record["sealed_day"], "mac": record["mac"], "root": record["root"]}


class _Lines:
    """The hash of each line of a ledger file, read once (verification may consult a file several times)."""

    def __init__(self, known: Mapping[Path, Callable[[int], str | None]] | None = None) -> None:
        self.cache: dict[Path, list[str] | None] = {}
        self.known = known or {}

    def hash_at(self, path: Path, seq: int) -> str | None:
        if path in self.known:  # hashes of a file whose chain was just verified (``ledger verify --all``)
            try:
                return self.known[path](seq)
            except LookupError:  # the file changed since: read it as any other file
                pass
        peeked = peek_last_envelope(path) if path not in self.cache else None
        if peeked is not None and peeked[1].seq == seq:
            return peeked[
                1
            ].hash  # sealed at its last line (the common case): O(1); the chain is verified apart
        if path not in self.cache:
            self.cache[path] = (
                [item.hash for item in scan(path.read_bytes(), path=str(path)).envelopes]
                if path.is_file()
                else None
            )
        hashes = self.cache[path]
        return None if hashes is None or not 0 < seq <= len(hashes) else hashes[seq - 1]


def _seal_problems(
    record: dict[str, Any], previous_mac: str | None, key: AuditKey | None
) -> tuple[list[str], list[dict[str, Any]]]:
    """What is wrong with one seal on its own (mac chain, root, key, HMAC), and the entries whose sealed
    lines remain to be compared with the files (:func:`_entry_problems`)."""
    day, entries = record.get("sealed_day"), record.get("entries")
    if not isinstance(day, str) or not isinstance(entries, list):
        return ["not an AuditSeal (sealed_day, entries)"], []
    reasons = []
    if record.get("previous_mac") != previous_mac:
        reasons.append("previous_mac does not name the seal before it: a seal was removed or reordered")
    if seal_root(day, entries) != record.get("root"):
        reasons.append(f"root of {day} does not match its entries")
    if key is not None:
        if record.get("key_id") != key.key_id:
            reasons.append(f"sealed with key {record.get('key_id')}, not the configured key {key.key_id}")
        expected = key.mac(_mac_message(day, key.key_id, record.get("previous_mac"), str(record.get("root"))))
        if expected != record.get("mac"):
            reasons.append(f"HMAC of the {day} root does not match: the seal was rewritten without the key")
    return reasons, entries


def _entry_problems(root: Path, entries: list[dict[str, Any]], lines: _Lines) -> list[str]:
    reasons = []
    for entry in entries:
        path = root.joinpath(str(entry.get("name")), str(entry.get("file")))
        found = lines.hash_at(path, int(entry.get("seq", 0)))
        if found != entry.get("hash"):
            what = "is missing" if found is None else "differs"
            reasons.append(
                f"{entry.get('name')}/{entry.get('file')} line {entry.get('seq')} {what} since sealed"
            )
    return reasons


class SealCheck(msgspec.Struct, frozen=True):
    """One seal checked on its own: where it is, what is wrong with it, and the entries still to compare
    with the ledger files (none for a seal past ``until`` or one that is not a seal)."""

    path: str
    line: int
    reasons: list[str]
    entries: list[dict[str, Any]]


class SealsRead(msgspec.Struct, frozen=True):
    """Everything :func:`verify_seals` checks that does not read the sealed files (:func:`read_seals`)."""

    seals: list[SealCheck]
    stream_problems: list[AuditProblem]
    anchor_problems: list[AuditProblem]
    sealed_days: list[str]
    unsealed_days: list[str]
    authenticated: bool


def read_seals(
    root: Path,
    key: AuditKey | None,
    anchors: list[dict[str, Any]] | None = None,
    *,
    until: dt.date | None = None,
) -> SealsRead:
    """The first half of :func:`verify_seals`: the AUDIT stream read, every seal's mac chain, root and HMAC,
    the external anchors and the unsealed days; the sealed lines are compared by :func:`check_sealed_lines`.
    Picklable both ways, so ``verify --all`` runs it in a worker while other workers scan the chains."""
    root = Path(root)
    stream_problems: list[AuditProblem] = []
    seals: list[tuple[Path, Envelope]] = []
    if (root / AUDIT).is_dir():
        try:
            seals = _seals(root)
        except LedgerIntegrityError as error:
            stream_problems.append(AuditProblem(error.path, error.line_number, "AUDIT stream: " + str(error)))
    previous_mac: str | None = None
    checks = []
    for path, envelope in seals:
        later = until is not None and str(envelope.record.get("sealed_day")) > until.isoformat()
        reasons, entries = _seal_problems(envelope.record, previous_mac, key)
        checks.append(SealCheck(str(path), envelope.seq, reasons, [] if later else entries))
        previous_mac = envelope.record.get("mac")
    days = {str(envelope.record.get("sealed_day")) for _, envelope in seals}
    sealed = sorted(day for day in days if until is None or day <= until.isoformat())
    macs = {envelope.record.get("mac") for _, envelope in seals}
    anchor_problems = [
        AuditProblem(
            str(root / AUDIT),
            None,
            f"the seal of {anchor.get('day')} anchored outside the home is missing from the AUDIT "
            "stream: history was rewritten or cut",
        )
        for anchor in anchors or []
        if anchor.get("mac") not in macs
    ]
    return SealsRead(
        checks, stream_problems, anchor_problems, sealed, _unsealed(root, set(sealed)), key is not None
    )


def check_sealed_lines(
    root: Path, read: SealsRead, known: Mapping[Path, Callable[[int], str | None]] | None = None
) -> AuditCheck:
    """The second half of :func:`verify_seals`: every entry's sealed line still in its file (``known``: the
    line hashes of files whose chains the caller has just verified, so they are not read again)."""
    root = Path(root)
    lines = _Lines(known)
    problems = list(read.stream_problems)
    for seal in read.seals:
        for reason in seal.reasons + _entry_problems(root, seal.entries, lines):
            problems.append(AuditProblem(seal.path, seal.line, reason))
    problems += read.anchor_problems
    return AuditCheck(len(read.seals), read.sealed_days, read.unsealed_days, problems, read.authenticated)


def verify_seals(
    root: Path,
    key: AuditKey | None,
    anchors: list[dict[str, Any]] | None = None,
    *,
    until: dt.date | None = None,
    known: Mapping[Path, Callable[[int], str | None]] | None = None,
) -> AuditCheck:
    """Check every seal (chain of macs, roots, HMACs with ``key``, sealed lines still in place) and that
    every external anchor names a seal still in the stream. Problems name the AUDIT file and line.
    ``until`` (an audit bundle's last day): seals of later days keep their mac checks, not their lines.
    ``known``: the line hashes (by 1-based seq) of files whose chains the caller has just verified, so
    they are not read again."""
    return check_sealed_lines(root, read_seals(root, key, anchors, until=until), known)


def _unsealed(root: Path, sealed: set[str]) -> list[str]:
    days = {
        day.isoformat()
        for name in list_ledger_names(root)
        if name != AUDIT
        for path in list_ledger_files(root, name)
        if (day := ledger_date(path)) is not None and path.stat().st_size
    }
    return sorted(days - sealed)
