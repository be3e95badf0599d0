#!/usr/bin/env python3
"""Regime validation on real history: writes the tables of docs/REGIMES.md (``--check``: compare only).

Builds a bar store in a temporary folder from ../shared/data: SPY, QQQ and IWM daily 1998-2021
(``lean_algoseek/daily_adjusted``, split- and dividend-adjusted) and the 505-stock set 2013-2018
(``daily_sp500_5yr_cnuge``, the breadth universe), labels 1998-01-02 .. 2021-03-31 from the store with the
default Config (SPY), again without the universe, and with QQQ and IWM as the benchmark, and renders
:func:`avwap.regimes.validation.validation_markdown` between the markers of docs/REGIMES.md.
tests/realdata/test_regimes_history.py runs the same and fails when the document differs.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parent.parent
DOC: Final = ROOT / "docs" / "REGIMES.md"
START_MARK: Final = "<!-- regime-validation:start -->"
END_MARK: Final = "<!-- regime-validation:end -->"
FIRST: Final = dt.date(1998, 1, 2)
LAST: Final = dt.date(2021, 3, 31)
BENCHMARKS: Final = ("SPY", "QQQ", "IWM")


def build_store(shared: Path, data_dir: Path, universe: bool = True) -> None:
    from avwap.data.importing.csv_import import expand_paths, import_csv, import_many
    from avwap.data.importing.presets import preset
    from avwap.data.store import BarStore

    store = BarStore(data_dir)
    for symbol in BENCHMARKS:
        path = shared / "lean_algoseek" / "daily_adjusted" / f"{symbol}.csv"
        store.write(import_csv(path, preset("lean_daily_adjusted")).bars, "1d")
    if universe:
        paths = sorted(expand_paths([shared / "daily_sp500_5yr_cnuge"]))
        store.write(import_many(paths, preset("cnuge_daily")).bars, "1d")


def labelled(home: Path, benchmark: str = "SPY") -> list:  # type: ignore[type-arg]
    from avwap.core.config import load_config
    from avwap.jobs.regime import label_history

    config = load_config({"REGIME_BENCHMARK": benchmark}, home=home)
    return label_history(config, FIRST, LAST).days


def section(shared: Path, work: Path) -> tuple[str, dict[str, list]]:  # type: ignore[type-arg]
    """(the markdown section, the labelled days per series)."""
    from avwap.regimes.validation import validation_markdown

    build_store(shared, work / "with" / "data")
    build_store(shared, work / "without" / "data", universe=False)
    series = {
        "SPY + breadth": labelled(work / "with"),
        "SPY alone": labelled(work / "without"),
        "QQQ alone": labelled(work / "without", "QQQ"),
        "IWM alone": labelled(work / "without", "IWM"),
    }
    main = series.pop("SPY + breadth")
    return validation_markdown(main, series), {"SPY + breadth": main, **series}


def replace_section(document: str, body: str) -> str:
    head, rest = document.split(START_MARK, 1)
    _, tail = rest.split(END_MARK, 1)
    return f"{head}{START_MARK}\n{body}{END_MARK}{tail}"


def main(arguments: list[str]) -> int:
    shared = Path(os.environ.get("AVWAP_SHARED_DATA", ROOT.parent / "shared" / "data"))
    with tempfile.TemporaryDirectory() as folder:
        body, _ = section(shared, Path(folder))
    document = DOC.read_text(encoding="utf-8")
    updated = replace_section(document, body)
    if "--check" in arguments:
        if updated != document:
            print(
                "docs/REGIMES.md differs from the labels: run scripts/regime_validation.py", file=sys.stderr
            )
            return 1
        return 0
    DOC.write_text(updated, encoding="utf-8")
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
