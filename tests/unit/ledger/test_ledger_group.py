"""Records appended together go out in ONE write: a crash keeps all of them or none."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from avwap.ledger.record_enums import AlertLevel
from avwap.ledger.records import Alert
from avwap.ledger.router import Ledger
from avwap.ledger.verify import verify_path

DAY = dt.date(2026, 11, 2)
MOMENT = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)


def alert(code: str, day: dt.date = DAY) -> Alert:
    return Alert(book_id="PAPER_SIM", date_ny=day, ts=MOMENT, level=AlertLevel.INFO, code=code, message=code)


def test_group_is_one_write_and_chains(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = Ledger(tmp_path)
    ledger.append(alert("FIRST"))
    writes: list[int] = []
    real_write = os.write

    def counting_write(descriptor: int, data: bytes | memoryview) -> int:
        writes.append(len(data))
        return real_write(descriptor, data)

    monkeypatch.setattr(os, "write", counting_write)
    envelopes = ledger.append_together([alert("A"), alert("B"), alert("C")])
    monkeypatch.undo()
    assert len(writes) == 1
    assert [envelope.seq for envelope in envelopes] == [2, 3, 4]
    codes = [getattr(record, "code", None) for record in ledger.read_book("PAPER_SIM")]
    assert codes == ["FIRST", "A", "B", "C"]
    assert all(report.ok for report in verify_path(tmp_path))
    ledger.append(alert("AFTER"))  # the cached tail continues the chain
    assert all(report.ok for report in verify_path(tmp_path))


def test_group_must_share_book_and_date(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="share"):
        Ledger(tmp_path).append_together([alert("A"), alert("B", DAY + dt.timedelta(days=1))])
