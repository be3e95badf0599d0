"""The demo (the backtest engine's demo preset: the production scan job each morning, intraday cycles) with
ML_ADVISORY=1 and ML_ADVISORY_SIZE_DOWN=1: the scan job writes each day's advisory scores, and the cycle only
ever shrinks an entry, against the same demo without the advisory."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.ml.market import random_model

from avwap.control import reasons
from avwap.demo.run import run_demo
from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.record_enums import OrderPurpose
from avwap.ledger.records import Decision, OrderSubmitted, PositionClosed, Record
from avwap.ledger.router import Ledger

SESSIONS = 4


def _book(home: Path) -> list[Record]:
    return Ledger(home / "ledger").read_book(PAPER_SIM)


def _entries(records: list[Record]) -> dict[tuple[object, str], int]:
    return {
        (record.date_ny, record.symbol): record.quantity
        for record in records
        if isinstance(record, OrderSubmitted) and record.purpose == OrderPurpose.ENTRY
    }


def test_the_demo_scores_each_morning_and_only_sizes_entries_down(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    plain, sized = (tmp_path_factory.mktemp(name) / "home" for name in ("plain", "sized"))
    run_demo({}, plain, sessions=SESSIONS)
    model = random_model(tmp_path_factory.mktemp("model") / "model", seed=5)
    environ = {
        "ML_ADVISORY": "1",
        "ML_ADVISORY_SIZE_DOWN": "1",
        "ML_ADVISORY_SIZE_DOWN_BOTTOM": "1",  # every scored candidate: the property is tested on all entries
        "ML_ADVISORY_MODEL_DIR": str(model),
    }
    run_demo(environ, sized, sessions=SESSIONS)
    assert len(list((sized / "artifacts" / "ml").glob("advisory_scores_*.json"))) == SESSIONS
    assert not (plain / "artifacts" / "ml").exists()
    with_scores, without = _book(sized), _book(plain)
    down, base = _entries(with_scores), _entries(without)
    assert down and set(down) <= set(base) and all(down[key] <= base[key] for key in down)
    assert any(down[key] < base[key] for key in down)
    assert any(
        isinstance(record, Decision) and reasons.ML_ADVISORY_SIZED_DOWN in record.reason_codes
        for record in with_scores
    )
    closed = {r.position_id: r.date_ny for r in with_scores if isinstance(r, PositionClosed)}
    assert closed == {r.position_id: r.date_ny for r in without if isinstance(r, PositionClosed)}
