"""Day files are chained to each other and to HEAD.json: a deleted or cut day fails closed everywhere."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import typer
from tests.unit.ledger import factories
from typer.testing import CliRunner

from avwap.cli import ledger_command
from avwap.cli.output import EXIT_LEDGER_INTEGRITY
from avwap.core.errors import LedgerIntegrityError
from avwap.ledger import store as store_module
from avwap.ledger.chain import GENESIS_HASH
from avwap.ledger.links import HEAD_NAME, LinkChecker, read_head
from avwap.ledger.paths import PAPER_SIM, ledger_file, list_ledger_files
from avwap.ledger.projection import rebuild
from avwap.ledger.records import OrderSubmitted
from avwap.ledger.router import Ledger, read_book_records
from avwap.ledger.store import LedgerStore
from avwap.ledger.verify import FileStatus, verify_path

DAYS = (dt.date(2026, 4, 1), dt.date(2026, 4, 2), dt.date(2026, 4, 6))


@pytest.fixture(autouse=True)
def fresh_tail_cache() -> None:
    store_module._TAILS.clear()  # each test starts like a new process


def three_days(root: Path) -> Ledger:
    """A PAPER_SIM book over three days (day 1: a full round trip; later days: deposits), plus a stream."""
    ledger = Ledger(root)
    for record in factories.round_trip():
        ledger.append(record)
    for number, day in enumerate(DAYS[1:]):
        for index in range(3):
            ledger.append(factories.deposit(f"{number + 1}.{index}0", f"d{number}-{index}", day))
        ledger.append_stream("REGIME_E1", day, {"label": "RISK_ON", "date_ny": day.isoformat()})
    return ledger


def day_file(root: Path, day: dt.date, name: str = PAPER_SIM) -> Path:
    return ledger_file(root, name, day)


def cut_last_line(path: Path) -> None:
    """Truncate ``path`` at a line boundary: the chain that remains is perfectly valid on its own."""
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]))


def problems(root: Path) -> list[tuple[str, FileStatus, str]]:
    return [(Path(item.path).name, item.status, item.reason) for item in verify_path(root) if not item.ok]


def test_files_commit_to_their_predecessor_and_the_head_to_the_newest_line(tmp_path: Path) -> None:
    ledger = three_days(tmp_path / "ledger")
    first, second = (LedgerStore(day_file(ledger.root, day)).read_envelopes() for day in DAYS[:2])
    assert first[0].anchor is not None and first[0].anchor.file is None
    assert first[0].prev_hash == GENESIS_HASH
    assert second[0].anchor is not None
    assert (second[0].anchor.file, second[0].anchor.seq) == (f"{DAYS[0]}.jsonl", len(first))
    assert second[0].prev_hash == first[-1].hash
    last = LedgerStore(day_file(ledger.root, DAYS[2])).read_envelopes()[-1]
    head = read_head(ledger.root / PAPER_SIM)
    assert head is not None and (head.file, head.seq, head.hash) == (f"{DAYS[2]}.jsonl", last.seq, last.hash)
    assert problems(ledger.root) == []
    assert len(read_book_records(ledger.root, PAPER_SIM)) == len(factories.round_trip()) + 6


def test_a_deleted_middle_day_fails_verification_and_every_projection(tmp_path: Path) -> None:
    ledger = three_days(tmp_path / "ledger")
    cache_dir = tmp_path / "cache"
    rebuild(ledger.root, PAPER_SIM, cache_dir=cache_dir)  # a warm cache must not hide it either
    day_file(ledger.root, DAYS[1]).unlink()
    found = problems(ledger.root)
    assert found == [
        (f"{DAYS[2]}.jsonl", FileStatus.BROKEN_LINK, found[0][2]),
    ]
    assert f"predecessor {DAYS[1]}.jsonl is missing" in found[0][2]
    for read in (
        lambda: read_book_records(ledger.root, PAPER_SIM),
        lambda: rebuild(ledger.root, PAPER_SIM),
        lambda: rebuild(ledger.root, PAPER_SIM, cache_dir=cache_dir),
        lambda: ledger.read_book(PAPER_SIM),
    ):
        with pytest.raises(LedgerIntegrityError, match=f"predecessor {DAYS[1]}.jsonl is missing"):
            read()


def test_a_deleted_first_day_is_caught_by_its_successor(tmp_path: Path) -> None:
    ledger = three_days(tmp_path / "ledger")
    day_file(ledger.root, DAYS[0]).unlink()
    with pytest.raises(LedgerIntegrityError, match=f"predecessor {DAYS[0]}.jsonl is missing"):
        read_book_records(ledger.root, PAPER_SIM)


def test_a_predecessor_cut_at_a_line_boundary_fails(tmp_path: Path) -> None:
    ledger = three_days(tmp_path / "ledger")
    cache_dir = tmp_path / "cache"
    rebuild(ledger.root, PAPER_SIM, cache_dir=cache_dir)
    cut_last_line(day_file(ledger.root, DAYS[0]))
    found = problems(ledger.root)
    assert [(name, status) for name, status, _ in found] == [(f"{DAYS[1]}.jsonl", FileStatus.BROKEN_LINK)]
    assert f"predecessor {DAYS[0]}.jsonl was truncated" in found[0][2]
    single = verify_path(day_file(ledger.root, DAYS[1]))  # one file: checked against its predecessor too
    assert [item.status for item in single] == [FileStatus.BROKEN_LINK]
    for read in (
        lambda: read_book_records(ledger.root, PAPER_SIM),
        lambda: rebuild(ledger.root, PAPER_SIM, cache_dir=cache_dir),
    ):
        with pytest.raises(LedgerIntegrityError, match="was truncated"):
            read()


def test_the_newest_file_cut_at_a_line_boundary_is_caught_by_the_head(tmp_path: Path) -> None:
    ledger = three_days(tmp_path / "ledger")
    newest = day_file(ledger.root, DAYS[2])
    cache_dir = tmp_path / "cache"
    rebuild(ledger.root, PAPER_SIM, cache_dir=cache_dir)
    cut_last_line(newest)
    found = problems(ledger.root)
    assert [(name, status) for name, status, _ in found] == [(newest.name, FileStatus.HEAD_MISMATCH)]
    assert "truncated: the file ends at seq 2 but HEAD.json records seq 3" in found[0][2]
    for read in (
        lambda: read_book_records(ledger.root, PAPER_SIM),
        lambda: rebuild(ledger.root, PAPER_SIM, cache_dir=cache_dir),
    ):
        with pytest.raises(LedgerIntegrityError, match="truncated"):
            read()
    with pytest.raises(LedgerIntegrityError, match="truncated"):  # a writer cannot paper over the cut
        ledger.append(factories.deposit("9.00", "after-cut", DAYS[2]))


def test_a_deleted_newest_day_or_head_fails(tmp_path: Path) -> None:
    ledger = three_days(tmp_path / "ledger")
    day_file(ledger.root, DAYS[2]).unlink()
    found = problems(ledger.root)
    assert [(name, status) for name, status, _ in found] == [(HEAD_NAME, FileStatus.HEAD_MISMATCH)]
    assert f"names {DAYS[2]}.jsonl (seq 3), which is missing" in found[0][2]
    with pytest.raises(LedgerIntegrityError, match="which is missing"):
        read_book_records(ledger.root, PAPER_SIM)
    (ledger.root / PAPER_SIM / HEAD_NAME).unlink()
    with pytest.raises(LedgerIntegrityError, match=r"HEAD\.json:0: missing although"):
        read_book_records(ledger.root, PAPER_SIM)
    with pytest.raises(LedgerIntegrityError, match="missing although"):
        ledger.append(factories.deposit("9.00", "late", DAYS[2]))


def test_an_older_day_cannot_grow_once_a_newer_day_started(tmp_path: Path) -> None:
    ledger = three_days(tmp_path / "ledger")
    before = day_file(ledger.root, DAYS[0]).read_bytes()
    with pytest.raises(LedgerIntegrityError, match="refusing to append"):
        ledger.append(factories.deposit("1.00", "backfill", DAYS[0]))
    assert day_file(ledger.root, DAYS[0]).read_bytes() == before
    assert problems(ledger.root) == []


def test_a_correctly_rechained_duplicate_order_is_refused_by_every_projection(tmp_path: Path) -> None:
    ledger = three_days(tmp_path / "ledger")
    order = next(record for record in factories.round_trip() if isinstance(record, OrderSubmitted))
    # The copy is re-dated into today's file, where the store seals it: its hash and chain are valid.
    duplicate = OrderSubmitted(**{**_fields(order), "date_ny": DAYS[2], "ts": factories.at(15, 0, DAYS[2])})
    ledger.append(duplicate)
    found = problems(ledger.root)
    assert [(name, status) for name, status, _ in found] == [(f"{DAYS[2]}.jsonl", FileStatus.INVALID_RECORD)]
    assert f"duplicate OrderSubmitted: client_order_id {order.client_order_id}" in found[0][2]
    with pytest.raises(
        LedgerIntegrityError, match=f"duplicate OrderSubmitted: client_order_id {order.client_order_id}"
    ):
        rebuild(ledger.root, PAPER_SIM)
    with pytest.raises(LedgerIntegrityError, match=f"{DAYS[2]}.jsonl"):
        rebuild(ledger.root, PAPER_SIM)


def _fields(record: OrderSubmitted) -> dict[str, object]:
    return {name: getattr(record, name) for name in record.__struct_fields__}


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()

    @application.callback()
    def root() -> None:
        """test root"""

    ledger_command.register(application)
    return application


def test_cli_verify_and_show_refuse_a_ledger_with_a_missing_day(home: Path, app: typer.Typer) -> None:
    ledger = three_days(home / "ledger")
    runner = CliRunner()
    assert runner.invoke(app, ["ledger", "verify", "--home", str(home)]).exit_code == 0
    day_file(ledger.root, DAYS[1]).unlink()
    result = runner.invoke(app, ["ledger", "verify", "--home", str(home)])
    assert result.exit_code == EXIT_LEDGER_INTEGRITY, result.output
    assert f"predecessor {DAYS[1]}.jsonl is missing" in result.output
    assert f"{DAYS[2]}.jsonl:1" in result.output
    result = runner.invoke(app, ["ledger", "verify", "--home", str(home), "--json"])
    assert json.loads(result.stdout)["first_problem"]["status"] == "BROKEN_LINK"
    result = runner.invoke(app, ["ledger", "show", "--home", str(home), "--book", PAPER_SIM])
    assert result.exit_code == EXIT_LEDGER_INTEGRITY
    assert f"{DAYS[1]}.jsonl is missing" in result.output


def test_an_unreadable_head_fails_closed_and_the_head_is_a_fixed_size_record(tmp_path: Path) -> None:
    ledger = three_days(tmp_path / "ledger")
    head_file = ledger.root / PAPER_SIM / HEAD_NAME
    assert len(head_file.read_bytes()) == 256  # overwritten in place: one sector, never torn
    head_file.write_bytes(b'{"file":"2026-04-06.jsonl","seq":')
    found = problems(ledger.root)
    assert [(name, status) for name, status, _ in found] == [(HEAD_NAME, FileStatus.HEAD_MISMATCH)]
    assert "unreadable head pointer" in found[0][2]
    with pytest.raises(LedgerIntegrityError, match="unreadable head pointer"):
        read_book_records(ledger.root, PAPER_SIM)


def test_a_reader_whose_head_predates_a_new_day_is_not_a_false_alarm(tmp_path: Path) -> None:
    ledger = three_days(tmp_path / "ledger")
    checker = LinkChecker(ledger.root / PAPER_SIM)  # read the head ...
    ledger.append(factories.deposit("1.00", "new-day", dt.date(2026, 4, 7)))  # ... then a writer starts a day
    for path in list_ledger_files(ledger.root, PAPER_SIM):
        assert checker.add(path, LedgerStore(path).read_envelopes()) is None
    assert checker.finish() is None
    stale = LinkChecker(ledger.root / PAPER_SIM)
    (ledger.root / PAPER_SIM / HEAD_NAME).write_bytes(
        (ledger.root / PAPER_SIM / HEAD_NAME).read_bytes().replace(b"2026-04-07", b"2026-04-06")
    )
    stale.head = read_head(ledger.root / PAPER_SIM)  # a head really left behind is still caught
    for path in list_ledger_files(ledger.root, PAPER_SIM):
        stale.add(path, LedgerStore(path).read_envelopes())
    problem = stale.finish()
    assert problem is not None and "older than 2026-04-07.jsonl" in str(problem)
