"""``avwap ledger verify --all``: every chain of every folder across files and days, every head, and every
audit seal (root, HMAC, sealed lines, external anchors). Exit 5 on any break, naming the first.

Speed: a home holds millions of lines, so the chains are checked on bytes. A line the writer made is
canonical JSON with its keys sorted (``hash`` < ``prev_hash`` < ``record`` < ``seq``), so the hashed body
``{"prev_hash":..,"record":..,"seq":N}`` is the line itself without its ``"hash":"<64 hex>",`` prefix: one
sha256 over a slice per line, no JSON re-encoding. If the slice hashes to the recorded hash it is the
body that was hashed: for a line the ledger wrote, the canonical one, so canonicality comes free; one
msgspec decode per line checks every line is JSON with the envelope's fields. (Not checked here: a line
rewritten in a non-canonical form, e.g. ``"quantity": 11``, by someone who also recomputed its hash and
every later one. ``avwap ledger verify`` refuses it as a hash mismatch; here, as for any rewrite with
recomputed hashes, the day's seal names it once the day is sealed.) Anything unusual in a folder (a
torn tail, a bad line, a broken link or head) sends that folder through the full verifier
(:mod:`avwap.ledger.verify`), which names the first bad line. Record contracts of books (typed records,
the fold) are checked by plain ``avwap ledger verify``; ``--all`` is about integrity across the whole
history.

With ``workers > 1`` the files are scanned by forked worker processes, a few consecutive files per task
(large tasks first, small ones last, so that the workers finish together), and the seals are read and
authenticated by one more task meanwhile. A worker sends back only the ends of each file's hashes (the
first envelope, the last line's hash, the line the head names), not every line's; this process checks
the links, heads and sealed lines from them, in file order, so the first break reported is the same
whichever worker found it.

Public API::

    verify_all(root, key, anchors=None, *, workers=1, until=None) -> FullReport
    verify_chains(root, *, workers=1) -> (list[FileReport], bytes read)   chains, links, heads only
    FullReport(files, audit, records, bytes_read).first_break -> (location, reason) | None
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import operator
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from itertools import islice, repeat
from pathlib import Path
from typing import Any

import msgspec
import numpy

from avwap.core.errors import LedgerIntegrityError
from avwap.ledger.audit import AuditCheck, SealsRead, check_sealed_lines, read_seals
from avwap.ledger.audit_key import AuditKey
from avwap.ledger.chain import ChainTail, Envelope, scan
from avwap.ledger.links import LinkChecker, read_head
from avwap.ledger.paths import list_ledger_files, list_ledger_names
from avwap.ledger.verify import FileReport, FileStatus, _read_locked, _verify_folder


def _compiled_checks() -> Callable[[bytes, int, bytes], bytes | None] | None:
    """The optional C loop (pyproject's ext-modules), or None where it was not built (no compiler or no
    OpenSSL headers at install): :func:`_chained_digests` then, with the same answers."""
    try:
        from avwap.ledger._line_hashes import chained_digests as compiled
    except ImportError:  # pragma: no cover - depends on the install
        return None
    return compiled


_C_CHAINED_DIGESTS = _compiled_checks()

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
# Workers are forked: they start with every module this process imported (a spawned worker would import
# avwap, numpy and msgspec again, ~0.3 s each).
_FORK = multiprocessing.get_context("fork")


def _seq_endings(count: int) -> list[bytes]:
    """The endings ',"seq":N}' of lines 2 .. count + 1, formatted once per process (files of a stream are
    of similar lengths, so the list is shared)."""
    for seq in range(len(_SEQ_ENDINGS) + 2, count + 2):
        _SEQ_ENDINGS.append(b',"seq":%d}' % seq)
    return _SEQ_ENDINGS[:count]


class _Changed(LookupError):
    """A file changed between its scan and a later look at one of its lines: the full verifier decides."""


class _Hashes:
    """Just enough of a list of envelopes for :class:`LinkChecker`: the first line's anchor, and every later
    line's hash from the concatenated binary digests on demand (the checker reads two or three of them).

    A worker sends back only the ends (:meth:`ends`): the first envelope, the last line's hash and the
    head's line. Every line's 32 bytes cost the parent ~0.15 s of CPU to receive for a year of a busy book,
    on a core the workers need; another line is asked for only when a seal or the head names a line that
    was not the last, and then the file is read again here (:meth:`_digests_again`)."""

    def __init__(self, first: Envelope, digests: bytes, path: str = "") -> None:
        self.first, self.path = first, path
        self.count = 1 + len(digests) // _DIGEST
        self.digests: bytes | None = digests
        self.kept: dict[int, bytes] = {}

    def ends(self, keep_seq: int) -> _Hashes:
        """This file's hashes as a worker returns them: the first line, the last and line ``keep_seq``."""
        compact = _Hashes(self.first, b"", self.path)
        compact.count, compact.digests = self.count, None
        compact.kept = {at: self._digest(at) for at in (self.count - 1, keep_seq - 1) if 0 < at < self.count}
        return compact

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
        return self._digest(position).hex()

    def _digest(self, position: int) -> bytes:
        if self.digests is None:
            if position in self.kept:
                return self.kept[position]
            self.digests = self._digests_again()
        return self.digests[(position - 1) * _DIGEST : position * _DIGEST]

    def _digests_again(self) -> bytes:
        """Every line's digest, from the file read again: the same lines (appended to, at most) or
        :class:`_Changed`. The chain was verified, so an equal last hash means an equal file up to it."""
        again = _fast_scan(_read_locked(Path(self.path))) if self.path else None
        if (
            again is None
            or again.first != self.first
            or again.count < self.count
            or any(again._digest(at) != digest for at, digest in self.kept.items())
        ):
            raise _Changed(self.path)
        assert again.digests is not None  # a fresh scan keeps every digest
        return again.digests[: (self.count - 1) * _DIGEST]


def _fast_scan(data: bytes, path: str = "") -> _Hashes | None:
    """The hashes of a sound file's lines, or None when anything is unusual (the full verifier decides).

    With the optional C loop (``_line_hashes.chained_digests``): the first line by the full rules, the
    chain's byte checks of every later line in one C call (fronts, hash of each body, links, seq endings:
    each line begins with '{"hash":"' and ends with ',"seq":N}'), then one msgspec pass over the whole file
    that must find exactly one JSON value per line. That count is the per-line check: a line cannot hold
    two values without another holding none, no line is empty, and no value can run on into the next line
    (after a line's closing '}' comes '{', which JSON refuses inside a value; a string cannot hold a raw
    newline). Without it, :func:`_fast_scan_python` (the same answers; tested)."""
    if _C_CHAINED_DIGESTS is None:
        return _fast_scan_python(data, path)
    if not data.endswith(b"\n"):
        return None  # empty, or a torn tail
    first_end = data.index(b"\n") + 1
    first_envelope = _first_envelope(data[:first_end])
    if first_envelope is None:
        return None
    digests = _C_CHAINED_DIGESTS(data, first_end, first_envelope.hash.encode("ascii"))
    if digests is None:
        return None
    try:
        values = _LINE.decode_lines(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if len(values) != 1 + len(digests) // _DIGEST:
        return None
    return _Hashes(first_envelope, digests, path)


def _first_envelope(line: bytes) -> Envelope | None:
    """The first line's envelope, by the full rules (it carries the anchor); None when it is not sound."""
    first = scan(line)
    return first.envelopes[0] if first.error is None and first.envelopes else None


def _fast_scan_python(data: bytes, path: str = "") -> _Hashes | None:
    """:func:`_fast_scan` where the C loop was not built: every per-line step still runs in C calls (map
    over slices, one msgspec decode per line, :func:`_chained_digests`): a Python loop per line is what
    would cost, not the hashing."""
    if not data.endswith(b"\n"):
        return None  # empty, or a torn tail
    lines = data.split(b"\n")
    lines.pop()
    try:
        deque(map(_LINE.decode, lines), maxlen=0)  # every line is one JSON value (a flipped brace is caught)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    first_envelope = _first_envelope(lines[0] + b"\n")
    if first_envelope is None:
        return None
    digests = _chained_digests(lines[1:], first_envelope.hash)
    if digests is None:
        return None
    return _Hashes(first_envelope, digests, path)


def _chained_digests(rest: list[bytes], first_hash: str) -> bytes | None:
    """The lines after the first checked on bytes (module docstring): their fixed-width fronts, each
    recorded hash the sha256 of its body, each prev_hash the previous line's hash, each seq its line
    number; their digests, or None when anything is unusual. Python's twin of the optional C loop
    (``_line_hashes.chained_digests``), used where it was not built; tested equal."""
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
    if (
        digests.hex().encode("ascii") != recorded
        or grid[:, 88:152].tobytes() != (first_hash.encode("ascii") + recorded)[: count * _HEX]
        or grid[:, 0:9].tobytes() != _HASH_PREFIX * count
        or grid[:, 73:88].tobytes() != _PREV_KEY * count
        or not all(map(bytes.endswith, rest, _seq_endings(count)))
    ):
        return None
    return digests


def _scan_file(path: str) -> tuple[int, _Hashes | None]:
    """One file's bytes read and hashes (None: empty, or something for the full verifier to name)."""
    data = _read_locked(Path(path))
    return len(data), (_fast_scan(data, path) if data else None)


def _scan_ends(path: str, keep_seq: int) -> tuple[int, _Hashes | None]:
    """:func:`_scan_file` in a worker: only the ends of the hashes (and line ``keep_seq``) go back."""
    size, hashes = _scan_file(path)
    return size, (hashes.ends(keep_seq) if hashes is not None else None)


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
        try:
            if hashes is None or checker.add(path, hashes) is not None:  # type: ignore[arg-type]
                return _verify_folder(folder, files)
        except _Changed:
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
    ``until``: an audit bundle's last day, whose later seals are checked without their sealed lines).

    With ``workers`` > 1 the seals are read and authenticated in a worker while the others scan the files;
    only the comparison of each sealed line with the scanned hashes is left to this process."""
    root = Path(root)
    read = partial(read_seals, root, key, anchors, until=until)
    files, size, known, seals = _chains(root, workers, read)
    assert seals is not None  # _chains returns what ``read`` returned
    records = sum(report.records for report in files)
    return FullReport(files, check_sealed_lines(root, seals, known), records, size)


def verify_chains(root: Path, *, workers: int = 1) -> tuple[list[FileReport], int]:
    """Every folder's chains, links and head (no seals): the reports and the bytes read."""
    reports, size, _, _ = _chains(root, workers, None)
    return reports, size


_SMALLEST_TASK = 4


def _chunks(count: int, workers: int) -> list[range]:
    """Consecutive ranges of ``count`` files, one task each, from large to small ("guided" scheduling):
    few tasks, so the parent spends little on handing them out and collecting them (~0.5 ms each), and
    small last ones, so the workers finish together."""
    chunks, start = [], 0
    while start < count:
        size = max(_SMALLEST_TASK, (count - start) // (workers * 3))
        chunks.append(range(start, min(count, start + size)))
        start += size
    return chunks


def _scan_chunk(paths: list[str], keep: list[int]) -> list[tuple[int, _Hashes | None]]:
    return list(map(_scan_ends, paths, keep))


def _chains(
    root: Path, workers: int, side: Callable[[], SealsRead] | None
) -> tuple[list[FileReport], int, dict[Path, Callable[[int], str | None]], SealsRead | None]:
    """:func:`verify_chains`, plus the line hashes of every file whose own chain the fast path verified,
    plus the result of ``side`` (run in a worker beside the scans, else here after them).

    The files are scanned a few per task (``workers`` processes when > 1, so a home with a few big folders
    still splits evenly); links and heads are checked folder by folder in this process, each folder as soon
    as its files are scanned (while the workers scan the next ones)."""
    folders = [Path(root) / name for name in list_ledger_names(root)]
    if workers > 1 and folders:
        with ProcessPoolExecutor(max_workers=workers, mp_context=_FORK) as pool:
            # first, before the files are listed here: the longest single task, and a worker busy meanwhile
            beside = pool.submit(side) if side is not None else None
            files = {folder: list_ledger_files(folder.parent, folder.name) for folder in folders}
            paths = [str(path) for folder in folders for path in files[folder]]
            heads = {folder: _head_line(folder) for folder in folders}
            keep = [heads[folder].get(path.name, 0) for folder in folders for path in files[folder]]
            tasks = [
                pool.submit(_scan_chunk, paths[chunk.start : chunk.stop], keep[chunk.start : chunk.stop])
                for chunk in _chunks(len(paths), workers)
            ]
            results = (item for task in tasks for item in task.result())  # in file order
            reports, scanned = _check_folders(folders, files, results)
            side_result = beside.result() if beside is not None else None
    else:
        files = {folder: list_ledger_files(folder.parent, folder.name) for folder in folders}
        paths = [str(path) for folder in folders for path in files[folder]]
        reports, scanned = _check_folders(folders, files, map(_scan_file, paths))
        side_result = side() if side is not None else None
    listed = [path for folder in folders for path in files[folder]]  # the Paths already made, not anew
    known: dict[Path, Callable[[int], str | None]] = {
        path: hashes.hash_of for path, (_, hashes) in zip(listed, scanned, strict=True) if hashes
    }
    return reports, sum(size for size, _ in scanned), known, side_result


def _check_folders(
    folders: list[Path], files: dict[Path, list[Path]], results: Iterator[tuple[int, _Hashes | None]]
) -> tuple[list[FileReport], list[tuple[int, _Hashes | None]]]:
    """Every folder's reports (:func:`_check_folder`) from the scans of its files, taken in file order."""
    reports: list[FileReport] = []
    scanned: list[tuple[int, _Hashes | None]] = []
    for folder in folders:
        batch = list(islice(results, len(files[folder])))
        reports += _check_folder(folder, files[folder], batch)
        scanned += batch
    return reports, scanned


def _head_line(folder: Path) -> dict[str, int]:
    """{file: seq} of the line the folder's head names, whose hash the head check will want (read again
    by that check: when the head has moved on meanwhile, the file is read again for the new line)."""
    try:
        head = read_head(folder)
    except LedgerIntegrityError:
        return {}
    return {} if head is None else {head.file: head.seq}
