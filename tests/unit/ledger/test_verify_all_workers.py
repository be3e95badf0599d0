"""``verify --all`` with worker processes: the same reports as in one process, whichever task finds a break.

Workers scan the files in several tasks and send back only the ends of each file's hashes (the first line,
the last line, the line the head names); a seal or a head naming another line makes the parent read that
file again. These tests build homes of many small day files, so that the files spread over several tasks.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from tests.unit.ledger.test_audit import KEY, evening, rewrite_folder

from avwap.ledger.audit import seal_day
from avwap.ledger.links import Head, read_head, write_head
from avwap.ledger.router import Ledger
from avwap.ledger.verify import FileStatus
from avwap.ledger.verify_all import _chunks, _scan_ends, _scan_file, verify_all

FOLDERS = ("ALERTS", "EXIT_EVENTS")
DAYS = [dt.date(2026, 4, 1) + dt.timedelta(days=offset) for offset in range(12)]
LINES = 5


def _line(folder: str, day: dt.date, number: int) -> dict[str, object]:
    return {"type": "Event", "date_ny": day.isoformat(), "folder": folder, "number": number}


def _build(home: Path) -> Path:
    """12 days x 2 streams x 5 lines, each day sealed: 24 day files and 12 AUDIT files."""
    root = home / "ledger"
    ledger = Ledger(root)
    for day in DAYS:
        for folder in FOLDERS:
            for number in range(LINES):
                ledger.append_stream(folder, day, _line(folder, day, number))
        seal_day(root, day, KEY, evening(day))
    return root


def _edit(path: Path, line: int) -> None:
    """Change one character of line ``line`` (1-based): its hash no longer matches."""
    lines = path.read_bytes().split(b"\n")
    lines[line - 1] = lines[line - 1].replace(b'"number":', b'"number": ', 1)
    path.write_bytes(b"\n".join(lines))


def test_the_files_spread_over_several_tasks_from_large_to_small() -> None:
    chunks = _chunks(36, 2)
    assert [index for chunk in chunks for index in chunk] == list(range(36))
    sizes = [len(chunk) for chunk in chunks]
    assert len(sizes) > 3 and sizes == sorted(sizes, reverse=True) and sizes[-2] == 4


def test_a_sound_home_gives_the_same_report_with_workers(home: Path) -> None:
    root = _build(home)
    alone = verify_all(root, KEY)
    assert alone.first_break is None and alone.audit.seals == len(DAYS)
    assert verify_all(root, KEY, workers=2) == alone == verify_all(root, KEY, workers=3)


@pytest.mark.parametrize(
    "damage",
    [
        [("ALERTS", 6, 3), ("ALERTS", 9, 2), ("EXIT_EVENTS", 2, 4)],  # first in folder order, mid-file
        [("EXIT_EVENTS", 11, 2), ("EXIT_EVENTS", 3, 5)],  # a late file damaged too: the earlier is first
        [("ALERTS", 11, 4)],  # in the last task
    ],
)
def test_a_break_found_by_any_worker_is_reported_at_the_first_file_and_line(
    home: Path, damage: list[tuple[str, int, int]]
) -> None:
    root = _build(home)
    for folder, day, line in damage:
        _edit(root / folder / f"{DAYS[day].isoformat()}.jsonl", line)
    folder, day, line = min(damage)  # folders in name order, then days: the order breaks are reported in
    expected = f"{root / folder / DAYS[day].isoformat()}.jsonl:{line}"
    alone = verify_all(root, KEY)
    assert alone.first_break is not None and alone.first_break[0] == expected
    assert "CORRUPT" in alone.first_break[1]
    assert verify_all(root, KEY, workers=2) == alone


def test_a_forger_is_named_by_the_seals_read_in_a_worker(home: Path) -> None:
    """Every hash, link and head recomputed after an edit: the chains pass, the seal read by the side task
    names the first sealed line that differs, in the same words and order as in one process."""
    root = _build(home)
    rewrite_folder(
        root / "EXIT_EVENTS", lambda record: {**record, "number": 7} if record["number"] == 3 else record
    )
    alone = verify_all(root, KEY)
    assert all(item.ok for item in alone.files) and len(alone.audit.problems) == len(DAYS)
    assert alone.first_break is not None and alone.first_break[0].endswith(
        f"AUDIT/{DAYS[0].isoformat()}.jsonl:1"
    )
    assert "EXIT_EVENTS" in alone.first_break[1] and "differs since sealed" in alone.first_break[1]
    assert verify_all(root, KEY, workers=2) == alone


def test_a_seal_of_a_line_that_is_no_longer_the_last_is_read_again(home: Path) -> None:
    """A record appended to a day after its seal: the seal names a line the worker did not send back."""
    root = _build(home)
    path = root / "ALERTS" / f"{DAYS[-1].isoformat()}.jsonl"
    Ledger(root).append_stream("ALERTS", DAYS[-1], _line("ALERTS", DAYS[-1], 99))
    alone = verify_all(root, KEY)
    assert alone.first_break is None
    assert verify_all(root, KEY, workers=2) == alone
    _edit(path, LINES)  # the sealed line itself changed (and so its successor's link): both ways named
    alone = verify_all(root, KEY)
    assert alone.first_break is not None and alone.first_break[0] == f"{path}:{LINES}"
    assert verify_all(root, KEY, workers=2) == alone


@pytest.mark.parametrize("right_hash", [True, False])
def test_a_head_behind_the_newest_line_is_checked_at_its_line(home: Path, right_hash: bool) -> None:
    root = _build(home)
    folder = root / "ALERTS"
    head = read_head(folder)
    assert head is not None and head.seq == LINES
    path = folder / head.file
    hashes = _scan_file(str(path))[1]
    assert hashes is not None
    line_three = hashes.hash_of(3) if right_hash else "f" * 64
    assert line_three is not None
    write_head(folder, Head(head.file, 3, line_three))  # a head one batch behind (allowed when it matches)
    alone = verify_all(root, KEY)
    assert verify_all(root, KEY, workers=2) == alone
    first = alone.first_break
    if right_hash:
        assert first is None
    else:
        assert first is not None and first[0] == f"{path}:3" and FileStatus.HEAD_MISMATCH in first[1]


def test_a_worker_sends_back_the_ends_and_other_lines_are_read_again(home: Path) -> None:
    root = _build(home)
    path = root / "ALERTS" / f"{DAYS[0].isoformat()}.jsonl"
    full = _scan_file(str(path))[1]
    size, ends = _scan_ends(str(path), 2)
    assert full is not None and ends is not None and size == path.stat().st_size
    assert ends.digests is None and sorted(ends.kept) == [1, LINES - 1]  # lines 2 and 5 (0-based 1, 4)
    assert [ends.hash_of(seq) for seq in range(1, LINES + 2)] == [
        full.hash_of(seq) for seq in range(1, LINES + 2)
    ]
    assert ends.digests is not None  # line 3 was asked for: the file was read again


def test_a_file_changed_after_its_scan_is_not_taken_from_the_new_read(home: Path) -> None:
    root = _build(home)
    path = root / "ALERTS" / f"{DAYS[0].isoformat()}.jsonl"
    _, ends = _scan_ends(str(path), 0)
    assert ends is not None
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:3]))  # cut after line 3: line 3 is still there, the last line is not
    with pytest.raises(LookupError):
        ends.hash_of(3)
