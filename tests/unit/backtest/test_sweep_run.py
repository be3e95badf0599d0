"""``avwap backtest sweep`` on a small synthetic market through the real backtest engine: one run per
parameter set (each exactly what ``avwap backtest`` writes with that Config), the results table, the
report with its heatmap, byte-identical reruns, and the same bytes on local Ray with 2 workers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from avwap.backtest.run import run_backtest
from avwap.backtest.sweep import SweepRequest, run_sweep
from avwap.backtest.sweep_grid import grid_from_mapping
from avwap.backtest.sweep_workers import Workers
from avwap.data.synthetic import SyntheticMarketSpec, ensure_market

SPEC = SyntheticMarketSpec(
    seed=7,
    symbols=12,
    daily_start=dt.date(2025, 9, 2),
    daily_end=dt.date(2026, 9, 30),
    intraday_start=dt.date(2026, 9, 29),
)
START, END = dt.date(2026, 9, 14), dt.date(2026, 9, 22)
CAPS = {"MAX_GROSS_EXPOSURE": "100000", "MAX_NOTIONAL_PER_SYMBOL": "10000", "MAX_RISK_PER_TRADE": "500"}
GRID = {"STOP_BUFFER": [0.05, 0.5], "MAX_POSITIONS": [1, 10]}


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sweep-market") / "market"
    ensure_market(SPEC, root, owned=True)
    return root


def request_for(market: Path, out: Path, **changes: object) -> SweepRequest:
    fields: dict[str, object] = {
        "grid": grid_from_mapping(GRID),
        "start": START,
        "end": END,
        "data_root": market,
        "out": out,
        "environ": {**CAPS, "SLACK_BOT_TOKEN": "never shipped"},
        "resolution": "1d",
        "metric": "total_return",
        "code_version": "test",
    }
    fields.update(changes)
    return SweepRequest(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def in_process(market: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sweep") / "in-process"
    run_sweep(request_for(market, out), Workers(count=1))
    return out


def test_each_set_is_a_normal_backtest_run_and_the_table_is_sorted(
    in_process: Path, market: Path, tmp_path: Path
) -> None:
    results = json.loads((in_process / "results.json").read_text(encoding="utf-8"))
    rows = results["results"]
    assert [row["rank"] for row in rows] == [1, 2, 3, 4]
    assert sorted(row["id"] for row in rows) == ["p000", "p001", "p002", "p003"]
    values = [row["total_return"] for row in rows]
    assert values == sorted(values, reverse=True)
    assert results["parameter_sets"]["p001"] == {"MAX_POSITIONS": 1, "STOP_BUFFER": 0.5}
    assert "workers" not in results and str(in_process) not in (in_process / "results.json").read_text()
    # One engine: p003's run folder is byte-for-byte what `avwap backtest` writes with those settings.
    single = tmp_path / "single"
    run_backtest(
        {**CAPS, "MAX_POSITIONS": "10", "STOP_BUFFER": "0.5"},
        start=START,
        end=END,
        data_root=market,
        out=single,
        resolution="1d",
        code_version="test",
    )
    assert tree(single) == tree(in_process / "runs" / "p003")
    summary = json.loads((single / "summary.json").read_text(encoding="utf-8"))
    row = next(row for row in rows if row["id"] == "p003")
    assert row["total_return"] == summary["total_return"] and row["trade_count"] == summary["trade_count"]
    # The caps differ between sets, and they change what was traded.
    assert len({row["trade_count"] for row in rows} | {row["ending_equity"] for row in rows}) > 2


def test_a_task_carries_settings_not_secrets_and_absolute_paths(market: Path, tmp_path: Path) -> None:
    from avwap.backtest.sweep import task

    config = tmp_path / "research.toml"
    request = request_for(
        market,
        Path("relative-out"),
        environ={**CAPS, "SLACK_BOT_TOKEN": "x", "AVWAP_CONFIG": str(config), "HOME": "/root"},
    )
    item = request.grid.sets[0]
    shipped = task(request, item.id, item, START, END)
    assert dict(shipped.environ) == CAPS  # no secret, no unrelated variable
    assert shipped.config_file == str(config.resolve())  # AVWAP_CONFIG still applies, as a file
    assert Path(shipped.out).is_absolute() and shipped.out.endswith("relative-out/runs/p000")
    assert Path(shipped.data_root).is_absolute()


def test_csv_and_report_with_a_heatmap_and_no_external_assets(in_process: Path) -> None:
    lines = (in_process / "results.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("rank,id,MAX_POSITIONS,STOP_BUFFER,total_return,cagr,sharpe")
    assert len(lines) == 5
    report = (in_process / "report.html").read_text(encoding="utf-8")
    assert "total_return by MAX_POSITIONS and STOP_BUFFER" in report
    assert report.count("<rect") == 4  # one cell per pair of values
    assert "http://" not in report.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in report and "<script src" not in report


@pytest.mark.slow
def test_reruns_are_byte_identical(in_process: Path, market: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    run_sweep(request_for(market, again), Workers(count=1))
    assert tree(again) == tree(in_process)


def test_a_bad_request_names_the_option(market: Path, tmp_path: Path) -> None:
    from avwap.core.errors import ConfigurationError

    for changes, variable in (
        ({"metric": "luck"}, "--metric"),
        ({"heatmap": ("STOP_BUFFER", "MAX_ORDERS")}, "--heatmap"),
        ({"end": START - dt.timedelta(days=1)}, "--to"),
    ):
        with pytest.raises(ConfigurationError) as raised:
            run_sweep(request_for(market, tmp_path / "bad", **changes), Workers(count=1))
        assert raised.value.variable == variable
    (tmp_path / "occupied").mkdir()
    (tmp_path / "occupied" / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not a sweep folder"):
        run_sweep(request_for(market, tmp_path / "occupied"), Workers(count=1))


def test_cli_sweep_json_csv_and_a_bad_grid_key(
    market: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from avwap.cli import backtest_command
    from avwap.cli.output import EXIT_CONFIGURATION

    for name, value in CAPS.items():
        monkeypatch.setenv(name, value)
    app = typer.Typer()
    backtest_command.register(app)
    app.command("noop")(lambda: None)
    grid = tmp_path / "grid.toml"
    grid.write_text("STOP_BUFFER = [0.05, 0.5]\n", encoding="utf-8")
    base = ["backtest", "sweep", "--from", "2026-09-14", "--to", "2026-09-16", "--data", str(market)]
    base += ["--grid", str(grid), "--resolution", "1d", "--workers", "1", "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, [*base, "--json", "--csv", str(tmp_path / "table.csv")])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["workers"] == "in-process" and len(printed["results"]) == 2
    assert (tmp_path / "table.csv").read_bytes() == (tmp_path / "out" / "results.csv").read_bytes()
    grid.write_text("STOP_BUFER = [0.05]\n", encoding="utf-8")
    result = CliRunner().invoke(app, base)
    assert result.exit_code == EXIT_CONFIGURATION
    assert "STOP_BUFER" in result.output


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.timeout(900)  # two Ray starts on a loaded 2-core machine; a Ray that never starts fails at 180 s
def test_local_ray_with_two_workers_writes_the_same_bytes(
    in_process: Path, market: Path, tmp_path: Path
) -> None:
    """Local Ray (num_cpus=2, small object store, no dashboard, shut down after): the same files as the
    in-process run, byte for byte; an engine error on a worker comes back as the engine's own error."""
    from avwap.core.errors import DataError

    on_ray = tmp_path / "ray"
    run_sweep(request_for(market, on_ray), Workers(count=2, start_timeout=180))
    assert tree(on_ray) == tree(in_process)
    with pytest.raises(DataError, match="no session with daily bars"):
        run_sweep(
            request_for(market, tmp_path / "empty", start=dt.date(2026, 12, 1), end=dt.date(2026, 12, 4)),
            Workers(count=2, start_timeout=180),
        )


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_walk_forward_through_the_engine_stitches_the_chosen_test_runs(market: Path, tmp_path: Path) -> None:
    """Two windows (train one month, test two weeks) on the synthetic market: each test run is the chosen
    set's normal run folder, and the stitched curve chains exactly their equity.csv files."""
    from avwap.backtest.walk_forward import parse_walk_forward

    out = tmp_path / "walk"
    request = request_for(
        market,
        out,
        grid=grid_from_mapping({"MAX_POSITIONS": [1, 10]}),
        start=dt.date(2026, 8, 3),
        end=dt.date(2026, 9, 30),
        walk_forward=parse_walk_forward("train=1m,test=2w"),
    )
    outcome = run_sweep(request, Workers(count=1))
    rows = outcome.tables.windows
    assert [(row.window.test_start, row.window.test_end) for row in rows] == [
        (dt.date(2026, 9, 3), dt.date(2026, 9, 16)),
        (dt.date(2026, 9, 17), dt.date(2026, 9, 30)),
    ]
    runs = sorted(path.name for path in (out / "runs").iterdir())
    chosen = [f"{row.window.name}-test-{row.chosen}" for row in rows]
    assert runs == sorted(["w00-train-p000", "w00-train-p001", "w01-train-p000", "w01-train-p001", *chosen])
    growth = 1.0
    for name in chosen:
        lines = (out / "runs" / name / "equity.csv").read_text(encoding="utf-8").splitlines()[1:]
        growth *= float(lines[-1].split(",")[1]) / 100_000
    assert outcome.tables.stitched is not None and outcome.tables.curve is not None
    assert outcome.tables.stitched["total_return"] == pytest.approx(growth - 1, abs=1e-9)
    dates = outcome.tables.curve[0]
    assert list(dates) == sorted(set(dates)) and dates[-1] == dt.date(2026, 9, 30)
    for row in rows:  # the chosen set is the best training run of its window by the metric
        trained = [run for run in outcome.tables.training if run["window"] == row.window.name]
        best = max(run["total_return"] for run in trained)
        assert row.in_sample["total_return"] == best
