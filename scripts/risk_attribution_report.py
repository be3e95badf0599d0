#!/usr/bin/env python3
"""E3.4 on real history: the paired-run risk attribution report (docs/REGIMES.md, "E3.4 on real history").

The store of ``scripts/regime_comparison.py`` (SPY 1998-2021 for the regime, every 12th stock of the 505-stock
set as the universe), two daily backtests over ``FIRST .. LAST`` (late 2015 to mid 2016: the period's
correction and its recovery) with ``PORTFOLIO_DECISION_ENFORCE=1``; the second adds
``E2_REGIME_MODULATION=1`` and ``E3_RISK_ATTRIBUTION_WRITE=1``. The report of
:func:`avwap.analytics.risk_attribution_diagnostics.diagnostics` is written between the markers.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from regime_comparison import build_store  # noqa: E402  (scripts/ is not a package)

DOC: Final = ROOT / "docs" / "REGIMES.md"
START_MARK: Final = "<!-- risk-attribution-report:start -->"
END_MARK: Final = "<!-- risk-attribution-report:end -->"
FIRST: Final = dt.date(2015, 6, 1)
LAST: Final = dt.date(2016, 6, 30)


def run_pair(shared: Path, work: Path) -> dict[str, Any]:
    from avwap.analytics.risk_attribution_diagnostics import diagnostics, load_run
    from avwap.backtest.run import run_backtest

    build_store(shared, work / "data")
    runs = {"baseline": {}, "modulated": {"E2_REGIME_MODULATION": "1", "E3_RISK_ATTRIBUTION_WRITE": "1"}}
    for name, extra in runs.items():
        run_backtest(
            {"PORTFOLIO_DECISION_ENFORCE": "1", **extra}, start=FIRST, end=LAST, data_root=work / "data",
            out=work / name, resolution="1d", code_version="risk-attribution-report",
        )  # fmt: skip
    return diagnostics(
        load_run(work / "modulated", "BACKTEST"), load_run(work / "baseline", "BACKTEST"), "BACKTEST"
    )


def _money(value: Any) -> str:
    amount = Decimal(value)
    return f"{'-' if amount < 0 else ''}${abs(amount):,.2f}"


def table(report: dict[str, Any]) -> str:
    totals, with_e2, without = report["totals"], report["runs"]["modulated"], report["runs"]["baseline"]
    closes, mornings = totals["days"], report["days_with_events"]
    lines = [
        f"{report['from']} .. {report['to']}: {closes} closes, {mornings} attributed mornings",
        "",
        "| figure | value |",
        "|---|---|",
        f"| hypothetical regime delta (events) | {_money(totals['hypothetical_regime_delta'])} |",
        f"| realized entry delta (fills) | {_money(totals['realized_entry_delta'])} |",
        f"| realization | {totals['realization_pct']}% |",
        f"| mean gross exposure delta at the close | {_money(totals['mean_gross_exposure_delta'])} |",
        f"| PnL with E2 / without | {_money(with_e2['pnl'])} / {_money(without['pnl'])} |",
        f"| max drawdown with E2 / without | {with_e2['max_drawdown']} / {without['max_drawdown']} |",
        f"| loss avoided / gain forgone | {_money(totals['loss_avoided'])} / "
        f"{_money(totals['gain_forgone'])} |",
        "",
        "| regime | closes | hypothetical | realized entries | PnL delta | loss avoided | gain forgone |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, item in report["by_regime"].items():
        lines.append(
            f"| {label} | {item['days']} | {_money(item['hypothetical_regime_delta'])} | "
            f"{_money(item['realized_entry_delta'])} | {_money(item['pnl_delta'])} | "
            f"{_money(item['loss_avoided'])} | {_money(item['gain_forgone'])} |"
        )
    return "\n".join(lines) + "\n"


def main(arguments: list[str]) -> int:
    shared = Path(os.environ.get("AVWAP_SHARED_DATA", ROOT.parent / "shared" / "data"))
    with tempfile.TemporaryDirectory() as folder:
        body = table(run_pair(shared, Path(folder)))
    document = DOC.read_text(encoding="utf-8")
    head, _, rest = document.partition(START_MARK)
    _, _, tail = rest.partition(END_MARK)
    updated = f"{head}{START_MARK}\n{body}{END_MARK}{tail}"
    if "--check" in arguments:
        return 0 if updated == document else 1
    DOC.write_text(updated, encoding="utf-8")
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
