"""``avwap ledger verify --all``: every chain of every folder across files and days, every head, and every
audit seal (root, HMAC, sealed lines, external anchors). Exit 5 on any break, naming the first.

Speed: a home holds millions of lines, so the chains are checked on bytes. A line the writer made is
canonical JSON with its keys sorted (``hash`` < ``prev_hash`` < ``record`` < ``seq``), so the hashed body
``{"prev_hash":..,"record":..,"seq":N}`` is the line itself without its ``"hash":"<64 hex>",`` prefix: one
sha256 over a slice per line, no JSON re-encoding. If the slice hashes to the recorded hash it *is* the
canonical body (short of a sha256 collision), so canonicality comes free; one msgspec decode per file
checks every line is JSON with the envelope's fields. Anything unusual in a folder (a torn tail, a bad
line, a broken link or head) sends that folder through the full verifier (:mod:`avwap.ledger.verify`),
which names the first bad line. Record contracts of books (typed records, the fold) are checked by plain
``avwap ledger verify``; ``--all`` is about integrity across the whole history.

Files are checked in parallel worker processes (one task per folder) when there is more than one folder
and ``workers > 1``.

Public API::

    verify_all(root, key, anchors=None, *, workers=1, until=None) -> FullReport
    verify_chains(root, *, workers=1) -> (list[FileReport], bytes read)   chains, links, heads only
    FullReport(files, audit, records, bytes_read).first_break -> (location, reason) | None
"""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
from collections import deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from itertools import repeat
from pathlib import Path
from typing import Any

import msgspec
import numpy

from avwap.ledger.audit import AuditCheck, verify_seals
from avwap.ledger.audit_key import AuditKey
from avwap.ledger.chain import ChainTail, Envelope, scan
from avwap.ledger.links import LinkChecker
from avwap.ledger.paths import list_ledger_files, list_ledger_names
from avwap.ledger.verify import FileReport, FileStatus, _read_locked, _verify_folder

# A line after the first: {"hash":"<64 hex>","prev_hash":"<64 hex>","record":{...},"seq":N}
_HASH_PREFIX = b'{"hash":"'
_PREV_KEY = b'","prev_hash":"'
_FRONT = operator.itemgetter(slice(0, 152))  # '{"hash":"<64 hex>","prev_hash":"<64 hex>'
_FRONT_WIDTH = 152
_BRACE_STATE = hashlib.sha256(b"{")  # never updated: only copied
_SHA256 = type(_BRACE_STATE)
_AFTER_HASH = operator.itemgetter(slice(75, None))  # from '"prev_hash"' on: the hashed body without its "{"
_HEX = 64
_DIGEST = 32

# One JSON value per line: decoding to Raw validates the line without building Python objects, and a
# line holding anything but exactly one value (two values, trailing bytes, nothing) fails its own decode.
_LINE = msgspec.json.Decoder(msgspec.Raw)


_SEQ_ENDINGS: list[bytes] = []


def _seq_endings(count: int) -> list[bytes]:
    """The endings ',"seq":N}' of lines 2 .. count + 1, formatted once per process (files of a stream are
    of similar lengths, so the list is shared)."""
    for seq in range(len(_SEQ_ENDINGS) + 2, count + 2):
        _SEQ_ENDINGS.append(b',"seq":%d}' % seq)
    return _SEQ_ENDINGS[:count]


class _Hashes:
    """Just enough of a list of envelopes for :class:`LinkChecker`: the first line's anchor, and every later
    line's hash from the concatenated binary digests on demand (the checker reads two or three of them).
    Binary, not hex: a worker sends these back to the parent, and 32 bytes a line pickle in half the time
    of 64 (about 32 MB less through the pipes for a year of a busy book)."""

    def __init__(self, first: Envelope, digests: bytes) -> None:
        self.first, self.digests = first, digests
        self.count = 1 + len(digests) // _DIGEST

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> Envelope:
        position = index % self.count
        if position == 0:
            return self.first
        return Envelope(position + 1, "", self.last_hash(position), {})

    def hash_of(self, seq: int) -> str | None:
        """The hash of the line ``seq`` (1-based); None past the end."""
        return self.last_hash(seq - 1) if 0 < seq <= self.count else None

    def last_hash(self, position: int | None = None) -> str:
        """The hash of the line at 0-based ``position`` (default: the last line)."""
        position = self.count - 1 if position is None else position
        if position == 0:
            return self.first.hash
        return self.digests[(position - 1) * _DIGEST : position * _DIGEST].hex()


def _fast_scan(data: bytes) -> _Hashes | None:
    """The hashes of a sound file's lines, or None when anything is unusual (the full verifier decides).

    Every per-line step runs in C (map over slices, one msgspec decode per line, sha256, list comparisons;
    the fixed-width fronts of the lines are compared column-wise as one numpy grid): the Python loop per
    line is what would cost, not the hashing."""
    if not data.endswith(b"\n"):
        return None  # empty, or a torn tail
    lines = data.split(b"\n")
    lines.pop()
    try:
        deque(map(_LINE.decode, lines), maxlen=0)  # every line is one JSON value (a flipped brace is caught)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    first = scan(lines[0] + b"\n")  # the first line carries the anchor: checked by the full rules
    if first.error is not None or not first.envelopes:
        return None
    first_envelope = first.envelopes[0]
    rest = lines[1:]
    count = len(rest)
    fronts = b"".join(map(_FRONT, rest))
    if len(fronts) != count * _FRONT_WIDTH:
        return None  # a line shorter than the envelope's fixed-width front
    grid = numpy.frombuffer(fronts, dtype=numpy.uint8).reshape(count, _FRONT_WIDTH)
    recorded = grid[:, 9:73].tobytes()
    # sha256("{" + line[75:]) per line, from copies of a state that has hashed the "{" already: a copy is
    # cheaper than a new hash object (no digest lookup per line) and no line is re-joined to its brace.
    states = list(map(_SHA256.copy, repeat(_BRACE_STATE, count)))
    deque(map(_SHA256.update, states, map(_AFTER_HASH, rest)), maxlen=0)
    digests = b"".join(map(_SHA256.digest, states))
    first_hash = first_envelope.hash.encode("ascii")
    if (
        digests.hex().encode("ascii") != recorded
        or grid[:, 88:152].tobytes() != (first_hash + recorded)[: count * _HEX]
        or grid[:, 0:9].tobytes() != _HASH_PREFIX * count
        or grid[:, 73:88].tobytes() != _PREV_KEY * count
        or not all(map(bytes.endswith, rest, _seq_endings(count)))
    ):
        return None
    return _Hashes(first_envelope, digests)


def _scan_file(path: str) -> tuple[int, _Hashes | None]:
    """One file's bytes read and hashes (None: empty, or something for the full verifier to name)."""
    data = _read_locked(Path(path))
    return len(data), (_fast_scan(data) if data else None)


def _check_folder(
    folder: Path, files: list[Path], scanned: list[tuple[int, _Hashes | None]]
) -> list[FileReport]:
    """Reports of one folder's dated files from their scans: links across files and the head checked
    here (in order); the full verifier's reports when anything is off."""
    checker = LinkChecker(folder)
    reports: list[FileReport] = []
    for path, (size, hashes) in zip(files, scanned, strict=True):
        if not size:
            checker.add_unchanged(path.name, ChainTail())
            reports.append(FileReport(str(path), FileStatus.OK, 0, 0, ChainTail().hash))
            continue
        if hashes is None or checker.add(path, hashes) is not None:  # type: ignore[arg-type]
            return _verify_folder(folder, files)
        reports.append(FileReport(str(path), FileStatus.OK, len(hashes), len(hashes), hashes.last_hash()))
    if checker.finish() is not None:
        return _verify_folder(folder, files)
    return reports


class FullReport(msgspec.Struct, frozen=True):
    files: list[FileReport]
    audit: AuditCheck
    records: int
    bytes_read: int

    @property
    def first_break(self) -> tuple[str, str] | None:
        """The first integrity failure: chains (folder order, then date) before audit seals."""
        for report in self.files:
            if report.integrity_failure:
                return report.location, f"{report.status}: {report.reason}"
        for problem in self.audit.problems:
            return problem.location, f"AUDIT: {problem.reason}"
        return None


def verify_all(
    root: Path,
    key: AuditKey | None,
    anchors: list[dict[str, Any]] | None = None,
    *,
    workers: int = 1,
    until: dt.date | None = None,
) -> FullReport:
    """Every folder's chains, links and head, then every audit seal (HMACs only when ``key`` is given;
    ``until``: an audit bundle's last day, whose later seals are checked without their sealed lines)."""
    root = Path(root)
    files, size, known = _chains(root, workers)
    records = sum(report.records for report in files)
    audit = verify_seals(root, key, anchors, until=until, known=known)
    return FullReport(files, audit, records, size)


def verify_chains(root: Path, *, workers: int = 1) -> tuple[list[FileReport], int]:
    """Every folder's chains, links and head (no seals): the reports and the bytes read.

    The files are scanned one task per file (``workers`` processes when > 1, so a home with a few big
    folders still splits evenly); links and heads are then checked folder by folder in this process."""
    reports, size, _ = _chains(root, workers)
    return reports, size


def _chains(
    root: Path, workers: int
) -> tuple[list[FileReport], int, dict[Path, Callable[[int], str | None]]]:
    """:func:`verify_chains`, plus the line hashes of every file whose own chain the fast path verified."""
    folders = [Path(root) / name for name in list_ledger_names(root)]
    files = {folder: list_ledger_files(folder.parent, folder.name) for folder in folders}
    paths = [str(path) for folder in folders for path in files[folder]]
    if workers > 1 and len(paths) > 1:
        chunk = max(1, len(paths) // (workers * 8))
        with ProcessPoolExecutor(max_workers=workers) as pool:
            scanned = list(pool.map(_scan_file, paths, chunksize=chunk))
    else:
        scanned = list(map(_scan_file, paths))
    reports: list[FileReport] = []
    known: dict[Path, Callable[[int], str | None]] = {
        Path(path): hashes.hash_of for path, (_, hashes) in zip(paths, scanned, strict=True) if hashes
    }
    start = 0
    for folder in folders:
        count = len(files[folder])
        reports += _check_folder(folder, files[folder], scanned[start : start + count])
        start += count
    return reports, sum(size for size, _ in scanned), known
