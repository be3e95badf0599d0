"""Offline validation of regime labels: distribution per year, behaviour in named periods (pure).

The tables in docs/REGIMES.md are rendered by :func:`validation_markdown` from labelled real history
(``scripts/regime_validation.py`` writes them; tests/realdata/test_regimes_history.py recomputes and
compares them byte for byte, so the document cannot drift from the code).

Public API::

    Period, STRESS_PERIODS, CALM_YEARS
    label_shares(days) -> dict[label, share]
    year_rows(days) -> list of (year, sessions, shares..., changes, mean confidence, breadth days)
    period_shares(days, period) -> dict[label, share]
    validation_markdown(main, others) -> str
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from avwap.regimes.classifier import RegimeDay
from avwap.regimes.rules import Regime

ORDER: Final = (Regime.RISK_ON, Regime.NEUTRAL, Regime.RISK_OFF, Regime.STRESSED, Regime.UNKNOWN)


@dataclass(frozen=True)
class Period:
    name: str
    start: dt.date
    end: dt.date
    stress: bool


STRESS_PERIODS: Final = (
    Period("2000-02 bear (peak to trough)", dt.date(2000, 3, 24), dt.date(2002, 10, 9), True),
    Period("2007-09 bear (peak to trough)", dt.date(2007, 10, 9), dt.date(2009, 3, 9), True),
    Period("2011 debt ceiling / euro crisis", dt.date(2011, 7, 22), dt.date(2011, 10, 3), True),
    Period("late 2015 - early 2016", dt.date(2015, 8, 17), dt.date(2016, 2, 11), True),
    Period("late 2018", dt.date(2018, 10, 3), dt.date(2018, 12, 24), True),
    Period("2020 crash", dt.date(2020, 2, 19), dt.date(2020, 3, 23), True),
)
CALM_YEARS: Final = (2005, 2006, 2013, 2014, 2017)
CALM_PERIODS: Final = tuple(
    Period(f"{year} (calm)", dt.date(year, 1, 1), dt.date(year, 12, 31), False) for year in CALM_YEARS
)


def label_shares(days: Iterable[RegimeDay]) -> dict[Regime, float]:
    """Share of sessions per label (every label present, 0 when absent); empty input: all 0."""
    counts = dict.fromkeys(ORDER, 0)
    for day in days:
        counts[day.label] += 1
    total = sum(counts.values())
    return {label: (count / total if total else 0.0) for label, count in counts.items()}


def label_changes(days: Sequence[RegimeDay]) -> int:
    """How often the label changed between consecutive known sessions (UNKNOWN days are skipped)."""
    known = [day.label for day in days if day.label is not Regime.UNKNOWN]
    return sum(1 for before, after in itertools.pairwise(known) if before != after)


def _percent(share: float) -> str:
    return f"{100 * share:.0f}"


def year_rows(days: Sequence[RegimeDay]) -> list[list[str]]:
    """One row per calendar year: sessions, % per label, label changes, mean confidence, breadth days."""
    years = sorted({day.date.year for day in days})
    rows = []
    for year in years:
        chosen = [day for day in days if day.date.year == year]
        known = [day for day in chosen if day.label is not Regime.UNKNOWN]
        confidence = sum(day.confidence for day in known) / len(known) if known else 0.0
        shares = label_shares(chosen)
        breadth_days = sum(1 for day in chosen if day.breadth is not None)
        rows.append(
            [str(year), str(len(chosen)), *(_percent(shares[label]) for label in ORDER),
             str(label_changes(chosen)), f"{confidence:.2f}", str(breadth_days)]
        )  # fmt: skip
    return rows


def period_shares(days: Sequence[RegimeDay], period: Period) -> dict[Regime, float]:
    return label_shares(day for day in days if period.start <= day.date <= period.end)


def defensive_share(days: Sequence[RegimeDay], period: Period) -> float:
    """Share of the period's sessions labelled RISK_OFF or STRESSED."""
    shares = period_shares(days, period)
    return shares[Regime.RISK_OFF] + shares[Regime.STRESSED]


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def validation_markdown(main: Sequence[RegimeDay], others: Mapping[str, Sequence[RegimeDay]]) -> str:
    """The validation section: per-year distribution of ``main``, then the periods for every series
    (``main`` first as "SPY + breadth", then ``others`` by name): % RISK_ON / NEUTRAL / RISK_OFF+STRESSED."""
    header = [
        "year",
        "sessions",
        *(f"% {label.value}" for label in ORDER),
        "changes",
        "confidence",
        "breadth days",
    ]
    lines = ["### Label distribution per year (SPY, breadth from the 505-stock set where it exists)", ""]
    lines += _table(header, year_rows(main))
    series = {"SPY + breadth": main, **others}
    lines += ["", "### Stress periods vs calm years: % RISK_ON / % NEUTRAL / % RISK_OFF + STRESSED", ""]
    rows = []
    for period in (*STRESS_PERIODS, *CALM_PERIODS):
        cells = [period.name, f"{period.start} .. {period.end}"]
        for days in series.values():
            shares = period_shares(days, period)
            defensive = shares[Regime.RISK_OFF] + shares[Regime.STRESSED]
            on, neutral = _percent(shares[Regime.RISK_ON]), _percent(shares[Regime.NEUTRAL])
            cells.append(f"{on} / {neutral} / {_percent(defensive)}")
        rows.append(cells)
    lines += _table(["period", "dates", *series], rows)
    return "\n".join(lines) + "\n"
