"""Walk-forward: the window arithmetic, the choice of parameters on each training window, and the stitched
out-of-sample figures, on a tiny synthetic market whose returns are a known function of the parameters
and the date (a stand-in for the engine, so every figure can be computed by hand)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from pathlib import Path

import pytest

from avwap.backtest.metrics import summarize
from avwap.backtest.sweep import SweepRequest, run_sweep
from avwap.backtest.sweep_grid import grid_from_mapping
from avwap.backtest.sweep_tasks import RunPayload, RunTask
from avwap.backtest.sweep_workers import Workers
from avwap.backtest.walk_forward import (
    Span,
    WalkForwardSpec,
    choose,
    parse_walk_forward,
    stitch,
    walk_forward_windows,
)
from avwap.core.calendar import nyse
from avwap.core.canonical import to_plain
from avwap.core.errors import ConfigurationError

D = dt.date


def test_parse_walk_forward() -> None:
    assert parse_walk_forward("train=2y,test=6m") == WalkForwardSpec(Span(2, "y"), Span(6, "m"))
    assert parse_walk_forward("test=2w, train=30d") == WalkForwardSpec(Span(30, "d"), Span(2, "w"))
    for bad in ("train=2y", "train=2y,test=0m", "train=2x,test=1m", "train=2y,test=1m,train=1y", "2y,6m"):
        with pytest.raises(ConfigurationError) as raised:
            parse_walk_forward(bad)
        assert raised.value.variable == "--walk-forward"


def test_spans_add_calendar_units_and_clamp_month_ends() -> None:
    assert Span(1, "m").after(D(2026, 1, 31)) == D(2026, 2, 28)
    assert Span(2, "y").after(D(2024, 2, 29)) == D(2026, 2, 28)
    assert Span(6, "m").after(D(2025, 9, 15)) == D(2026, 3, 15)
    assert Span(2, "w").after(D(2026, 1, 1)) == D(2026, 1, 15)


def test_windows_roll_by_the_test_span_and_the_last_is_cut_at_the_end() -> None:
    windows = walk_forward_windows(parse_walk_forward("train=2y,test=6m"), D(2020, 1, 1), D(2022, 10, 31))
    spans = [(w.train_start, w.train_end, w.test_start, w.test_end) for w in windows]
    assert spans == [
        (D(2020, 1, 1), D(2021, 12, 31), D(2022, 1, 1), D(2022, 6, 30)),
        (D(2020, 7, 1), D(2022, 6, 30), D(2022, 7, 1), D(2022, 10, 31)),  # cut at --to
    ]
    assert [window.name for window in windows] == ["w00", "w01"]
    # Test windows tile [from + train, to] without gap or overlap.
    for earlier, later in itertools.pairwise(windows):
        assert later.test_start == earlier.test_end + dt.timedelta(days=1)
    with pytest.raises(ConfigurationError, match="shorter than one training window"):
        walk_forward_windows(parse_walk_forward("train=2y,test=6m"), D(2020, 1, 1), D(2021, 12, 31))


# ------------------------------------------------------------ a market whose returns are known by date

REGIME_CHANGE = D(2026, 4, 1)
DAILY = {"p000": (0.001, -0.001), "p001": (0.0005, 0.0005)}  # (before April, from April)


def market_run(task: RunTask) -> RunPayload:
    """p000 earns 0.1 % a session until April and loses 0.1 % after; p001 earns 0.05 % throughout."""
    sessions = nyse().sessions(task.start, task.end)
    before, after = DAILY[task.parameters.id]
    equity = [100_000.0]
    for day in sessions:
        equity.append(equity[-1] * (1 + (before if day < REGIME_CHANGE else after)))
    dates = (nyse().previous_session(sessions[0]), *sessions)
    summary = summarize(dates, equity)
    return RunPayload(task.key, task.parameters.id, to_plain(summary), dates, tuple(equity), ())


def test_walk_forward_chooses_on_training_windows_and_reports_stitched_out_of_sample(tmp_path: Path) -> None:
    grid = grid_from_mapping({"STOP_BUFFER": [0.05, 0.10]})
    request = SweepRequest(
        grid=grid,
        start=D(2026, 1, 1),
        end=D(2026, 6, 30),
        data_root=tmp_path,
        out=tmp_path / "sweep",
        environ={},
        metric="total_return",
        walk_forward=parse_walk_forward("train=2m,test=1m"),
        code_version="test",
    )
    outcome = run_sweep(request, Workers(count=1), market_run)
    rows = outcome.tables.windows
    # Trained on Jan-Feb and Feb-Mar, p000 looks best and is chosen; it then loses in April (the regime
    # changes): in-sample gains, out-of-sample loss, side by side. From Mar-Apr on, p001 is chosen.
    assert [row.chosen for row in rows] == ["p000", "p000", "p001", "p001"]
    assert [(row.window.test_start, row.window.test_end) for row in rows] == [
        (D(2026, 3, 1), D(2026, 3, 31)),
        (D(2026, 4, 1), D(2026, 4, 30)),
        (D(2026, 5, 1), D(2026, 5, 31)),
        (D(2026, 6, 1), D(2026, 6, 30)),
    ]
    in_sample, out_of_sample = rows[1].in_sample["total_return"], rows[1].out_of_sample["total_return"]
    assert in_sample is not None and out_of_sample is not None and in_sample > 0 > out_of_sample
    # The stitched curve compounds exactly the chosen sets' test-window returns.
    expected = 1.0
    for row in rows:
        for day in nyse().sessions(row.window.test_start, row.window.test_end):
            expected *= 1 + DAILY[row.chosen][0 if day < REGIME_CHANGE else 1]
    assert outcome.tables.stitched is not None
    assert math.isclose(
        outcome.tables.stitched["total_return"] or 0.0, expected - 1, abs_tol=1e-9
    )  # rounded to 10 decimals
    # Only the chosen sets ran out of sample; every set ran on every training window.
    runs = sorted(path.name for path in (tmp_path / "sweep").glob("*.json"))
    assert runs == ["results.json", "walk_forward.json"]
    written = json.loads((tmp_path / "sweep" / "walk_forward.json").read_text(encoding="utf-8"))
    assert [window["chosen"] for window in written["windows"]] == ["p000", "p000", "p001", "p001"]
    assert len(written["training_runs"]) == 8
    csv_lines = (tmp_path / "sweep" / "walk_forward.csv").read_text(encoding="utf-8").splitlines()
    assert csv_lines[0].startswith(
        "window,train_from,train_to,test_from,test_to,chosen,in_sample_total_return"
    )
    assert len(csv_lines) == 5
    report = (tmp_path / "sweep" / "report.html").read_text(encoding="utf-8")
    assert "Walk-forward" in report and "In-sample vs out-of-sample" in report and "<svg" in report


def test_choose_prefers_defined_then_higher_then_grid_order() -> None:
    def payload(parameter_id: str, sharpe: float | None) -> RunPayload:
        return RunPayload(parameter_id, parameter_id, {"sharpe": sharpe}, (), (), ())

    order = {"p000": 0, "p001": 1, "p002": 2}
    assert choose(
        [payload("p000", None), payload("p001", 0.5), payload("p002", 1.5)], "sharpe", order
    ).key == ("p002")
    assert (
        choose([payload("p002", 1.0), payload("p001", 1.0)], "sharpe", order).key == "p001"
    )  # tie: grid order
    assert choose([payload("p001", None), payload("p000", None)], "sharpe", order).key == "p000"


def test_stitch_chains_windows_from_each_previous_end() -> None:
    first = RunPayload("a", "p000", {}, (D(2026, 1, 2), D(2026, 1, 5)), (100.0, 110.0), ())
    second = RunPayload("b", "p000", {}, (D(2026, 1, 5), D(2026, 1, 6)), (100.0, 95.0), ())
    summary = stitch([first, second])
    assert summary.start_date == D(2026, 1, 2) and summary.end_date == D(2026, 1, 6)
    assert summary.ending_equity == pytest.approx(110.0 * 0.95)
    assert summary.sessions == 2
