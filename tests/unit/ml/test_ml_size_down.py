"""ML_ADVISORY_SIZE_DOWN: a risk-reduction input only. The pure parts (multipliers, scale_down, the decision
after the plane) for random inputs, the setting's validation, and the backtest (the production cycle) with
random scores against the same run without them: entries a subset, quantities smaller or equal, exits alike.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.ml.market import random_model

from avwap.backtest.run import run_backtest
from avwap.control import reasons
from avwap.control.sizing import scale_down
from avwap.core.config import load_config
from avwap.core.errors import ConfigurationError
from avwap.data.synthetic import SyntheticMarketSpec, ensure_market
from avwap.ledger.paths import BACKTEST
from avwap.ledger.record_enums import DecisionOutcome, OrderPurpose
from avwap.ledger.records import Decision, OrderSubmitted, PositionClosed, Record
from avwap.ledger.router import Ledger
from avwap.watchlist.advisory import AdvisoryScore, AdvisoryScores, size_multipliers

PROBABILITY = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
FRACTION = st.decimals(min_value=0, max_value=1, places=3)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=-3, max_value=10_000), st.decimals(allow_nan=True, allow_infinity=True, places=4)
)
def test_scale_down_never_raises_a_quantity_nor_creates_one(quantity: int, multiplier: Decimal) -> None:
    scaled = scale_down(quantity, multiplier)
    if quantity < 1:
        assert scaled == quantity  # no entry stays no entry
    else:
        assert 1 <= scaled <= quantity  # at least a share: the entry is neither created nor removed
    if multiplier.is_finite() and quantity >= 1 and 0 <= multiplier < 1:
        assert scaled == max(1, int(quantity * multiplier))
    assert scale_down(quantity, 1.5) == quantity  # a float is not a multiplier: ignored, never applied


@settings(max_examples=100, deadline=None)
@given(st.lists(PROBABILITY, min_size=0, max_size=40), FRACTION, FRACTION)
def test_the_bottom_share_of_scores_gets_the_multiplier_and_nobody_gets_more_than_one(
    probabilities: list[float], share: Decimal, multiplier: Decimal
) -> None:
    scores = AdvisoryScores(
        dt.date(2025, 5, 30),
        "sha",
        tuple(AdvisoryScore(f"S{index:02d}", index + 1, p) for index, p in enumerate(probabilities)),
    )
    table = size_multipliers(scores, share, multiplier)
    assert set(table) == {item.symbol for item in scores.scores}
    assert all(value <= 1 for value in table.values())
    reduced = sorted(symbol for symbol, value in table.items() if value < 1)
    if multiplier < 1 and share > 0 and probabilities:
        assert len(reduced) == math.ceil(share * len(probabilities))
        worst_kept = min((scores.of(s).p_hit_r1 for s in table if s not in reduced), default=2.0)  # type: ignore[union-attr]
        assert all(scores.of(s).p_hit_r1 <= worst_kept for s in reduced)  # type: ignore[union-attr]
    assert size_multipliers(scores, Decimal(5), Decimal(7)) == dict.fromkeys(table, Decimal(1))


def test_size_down_needs_the_advisory_opt_in() -> None:
    with pytest.raises(ConfigurationError, match="ML_ADVISORY_SIZE_DOWN"):
        load_config({"ML_ADVISORY_SIZE_DOWN": "1"})
    config = load_config({"ML_ADVISORY_SIZE_DOWN": "1", "ML_ADVISORY": "1"})
    assert config.ml_advisory_size_down and config.ml_advisory_size_down_multiplier == Decimal("0.5")
    with pytest.raises(ConfigurationError, match="ML_ADVISORY_SIZE_DOWN_MULTIPLIER"):
        load_config({"ML_ADVISORY": "1", "ML_ADVISORY_SIZE_DOWN_MULTIPLIER": "1.5"})


# ------------------------------------------------------------------------------------------- backtest

SPEC = SyntheticMarketSpec(
    seed=7, symbols=30, daily_start=dt.date(2025, 9, 2), daily_end=dt.date(2026, 11, 30), intraday_start=None
)
START, END = dt.date(2026, 9, 1), dt.date(2026, 9, 30)


@cache
def market(base: str) -> Path:
    root = Path(base) / "market"
    ensure_market(SPEC, root, owned=True)
    return root


def _run(market_root: Path, out: Path, **environ: str) -> list[Record]:
    run_backtest(
        environ, start=START, end=END, data_root=market_root, out=out, resolution="1d", code_version="t"
    )
    return Ledger(out / "home" / "ledger").read_book(BACKTEST)


@cache
def baseline(base: str) -> tuple[Record, ...]:
    return tuple(_run(market(base), Path(base) / "baseline"))


def _entries(records: list[Record] | tuple[Record, ...]) -> dict[tuple[dt.date, str], int]:
    return {
        (record.date_ny, record.symbol): record.quantity
        for record in records
        if isinstance(record, OrderSubmitted) and record.purpose == OrderPurpose.ENTRY
    }


def _exits(records: list[Record] | tuple[Record, ...]) -> dict[tuple[str, str], tuple[dt.date, Any]]:
    """(strategy, symbol, entry order) of each closed position -> (exit date, exit price)."""
    return {
        (record.strategy_id, record.position_id): (record.date_ny, record.exit_price)
        for record in records
        if isinstance(record, PositionClosed)
    }


@settings(max_examples=3, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.sampled_from(["0", "0.3", "0.7"]))
def test_in_the_backtest_size_down_only_shrinks_entries_and_leaves_exits_alone(
    tmp_path_factory: pytest.TempPathFactory, seed: int, multiplier: str
) -> None:
    base = str(tmp_path_factory.getbasetemp())
    without = baseline(base)
    work = tmp_path_factory.mktemp("sized")
    records = _run(
        market(base),
        work / "run",
        ML_ADVISORY="1",
        ML_ADVISORY_SIZE_DOWN="1",
        ML_ADVISORY_SIZE_DOWN_MULTIPLIER=multiplier,
        ML_ADVISORY_MODEL_DIR=str(random_model(work / "model", seed)),
    )
    sized, plain = _entries(records), _entries(without)
    assert sized and set(sized) <= set(plain)  # never an entry the run without scores did not make
    assert all(sized[key] <= plain[key] for key in sized)  # never a larger one
    downs = [
        r for r in records if isinstance(r, Decision) and reasons.ML_ADVISORY_SIZED_DOWN in r.reason_codes
    ]
    assert downs and all(r.outcome == DecisionOutcome.RESIZE and r.approved_quantity >= 1 for r in downs)
    assert any(sized[(r.date_ny, r.symbol)] < plain[(r.date_ny, r.symbol)] for r in downs)
    assert {key: value[0] for key, value in _exits(records).items()} == {
        key: value[0] for key, value in _exits(without).items()
    }  # the same positions close on the same days
