from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import os
from pathlib import Path

import pytest
from tests.unit.ledger.factories import deposit

from avwap.core.canonical import canonical_json, sha256_hex
from avwap.core.errors import LedgerIntegrityError
from avwap.ledger import store as store_module
from avwap.ledger.chain import GENESIS_HASH, ChainTail, scan, seal
from avwap.ledger.paths import ledger_file, quarantine_path
from avwap.ledger.store import LedgerStore, peek_last_envelope

DAY = dt.date(2026, 4, 1)


@pytest.fixture
def ledger_path(tmp_path: Path) -> Path:
    return ledger_file(tmp_path / "ledger", "REGIME_E1", DAY)


@pytest.fixture(autouse=True)
def fresh_tail_cache() -> None:
    store_module._TAILS.clear()  # each test starts like a new process


def write_records(path: Path, count: int, start: int = 0) -> None:
    store = LedgerStore(path)
    for index in range(start, start + count):
        store.append({"index": index, "date_ny": DAY.isoformat()})


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_first_line_layout_and_hash(ledger_path: Path) -> None:
    envelope = LedgerStore(ledger_path).append({"b": 2, "a": 1})
    anchor = {"file": None, "seq": 0}  # the first file of a stream commits to the genesis
    body = {"seq": 1, "prev_hash": GENESIS_HASH, "record": {"a": 1, "b": 2}, "anchor": anchor}
    expected_hash = sha256_hex(canonical_json(body))
    assert envelope.hash == expected_hash
    assert ledger_path.read_bytes() == canonical_json({**body, "hash": expected_hash}) + b"\n"
    assert ledger_path.read_bytes().startswith(b'{"anchor":{"file":null,"seq":0},"hash":"')


def test_append_and_reopen_continues_the_chain(ledger_path: Path) -> None:
    write_records(ledger_path, 3)
    store_module._TAILS.clear()  # a new process: nothing cached
    write_records(ledger_path, 2, start=3)
    envelopes = LedgerStore(ledger_path).read_envelopes()
    assert [envelope.seq for envelope in envelopes] == [1, 2, 3, 4, 5]
    assert [envelope.record["index"] for envelope in envelopes] == [0, 1, 2, 3, 4]
    assert envelopes[0].prev_hash == GENESIS_HASH
    for previous, current in itertools.pairwise(envelopes):
        assert current.prev_hash == previous.hash
    assert LedgerStore(ledger_path).tail() == ChainTail(5, envelopes[-1].hash)


def test_append_sees_lines_written_by_another_writer_and_reads_only_new_bytes(
    ledger_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_records(ledger_path, 2)
    size_before = ledger_path.stat().st_size
    tail = LedgerStore(ledger_path).tail()
    # Another process appends one line behind our back (same bytes our store would write).
    _, line = seal({"index": 99}, tail)
    with ledger_path.open("ab") as handle:
        handle.write(line)
    read_offsets: list[int] = []
    real_read_from = store_module._read_from

    def spy(descriptor: int, start: int) -> bytes:
        read_offsets.append(start)
        return real_read_from(descriptor, start)

    monkeypatch.setattr(store_module, "_read_from", spy)
    envelope = LedgerStore(ledger_path).append({"index": 3})
    assert envelope.seq == 4
    assert read_offsets == [size_before]  # only the new bytes were read, not the whole file
    read_offsets.clear()
    LedgerStore(ledger_path).append({"index": 4})
    assert read_offsets == []  # cache hit: O(1)


def test_typed_records_are_encoded_and_misdated_records_refused(tmp_path: Path) -> None:
    path = ledger_file(tmp_path, "PAPER_SIM", DAY)
    envelope = LedgerStore(path).append(deposit("100.00"))
    assert envelope.record["type"] == "CashMovement"
    assert envelope.record["amount"] == "100.00"
    with pytest.raises(ValueError, match="does not belong"):
        LedgerStore(path).append(deposit("5.00", day=dt.date(2026, 4, 2)))
    assert len(LedgerStore(path).read_records()) == 1


@pytest.mark.parametrize(
    ("torn_bytes", "reason"),
    [
        (b'{"hash":"ab', "no trailing newline"),
        (b"\x00\x00\x00\x00", "no trailing newline"),
        (b"{not json at all}\n", "unparsable"),
    ],
)
def test_torn_tail_is_quarantined_truncated_and_the_chain_continues(
    ledger_path: Path, caplog: pytest.LogCaptureFixture, torn_bytes: bytes, reason: str
) -> None:
    write_records(ledger_path, 3)
    good = ledger_path.read_bytes()
    with ledger_path.open("ab") as handle:
        handle.write(torn_bytes)
    store_module._TAILS.clear()
    with caplog.at_level(logging.WARNING, logger="avwap.ledger.store"):
        envelopes = LedgerStore(ledger_path).read_envelopes()
    assert len(envelopes) == 3
    assert ledger_path.read_bytes() == good
    quarantined = quarantine_path(ledger_path).read_bytes()
    assert quarantined.rstrip(b"\n") == torn_bytes.rstrip(b"\n")
    assert any(reason in message and "torn" in message for message in caplog.messages)
    assert LedgerStore(ledger_path).append({"index": 3}).seq == 4
    assert [envelope.seq for envelope in LedgerStore(ledger_path).read_envelopes()] == [1, 2, 3, 4]


def test_torn_tail_is_also_repaired_by_a_writer(ledger_path: Path) -> None:
    write_records(ledger_path, 2)
    with ledger_path.open("ab") as handle:
        handle.write(b'{"seq":3,"prev')
    store_module._TAILS.clear()
    envelope = LedgerStore(ledger_path).append({"index": 2})
    assert envelope.seq == 3
    assert quarantine_path(ledger_path).read_bytes() == b'{"seq":3,"prev\n'
    assert [line.endswith(b"\n") for line in lines(ledger_path)] == [True, True, True]


def test_a_complete_line_without_newline_is_torn_too(ledger_path: Path) -> None:
    write_records(ledger_path, 2)
    data = ledger_path.read_bytes()
    ledger_path.write_bytes(data[:-1])  # crash before the newline reached the disk
    store_module._TAILS.clear()
    assert len(LedgerStore(ledger_path).read_envelopes()) == 1


def rewrite_line(path: Path, number: int, change: dict[str, object], rehash: bool) -> None:
    content = lines(path)
    envelope = json.loads(content[number - 1])
    envelope.update(change)
    if rehash:
        body = {key: envelope[key] for key in ("seq", "prev_hash", "record")}
        envelope["hash"] = sha256_hex(canonical_json(body))
    content[number - 1] = canonical_json(envelope) + b"\n"
    path.write_bytes(b"".join(content))


@pytest.mark.parametrize(
    ("damage", "bad_line", "message"),
    [
        (lambda path: rewrite_line(path, 3, {"record": {"index": 666}}, rehash=False), 3, "hash mismatch"),
        (lambda path: rewrite_line(path, 2, {"prev_hash": "f" * 64}, rehash=True), 2, "broken chain"),
        (lambda path: rewrite_line(path, 4, {"seq": 7}, rehash=True), 4, "sequence gap"),
        (lambda path: path.write_bytes(b"".join(lines(path)[:1] + lines(path)[2:])), 2, "sequence gap"),
        (
            lambda path: path.write_bytes(b"".join([*lines(path)[:2], b"garbage\n", *lines(path)[2:]])),
            3,
            "unparsable",
        ),
        (
            lambda path: path.write_bytes(b"".join([*lines(path)[:3], b"\n", *lines(path)[3:]])),
            4,
            "unparsable",
        ),
        (
            lambda path: path.write_bytes(
                b"".join([*lines(path)[:1], lines(path)[1].replace(b'":', b'": '), *lines(path)[2:]])
            ),
            2,
            "not canonical",
        ),
    ],
    ids=[
        "altered-record",
        "broken-chain",
        "seq-jump",
        "deleted-line",
        "garbage-line",
        "blank-line",
        "reformatted",
    ],
)
def test_mid_file_damage_raises_integrity_error_at_the_first_bad_line(
    ledger_path: Path, damage: object, bad_line: int, message: str
) -> None:
    write_records(ledger_path, 5)
    damage(ledger_path)  # type: ignore[operator]
    store_module._TAILS.clear()
    with pytest.raises(LedgerIntegrityError, match=message) as raised:
        LedgerStore(ledger_path).read_envelopes()
    assert raised.value.line_number == bad_line
    assert raised.value.path == str(ledger_path)
    assert f"{ledger_path}:{bad_line}:" in str(raised.value)
    with pytest.raises(LedgerIntegrityError):
        LedgerStore(ledger_path).append({"index": 5})  # writers fail closed too
    assert not quarantine_path(ledger_path).exists()


def test_batch_holds_the_lock_and_fsyncs_once(ledger_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_records(ledger_path, 1)
    calls: list[int] = []
    real_fsync = os.fsync

    def counting_fsync(descriptor: int) -> None:
        calls.append(descriptor)
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    with LedgerStore(ledger_path).batch() as batch:
        for index in range(50):
            batch.append({"index": index})
    assert len(calls) == 1  # HEAD.json is then overwritten in place, not fsynced (a lower bound may lag)
    assert batch.tail.seq == 51
    assert len(LedgerStore(ledger_path).read_envelopes()) == 51


def test_batch_keeps_what_it_wrote_when_the_block_raises(ledger_path: Path) -> None:
    with pytest.raises(RuntimeError), LedgerStore(ledger_path).batch() as batch:
        batch.append({"index": 0})
        batch.append({"index": 1})
        raise RuntimeError("caller failed mid-batch")
    assert [record["index"] for record in LedgerStore(ledger_path).read_records()] == [0, 1]
    assert LedgerStore(ledger_path).append({"index": 2}).seq == 3


def test_reading_an_absent_file_is_empty_and_creates_nothing(ledger_path: Path) -> None:
    assert LedgerStore(ledger_path).read_envelopes() == []
    assert LedgerStore(ledger_path).tail() == ChainTail()
    assert not ledger_path.exists()


def test_refuses_non_object_records(ledger_path: Path) -> None:
    with pytest.raises(TypeError):
        LedgerStore(ledger_path).append([1, 2, 3])
    with pytest.raises(TypeError):
        LedgerStore(ledger_path).append({"when": object()})


def test_peek_last_envelope(ledger_path: Path) -> None:
    assert peek_last_envelope(ledger_path) is None
    write_records(ledger_path, 3)
    peeked = peek_last_envelope(ledger_path)
    assert peeked is not None
    size, envelope = peeked
    assert size == ledger_path.stat().st_size
    assert envelope == LedgerStore(ledger_path).read_envelopes()[-1]
    with ledger_path.open("ab") as handle:
        handle.write(b"torn")
    assert peek_last_envelope(ledger_path) is None


def test_scan_reports_torn_and_errors_without_io() -> None:
    _, first = seal({"a": 1}, ChainTail())
    assert scan(first).tail.seq == 1
    result = scan(first + b'{"x"')
    assert result.torn == b'{"x"' and result.valid_length == len(first) and result.error is None
    result = scan(b"junk\n" + first)
    assert result.error is not None and result.error.line_number == 1
