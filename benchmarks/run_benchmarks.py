#!/usr/bin/env python3
"""`make bench`: run every ``benchmarks/bench_*.py`` (each exposes ``run() -> dict``) and print JSON.

Results also go to ``benchmarks/results/<name>.json`` (ignored by git). Pass names to run a subset:
``python benchmarks/run_benchmarks.py avwap scan``.
"""

from __future__ import annotations

import importlib.util
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def load(path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(selected: list[str]) -> int:
    results: dict[str, object] = {}
    output = HERE / "results"
    output.mkdir(exist_ok=True)
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if selected and name not in selected:
            continue
        print(f"# running {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        result = load(path).run()
        result["wall_seconds"] = round(time.perf_counter() - started, 3)
        results[name] = result
        (output / f"{name}.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    summary = {"machine": {"python": platform.python_version(), "cpus": _cpus()}, "benchmarks": results}
    print(json.dumps(summary, indent=2, sort_keys=True))
    return 0


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
