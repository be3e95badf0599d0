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
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import msgspec

from avwap.ledger.audit import AuditCheck, verify_seals
from avwap.ledger.audit_key import AuditKey
from avwap.ledger.chain import ChainTail, Envelope, scan
from avwap.ledger.links import LinkChecker
from avwap.ledger.paths import list_ledger_files, list_ledger_names
from avwap.ledger.verify import FileReport, FileStatus, _read_locked, _verify_folder

# A line after the first: {"hash":"<64 hex>","prev_hash":"<64 hex>","record":{...},"seq":N}
_HASH_PREFIX = b'{"hash":"'
_PREV_KEY = b'","prev_hash":"'
_HEAD = operator.itemgetter(slice(0, 9))
_HASH_FIELD = operator.itemgetter(slice(9, 73))
_BETWEEN = operator.itemgetter(slice(73, 88))
_PREV_FIELD = operator.itemgetter(slice(88, 152))
_BRACE = b"{"
_AFTER_HASH = operator.itemgetter(slice(75, None))  # from '"prev_hash"' on: the hashed body without its "{"
_DIGEST = operator.methodcaller("digest")


_LINES = msgspec.json.Decoder(list[msgspec.Raw])


class _Hashes:
    """Just enough of a list of envelopes for :class:`LinkChecker`: the first line's anchor, every hash."""

    def __init__(self, first: Envelope, hashes: list[str]) -> None:
        self.first, self.hashes = first, hashes

    def __len__(self) -> int:
        return len(self.hashes)

    def __getitem__(self, index: int) -> Envelope:
        position = index % len(self.hashes)
        if position == 0:
            return self.first
        return Envelope(position + 1, "", self.hashes[position], {})


def _fast_scan(data: bytes) -> _Hashes | None:
    """The hashes of a sound file's lines, or None when anything is unusual (the full verifier decides).

    Every per-line step runs in C (map over slices, sha256, list comparisons): the Python loop per line
    is what would cost, not the hashing."""
    if not data:
        return None
    lines = data.split(b"\n")
    if lines.pop() != b"":
        return None  # torn tail
    try:
        _LINES.decode(b"[" + b",".join(lines) + b"]")  # every line is JSON (a flipped brace is caught)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    first = scan(lines[0] + b"\n")  # the first line carries the anchor: checked by the full rules
    if first.error is not None or not first.envelopes:
        return None
    rest = lines[1:]
    count = len(rest)
    recorded = list(map(_HASH_FIELD, rest))
    digests = b"".join(map(_DIGEST, map(hashlib.sha256, map(_BRACE.__add__, map(_AFTER_HASH, rest)))))
    first_hash = first.envelopes[0].hash.encode("ascii")
    if (
        digests.hex().encode("ascii") != b"".join(recorded)
        or b"".join(map(_PREV_FIELD, rest)) != b"".join([first_hash, *recorded][:-1])
        or b"".join(map(_HEAD, rest)) != _HASH_PREFIX * count
        or b"".join(map(_BETWEEN, rest)) != _PREV_KEY * count
        or not all(map(bytes.endswith, rest, [b',"seq":%d}' % seq for seq in range(2, count + 2)]))
    ):
        return None
    hashes = [first_hash.decode("ascii"), *(item.decode("ascii") for item in recorded)]
    return _Hashes(first.envelopes[0], hashes)


def _verify_folder_fast(folder: Path) -> tuple[list[FileReport], int]:
    """Reports of one folder's dated files (the full verifier's when anything is off) and bytes read."""
    files = list_ledger_files(folder.parent, folder.name)
    checker = LinkChecker(folder)
    reports: list[FileReport] = []
    size = 0
    for path in files:
        data = _read_locked(path)
        size += len(data)
        if not data:
            checker.add_unchanged(path.name, ChainTail())
            reports.append(FileReport(str(path), FileStatus.OK, 0, 0, ChainTail().hash))
            continue
        hashes = _fast_scan(data)
        if hashes is None or checker.add(path, hashes) is not None:  # type: ignore[arg-type]
            return _verify_folder(folder, files), size
        last = hashes.hashes[-1]
        reports.append(FileReport(str(path), FileStatus.OK, len(hashes), len(hashes), last))
    if checker.finish() is not None:
        return _verify_folder(folder, files), size
    return reports, size


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


def _folder_task(folder: str) -> tuple[list[FileReport], int]:
    return _verify_folder_fast(Path(folder))


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
    files, size = verify_chains(root, workers=workers)
    records = sum(report.records for report in files)
    audit = verify_seals(root, key, anchors, until=until)
    return FullReport(files, audit, records, size)


def verify_chains(root: Path, *, workers: int = 1) -> tuple[list[FileReport], int]:
    """Every folder's chains, links and head (no seals): the reports and the bytes read."""
    folders = [str(Path(root) / name) for name in list_ledger_names(root)]
    if workers > 1 and len(folders) > 1:
        with ProcessPoolExecutor(max_workers=min(workers, len(folders))) as pool:
            results = list(pool.map(_folder_task, folders))
    else:
        results = [_folder_task(folder) for folder in folders]
    return [report for reports, _ in results for report in reports], sum(size for _, size in results)
