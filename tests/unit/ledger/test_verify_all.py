"""``verify --all``: the byte-level fast path agrees with the full verifier, and every break is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.unit.ledger.test_audit import DAY_ONE, KEY, build_home, forge_quantity, rewrite_folder

from avwap.ledger.audit import AUDIT
from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.verify import FileStatus, verify_path
from avwap.ledger.verify_all import _fast_scan, verify_all


def test_a_sound_home_verifies_fast_with_the_same_reports_as_the_full_verifier(home: Path) -> None:
    root = build_home(home)
    for name in (PAPER_SIM, AUDIT, "ALERTS"):
        for path in (root / name).glob("*.jsonl"):
            assert _fast_scan(path.read_bytes()) is not None, path  # the fast path took every file
    report = verify_all(root, KEY)
    assert report.first_break is None and report.audit.seals == 2
    slow = {item.path: (item.status, item.records, item.last_hash) for item in verify_path(root)}
    fast = {item.path: (item.status, item.records, item.last_hash) for item in report.files}
    assert fast == slow
    assert report.records == sum(item.records for item in report.files) > 0


@pytest.mark.parametrize(
    ("damage", "status", "line"),
    [
        (lambda data: data.replace(b'"quantity":11', b'"quantity":12'), FileStatus.CORRUPT, 2),
        (lambda data: data.replace(b'"quantity":11', b'"quantity": 11'), FileStatus.CORRUPT, 2),
        (lambda data: data[:-1], FileStatus.TORN_TAIL, 2),
    ],
)
def test_damage_is_reported_at_its_first_line(home: Path, damage, status, line) -> None:  # type: ignore[no-untyped-def]
    root = build_home(home)
    path = root / PAPER_SIM / "2026-04-01.jsonl"
    path.write_bytes(damage(path.read_bytes()))
    assert _fast_scan(path.read_bytes()) is None
    report = next(item for item in verify_all(root, KEY).files if item.path == str(path))
    assert (report.status, report.bad_line) == (status, line)


def test_a_deleted_day_is_a_broken_link_and_the_first_break(home: Path) -> None:
    root = build_home(home)
    (root / PAPER_SIM / "2026-04-01.jsonl").unlink()
    first = verify_all(root, KEY).first_break
    assert (
        first is not None and first[0].endswith("PAPER_SIM/2026-04-02.jsonl:1") and "BROKEN_LINK" in first[1]
    )


def test_a_deleted_head_is_a_head_mismatch(home: Path) -> None:
    root = build_home(home)
    (root / PAPER_SIM / "HEAD.json").unlink()
    first = verify_all(root, KEY).first_break
    assert first is not None and "HEAD_MISMATCH" in first[1] and "PAPER_SIM" in first[0]


def test_the_forger_passes_the_chains_but_not_the_audit(home: Path, tmp_path: Path) -> None:
    root = build_home(home)
    rewrite_folder(root / PAPER_SIM, forge_quantity)
    report = verify_all(root, KEY)
    assert all(item.ok for item in report.files)
    assert report.first_break is not None and report.first_break[0].endswith("AUDIT/2026-04-01.jsonl:1")
    assert "PAPER_SIM/2026-04-01.jsonl line 2 differs" in report.first_break[1]


def test_workers_give_the_same_answer(home: Path) -> None:
    root = build_home(home)
    assert verify_all(root, KEY, workers=2) == verify_all(root, KEY)


def test_fast_scan_refuses_what_is_not_an_envelope() -> None:
    good = b'{"hash":"' + b"0" * 64 + b'"}\n'
    assert _fast_scan(good) is None
    assert _fast_scan(json.dumps({"a": 1}).encode() + b"\n") is None
    assert DAY_ONE.year == 2026


def _chained(records: list[dict[str, object]]) -> list[bytes]:
    from avwap.ledger.chain import ChainTail, seal

    lines, tail = [], ChainTail()
    for record in records:
        envelope, line = seal(record, tail)
        lines.append(line)
        tail = envelope.tail
    return lines


def _rehash_from(lines: list[bytes], index: int) -> list[bytes]:
    """Recompute the hash of line ``index`` and every later line and link (what a forger can do)."""
    import hashlib

    fixed = list(lines)
    for position in range(index, len(fixed)):
        line = fixed[position].rstrip(b"\n")
        if position > index:
            previous = fixed[position - 1][9:73]
            line = line[:88] + previous + line[152:]
        body = b"{" + line[75:]
        fixed[position] = b'{"hash":"' + hashlib.sha256(body).hexdigest().encode() + b'",' + body[1:] + b"\n"
    return fixed


@pytest.mark.parametrize("count", [1, 2, 3])
def test_short_files_take_the_fast_path_with_the_full_verifiers_hashes(count: int) -> None:
    from avwap.ledger.chain import scan

    data = b"".join(_chained([{"type": "Note", "z": number} for number in range(count)]))
    hashes = _fast_scan(data)
    assert hashes is not None and len(hashes) == count
    expected = [envelope.hash for envelope in scan(data).envelopes]
    assert [hashes.hash_of(seq) for seq in range(1, count + 1)] == expected
    assert hashes.last_hash() == expected[-1] and hashes.hash_of(count + 1) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda line: line.replace(b'"z":1}', b'"z":1}}'),  # not JSON, yet hash-consistent
        lambda line: line.replace(b'"z":1}', b'"z":1} {"x":2}'),  # two values on one line
        lambda line: line.replace(b'"seq":2}', b'"seq":7}'),  # a sequence gap
    ],
)
def test_a_hash_consistent_line_that_is_not_a_sound_envelope_goes_to_the_full_verifier(tamper) -> None:  # type: ignore[no-untyped-def]
    from avwap.ledger.chain import scan

    lines = _chained([{"type": "Note", "z": number} for number in range(3)])
    tampered = tamper(lines[1])
    assert tampered != lines[1]
    lines[1] = tampered
    data = b"".join(_rehash_from(lines, 1))
    assert _fast_scan(data) is None
    result = scan(data)
    assert result.error is not None and result.error.line_number == 2
