"""Day files held open and locked between batches, only under a deferred-durability folder (ledger.held).

Under a backtest run folder a file is opened, locked and checked once and then kept until the next day's
file of its folder starts or the run ends; the bytes are the same as the live path's, readers in the
process see every line, and the live path still opens the file and re-reads the head for every batch."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from pathlib import Path

import pytest
from tests.unit.ledger.factories import deposit
from tests.unit.ledger.test_ledger_durability import DAYS, ledger_bytes, write_book

from avwap.core.errors import LedgerIntegrityError
from avwap.core.files import deferred_durability
from avwap.ledger import held as held_files
from avwap.ledger import links
from avwap.ledger import store as store_module
from avwap.ledger.chain import ChainTail
from avwap.ledger.links import peek_last_envelope, read_head
from avwap.ledger.paths import ledger_file
from avwap.ledger.router import Ledger, read_book_records
from avwap.ledger.verify import verify_path


@pytest.fixture(autouse=True)
def fresh_tail_cache() -> None:
    store_module._TAILS.clear()


def count_opens(monkeypatch: pytest.MonkeyPatch, suffix: str) -> list[str]:
    opened: list[str] = []
    real_open = os.open

    def counting_open(path: object, *args: object, **kwargs: object) -> int:
        if str(path).endswith(suffix):
            opened.append(str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", counting_open)
    return opened


def count_head_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    reads: list[Path] = []
    real_read_head = links.read_head

    def counting_read_head(folder: Path) -> links.Head | None:
        reads.append(folder)
        return real_read_head(folder)

    monkeypatch.setattr(links, "read_head", counting_read_head)
    return reads


def locked_elsewhere(path: Path) -> bool:
    """Does some descriptor hold an exclusive lock on ``path`` (tried from a fresh descriptor)?"""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


def test_a_held_day_file_is_opened_and_checked_once_and_released_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "run" / "ledger"
    with deferred_durability(tmp_path / "run"):
        ledger = Ledger(root)
        ledger.append(deposit("100", day=DAYS[0]))
        path = ledger_file(root, "PAPER_SIM", DAYS[0])
        assert held_files.held_file(os.path.abspath(path)) is not None and locked_elsewhere(path)
        opened, head_reads = count_opens(monkeypatch, ".jsonl"), count_head_reads(monkeypatch)
        for index in range(5):
            ledger.append(deposit("100", reference=f"more-{index}", day=DAYS[0]))
        assert opened == [] and head_reads == []  # no open, no head re-read while the lock is held
        assert read_head(path.parent) == links.Head(
            path.name, 6, ledger.store("PAPER_SIM", DAYS[0]).tail().hash
        )
        assert len(Ledger(root).store("PAPER_SIM", DAYS[0]).read_records()) == 6  # read in-process
        peeked = peek_last_envelope(path)
        assert peeked is not None and peeked[1].seq == 6
        ledger.append(deposit("100", reference="next-day", day=DAYS[1]))  # the next day releases the first
        assert held_files.held_file(os.path.abspath(path)) is None and not locked_elsewhere(path)
        assert locked_elsewhere(ledger_file(root, "PAPER_SIM", DAYS[1]))
    assert not locked_elsewhere(ledger_file(root, "PAPER_SIM", DAYS[1]))  # released with the run
    assert held_files._BY_FILE == {} and held_files._BY_FOLDER == {}
    reports = verify_path(root)
    assert reports and all(report.ok for report in reports)
    assert len(read_book_records(root, "PAPER_SIM")) == 7


def test_the_live_path_opens_the_file_and_reads_the_head_for_every_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = Ledger(tmp_path / "ledger")
    ledger.append(deposit("100", day=DAYS[0]))
    opened, head_reads = count_opens(monkeypatch, ".jsonl"), count_head_reads(monkeypatch)
    for index in range(3):
        ledger.append(deposit("100", reference=f"more-{index}", day=DAYS[0]))
    assert len(opened) == 3 and len(head_reads) == 3
    assert held_files._BY_FILE == {}


def more_of_the_last_day(root: Path) -> None:
    ledger = Ledger(root)
    for index in range(3):
        ledger.append(deposit("100", reference=f"late-{index}", day=DAYS[-1]))
        ledger.append_stream("REGIME_E1", DAYS[-1], {"date_ny": DAYS[-1].isoformat(), "value": index})


def test_held_and_live_ledgers_are_byte_identical(tmp_path: Path) -> None:
    write_book(tmp_path / "live" / "ledger")
    more_of_the_last_day(tmp_path / "live" / "ledger")
    store_module._TAILS.clear()
    with deferred_durability(tmp_path / "run"):
        write_book(tmp_path / "run" / "ledger")
        more_of_the_last_day(tmp_path / "run" / "ledger")  # batches on the held last day of each folder
    assert ledger_bytes(tmp_path / "live" / "ledger") == ledger_bytes(tmp_path / "run" / "ledger")


def test_an_error_inside_a_held_batch_releases_the_file_and_the_next_batch_checks_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "run" / "ledger"
    with deferred_durability(tmp_path / "run"):
        ledger = Ledger(root)
        ledger.append(deposit("100", day=DAYS[0]))
        path = ledger_file(root, "PAPER_SIM", DAYS[0])
        with pytest.raises(RuntimeError), ledger.batch("PAPER_SIM", DAYS[0]) as batch:
            batch.append(deposit("100", reference="kept", day=DAYS[0]))
            raise RuntimeError("boom")
        assert held_files.held_file(os.path.abspath(path)) is None and not locked_elsewhere(path)
        head_reads = count_head_reads(monkeypatch)
        ledger.append(deposit("100", reference="after", day=DAYS[0]))
        assert head_reads == [path.parent]  # the checked path again (and the file is held again)
        assert [json.loads(line)["seq"] for line in path.read_bytes().splitlines()] == [1, 2, 3]


def test_an_older_day_cannot_grow_after_a_newer_one_started(tmp_path: Path) -> None:
    root = tmp_path / "run" / "ledger"
    with deferred_durability(tmp_path / "run"):
        ledger = Ledger(root)
        ledger.append(deposit("100", day=DAYS[0]))
        ledger.append(deposit("100", reference="b", day=DAYS[1]))
        with pytest.raises(LedgerIntegrityError, match="refusing to append"):
            ledger.append(deposit("100", reference="late", day=DAYS[0]))
        ledger.append(deposit("100", reference="c", day=DAYS[1]))  # the newer day goes on
    reports = verify_path(root)
    assert reports and all(report.ok for report in reports)


def test_undated_files_are_never_held(tmp_path: Path) -> None:
    with deferred_durability(tmp_path / "run"):
        store = store_module.LedgerStore(tmp_path / "run" / "notes.jsonl")
        store.append({"value": 1})
        store.append({"value": 2})
        assert held_files._BY_FILE == {}
        assert [record["value"] for record in store.read_records()] == [1, 2]


def test_a_held_file_repairs_through_the_checked_path(tmp_path: Path) -> None:
    root = tmp_path / "run" / "ledger"
    with deferred_durability(tmp_path / "run"):
        ledger = Ledger(root)
        ledger.append(deposit("100", day=DAYS[0]))
        store = ledger.store("PAPER_SIM", DAYS[0])
        assert store.repair() is False  # released first: no deadlock on this process's own lock
        ledger.append(deposit("100", reference="again", day=dt.date(2026, 4, 1)))
    assert len(read_book_records(root, "PAPER_SIM")) == 2


def count_tail_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    reads: list[Path] = []
    real_tail_of = links._tail_of

    def counting_tail_of(descriptor: int, path: Path) -> ChainTail:
        reads.append(path)
        return real_tail_of(descriptor, path)

    monkeypatch.setattr(links, "_tail_of", counting_tail_of)
    return reads


def test_a_new_day_anchors_on_the_cached_end_of_the_file_this_run_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tail_reads = count_tail_reads(monkeypatch)
    with deferred_durability(tmp_path / "run"):
        ledger = Ledger(tmp_path / "run" / "ledger")
        ledger.append(deposit("100", day=DAYS[0]))
        ledger.append(deposit("100", reference="b", day=DAYS[0]))
        ledger.append(deposit("100", reference="c", day=DAYS[1]))
        assert tail_reads == []  # the predecessor's end came from the cache, not from its last line
        store_module._TAILS.clear()  # nothing cached: the last line is read
        ledger.append(deposit("100", reference="d", day=DAYS[2]))
        assert [path.name for path in tail_reads] == ["2026-04-02.jsonl"]
    live = Ledger(tmp_path / "live" / "ledger")
    for day, reference in ((DAYS[0], "seed"), (DAYS[0], "b"), (DAYS[1], "c"), (DAYS[2], "d")):
        live.append(deposit("100", reference=reference, day=day))
    assert [path.name for path in tail_reads[1:]] == ["2026-04-01.jsonl", "2026-04-02.jsonl"]  # live reads
    assert ledger_bytes(tmp_path / "live" / "ledger") == ledger_bytes(tmp_path / "run" / "ledger")
