"""What ``avwap rebuild`` deletes and rebuilds, and what it never touches (docs/RUNBOOK.md "Rebuild").

Derived (deleted, then rebuilt from ledgers, bars, kept sources and the configuration), each listed with
the code that writes it:

==============================  =======================================================================
family                          written by
==============================  =======================================================================
candidates (JSON + CSV)         the scan job (``avwap scan``; the demo's morning), as of the previous
scan diagnostics                session's close: a deterministic function of the bars up to that close,
TradingView watchlists          the scan rules and the configuration, so it is re-run as of each date
scan reports (HTML)             (its sha256 is hashed into each TradeIntent's data_version: a rebuilt
                                file that differed would be reported by the decisions check below)
portfolio decisions + latest    ``avwap portfolio decide`` / the replay's morning: re-decided from the
                                candidates, the previous close's snapshot and the bars; each sha256 is
                                compared with the one the PORTFOLIO_DECISIONS ledger recorded
portfolio snapshots             ``avwap portfolio snapshot`` / the replay's evening: the book folded from
                                its ledger up to the close, valued at the day's closes
strategy attribution            the snapshot job / the replay's evening (one per day) and
                                ``avwap strategies report`` / the demo (a range ``<FROM>_<TO>.json``)
reconciliation reports (HTML)   the HTML view of a reconciliation artifact (kept, see below)
demo report                     ``avwap demo`` (demo homes)
projection caches               ``avwap.ledger.projection.rebuild(..., cache_dir=)`` (``<state>/<BOOK>
                                .projection.json``)
==============================  =======================================================================

Sources (never deleted): ``ledger/`` (every record, ``HEAD.json``), ``data/`` (bars, universe, market
description), the reconciliation artifacts ``artifacts/reconciliation/`` (the broker's answer at the
time, recorded nowhere else: a broker cannot be asked about the past), ``rulesets/``, ``state/`` files other
than projection caches (kill switch, tokens, sync state, the execution lock), ``artifacts/ml/`` (a trained
model is an input, not a projection), ``artifacts/exits/`` and backtest run folders (outputs of commands
run with options the home does not record). Any other file under ``artifacts/`` or ``reports/`` is kept
and listed as kept, never deleted.

Public API::

    FAMILIES                                   the derived families (name, relative-path pattern)
    RebuildPlan(derived, kept)                 derived: (family, path) in order; kept: other outputs
    plan_rebuild(config, pending=()) -> RebuildPlan
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from avwap.core.config import Config
from avwap.core.files import TEMP_SUFFIX

_DATE = r"\d{4}-\d{2}-\d{2}"
_BOOK = r"[A-Z0-9_]+"


@dataclass(frozen=True)
class Family:
    name: str
    pattern: re.Pattern[str]  # full match on the path relative to the home (or the state folder)


def _family(name: str, pattern: str) -> Family:
    return Family(name, re.compile(pattern))


FAMILIES: Final = (
    _family("candidates", rf"artifacts/candidates/(?P<day>{_DATE})\.(json|csv)"),
    _family("scan diagnostics", rf"artifacts/diagnostics/(?P<day>{_DATE})\.json"),
    _family("watchlists", rf"artifacts/watchlists/(?P<day>{_DATE})\.txt"),
    _family("scan reports", rf"reports/scan-(?P<day>{_DATE})\.html"),
    _family(
        "portfolio decisions", rf"artifacts/portfolio_decisions/(?P<book>{_BOOK})/(?P<day>{_DATE})\.json"
    ),
    _family("decisions pointer", rf"artifacts/portfolio_decisions/(?P<book>{_BOOK})/latest\.json"),
    _family("snapshots", rf"artifacts/snapshots/(?P<book>{_BOOK})/(?P<day>{_DATE})\.json"),
    _family(
        "strategy attribution", rf"artifacts/strategy_attribution/(?P<book>{_BOOK})/(?P<day>{_DATE})\.json"
    ),
    _family(
        "strategy attribution range",
        rf"artifacts/strategy_attribution/(?P<book>{_BOOK})/(?P<first>{_DATE})_(?P<day>{_DATE})\.json",
    ),
    _family("reconciliation reports", rf"reports/reconciliation/(?P<book>{_BOOK})/(?P<day>{_DATE})\.html"),
    _family("demo report", r"reports/demo\.html"),
    _family("projection caches", rf"state/(?P<book>{_BOOK})\.projection\.json"),
)
OUTPUT_FOLDERS: Final = ("artifacts", "reports")


@dataclass(frozen=True)
class Derived:
    family: Family
    path: Path
    match: re.Match[str]

    def group(self, name: str) -> str | None:
        return self.match.groupdict().get(name)


@dataclass(frozen=True)
class RebuildPlan:
    derived: tuple[Derived, ...]
    kept: tuple[Path, ...]  # outputs under artifacts/ and reports/ that no family covers

    def of(self, name: str) -> list[Derived]:
        return [item for item in self.derived if item.family.name == name]


def relative_name(config: Config, path: Path) -> str:
    """``path`` as the families name it: relative to the home, ``state/...`` for the state folder."""
    state = config.state_dir
    if path.is_relative_to(state):
        return "state/" + path.relative_to(state).as_posix()
    return path.relative_to(config.home).as_posix()


def path_of(config: Config, name: str) -> Path:
    """The inverse of :func:`relative_name`."""
    if name.startswith("state/"):
        return config.state_dir / name.removeprefix("state/")
    return config.home / name


def plan_rebuild(config: Config, pending: Iterable[Path] = ()) -> RebuildPlan:
    """Every derived file present under the home (sorted by family, then path) and the outputs kept;
    ``pending``: derived files an interrupted rebuild deleted and had not written again (absent now)."""
    present = {
        path
        for folder in (*(config.home / name for name in OUTPUT_FOLDERS), config.state_dir)
        if folder.is_dir()
        for path in folder.rglob("*")
        if path.is_file() and not path.name.endswith(TEMP_SUFFIX)  # a killed write's orphan: neither
    }
    candidates = sorted(present | set(pending))
    derived: list[Derived] = []
    kept: list[Path] = []
    for path in candidates:
        relative = relative_name(config, path)
        found = next(
            ((family, match) for family in FAMILIES if (match := family.pattern.fullmatch(relative))), None
        )
        if found is not None:
            derived.append(Derived(found[0], path, found[1]))
        elif not relative.startswith("state/"):
            kept.append(path)
    order = {family.name: index for index, family in enumerate(FAMILIES)}
    derived.sort(key=lambda item: (order[item.family.name], str(item.path)))
    return RebuildPlan(tuple(derived), tuple(kept))
