#!/usr/bin/env python3
"""E2 on real history: the same daily backtest with and without regime modulation (docs/REGIMES.md tables).

Each scenario is one bar store built from ``../shared/data`` and two backtests at resolution 1d, both with
``PORTFOLIO_DECISION_ENFORCE=1`` (entries need an ALLOW of the morning's decisions, and an ALLOW decided
under E2 caps the order's quantity); the second adds ``E2_REGIME_MODULATION=1``. SPY 1998-2021
(``lean_algoseek/daily_adjusted``) is in every store: the scan's market gate and the regime's benchmark.

* ``cnuge43``: every 12th stock of the 505-stock set (43 stocks, also the breadth universe), 2014-01-02 ..
  2018-02-07;
* ``cnuge505``: all 505 stocks, same dates;
* ``spy``: SPY alone, traded (``CANDIDATES_INCLUDE_BENCHMARKS=1``), 1999-01-04 .. 2021-03-31 (1998 is the
  regime's warm-up: SMA200);
* ``lean11``: the 11 symbols of ``lean_algoseek/daily_adjusted`` that are not benchmarks (8 stocks and the
  EEM, USO, BNO funds; SPY, QQQ, IWM are never candidates), same dates as ``spy``.

``python scripts/regime_comparison.py [--only NAME ...] [--check]`` rewrites (or checks) the tables of the
scenarios it ran and prints each run's wall time. Public API for the real-data test: :func:`build_store`,
:func:`run_pair`, :func:`table`.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
DOC: Final = ROOT / "docs" / "REGIMES.md"
LEAN: Final = ("lean_algoseek", "daily_adjusted")
LEAN_OTHERS: Final = ("AAPL", "AIG", "BAC", "BNO", "EEM", "FB", "GOOG", "GOOGL", "IBM", "USO", "WM")


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    first: dt.date
    last: dt.date
    cnuge_step: int = 0  # every n-th stock of the 505-stock set (0: none)
    lean: tuple[str, ...] = ()  # symbols of lean_algoseek/daily_adjusted besides SPY
    environ: dict[str, str] = field(default_factory=dict)

    @property
    def marks(self) -> tuple[str, str]:
        return f"<!-- regime-comparison:{self.name}:start -->", f"<!-- regime-comparison:{self.name}:end -->"


CNUGE_FIRST, CNUGE_LAST = dt.date(2014, 1, 2), dt.date(2018, 2, 7)
LEAN_FIRST, LEAN_LAST = dt.date(1999, 1, 4), dt.date(2021, 3, 31)
SCENARIOS: Final = (
    Scenario("cnuge43", "SPY + 43 of the 505 stocks, 2014-01-02 .. 2018-02-07", CNUGE_FIRST, CNUGE_LAST, 12),
    Scenario("cnuge505", "SPY + all 505 stocks, 2014-01-02 .. 2018-02-07", CNUGE_FIRST, CNUGE_LAST, 1),
    Scenario(
        "spy",
        "SPY alone (traded), 1999-01-04 .. 2021-03-31",
        LEAN_FIRST,
        LEAN_LAST,
        environ={"CANDIDATES_INCLUDE_BENCHMARKS": "1"},
    ),
    Scenario(
        "lean11",
        "SPY (benchmark) + the 11 other Lean symbols, 1999-01-04 .. 2021-03-31",
        LEAN_FIRST,
        LEAN_LAST,
        lean=LEAN_OTHERS,
    ),
)


def build_store(shared: Path, data_dir: Path, scenario: Scenario) -> None:
    """SPY (and the scenario's Lean symbols) from the adjusted Lean files, plus its share of the 505."""
    from avwap.data.importing.csv_import import expand_paths, import_many
    from avwap.data.importing.presets import preset
    from avwap.data.store import BarStore

    store = BarStore(data_dir)
    lean = shared.joinpath(*LEAN)
    paths = [lean / f"{symbol}.csv" for symbol in ("SPY", *scenario.lean)]
    store.write(import_many(paths, preset("lean_daily_adjusted")).bars, "1d")
    if scenario.cnuge_step:
        stocks = sorted(expand_paths([shared / "daily_sp500_5yr_cnuge"]))[:: scenario.cnuge_step]
        store.write(import_many(stocks, preset("cnuge_daily")).bars, "1d")


def run_pair(
    shared: Path, work: Path, scenario: Scenario, *, first: dt.date | None = None, last: dt.date | None = None
) -> dict[str, Any]:
    """Both backtests of ``scenario`` (optionally over a shorter window); prints each wall time."""
    from avwap.backtest.run import run_backtest

    build_store(shared, work / "data", scenario)
    outcomes = {}
    for name, extra in (("without", {}), ("with E2", {"E2_REGIME_MODULATION": "1"})):
        environ = {"PORTFOLIO_DECISION_ENFORCE": "1", **scenario.environ, **extra}
        started = time.monotonic()  # a report of the script's own speed, never part of a result
        outcomes[name] = run_backtest(
            environ, start=first or scenario.first, end=last or scenario.last, data_root=work / "data",
            out=work / name.replace(" ", "_"), resolution="1d", code_version="regime-comparison",
        )  # fmt: skip
        print(f"{scenario.name} {name}: {time.monotonic() - started:.0f} s", file=sys.stderr)
    return outcomes


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.2f}%"


def _blocked(outcome: Any, prefix: str) -> int:
    decisions = outcome.result.decisions.values()
    return sum(
        code.startswith(prefix)
        for batch in decisions
        for item in batch.decisions
        for code in item.reason_codes
    )


def table(outcomes: dict[str, Any]) -> str:
    rows = [
        ("total return", lambda s: _percent(s.total_return)),
        ("annualized volatility", lambda s: _percent(s.annualized_volatility)),
        ("max drawdown", lambda s: _percent(s.max_drawdown)),
        ("exposure (mean gross / equity)", lambda s: _percent(s.exposure)),
        ("time in market", lambda s: _percent(s.time_in_market)),
        ("trades", lambda s: str(s.trade_count)),
    ]
    names = list(outcomes)
    lines = [f"| figure | {' | '.join(names)} |", "|---|" + "---|" * len(names)]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(outcomes[name].summary) for name in names) + " |")
    counts = [str(_blocked(outcomes[name], "PORTFOLIO_REGIME_")) for name in names]
    lines.append("| decision lines blocked by a regime rule | " + " | ".join(counts) + " |")
    return "\n".join(lines) + "\n"


def replace_section(document: str, body: str, scenario: Scenario) -> str:
    start, end = scenario.marks
    head, rest = document.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}{end}{tail}"


def main(arguments: list[str]) -> int:
    shared = Path(os.environ.get("AVWAP_SHARED_DATA", ROOT.parent / "shared" / "data"))
    wanted = [arguments[index + 1] for index, item in enumerate(arguments) if item == "--only"]
    chosen = [item for item in SCENARIOS if not wanted or item.name in wanted]
    bodies: dict[str, str] = {}
    for scenario in chosen:
        with tempfile.TemporaryDirectory() as folder:
            bodies[scenario.name] = table(run_pair(shared, Path(folder), scenario))
        print(f"{scenario.title}\n{bodies[scenario.name]}")
    document = DOC.read_text(encoding="utf-8")  # read after the runs: the page may change meanwhile
    updated = document
    for scenario in chosen:
        updated = replace_section(updated, bodies[scenario.name], scenario)
    if "--check" in arguments:
        return 0 if updated == document else 1
    DOC.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
