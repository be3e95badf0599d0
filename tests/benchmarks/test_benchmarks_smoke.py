"""Every benchmark runs at its smoke size in CI (``run_benchmarks.py --smoke``), so none can rot unnoticed.

Benchmarks are discovered by glob: a new ``benchmarks/bench_*.py`` fails here until it has a smoke size
(``run(*, smoke=...)``) and an entry in :data:`EXPECTED` naming the keys its result must carry.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from run_benchmarks import has_smoke_size, load  # noqa: E402  (benchmarks/ is not a package)

Check = Callable[[dict[str, Any]], None]


def _avwap(result: dict[str, Any]) -> None:
    assert result["max_relative_difference_numpy_vs_numba"] < 1e-9
    assert result["threads"] >= 1


def _cycle(result: dict[str, Any]) -> None:
    assert result["open_positions"] == 20  # the 20 breakouts were bought: cycles ran with positions
    assert result["cycles"] == 5
    enforced = result["enforced"]
    assert enforced["open_positions"] == 20  # the artifact ALLOWs exactly the 20 breakouts
    assert {"median_ms", "added_median_ms", "check_per_cycle_cpu_us", "artifact_read_cpu_ms"} <= set(enforced)
    assert enforced["target_added_ms"] == 2


def _arbitration(result: dict[str, Any]) -> None:
    assert result["open_positions"] == 50 and result["strategies"] == 2
    assert result["positions_by_strategy"] == {"B_ARB_ONE": 25, "B_ARB_TWO": 25}
    assert result["intents_per_cycle"] == 300  # every timed cycle arbitrated all 300 intents
    assert result["cycles"] == 5 and result["target_median_ms"] == 20
    # the 50 symbols both strategies want are resized to the symbol cap (overlap allowed), once each
    assert result["resolutions_by_code"] == {"CONFLICT_SYMBOL_CAP_RESIZED": 50}


def _dashboard(result: dict[str, Any]) -> None:
    assert result["sessions"] == 20 and result["records"] > 200 and result["requests"] == 20
    assert result["cold_ms"] > 0 and 0 < result["p50_ms"] <= result["p95_ms"] <= result["max_ms"]
    assert set(result["page_bytes"]) == {"/", "/positions", "/today", "/performance", "/audit"}
    assert result["max_page_bytes"] <= result["target_page_bytes"] == 500_000
    assert result["target_p95_ms"] == 100 and result["target_after_new_record_ms"] == 100
    assert result["after_new_record_ms"] > 0 and isinstance(result["meets_after_new_record_target"], bool)


def _exits(result: dict[str, Any]) -> None:
    assert result["cycle"]["positions"] == 5 and result["cycle"]["cycles"] == 78
    assert result["simulation"]["trades"] > 0


def _scan(result: dict[str, Any]) -> None:
    synthetic = next(case for case in result["cases"] if case["case"].startswith("synthetic"))
    assert synthetic["symbols_scanned"] > 0 and set(synthetic["stages"]) >= {"reading", "scanning", "writing"}


def _synthetic(result: dict[str, Any]) -> None:
    assert len(result["cases"]) == 4 and all(case["seconds"] >= 0 for case in result["cases"])


def _regime(result: dict[str, Any]) -> None:
    assert result["sessions"] == 502 and result["symbols"] == 50 and result["universe_sessions"] == 252
    assert sum(result["labels"].values()) == result["sessions"] and "UNKNOWN" in result["labels"]
    assert result["label_seconds_median"] > 0 and result["target_seconds"] == 1.0


def _startup(result: dict[str, Any]) -> None:
    commands = result["commands"]
    for name in ("help", "execute_once_idle"):
        assert commands[name]["wall_median_seconds"] > 0 and commands[name]["cpu_median_seconds"] > 0
    assert commands["execute_once_idle"]["mode"] == "DRY_RUN"
    scan = commands["scan_sp500_real"]
    assert scan.startswith("skipped: ") if isinstance(scan, str) else scan["wall_median_seconds"] > 0


def _decisions(result: dict[str, Any]) -> None:
    assert (result["candidates"], result["positions"], result["decisions"]) == (20, 5, 40)
    assert result["allowed"] + result["blocked"] == 40 and result["target_median_ms"] == 50


def _risk_attribution(result: dict[str, Any]) -> None:
    assert (result["candidates"], result["decisions"], result["events"]) == (20, 40, 40)
    assert result["modulated"] == 40  # NEUTRAL: every notional scaled by 0.6
    assert result["per_decision_ms"] > 0 and result["target_per_decision_ms"] == 1


def _ledger_verify(result: dict[str, Any]) -> None:
    assert result["records"] == 3 * 4 * 40 + 3  # 3 days x 4 folders x 40 lines + one seal a day
    assert result["records_per_second"] > 0 and result["target_records_per_second"] == 1_000_000
    assert result["backup_mb_per_second"] > 0 and result["restore_mb_per_second"] > 0


def _recovery(result: dict[str, Any]) -> None:
    assert result["year_sessions"] == 2 and result["busy_ledger_records"] == 3 * 4 * 40 + 3
    assert result["byte_identical"] is True and result["rebuilt_files"] > 0
    assert result["year_ledger_records"] > 0 and result["year_megabytes"] > 0
    assert result["backup_mb_per_second"] > 0 and result["restore_mb_per_second"] > 0
    measured = result["restore_seconds"] + result["verify_all_seconds"] + result["rebuild_seconds"]
    assert result["rebuild_seconds"] > 0 and abs(result["recovery_seconds_year"] - measured) < 0.1
    assert result["busy_restore_seconds"] > 0 and result["busy_verify_all_seconds"] > 0


def _reply_parser(result: dict[str, Any]) -> None:
    assert result["lines"] == 2000
    assert result["understood"] == 1600 and result["not_understood"] == 400  # 8 of the 10 shapes parse
    assert result["lines_per_second"] > 0


def _slack_receiver(result: dict[str, Any]) -> None:
    assert result["requests"] == 200 and result["unique_events"] == 180 and result["retries"] == 20
    assert result["statuses"] == {"200": 200}  # every request acknowledged, retries included
    assert result["records"] == 180 and result["exact_dedupe"] is True
    assert 0 < result["p50_ms"] <= result["p99_ms"]


def _reconcile(result: dict[str, Any]) -> None:
    assert (result["positions"], result["orders"], result["fills"]) == (20, 40, 40)
    assert result["drift_items"] == 6  # the seeded differences, each found


def _attribution(result: dict[str, Any]) -> None:
    assert (result["sessions"], result["strategies"]) == (20, 2)
    assert result["positions_opened"] == 60 and result["reconciles_to_the_cent"] is True
    assert result["target_attribute_ms"] == 1000 and result["attribute_ms_median"] > 0


def _ml(result: dict[str, Any]) -> None:
    assert result["features"] > 0 and 0 < result["labels"] <= result["features"]
    assert result["feature_build_seconds_median"] > 0 and result["target_feature_build_seconds"] == 10.0
    assert set(result["score_300"]) == {
        "logistic_ms_median",
        "gbt_ms_median",
        "logistic_with_features_ms_median",
        "gbt_with_features_ms_median",
    }


def _backtest_scan(result: dict[str, Any]) -> None:
    assert result["panel_scan"]["candidates"] > 0 and result["as_of_dates"] > 0
    assert result["day_by_day"]["sampled_days_equal_panel_scan"] is True


def _backtest(result: dict[str, Any]) -> None:
    assert result["intraday"]["sessions"] == 2 and result["intraday"]["sessions_per_second"] > 0
    daily = result["daily"]
    assert daily.startswith("skipped: ") if isinstance(daily, str) else daily["sessions"] == 60


def _backtest_sweep(result: dict[str, Any]) -> None:
    assert result["parameter_sets"] == 4 and result["workers"] == 2
    assert result["payloads_identical"] is True  # Ray and one process agree on every set's figures
    assert result["ray"]["wall_seconds"] > 0 and result["in_process"]["wall_seconds"] > 0
    assert result["speedup"] > 0 and result["empty_task_overhead_ms"] >= 0


def _backtest_parity(result: dict[str, Any]) -> None:
    parity = result["parity"]
    assert parity["symbols"] >= 20 and parity["sessions"] == 40 and parity["bar_events"] > 0
    assert parity["trades_equal"] is True, (parity["only_avwap"], parity["only_backtrader"])
    assert (
        parity["avwap_bar_events_per_cpu_second"] > 0 and parity["backtrader_bar_events_per_cpu_second"] > 0
    )


# name -> (keys the smoke result must hold, a check of its values)
EXPECTED: dict[str, tuple[set[str], Check]] = {
    "attribution": (
        {"sessions", "strategies", "records", "read_ms_median", "attribute_ms_median", "total_ms_median"},
        _attribution,
    ),
    "arbitration": (
        {"intents_per_cycle", "open_positions", "median_ms", "cpu_median_ms", "entries_median_ms"},
        _arbitration,
    ),
    "avwap": (
        {
            "shape",
            "numba_cached_load_seconds",
            "numba_parallel_seconds",
            "numpy_fallback_seconds",
            "scan_seconds",
        },
        _avwap,
    ),
    "backtest": ({"daily", "intraday"}, _backtest),
    "backtest_parity": ({"setup_seconds", "parity", "goal_ratio"}, _backtest_parity),
    "backtest_scan": ({"as_of_dates", "panel_scan", "day_by_day", "speedup"}, _backtest_scan),
    "backtest_sweep": (
        {"parameter_sets", "in_process", "ray", "speedup", "overhead_per_task_ms", "empty_task_overhead_ms"},
        _backtest_sweep,
    ),
    "cycle": (
        {"candidates", "open_positions", "cycles", "median_ms", "p90_ms", "max_ms", "enforced"},
        _cycle,
    ),
    "dashboard": (
        {"cold_ms", "p50_ms", "p95_ms", "after_new_record_ms", "page_bytes", "max_page_bytes"},
        _dashboard,
    ),
    "decisions": ({"candidates", "positions", "decisions", "build_ms_median"}, _decisions),
    "exits": ({"cycle", "simulation"}, _exits),
    "ledger_verify": (
        {
            "records",
            "megabytes",
            "verify_seconds_one_process",
            "verify_seconds_two_workers",
            "records_per_second",
        },
        _ledger_verify,
    ),
    "ml": (
        {"symbols", "as_of_dates", "features", "labels", "scan_seconds", "feature_build_seconds_median"},
        _ml,
    ),
    "reconcile": (
        {"positions", "orders", "fills", "drift_items", "end_to_end_ms_median", "engine_ms_median"},
        _reconcile,
    ),
    "recovery": (
        {
            "restore_seconds",
            "verify_all_seconds",
            "rebuild_seconds_per_session",
            "recovery_seconds_year",
            "load_average",
        },
        _recovery,
    ),
    "reply_parser": (
        {"lines", "understood", "not_understood", "lines_per_second", "meets_target"},
        _reply_parser,
    ),
    "risk_attribution": (
        {"decisions", "build_ms_median", "write_ms_median", "summary_ms_median", "per_decision_ms"},
        _risk_attribution,
    ),
    "regime": ({"sessions", "symbols", "labels", "label_seconds_median"}, _regime),
    "scan": ({"cases", "naive_reference", "numba_compile_seconds"}, _scan),
    "synthetic": ({"cases"}, _synthetic),
    "slack_receiver": (
        {"requests", "requests_per_second", "p50_ms", "p99_ms", "records", "exact_dedupe"},
        _slack_receiver,
    ),
    "startup": ({"commands"}, _startup),
}


def _names() -> list[str]:
    return [path.stem.removeprefix("bench_") for path in sorted(BENCHMARKS.glob("bench_*.py"))]


def test_every_benchmark_has_a_smoke_size_and_expected_keys() -> None:
    names = _names()
    assert names, "no benchmarks found"
    assert sorted(EXPECTED) == names, "add the new benchmark's smoke keys to EXPECTED"
    missing = [name for name in names if not has_smoke_size(load(BENCHMARKS / f"bench_{name}.py"))]
    assert not missing, f"run() without a smoke keyword: {missing}"


@pytest.mark.slow
@pytest.mark.parametrize("name", _names())
def test_benchmark_smoke_run(name: str) -> None:
    completed = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run_benchmarks.py"), "--smoke", name],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    summary = json.loads(completed.stdout)
    assert summary["smoke"] is True
    result = summary["benchmarks"][name]
    if "skipped" in result:  # a benchmark over ../shared/data says why it could not run (data absent)
        pytest.skip(f"{name}: {result['skipped']}")
    keys, check = EXPECTED[name]
    assert keys <= set(result), f"missing keys: {sorted(keys - set(result))}"
    assert result["smoke"] is True and result["wall_seconds"] > 0
    check(result)


def test_a_run_without_smoke_keyword_is_detected(tmp_path: Path) -> None:
    """The guard the runner and the discovery test rely on."""
    module = tmp_path / "bench_nosmoke.py"
    module.write_text("def run():\n    return {}\n", encoding="utf-8")
    assert not has_smoke_size(load(module))
    assert has_smoke_size(load(BENCHMARKS / "bench_exits.py"))
