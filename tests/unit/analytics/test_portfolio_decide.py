"""``portfolio decide``: inputs read fail-closed, artifact + ledger + latest pointer, bad input refused."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from tests.unit.analytics.portfolio_fixtures import (
    DAY,
    PREVIOUS,
    write_candidates_artifact,
    write_daily_bars,
    write_snapshot,
)

from avwap.control import reasons as r
from avwap.control.portfolio.records import Verdict
from avwap.core.canonical import sha256_hex
from avwap.core.clock import FixedClock
from avwap.core.config import Config, load_config
from avwap.core.errors import DataError
from avwap.jobs import portfolio_decide as job
from avwap.jobs.portfolio_decide import build_batch, decisions_path, latest_path, read_batch, write_batch
from avwap.ledger.records import PortfolioDecisionsRecorded
from avwap.ledger.router import read_file_records
from avwap.strategies.registry import S1_AVWAP_CORE, S1_AVWAP_CORE_SHADOW
from avwap.watchlist.artifact import candidates_path

CLOCK = FixedClock(dt.datetime(2026, 4, 2, 12, 0, tzinfo=dt.UTC))
BOOK = "PAPER_SIM"


@pytest.fixture
def ready(config: Config) -> Config:
    write_candidates_artifact(config, DAY, ["MSFT", "XOM"])
    write_snapshot(config, BOOK, PREVIOUS, {"AAPL": 50})
    write_daily_bars(config, ["AAPL", "MSFT", "XOM"], PREVIOUS)
    return config


def test_decides_every_candidate_for_s1_and_its_shadow_and_writes_everything(ready: Config) -> None:
    batch = build_batch(ready, BOOK, DAY, CLOCK)
    assert batch.inputs_ok and batch.strategies == (S1_AVWAP_CORE, S1_AVWAP_CORE_SHADOW)
    pairs = [(item.strategy_id, item.symbol) for item in batch.decisions]
    assert pairs == [(strategy, symbol) for strategy in batch.strategies for symbol in ("MSFT", "XOM")]
    assert all(item.verdict is Verdict.ALLOW for item in batch.decisions)
    assert batch.decisions[0].max_correlation is not None  # measured from the stored bars
    path, digest = write_batch(ready, batch, CLOCK)
    assert path == decisions_path(ready.artifacts_dir, BOOK, DAY) and sha256_hex(path.read_bytes()) == digest
    assert read_batch(path) == batch
    document = json.loads(path.read_bytes())
    assert batch.candidates_sha256 == sha256_hex(candidates_path(ready.artifacts_dir, DAY).read_bytes())
    assert document["provenance"]["as_of_date_ny"] == DAY.isoformat()
    (record,) = read_file_records(ready.ledger_dir / "PORTFOLIO_DECISIONS" / f"{DAY}.jsonl")
    assert isinstance(record, PortfolioDecisionsRecorded) and record.batch_sha256 == digest
    assert len(record.decisions) == 4 and record.snapshot_sha256 == batch.snapshot_sha256
    pointer = json.loads(latest_path(ready.artifacts_dir, BOOK).read_bytes())
    assert (pointer["date_ny"], pointer["sha256"]) == (DAY.isoformat(), digest)
    write_batch(ready, build_batch(ready, BOOK, DAY, CLOCK), CLOCK)  # a rerun: same bytes, recorded once
    assert len(read_file_records(ready.ledger_dir / "PORTFOLIO_DECISIONS" / f"{DAY}.jsonl")) == 1


def test_shadow_can_be_switched_off(ready: Config) -> None:
    config = load_config({}, home=ready.home, portfolio_shadow=False)
    assert build_batch(config, BOOK, DAY, CLOCK).strategies == (S1_AVWAP_CORE,)


def _blocked_with(config: Config, code: str, day: dt.date = DAY) -> None:
    batch = build_batch(config, BOOK, day, CLOCK)
    assert not batch.inputs_ok and code in batch.input_reasons and batch.allowed == 0
    assert all(code in item.reason_codes for item in batch.decisions)


def test_missing_candidates_block_everything_explicitly(config: Config) -> None:
    write_snapshot(config, BOOK, PREVIOUS, {})
    batch = build_batch(config, BOOK, DAY, CLOCK)
    assert batch.input_reasons == (r.PORTFOLIO_CANDIDATES_MISSING,) and batch.decisions == ()
    write_batch(config, batch, CLOCK)
    (record,) = read_file_records(config.ledger_dir / "PORTFOLIO_DECISIONS" / f"{DAY}.jsonl")
    assert isinstance(record, PortfolioDecisionsRecorded) and record.inputs_ok is False


def test_truncated_candidates_are_invalid(ready: Config) -> None:
    path = candidates_path(ready.artifacts_dir, DAY)
    path.write_bytes(path.read_bytes()[:200])
    _blocked_with(ready, r.PORTFOLIO_CANDIDATES_INVALID)


def test_duplicated_and_nan_candidates_are_invalid(ready: Config) -> None:
    path = candidates_path(ready.artifacts_dir, DAY)
    document = json.loads(path.read_bytes())
    twice = {**document, "candidates": document["candidates"] + document["candidates"][:1]}
    path.write_text(json.dumps(twice))
    _blocked_with(ready, r.PORTFOLIO_CANDIDATES_INVALID)
    document["candidates"][0]["distance"] = float("nan")
    path.write_text(json.dumps(document))
    _blocked_with(ready, r.PORTFOLIO_CANDIDATES_INVALID)


def test_candidates_of_another_day_are_stale(ready: Config) -> None:
    other = write_candidates_artifact(ready, PREVIOUS, ["MSFT"])
    shutil.copy(other, candidates_path(ready.artifacts_dir, DAY))
    _blocked_with(ready, r.PORTFOLIO_CANDIDATES_STALE)


def test_snapshot_missing_stale_unreadable_or_of_another_book(ready: Config) -> None:
    folder = ready.artifacts_dir / "snapshots" / BOOK
    shutil.rmtree(folder)
    _blocked_with(ready, r.PORTFOLIO_SNAPSHOT_MISSING)
    write_snapshot(ready, BOOK, dt.date(2026, 3, 25), {"AAPL": 50})
    _blocked_with(ready, r.PORTFOLIO_SNAPSHOT_STALE)
    other = write_snapshot(ready, "ALPACA_PAPER", PREVIOUS, {"AAPL": 50})
    shutil.copy(other, folder / f"{PREVIOUS}.json")
    _blocked_with(ready, r.PORTFOLIO_SNAPSHOT_BOOK_MISMATCH)
    (folder / f"{PREVIOUS}.json").write_text('{"kind": "portfolio_snapshot", "snap')
    _blocked_with(ready, r.PORTFOLIO_SNAPSHOT_INVALID)


def test_a_holiday_blocks_everything(ready: Config) -> None:
    holiday = dt.date(2026, 12, 25)
    write_candidates_artifact(ready, holiday, ["MSFT"])
    _blocked_with(ready, r.PORTFOLIO_NOT_A_SESSION, holiday)


def test_nothing_is_written_when_the_batch_cannot_be_built(
    ready: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: object) -> None:
        raise ValueError("engine bug")

    monkeypatch.setattr(job, "decide", broken)
    with pytest.raises(ValueError, match="engine bug"):
        build_batch(ready, BOOK, DAY, CLOCK)
    assert not (ready.artifacts_dir / "portfolio_decisions").exists()
    assert not (ready.ledger_dir / "PORTFOLIO_DECISIONS").exists()


def _stored(ready: Config) -> tuple[Path, dict[str, object]]:
    path, _ = write_batch(ready, build_batch(ready, BOOK, DAY, CLOCK), CLOCK)
    return path, json.loads(path.read_bytes())


@pytest.mark.parametrize("damage", ["truncated", "schema", "unknown", "duplicate", "nan", "kind"])
def test_reading_a_damaged_decision_artifact_is_a_clear_error(ready: Config, damage: str) -> None:
    path, document = _stored(ready)
    batch = dict(document["batch"])  # type: ignore[arg-type]
    decisions = list(batch["decisions"])
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:-40])
    else:
        if damage == "schema":
            batch["schema_version"] = 2
        elif damage == "unknown":
            batch["extra"] = True
        elif damage == "duplicate":
            batch["decisions"] = [decisions[0], decisions[0], *decisions[1:]]
        elif damage == "nan":
            batch["decisions"] = [{**decisions[0], "max_correlation": float("nan")}, *decisions[1:]]
        path.write_text(
            json.dumps(
                {**document, "batch": batch, "kind": "other" if damage == "kind" else "portfolio_decisions"}
            )
        )
    with pytest.raises(DataError, match="portfolio decision batch"):
        read_batch(path)


def test_an_older_day_cannot_be_decided_after_a_later_one(ready: Config) -> None:
    write_batch(ready, build_batch(ready, BOOK, DAY, CLOCK), CLOCK)
    write_candidates_artifact(ready, PREVIOUS, ["MSFT"])
    with pytest.raises(DataError, match="append-only"):  # the ledger of decisions is append-only by day
        write_batch(ready, build_batch(ready, BOOK, PREVIOUS, CLOCK), CLOCK)
    pointer = json.loads(latest_path(ready.artifacts_dir, BOOK).read_bytes())
    assert pointer["date_ny"] == DAY.isoformat()
    assert not decisions_path(ready.artifacts_dir, BOOK, PREVIOUS).exists()


def test_an_incomplete_reconciliation_at_the_snapshot_close_blocks_everything(ready: Config) -> None:
    from avwap.core.errors import BrokerUnavailableError
    from avwap.jobs.portfolio import reconcile_state
    from avwap.ledger.projection import fold_book

    class TimingOut:
        def _fail(self, *_: object) -> object:
            raise BrokerUnavailableError("Alpaca unreachable (outcome unknown): HTTP 503")

        account = positions = open_orders = fills = _fail

    outcome = reconcile_state(ready, fold_book([], BOOK), [], PREVIOUS, clock=CLOCK, view=TimingOut())
    assert not outcome.report.complete
    _blocked_with(ready, r.PORTFOLIO_RECONCILIATION_INCOMPLETE)
    outcome.path.write_text("{ truncated")  # unreadable is unknown too
    _blocked_with(ready, r.PORTFOLIO_RECONCILIATION_INCOMPLETE)
    outcome.path.unlink()  # no report (a book nobody reconciles): not a problem
    assert build_batch(ready, BOOK, DAY, CLOCK).inputs_ok
