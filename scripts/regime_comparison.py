#!/usr/bin/env python3
"""E2 on real history: the same daily backtest with and without regime modulation (docs/REGIMES.md table).

Store: SPY 1998-2021 (``lean_algoseek/daily_adjusted``: the benchmark and the regime's history) and every
``STEP``-th stock of the 505-stock set (2013-02 .. 2018-02: the traded universe and the breadth). Both runs
use ``PORTFOLIO_DECISION_ENFORCE=1`` (entries need an ALLOW of the morning's decisions) at resolution 1d over
``FIRST .. LAST``; the second adds ``E2_REGIME_MODULATION=1``. ``--check`` compares with the document.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
DOC: Final = ROOT / "docs" / "REGIMES.md"
START_MARK: Final = "<!-- regime-comparison:start -->"
END_MARK: Final = "<!-- regime-comparison:end -->"
FIRST: Final = dt.date(2014, 1, 2)
LAST: Final = dt.date(2018, 2, 7)
STEP: Final = 12  # 43 of the 505 stocks


def build_store(shared: Path, data_dir: Path) -> None:
    from avwap.data.importing.csv_import import expand_paths, import_csv, import_many
    from avwap.data.importing.presets import preset
    from avwap.data.store import BarStore

    store = BarStore(data_dir)
    spy = shared / "lean_algoseek" / "daily_adjusted" / "SPY.csv"
    store.write(import_csv(spy, preset("lean_daily_adjusted")).bars, "1d")
    paths = sorted(expand_paths([shared / "daily_sp500_5yr_cnuge"]))[::STEP]
    store.write(import_many(paths, preset("cnuge_daily")).bars, "1d")


def run_pair(shared: Path, work: Path) -> dict[str, Any]:
    from avwap.backtest.run import run_backtest

    build_store(shared, work / "data")
    outcomes = {}
    for name, extra in (("without", {}), ("with E2", {"E2_REGIME_MODULATION": "1"})):
        environ = {"PORTFOLIO_DECISION_ENFORCE": "1", **extra}
        outcomes[name] = run_backtest(
            environ, start=FIRST, end=LAST, data_root=work / "data", out=work / name.replace(" ", "_"),
            resolution="1d", code_version="regime-comparison",
        )  # fmt: skip
    return outcomes


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.2f}%"


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
    blocked = []
    for name in names:
        decisions = outcomes[name].result.decisions.values()
        codes = [code for batch in decisions for item in batch.decisions for code in item.reason_codes]
        regime = sum(code.startswith("PORTFOLIO_REGIME_") for code in codes)
        blocked.append(str(regime))
    lines.append("| decisions blocked by the regime rule | " + " | ".join(blocked) + " |")
    return "\n".join(lines) + "\n"


def replace_section(document: str, body: str) -> str:
    head, rest = document.split(START_MARK, 1)
    _, tail = rest.split(END_MARK, 1)
    return f"{head}{START_MARK}\n{body}{END_MARK}{tail}"


def main(arguments: list[str]) -> int:
    shared = Path(os.environ.get("AVWAP_SHARED_DATA", ROOT.parent / "shared" / "data"))
    with tempfile.TemporaryDirectory() as folder:
        body = table(run_pair(shared, Path(folder)))
    document = DOC.read_text(encoding="utf-8")
    updated = replace_section(document, body)
    if "--check" in arguments:
        return 0 if updated == document else 1
    DOC.write_text(updated, encoding="utf-8")
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
