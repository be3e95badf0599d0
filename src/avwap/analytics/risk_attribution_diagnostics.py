"""Risk attribution diagnostics (Phase E3.4): advisory, read-only, no control change.

Compares two runs of the same book over the same sessions, one with E2 regime modulation (and
``E3_RISK_ATTRIBUTION_WRITE=1``) and one without, both made by the backtest engine (``avwap backtest``):

* **exposure, hypothetical vs realized**: what the modulated run's attribution events said the regime took
  from the proposed notional each morning (``regime_delta``, decision time), against what the runs then
  actually did: the difference of the notional entered (BUY fills of the book ledger) and of the gross
  exposure at each close (snapshots). ``realization_pct`` = realized entry delta / hypothetical delta;
* **attribution-aware performance**: each day's PnL (equity change between closes) in both runs and its
  difference, split by the regime the modulated run applied that morning, into the loss the modulated book
  avoided (days the unmodulated book lost) and the gain it gave up (days it gained).

Everything comes from the two homes' ledgers and artifacts; nothing is written and no setting is touched.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from avwap.analytics.portfolio import drawdown_series
from avwap.analytics.portfolio_snapshots import funding, read_snapshot, snapshot_dates, snapshot_path
from avwap.analytics.risk_attribution_store import read_events
from avwap.analytics.risk_attribution_summary import dominant, regime_delta
from avwap.core.canonical import to_plain
from avwap.core.errors import DataError
from avwap.ledger.record_enums import Side
from avwap.ledger.records import Fill, RiskAttributionEvent
from avwap.ledger.router import read_book_records

KIND: Final = "risk_attribution_diagnostics"
ZERO: Final = Decimal("0")
ADVISORY: Final = (
    "Advisory only: a comparison of two recorded runs. It changes no setting, no decision and no order."
)


@dataclass(frozen=True)
class RunSeries:
    """One run's book per close: equity, gross exposure, the notional entered that day."""

    home: Path
    equity: dict[dt.date, Decimal]
    gross: dict[dt.date, Decimal]
    entries: dict[dt.date, Decimal]
    starting_equity: Decimal


def run_home(path: Path) -> Path:
    """A backtest run folder holds its home in ``home/``; anything else is taken as a home."""
    return path / "home" if (path / "home" / "ledger").is_dir() else path


def load_run(path: Path, book_id: str) -> RunSeries:
    """The snapshots and BUY fills of ``book_id`` in the run at ``path`` (a DataError when it has none)."""
    home = run_home(Path(path))
    dates = snapshot_dates(home / "artifacts", book_id)
    if not dates:
        raise DataError(f"{home}: no snapshot of {book_id}: not a run of that book")
    snapshots = [read_snapshot(snapshot_path(home / "artifacts", book_id, day)) for day in dates]
    records = read_book_records(home / "ledger", book_id)
    entries: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    for record in records:
        if isinstance(record, Fill) and record.side == Side.BUY:
            entries[record.date_ny] += record.quantity * record.price
    return RunSeries(
        home=home,
        equity={item.date_ny: item.equity for item in snapshots},
        gross={item.date_ny: item.gross_exposure for item in snapshots},
        entries=dict(entries),
        starting_equity=funding(records) or snapshots[0].equity,  # unfunded: the first close has no PnL
    )


def _pnl(run: RunSeries, day: dt.date) -> Decimal:
    earlier = [date for date in run.equity if date < day]
    previous = run.equity[max(earlier)] if earlier else run.starting_equity
    return run.equity[day] - previous


def _day_row(
    day: dt.date, modulated: RunSeries, baseline: RunSeries, events: Sequence[RiskAttributionEvent]
) -> dict[str, Any]:
    counted = [event for event in events if not event.shadow]
    regimes = Counter(event.regime_code or "E2_OFF" for event in counted)
    pnl_mod, pnl_base = _pnl(modulated, day), _pnl(baseline, day)
    return {
        "date": day,
        "regime": dominant(regimes) or "NO_EVENTS",
        "hypothetical_regime_delta": sum((regime_delta(event) for event in counted), ZERO),
        "hypothetical_net_delta": sum((event.exposure_delta for event in counted), ZERO),
        "realized_entry_delta": modulated.entries.get(day, ZERO) - baseline.entries.get(day, ZERO),
        "gross_exposure_delta": modulated.gross[day] - baseline.gross[day],
        "baseline_pnl": pnl_base,
        "modulated_pnl": pnl_mod,
        "pnl_delta": pnl_mod - pnl_base,
    }


def _totals(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    summed = {
        name: sum((row[name] for row in rows), ZERO)
        for name in (
            "hypothetical_regime_delta", "hypothetical_net_delta", "realized_entry_delta",
            "baseline_pnl", "modulated_pnl", "pnl_delta",
        )
    }  # fmt: skip
    hypothetical = summed["hypothetical_regime_delta"]
    return {
        "days": len(rows),
        **summed,
        "realization_pct": (summed["realized_entry_delta"] * 100 / hypothetical).quantize(Decimal("0.01"))
        if hypothetical
        else None,
        "mean_gross_exposure_delta": (
            sum((row["gross_exposure_delta"] for row in rows), ZERO) / len(rows)
        ).quantize(Decimal("0.01"))
        if rows
        else ZERO,
        "loss_avoided": sum((row["pnl_delta"] for row in rows if row["baseline_pnl"] < 0), ZERO),
        "gain_forgone": sum((row["pnl_delta"] for row in rows if row["baseline_pnl"] > 0), ZERO),
    }


def _run_figures(run: RunSeries, days: Sequence[dt.date]) -> dict[str, Any]:
    equity = [run.equity[day] for day in days]
    pnl = sum((_pnl(run, day) for day in days), ZERO)
    start = equity[0] - _pnl(run, days[0])
    return {
        "home": str(run.home),
        "pnl": pnl,
        "return_pct": (pnl * 100 / start).quantize(Decimal("0.0001")) if start else None,
        "max_drawdown": min(drawdown_series([start, *equity])),
        "entries_notional": sum((run.entries.get(day, ZERO) for day in days), ZERO),
        "mean_gross_exposure": (sum((run.gross[day] for day in days), ZERO) / len(days)).quantize(
            Decimal("0.01")
        ),
    }


def diagnostics(
    modulated: RunSeries,
    baseline: RunSeries,
    book_id: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> dict[str, Any]:
    """The report (plain JSON values) over the closes both runs have in [start, end]."""
    common = sorted(set(modulated.equity) & set(baseline.equity))
    days = [day for day in common if (start is None or day >= start) and (end is None or day <= end)]
    if not days:
        raise DataError("the two runs share no close in the requested range: nothing to compare")
    unpaired = sorted(
        (set(modulated.equity) ^ set(baseline.equity)) & set(_within(start, end, modulated, baseline))
    )
    rows = [_day_row(day, modulated, baseline, read_events(modulated.home / "ledger", day)) for day in days]
    by_regime: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        by_regime[row["regime"]].append(row)
    report = {
        "kind": KIND,
        "book_id": book_id,
        "from": days[0],
        "to": days[-1],
        "days_with_events": sum(row["regime"] != "NO_EVENTS" for row in rows),
        "unpaired_days": unpaired,
        "runs": {"modulated": _run_figures(modulated, days), "baseline": _run_figures(baseline, days)},
        "totals": _totals(rows),
        "by_regime": {label: _totals(by_regime[label]) for label in sorted(by_regime)},
        "days": rows,
        "advisory": ADVISORY,
    }
    return dict(to_plain(report))


def _within(start: dt.date | None, end: dt.date | None, *runs: RunSeries) -> list[dt.date]:
    every = {day for run in runs for day in run.equity}
    return [day for day in every if (start is None or day >= start) and (end is None or day <= end)]
