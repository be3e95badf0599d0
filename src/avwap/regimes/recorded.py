"""The recorded ``REGIME_E1`` labels, read back from the ledger (written by :mod:`avwap.jobs.regime`).

Here, below the job and the scan, so that every reader (the regime job, the ML advisory's features) reads the
stream the same way.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from avwap.ledger.paths import REGIME_E1, ledger_date
from avwap.ledger.records import RegimeRecorded
from avwap.ledger.router import decode_envelope, read_linked


def read_recorded(ledger_dir: Path, start: dt.date, end: dt.date) -> list[RegimeRecorded]:
    """The recorded regimes of ``[start, end]`` (every file's links checked: a cut stream fails closed)."""
    found: list[RegimeRecorded] = []
    for path, envelopes in read_linked(ledger_dir, REGIME_E1):
        day = ledger_date(path)
        if day is None or not start <= day <= end:
            continue
        for envelope in envelopes:
            record = decode_envelope(path, envelope)
            if isinstance(record, RegimeRecorded):
                found.append(record)
    return found


def recorded_labels(ledger_dir: Path, start: dt.date, end: dt.date) -> dict[dt.date, str]:
    """The REGIME_E1 label recorded for each date of [start, end] (empty when the stream does not exist)."""
    if not (ledger_dir / REGIME_E1).is_dir():
        return {}
    return {record.date_ny: record.label for record in read_recorded(ledger_dir, start, end)}
