"""Durable by default, deferred only under a registered run folder (core.files.deferred_durability);
the bytes of a sealed line.

The live path must fsync every append; a backtest run folder skips the per-append fsync and is flushed
once at the end, writing the very same bytes."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from tests.unit.ledger.factories import deposit, round_trip

from avwap.core.canonical import canonical_json, sha256_hex, to_plain
from avwap.core.files import atomic_write_bytes, deferred_durability, is_durable
from avwap.ledger import store as store_module
from avwap.ledger.chain import (
    GENESIS_ANCHOR,
    Anchor,
    ChainTail,
    _digest,
    _without_hash,
    line_fields,
    scan,
    seal,
    seal_plain,
)
from avwap.ledger.paths import dated_file_names, ledger_file, newest_ledger_names
from avwap.ledger.router import Ledger

DAYS = [dt.date(2026, 4, 1), dt.date(2026, 4, 2), dt.date(2026, 4, 6)]


@pytest.fixture(autouse=True)
def fresh_tail_cache() -> None:
    store_module._TAILS.clear()


def count_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(descriptor: int) -> None:
        calls.append(descriptor)
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    return calls


def count_syncs(monkeypatch: pytest.MonkeyPatch) -> list[None]:
    calls: list[None] = []
    monkeypatch.setattr(os, "sync", lambda: calls.append(None))
    return calls


def write_book(root: Path) -> None:
    """A few days of a book: single appends, grouped appends and a stream record."""
    ledger = Ledger(root)
    records = round_trip()  # dated DAYS[0]
    ledger.append(records[0])
    ledger.append_together(records[1:3])
    for record in records[3:]:
        ledger.append(record)
    for day in DAYS:
        ledger.append(deposit("100", reference=f"seed-{day}", day=day))
        ledger.append_stream("REGIME_E1", day, {"date_ny": day.isoformat(), "value": 1})


def ledger_bytes(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()
    }


def test_the_default_ledger_writer_fsyncs_every_append(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = Ledger(tmp_path / "ledger")
    ledger.append(deposit("100", day=DAYS[0]))  # the file, its folder and the first head are created
    fsyncs = count_fsyncs(monkeypatch)
    for index in range(5):
        ledger.append(deposit("100", reference=f"more-{index}", day=DAYS[0]))
    assert len(fsyncs) == 5  # one per append: the live path stays durable record by record


def test_a_deferred_folder_skips_fsync_and_syncs_once_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fsyncs, syncs = count_fsyncs(monkeypatch), count_syncs(monkeypatch)
    with deferred_durability(tmp_path / "run"):
        write_book(tmp_path / "run" / "ledger")
        atomic_write_bytes(tmp_path / "run" / "artifact.json", b"{}")
        assert not fsyncs and not syncs
        outside = tmp_path / "live"
        Ledger(outside).append(deposit("100", day=DAYS[0]))  # another folder keeps its fsyncs
        assert fsyncs
    assert syncs == [None]
    assert is_durable(tmp_path / "run" / "ledger")  # the registration ends with the block


def test_deferred_and_durable_ledgers_are_byte_identical(tmp_path: Path) -> None:
    write_book(tmp_path / "durable" / "ledger")
    store_module._TAILS.clear()
    with deferred_durability(tmp_path / "deferred"):
        write_book(tmp_path / "deferred" / "ledger")
    durable = ledger_bytes(tmp_path / "durable" / "ledger")
    assert durable == ledger_bytes(tmp_path / "deferred" / "ledger")
    assert len([name for name in durable if name.endswith(".jsonl")]) == 2 * len(DAYS)


def test_a_folder_whose_name_only_starts_like_the_run_folder_stays_durable(tmp_path: Path) -> None:
    with deferred_durability(tmp_path / "run"):
        assert not is_durable(tmp_path / "run" / "x.json")
        assert not is_durable(tmp_path / "run")
        assert is_durable(tmp_path / "run2" / "x.json")


def test_newest_ledger_names_match_the_full_listing(tmp_path: Path) -> None:
    folder = tmp_path / "BOOK"
    folder.mkdir()
    for name in ["2026-04-01.jsonl", "2026-04-03.jsonl", "2026-04-02.jsonl", "2026-02-30.jsonl"]:
        (folder / name).write_bytes(b"")
    for name in ["HEAD.json", "2026-04-03.jsonl.quarantine", "notes.txt", ".2026-04-04.jsonl.tmp"]:
        (folder / name).write_bytes(b"")
    (folder / "2026-04-05.jsonl").mkdir()  # not a regular file
    listed = dated_file_names(folder)
    assert listed == ["2026-04-01.jsonl", "2026-04-02.jsonl", "2026-04-03.jsonl"]
    assert list(newest_ledger_names(folder)) == listed[::-1]
    assert list(newest_ledger_names(folder, before="2026-04-03.jsonl")) == listed[1::-1]
    assert list(newest_ledger_names(tmp_path / "absent")) == []
    assert ledger_file(tmp_path, "BOOK", dt.date(2026, 4, 3)).name == listed[-1]


@pytest.mark.parametrize(
    "record",
    [
        {"date_ny": "2026-04-01", "index": 1},
        {"nested": {"b": [1, 2.5, None, {"é": "中"}], "a": True}, "text": 'quote " and \\n newline'},
        {},
    ],
)
@pytest.mark.parametrize(
    ("tail", "anchor"),
    [
        (ChainTail(), None),  # the first line of the first file: the genesis anchor
        (ChainTail(), Anchor("2026-03-31.jsonl", 7, "ab" * 32)),
        (ChainTail(41, "cd" * 32), None),
    ],
)
def test_seal_serializes_the_record_once_into_the_canonical_envelope(
    record: dict[str, object], tail: ChainTail, anchor: Anchor | None
) -> None:
    """The line and the hash equal the canonical JSON of the envelope's fields built as dicts."""
    envelope, line = seal(record, tail, anchor)
    first = anchor or GENESIS_ANCHOR
    committed = {"file": first.file, "seq": first.seq} if tail.seq == 0 else None
    prev_hash = first.hash if tail.seq == 0 else tail.hash
    assert envelope.hash == _digest(tail.seq + 1, prev_hash, record, committed)
    assert line == canonical_json(line_fields(envelope)) + b"\n"
    # the verifier's one encoding: the line without its hash member is the hashed body
    assert sha256_hex(_without_hash(line[:-1], envelope.hash)) == envelope.hash
    assert scan(line, tail).error is None
    assert seal_plain(to_plain(record), tail, anchor) == (envelope, line)  # the writer's path, same bytes
