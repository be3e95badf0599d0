"""BookFollower: the incremental verified view of a book equals a full verification, read and fold, reads
only what changed, and never lets its cache hide a change to a closed day."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import msgspec
import pytest
from tests.unit.ledger import factories

from avwap.ledger import store as store_module
from avwap.ledger.chain import ChainTail, seal
from avwap.ledger.follow import BookFollower, FollowedBook
from avwap.ledger.paths import PAPER_SIM, ledger_file
from avwap.ledger.projection import fold_book, state_bytes
from avwap.ledger.router import Ledger, read_book_records
from avwap.ledger.store import LedgerStore
from avwap.ledger.verify import FileStatus, verify_path

DAYS = (dt.date(2026, 4, 1), dt.date(2026, 4, 2), dt.date(2026, 4, 6))


@pytest.fixture(autouse=True)
def fresh_tail_cache() -> None:
    store_module._TAILS.clear()  # each test starts like a new process


def three_days(root: Path) -> Ledger:
    ledger = Ledger(root)
    for record in factories.round_trip():
        ledger.append(record)
    for number, day in enumerate(DAYS[1:]):
        for index in range(3):
            ledger.append(factories.deposit(f"{number + 1}.{index}0", f"d{number}-{index}", day))
    return ledger


def day_file(ledger: Ledger, day: dt.date) -> Path:
    return ledger_file(ledger.root, PAPER_SIM, day)


def assert_matches_full_read(view: FollowedBook, ledger: Ledger) -> None:
    assert view.ok and view.state is not None
    records = read_book_records(ledger.root, PAPER_SIM)
    assert list(view.records) == records
    assert state_bytes(view.state) == state_bytes(fold_book(records, PAPER_SIM))
    verified = verify_path(view_folder(ledger))
    assert [report.path for report in view.reports] == [report.path for report in verified]
    assert view.tails == tuple((Path(item.path).name, item.last_seq, item.last_hash) for item in verified)


def view_folder(ledger: Ledger) -> Path:
    return ledger.root / PAPER_SIM


def rewrite_keeping_size_and_mtime(path: Path, old: bytes, new: bytes) -> None:
    assert len(old) == len(new)
    before = os.stat(path)
    data = path.read_bytes()
    assert data.count(old) >= 1
    path.write_bytes(data.replace(old, new, 1))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )


def test_first_refresh_reads_everything_and_equals_the_full_read(tmp_path: Path) -> None:
    ledger = three_days(tmp_path / "ledger")
    view = BookFollower(ledger.root, PAPER_SIM).refresh()
    assert view.read == view.files == tuple(f"{day}.jsonl" for day in DAYS)
    assert_matches_full_read(view, ledger)


def test_an_idle_refresh_reads_nothing(tmp_path: Path) -> None:
    ledger = three_days(tmp_path / "ledger")
    follower = BookFollower(ledger.root, PAPER_SIM)
    first = follower.refresh()
    again = follower.refresh()
    assert again.read == () and again.records == first.records and again.state == first.state


def test_a_new_record_reads_only_the_newest_day_and_a_new_fill_shows_in_positions(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger")
    for number, day in enumerate(DAYS[:2]):
        ledger.append(factories.deposit("10000", f"seed-{number}", day))
    follower = BookFollower(ledger.root, PAPER_SIM)
    assert follower.refresh().state.positions == {}  # type: ignore[union-attr]
    trade = factories.intent(day=DAYS[1])
    entry = factories.submit(trade)
    for record in (trade, factories.approve(trade), entry, factories.fill(entry, 10, "100.00")):
        ledger.append(record)
        view = follower.refresh()
        assert view.read == (f"{DAYS[1]}.jsonl",)
        assert_matches_full_read(view, ledger)
    assert view.state is not None and view.state.lots_of("AAPL")[0].quantity == 10


def test_a_new_day_reads_only_that_day_and_its_link_is_checked(tmp_path: Path) -> None:
    ledger = three_days(tmp_path / "ledger")
    follower = BookFollower(ledger.root, PAPER_SIM)
    follower.refresh()
    new_day = dt.date(2026, 4, 7)
    ledger.append(factories.deposit("5", "late", new_day))
    view = follower.refresh()
    assert view.read == (f"{new_day}.jsonl",)
    assert_matches_full_read(view, ledger)


def test_a_closed_day_edited_in_place_keeping_size_and_mtime_is_still_caught(tmp_path: Path) -> None:
    ledger = three_days(tmp_path / "ledger")
    follower = BookFollower(ledger.root, PAPER_SIM)
    follower.refresh()
    rewrite_keeping_size_and_mtime(day_file(ledger, DAYS[0]), b'"AAPL"', b'"AAPM"')
    view = follower.refresh()
    assert not view.ok and view.state is None and view.records == ()
    broken = [report for report in view.reports if not report.ok]
    expected = [report for report in verify_path(view_folder(ledger)) if not report.ok]
    assert [(item.path, item.status, item.bad_line) for item in broken] == [
        (item.path, item.status, item.bad_line) for item in expected
    ]
    assert broken[0].status is FileStatus.CORRUPT and view.read == tuple(f"{day}.jsonl" for day in DAYS)


def test_a_closed_day_resealed_with_a_valid_chain_is_caught_by_its_successor(tmp_path: Path) -> None:
    ledger = three_days(tmp_path / "ledger")
    follower = BookFollower(ledger.root, PAPER_SIM)
    follower.refresh()
    path = day_file(ledger, DAYS[1])
    envelopes = LedgerStore(path).read_envelopes()
    tail, lines = ChainTail(), []
    for envelope in envelopes:  # the same records re-chained, the amount of one changed
        record = dict(envelope.record)
        if record["amount"] == "1.10":
            record["amount"] = "9.10"
        sealed, line = seal(record, tail, envelopes[0].anchor)
        tail, lines = sealed.tail, [*lines, line]
    rewrite_keeping_size_and_mtime(path, path.read_bytes(), b"".join(lines))
    view = follower.refresh()
    assert not view.ok
    (broken,) = [report for report in view.reports if not report.ok]
    assert broken.status is FileStatus.BROKEN_LINK and broken.path.endswith(f"{DAYS[2]}.jsonl")


def test_the_newest_day_cut_or_rewritten_is_reverified_from_scratch(tmp_path: Path) -> None:
    ledger = three_days(tmp_path / "ledger")
    follower = BookFollower(ledger.root, PAPER_SIM)
    follower.refresh()
    path = day_file(ledger, DAYS[2])
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]))  # a valid chain, shorter than the head says
    view = follower.refresh()
    assert [report.status for report in view.reports if not report.ok] == [FileStatus.HEAD_MISMATCH]
    path.write_bytes(b"".join(lines))
    restored = follower.refresh()
    assert restored.read == tuple(f"{day}.jsonl" for day in DAYS)  # nothing was kept from the broken one
    assert_matches_full_read(restored, ledger)


def test_a_torn_tail_is_shown_and_the_repaired_book_reads_again(tmp_path: Path) -> None:
    ledger = three_days(tmp_path / "ledger")
    follower = BookFollower(ledger.root, PAPER_SIM)
    follower.refresh()
    path = day_file(ledger, DAYS[2])
    with path.open("ab") as handle:
        handle.write(b'{"hash":')
    view = follower.refresh()
    assert [report.status for report in view.reports if not report.ok] == [FileStatus.TORN_TAIL]
    assert path.read_bytes().endswith(b'{"hash":')  # the follower only reads
    LedgerStore(path).repair()
    assert_matches_full_read(follower.refresh(), ledger)


def test_a_record_the_fold_refuses_is_reported_at_its_line_as_verify_reports_it(tmp_path: Path) -> None:
    ledger = three_days(tmp_path / "ledger")
    follower = BookFollower(ledger.root, PAPER_SIM)
    follower.refresh()
    entry = factories.round_trip_parts().entry
    again = msgspec.structs.replace(entry, date_ny=DAYS[2], ts=factories.at(14, 2, DAYS[2]))
    ledger.append(again)  # the same client order id again, correctly chained: it would double an order
    view = follower.refresh()
    assert view.read == (f"{DAYS[2]}.jsonl",)
    expected = [(r.path, r.status, r.bad_line) for r in verify_path(view_folder(ledger)) if not r.ok]
    assert [(r.path, r.status, r.bad_line) for r in view.reports if not r.ok] == expected
    assert expected[0][1] is FileStatus.INVALID_RECORD and view.state is None


def test_an_empty_book_folder_is_the_empty_book(tmp_path: Path) -> None:
    (tmp_path / "ledger" / PAPER_SIM).mkdir(parents=True)
    view = BookFollower(tmp_path / "ledger", PAPER_SIM).refresh()
    assert view.ok and view.records == () and view.files == ()
    assert view.state is not None and state_bytes(view.state) == state_bytes(fold_book([], PAPER_SIM))
