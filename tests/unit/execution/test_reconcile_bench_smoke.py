"""The reconciliation benchmark runs at its smoke size (no timing asserted: that is for benchmarks/)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parents[3] / "benchmarks" / "bench_reconcile.py"


def test_the_benchmark_runs_at_smoke_size_and_finds_its_seeded_drift() -> None:
    spec = importlib.util.spec_from_file_location("bench_reconcile", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.run(smoke=True)
    assert (result["positions"], result["orders"], result["fills"]) == (20, 40, 40)
    assert result["drift_items"] == 6 and "QTY_MISMATCH" in result["drift_codes"]
    assert result["end_to_end_ms_median"] >= result["engine_ms_median"] >= 0
    assert result["smoke"] is True
