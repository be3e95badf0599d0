#!/usr/bin/env python3
"""`make bench`: run every ``benchmarks/bench_*.py`` (each has ``run(*, smoke=False) -> dict``), print JSON.

Results also go to ``benchmarks/results/<name>.json`` (ignored by git). Pass names to run a subset:
``python benchmarks/run_benchmarks.py avwap scan``.

``--smoke`` (what CI runs, through tests/benchmarks/test_benchmarks_smoke.py) runs every benchmark at its
small smoke size: the same code path in seconds, so a benchmark cannot rot unnoticed. Smoke results are only
printed (the full-size results files are left alone). A ``run`` without a ``smoke`` keyword is an error.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import platform
import sys
import time
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def benchmark_paths() -> list[Path]:
    return sorted(HERE.glob("bench_*.py"))


def has_smoke_size(module: ModuleType) -> bool:
    run = getattr(module, "run", None)
    return callable(run) and "smoke" in inspect.signature(run).parameters


def main(arguments: list[str]) -> int:
    smoke = "--smoke" in arguments
    selected = [argument for argument in arguments if not argument.startswith("--")]
    results: dict[str, object] = {}
    output = HERE / "results"
    for path in benchmark_paths():
        name = path.stem.removeprefix("bench_")
        if selected and name not in selected:
            continue
        print(f"# running {name}{' (smoke)' if smoke else ''} ...", file=sys.stderr, flush=True)
        module = load(path)
        if not has_smoke_size(module):
            print(f"error: {path.name}: run() takes no smoke keyword (give it a smoke size)", file=sys.stderr)
            return 1
        started = time.perf_counter()
        result = module.run(smoke=smoke)
        result["wall_seconds"] = round(time.perf_counter() - started, 3)
        results[name] = result
        if not smoke:
            output.mkdir(exist_ok=True)
            (output / f"{name}.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    summary = {
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
        "smoke": smoke,
        "benchmarks": results,
    }
    print(json.dumps(summary, indent=2, sort_keys=True))
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
