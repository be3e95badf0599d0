"""Several OS processes append to one ledger file at once: nothing lost, nothing interleaved, chain intact."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

from avwap.ledger.links import read_head
from avwap.ledger.store import LedgerStore
from avwap.ledger.verify import verify_path

WORKER = """
import sys, time
from pathlib import Path
from avwap.ledger.store import LedgerStore

path, worker, count = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
go, batched = Path(sys.argv[4]), sys.argv[5]
while not go.exists():  # start together to maximize contention
    time.sleep(0.001)
store = LedgerStore(path)
padding = "x" * (worker * 300)  # lines of different lengths make interleaving visible
if batched == "1":
    for start in range(0, count, 25):
        with store.batch() as batch:
            for index in range(start, min(start + 25, count)):
                batch.append({"worker": worker, "index": index, "padding": padding})
else:
    for index in range(count):
        store.append({"worker": worker, "index": index, "padding": padding})
"""

WORKERS = 4
PER_WORKER = 250


def test_concurrent_processes_append_without_loss_or_interleaving(tmp_path: Path) -> None:
    path = tmp_path / "ledger" / "STRESS_TEST" / "2026-04-01.jsonl"
    go = tmp_path / "go"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(path), str(worker), str(PER_WORKER), str(go), str(worker % 2)],
            stderr=subprocess.PIPE,
        )
        for worker in range(WORKERS)
    ]
    time.sleep(0.3)  # let every interpreter start and wait at the gate
    go.touch()
    for process in processes:
        _, error = process.communicate(timeout=120)
        assert process.returncode == 0, error.decode()

    raw_lines = path.read_bytes().split(b"\n")
    assert raw_lines[-1] == b""  # file ends with a newline
    parsed = [json.loads(line) for line in raw_lines[:-1]]  # every line is whole JSON: no interleaving
    assert len(parsed) == WORKERS * PER_WORKER

    envelopes = LedgerStore(path).read_envelopes()  # raises on any chain or sequence problem
    head = read_head(path.parent)  # every head update happened under the file lock: the last one wins
    assert head is not None and (head.file, head.seq, head.hash) == (
        path.name,
        envelopes[-1].seq,
        envelopes[-1].hash,
    )
    assert all(report.ok for report in verify_path(path.parent))
    assert [envelope.seq for envelope in envelopes] == list(range(1, WORKERS * PER_WORKER + 1))
    seen: dict[int, list[int]] = {worker: [] for worker in range(WORKERS)}
    for envelope in envelopes:
        record = envelope.record
        assert record["padding"] == "x" * (record["worker"] * 300)
        seen[record["worker"]].append(record["index"])
    for worker in range(WORKERS):
        assert seen[worker] == list(range(PER_WORKER))  # all present, each writer's order kept
    # writers interleaved at line granularity (the test really exercised contention)
    switches = sum(1 for a, b in itertools.pairwise(envelopes) if a.record["worker"] != b.record["worker"])
    assert switches >= WORKERS - 1
