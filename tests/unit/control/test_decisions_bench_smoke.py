"""The decisions benchmark runs at its smoke size (no timing asserted: that is for benchmarks/)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[3] / "benchmarks" / "bench_decisions.py"


def test_the_benchmark_runs_at_smoke_size() -> None:
    spec = importlib.util.spec_from_file_location("bench_decisions", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.run(**module.SMOKE)
    assert (result["candidates"], result["positions"], result["decisions"]) == (20, 5, 40)
    assert result["allowed"] + result["blocked"] == 40
    assert result["build_ms_median"] >= 0 and result["target_median_ms"] == 50
