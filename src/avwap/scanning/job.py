"""The daily scan job: bar store in, the trading day's artifacts out.

:func:`run_scan` for trading day ``D`` (an NYSE session) scans daily bars through the previous session and
writes, atomically and byte-stably, each with the same provenance block (code version, config hash, data
hash of the store's daily bars, as-of date = the data's last session):

=====================================  =================================================================
``<artifacts>/candidates/D.json|csv``  ranked candidates (:mod:`avwap.watchlist.artifact`); empty is valid
``<artifacts>/diagnostics/D.json``     why every other symbol is not a candidate (:mod:`.diagnostics`)
``<artifacts>/watchlists/D.txt``       TradingView watchlist (:mod:`.tradingview`)
``<reports>/scan-D.html``              summary and one chart per candidate (:mod:`.scan_report`)
``<artifacts>/ml/advisory_scores_A``   ``ML_ADVISORY=1`` only, after the candidates (A: the as-of
                                       date): the ML advisory scores, shown in the HTML too (:mod:`.advisory`)
=====================================  =================================================================

Everything is computed before the first write, and the candidates JSON (what freshness checks read) is
written last: a refused input (:mod:`.scan_inputs`) or a crash never leaves a fresh-looking artifact. A
Slack summary then goes to the notifier (off unless configured); a Slack failure is logged, never raised.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import msgspec

from avwap.core.calendar import nyse
from avwap.core.clock import Clock, FixedClock
from avwap.core.config import Config
from avwap.data.store import BarStore
from avwap.integrations.slack import AlertEvent, Notifier, NullNotifier, build_notifier, scan_summary_event
from avwap.ledger.atomic import Provenance, build_provenance, detect_code_version
from avwap.presentation.scan_charts import candidate_chart
from avwap.presentation.scan_report import advisory_section, render_scan_report, write_scan_report
from avwap.scanning.advisory import score_scan, write_advisory
from avwap.scanning.bar_reader import DAILY
from avwap.scanning.check_details import details_of_checks
from avwap.scanning.diagnostics import quarantined_bars, reason_counts, write_diagnostics
from avwap.scanning.inputs import ScanInputs, benchmark_problem, load_inputs
from avwap.scanning.tradingview import write_tradingview
from avwap.signals.avwap import Engine
from avwap.signals.panel import build_panel
from avwap.signals.scan import market_gate, scan_panel_checks
from avwap.signals.scan_records import Diagnostic, ScanResult
from avwap.signals.scan_rules import ScanRules
from avwap.signals.scan_rules_file import scan_rules_hash
from avwap.watchlist.artifact import candidates_path, write_candidates

LOGGER: Final = logging.getLogger("avwap.watchlist.scan")
ScanProgress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``, called as the job advances: reading, scanning, charts, writing."""


@dataclass(frozen=True)
class ScanJobResult:
    """What one scan decided and wrote (``files`` in write order; the candidates JSON is last but for the
    advisory scores of ``ML_ADVISORY=1``; ``advisory_note``: why there are no fresh scores, if so)."""

    trading_date: dt.date
    as_of: dt.date
    result: ScanResult
    reason_counts: dict[str, int]
    files: tuple[Path, ...]
    provenance: Provenance
    store_root: Path
    summary_sent: bool
    rules_hash: str = ""  # :func:`~avwap.signals.scan_rules_file.scan_rules_hash` of the rules used
    advisory_note: str = ""

    @property
    def scanned(self) -> int:
        return len(self.result.candidates) + len(self.result.diagnostics)


def _silent(stage: str, done: int, total: int) -> None:
    return None


def _code_version_soon(pinned: str | None) -> Callable[[], str]:
    """The provenance's code version, asked of git (``detect_code_version``: a subprocess) on a thread
    started now, so that git runs while the scan computes; the returned function waits for it."""
    if pinned is not None:
        return lambda: pinned
    found: list[str] = []
    failed: list[BaseException] = []

    def ask() -> None:
        try:
            found.append(detect_code_version())
        except BaseException as error:  # handed to the caller, as if it had asked itself
            failed.append(error)

    thread = threading.Thread(target=ask, name="avwap-code-version", daemon=True)
    thread.start()

    def wait() -> str:
        thread.join()
        if failed:
            raise failed[0]
        return found[0]

    return wait


def _with_missing(result: ScanResult, inputs: ScanInputs) -> ScanResult:
    """Add a NO_BAR_AS_OF diagnostic for universe symbols the store has no bars for (every symbol answers)."""
    if not inputs.missing:
        return result
    detail = f"no daily bars in the store between {inputs.read_start} and {inputs.as_of}"
    missing = [
        Diagnostic(
            symbol=symbol,
            as_of=inputs.as_of,
            reason="NO_BAR_AS_OF",
            value=None,
            threshold=None,
            detail=detail,
            reasons=("NO_BAR_AS_OF",),
        )
        for symbol in inputs.missing
    ]
    merged = tuple(sorted([*result.diagnostics, *missing], key=lambda item: item.symbol))
    return msgspec.structs.replace(result, diagnostics=merged)


def summary_event(trading_date: dt.date, result: ScanResult, counts: Mapping[str, int]) -> AlertEvent:
    """The Slack scan summary of one scan."""
    top = [
        (item.symbol, item.score, f"{item.anchor_type} {item.anchor_date.isoformat()}", item.distance)
        for item in sorted(result.candidates, key=lambda candidate: candidate.rank)
    ]
    scanned = len(result.candidates) + len(result.diagnostics)
    return scan_summary_event(trading_date, scanned, len(result.candidates), top, counts)


def send_summary(event: AlertEvent, config: Config, clock: Clock, notifier: Notifier | None) -> bool:
    """Hand the summary to ``notifier`` (default: the configured one, closed afterwards); never raises.

    Returns True when a real notifier accepted it (False when Slack is off or anything failed).
    """
    try:
        target = build_notifier(config, clock) if notifier is None else notifier
        target.notify(event)
        if notifier is None:
            target.close()
        return not isinstance(target, NullNotifier)
    except Exception as error:  # a Slack problem must never fail the scan
        LOGGER.warning("scan_summary_not_sent: %s: %s", type(error).__name__, error)
        return False


def ruleset_scan_rules(config: Config) -> ScanRules | None:
    """The scan rules of the ruleset in force (None: the defaults, when no ruleset was ever activated)."""
    if not config.ruleset_version:
        return None
    from avwap.control.ruleset_registry import read_ruleset

    return read_ruleset(config, config.ruleset_version).scan_rules


def rescan(config: Config, trading_date: dt.date, *, data_dir: Path | None = None) -> ScanJobResult:
    """The scan job for ``trading_date`` again, as ``avwap rebuild`` runs it: an hour before the open (the
    time the demo's morning and the scan timer run), the rules of the ruleset in force, no notification
    (a rebuild announces nothing)."""
    clock = FixedClock(nyse().session_open(trading_date) - dt.timedelta(hours=1))
    return run_scan(
        config,
        trading_date,
        clock=clock,
        data_dir=data_dir,
        notifier=NullNotifier(),
        rules=ruleset_scan_rules(config),
    )


def run_scan(
    config: Config,
    trading_date: dt.date,
    *,
    clock: Clock,
    data_dir: Path | None = None,
    universe: Iterable[str] | None = None,
    earnings: Mapping[str, Sequence[dt.date]] | None = None,
    notifier: Notifier | None = None,
    rules: ScanRules | None = None,
    engine: Engine = "numba",
    progress: ScanProgress | None = None,
    code_version: str | None = None,
) -> ScanJobResult:
    """Scan for trading day ``trading_date`` and write its artifacts (see the module docstring).

    ``data_dir``: bar store root (default ``config.data_dir``). ``universe``: symbols to scan (default: every
    stored daily symbol except the benchmark); ``config.benchmark_symbols`` are always left out unless
    ``CANDIDATES_INCLUDE_BENCHMARKS=1``. ``earnings``: reaction sessions per symbol (anchors and the
    earnings-window filter, counted from ``trading_date``: see docs/SCAN.md). ``rules``: the scan rules
    (default :class:`ScanRules`; :func:`~avwap.signals.scan_rules_file.load_scan_rules` reads a TOML file);
    their hash is recorded in the diagnostics artifact and the result. ``code_version`` pins the
    provenance's code version (tests, rebuilds).
    Raises :class:`~avwap.core.errors.DataError` (nothing written) for refused inputs.
    """
    chosen = rules or ScanRules()
    report = progress or _silent
    version = _code_version_soon(code_version)
    store = BarStore(Path(data_dir) if data_dir is not None else config.data_dir)
    report("reading", 0, 1)
    inputs = load_inputs(
        store,
        trading_date,
        universe,
        benchmark_symbol=chosen.benchmark_symbol,
        panel_bars=chosen.panel_bars,
        calendar=nyse(),
        excluded=config.excluded_from_candidates(chosen.benchmark_symbol),
    )
    report("scanning", 0, 1)
    as_of = inputs.as_of
    panel = build_panel(inputs.bars, as_of, chosen.panel_bars)
    gate = market_gate(inputs.benchmark, as_of, chosen)
    problem = benchmark_problem(inputs, chosen.benchmark_symbol)
    if problem is not None:  # the gate fails closed (MARKET_GATE_UNKNOWN); say why, loudly
        LOGGER.warning("market_gate_unknown: %s; every symbol is filtered out", problem)
    sessions = inputs.future_sessions
    # as_of is D−1 (data through); the earnings window counts from the trading day D itself
    scanned, checked = scan_panel_checks(
        panel,
        as_of,
        gate,
        rules=chosen,
        earnings=earnings,
        future_sessions=sessions,
        trading_date=trading_date,
        engine=engine,
    )
    result = _with_missing(scanned, inputs)
    checks = details_of_checks(panel.symbols, checked)  # the scan's own measures: the panel is measured once
    charts = []
    for index, candidate in enumerate(sorted(result.candidates, key=lambda item: item.rank)):
        report("charts", index, len(result.candidates))
        charts.append(candidate_chart(panel, candidate, engine))
    provenance = build_provenance(
        config.config_hash(),
        store.data_hash(DAILY),
        as_of,
        code_version=version(),
        ruleset_version=config.ruleset_version,
    )
    counts = reason_counts(result)
    excluded = config.excluded_from_candidates(chosen.benchmark_symbol)
    advisory = score_scan(config, store, result, excluded, earnings) if config.ml_advisory else None
    section = advisory_section(advisory.scores, advisory.note) if advisory is not None else None
    html = render_scan_report(trading_date, result, counts, charts, provenance, section)
    quarantined = quarantined_bars(store.quarantine(DAILY), inputs.universe)
    rules_hash = scan_rules_hash(chosen)
    report("writing", 0, 1)
    artifacts = config.artifacts_dir
    files: tuple[Path, ...] = (
        write_diagnostics(
            artifacts,
            trading_date,
            result,
            checks=checks,
            quarantined=quarantined,
            rules_hash=rules_hash,
            provenance=provenance,
        ),
        write_tradingview(artifacts, trading_date, result.candidates),
        write_scan_report(config.reports_dir, trading_date, html),
        candidates_path(artifacts, trading_date, "csv"),
        write_candidates(artifacts, trading_date, result, provenance, rules_hash=rules_hash),
    )
    scored = write_advisory(artifacts, as_of, advisory) if advisory is not None else None
    files = (*files, scored) if scored is not None else files
    LOGGER.info(
        "scan %s (data through %s): %d candidates from %d symbols",
        trading_date,
        as_of,
        len(result.candidates),
        len(inputs.universe),
    )
    sent = send_summary(summary_event(trading_date, result, counts), config, clock, notifier)
    report("writing", 1, 1)
    note = advisory.note if advisory is not None else ""
    return ScanJobResult(
        trading_date, as_of, result, counts, files, provenance, store.root, sent, rules_hash, note
    )
