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
