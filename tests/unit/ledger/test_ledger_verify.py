from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from tests.unit.ledger import factories

from avwap.ledger.chain import ChainTail, seal
from avwap.ledger.paths import ledger_file, list_all_ledger_files, list_ledger_files, validate_name
from avwap.ledger.records import encode_record
from avwap.ledger.router import Ledger
from avwap.ledger.verify import FileStatus, verify_file, verify_path

DAY = dt.date(2026, 4, 1)


def seal_lines(records: list[dict[str, object]]) -> bytes:
    tail, chunks = ChainTail(), []
    for record in records:
        envelope, line = seal(record, tail)
        tail = envelope.tail
        chunks.append(line)
    return b"".join(chunks)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    ledger = Ledger(tmp_path / "ledger")
    for record in factories.round_trip():
        ledger.append(record)
    ledger.append_stream("REGIME_E1", DAY, {"label": "RISK_ON", "date_ny": "2026-04-01"})
    return ledger.root


def test_clean_tree_verifies(root: Path) -> None:
    reports = verify_path(root)
    assert [Path(report.path).parent.name for report in reports] == ["PAPER_SIM", "REGIME_E1"]
    assert all(report.ok for report in reports)
    assert reports[0].records == 12 and reports[0].last_seq == 12 and reports[0].bad_line is None


def test_verify_reports_torn_tail_without_repairing(root: Path) -> None:
    path = ledger_file(root, "PAPER_SIM", DAY)
    with path.open("ab") as handle:
        handle.write(b'{"hash":')
    before = path.read_bytes()
    (report,) = verify_path(path)
    assert report.status is FileStatus.TORN_TAIL and report.bad_line == 13
    assert not report.integrity_failure
    assert path.read_bytes() == before


def test_verify_points_at_the_first_bad_line(root: Path) -> None:
    path = ledger_file(root, "PAPER_SIM", DAY)
    content = path.read_bytes().splitlines(keepends=True)
    content[6] = content[6].replace(b'"quantity":6', b'"quantity":60')
    content[9] = b"junk\n"
    path.write_bytes(b"".join(content))
    report = verify_file(path)
    assert report.status is FileStatus.CORRUPT
    assert (report.bad_line, report.location) == (7, f"{path}:7")
    assert "hash mismatch" in report.reason
    assert report.integrity_failure


def test_misdated_and_misrouted_records(tmp_path: Path) -> None:
    plain = encode_record(factories.deposit("1.00"))
    misdated = ledger_file(tmp_path, "PAPER_SIM", dt.date(2026, 4, 2))
    misdated.parent.mkdir(parents=True)
    misdated.write_bytes(seal_lines([plain]))
    report = verify_file(misdated)
    assert report.status is FileStatus.MISROUTED and report.bad_line == 1
    assert "does not match file date 2026-04-02" in report.reason
    wrong_book = ledger_file(tmp_path, "ALPACA_LIVE", DAY)
    wrong_book.parent.mkdir(parents=True)
    wrong_book.write_bytes(seal_lines([plain]))
    assert verify_file(wrong_book).status is FileStatus.MISROUTED


def test_invalid_record_in_a_book(tmp_path: Path) -> None:
    path = ledger_file(tmp_path, "PAPER_SIM", DAY)
    path.parent.mkdir(parents=True)
    good = encode_record(factories.deposit("1.00"))
    path.write_bytes(seal_lines([good, {**good, "amount": 5}]))  # a float/int amount: not a decimal string
    report = verify_file(path)
    assert (report.status, report.bad_line) == (FileStatus.INVALID_RECORD, 2)
    assert "amount must be a decimal string" in report.reason
    # the same content in a stream folder is only chain-checked
    stream = ledger_file(tmp_path, "SOME_STREAM", DAY)
    stream.parent.mkdir(parents=True)
    stream.write_bytes(path.read_bytes())
    assert verify_file(stream).ok


def test_paths_and_listing(tmp_path: Path) -> None:
    assert ledger_file(tmp_path, "PAPER_SIM", DAY) == tmp_path / "PAPER_SIM" / "2026-04-01.jsonl"
    for bad in ("paper_sim", "PAPER-SIM", "_X", "X__Y", "", "../X"):
        with pytest.raises(ValueError, match="UPPER_SNAKE"):
            validate_name(bad)
    with pytest.raises(TypeError):
        ledger_file(tmp_path, "PAPER_SIM", dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    folder = tmp_path / "PAPER_SIM"
    folder.mkdir()
    for name in (
        "2026-04-10.jsonl",
        "2026-04-02.jsonl",
        "2026-04-02.jsonl.quarantine",
        "notes.txt",
        ".x.tmp",
    ):
        (folder / name).write_bytes(b"")
    (tmp_path / "lowercase").mkdir()
    assert [path.name for path in list_ledger_files(tmp_path, "PAPER_SIM")] == [
        "2026-04-02.jsonl",
        "2026-04-10.jsonl",
    ]
    assert list_ledger_files(tmp_path, "ALPACA_LIVE") == []
    assert [path.name for path in list_all_ledger_files(tmp_path)] == ["2026-04-02.jsonl", "2026-04-10.jsonl"]
