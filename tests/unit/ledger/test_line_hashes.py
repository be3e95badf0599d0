"""The optional C loop of ``verify --all``'s fast path (``avwap.ledger._line_hashes.chained_digests``) gives
exactly the answers of its Python twin (``verify_all._chained_digests``): the same digests for sound files,
None for the same damaged ones; and ``verify --all`` reports the same with and without it."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pytest
from tests.unit.ledger.test_audit import KEY, build_home, forge_quantity, rewrite_folder

from avwap.ledger import verify_all as verify_all_module
from avwap.ledger.chain import Anchor, ChainTail, scan, seal
from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.verify_all import (
    _C_CHAINED_DIGESTS,
    _chained_digests,
    _fast_scan,
    _fast_scan_python,
    verify_all,
)

BUILD_HINT = (
    "the C loop was not built: install a C compiler and OpenSSL's headers (Debian: gcc libssl-dev), "
    "then make install"
)


def ledger_file(lines: int, seed: int = 0) -> bytes:
    """A day file the ledger's own ``seal`` writes: ``lines`` chained records of varied lengths."""
    generator = np.random.default_rng(seed)
    tail, parts = ChainTail(), []
    for number in range(lines):
        record = {
            "type": "Note",
            "date_ny": dt.date(2026, 4, 1).isoformat(),
            "message": "x" * int(generator.integers(0, 400)),
            "number": number,
        }
        envelope, line = seal(record, tail, Anchor() if number == 0 else None)
        parts.append(line)
        tail = envelope.tail
    return b"".join(parts)


def upper_case_hash_of_line_2(data: bytes) -> bytes:
    lines = data.split(b"\n")
    lines[1] = lines[1][:9] + lines[1][9:73].upper() + lines[1][73:]
    assert lines[1] != data.split(b"\n")[1]
    return b"\n".join(lines)


def both(data: bytes) -> tuple[bytes | None, bytes | None]:
    assert _C_CHAINED_DIGESTS is not None, BUILD_HINT
    lines = data.split(b"\n")[:-1]
    first_hash = scan(lines[0] + b"\n").envelopes[0].hash  # the first line carries an anchor too
    python = _chained_digests(lines[1:], first_hash) if data.endswith(b"\n") else None
    compiled = _C_CHAINED_DIGESTS(data, len(lines[0]) + 1, first_hash.encode("ascii", "replace"))
    return compiled, python


def test_the_install_built_the_c_loop() -> None:
    assert _C_CHAINED_DIGESTS is not None, BUILD_HINT


@pytest.mark.parametrize("lines", [1, 2, 3, 50, 1200])
def test_sound_files_give_the_same_digests(lines: int) -> None:
    compiled, python = both(ledger_file(lines, seed=lines))
    assert compiled is not None and compiled == python
    assert len(compiled) == 32 * (lines - 1)


def test_every_single_byte_change_is_answered_as_the_python_twin_answers_it() -> None:
    data = ledger_file(40, seed=3)
    generator = np.random.default_rng(11)
    first_line_end = data.index(b"\n") + 1
    disagreements, refused = [], 0
    for _ in range(600):
        position = int(generator.integers(first_line_end, len(data) - 1))  # any byte after the first line
        value = int(generator.integers(0, 256))
        if data[position] == value:
            continue
        damaged = data[:position] + bytes([value]) + data[position + 1 :]
        compiled, python = both(damaged)
        refused += compiled is None
        if compiled != python:
            disagreements.append((position, value))
    assert disagreements == []
    assert refused > 400  # nearly every change breaks a hash, a front, a link or a seq


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-1],  # torn tail
        lambda data: data + b'{"hash":"short"}\n',  # a line shorter than the front
        lambda data: data.replace(b',"seq":3}', b',"seq":4}', 1),  # a seq skipped
        upper_case_hash_of_line_2,  # the same digest in upper-case hex
    ],
)
def test_structural_damage_is_none_in_both(damage) -> None:  # type: ignore[no-untyped-def]
    compiled, python = both(damage(ledger_file(10, seed=5)))
    assert compiled is None and python is None


def test_a_first_hash_of_the_wrong_length_is_none() -> None:
    assert _C_CHAINED_DIGESTS is not None, BUILD_HINT
    data = ledger_file(3)
    assert _C_CHAINED_DIGESTS(data, data.index(b"\n") + 1, b"abc") is None
    first_hash = scan(data[: data.index(b"\n") + 1]).envelopes[0].hash.encode("ascii")
    assert _C_CHAINED_DIGESTS(data, data.index(b"\n") + 1, first_hash) is not None  # the same call, sound
    assert _C_CHAINED_DIGESTS(data, len(data) + 1, first_hash) is None


@pytest.mark.parametrize("forged", [False, True])
def test_verify_all_reports_the_same_with_and_without_the_c_loop(
    home: Path, monkeypatch: pytest.MonkeyPatch, forged: bool
) -> None:
    root = build_home(home)
    if forged:
        rewrite_folder(root / PAPER_SIM, forge_quantity)  # hashes recomputed: the seal names it
    compiled = verify_all(root, KEY)
    monkeypatch.setattr(verify_all_module, "_C_CHAINED_DIGESTS", None)
    fallback = verify_all(root, KEY)
    assert compiled.first_break == fallback.first_break
    assert (compiled.first_break is not None) == forged
    assert [(item.path, item.status, item.records, item.last_hash) for item in compiled.files] == [
        (item.path, item.status, item.records, item.last_hash) for item in fallback.files
    ]


def hash_consistent_line(previous: str, middle: bytes, seq: int) -> tuple[bytes, str]:
    """A line whose recorded hash is right for its bytes, whatever they hold (what a forger writes)."""
    body = b'{"prev_hash":"' + previous.encode() + b'",' + middle + b',"seq":%d}' % seq
    digest = hashlib.sha256(body).hexdigest()
    return b'{"hash":"' + digest.encode() + b'",' + body[1:] + b"\n", digest


@pytest.mark.parametrize(
    "middle",
    [
        b'"record":1}{"again":2',  # two JSON values on one line
        b'"record":{"open":1',  # an object left open, closed by nothing
        b'"record":[1,2',  # an array left open
        b'"record":1,"record":2',  # a duplicated key: one value, but not canonical (accepted by both)
    ],
)
def test_a_hash_consistent_line_that_is_not_one_json_value_is_refused_by_both_paths(middle: bytes) -> None:
    data = ledger_file(3, seed=9)
    lines = data.split(b"\n")[:-1]
    envelope = scan(lines[0] + b"\n").envelopes[0]
    second, digest = hash_consistent_line(envelope.hash, middle, 2)
    third, _ = hash_consistent_line(digest, b'"record":{"x":1}', 3)
    forged = lines[0] + b"\n" + second + third
    compiled, python = _fast_scan(forged), _fast_scan_python(forged)
    assert (compiled is None) == (python is None)
    if compiled is not None and python is not None:
        assert compiled.last_hash() == python.last_hash()
    assert (compiled is None) == (middle != b'"record":1,"record":2')


def test_fast_scan_answers_every_byte_change_as_its_python_twin() -> None:
    data = ledger_file(30, seed=4)
    generator = np.random.default_rng(21)
    for _ in range(400):
        position = int(generator.integers(0, len(data)))
        damaged = data[:position] + bytes([int(generator.integers(0, 256))]) + data[position + 1 :]
        compiled, python = _fast_scan(damaged), _fast_scan_python(damaged)
        assert (compiled is None) == (python is None), position
        if compiled is not None and python is not None:
            assert compiled.last_hash() == python.last_hash()
