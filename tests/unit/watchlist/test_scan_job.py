"""The scan job: what it writes, that it round-trips, is byte-stable, and an empty result still writes."""

from __future__ import annotations

import csv
import io
import json
import math
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest
from tests.unit.watchlist.scan_fixtures import (
    AS_OF,
    CODE_VERSION,
    GAP_SESSIONS,
    SESSIONS,
    TRADING_DATE,
    last_close,
    make_config,
    scan_into,
    trend_bars,
    written_files,
)

from avwap.core.calendar import nyse
from avwap.core.money import round_price
from avwap.data.store import BarStore
from avwap.presentation.scan_charts import candidate_chart
from avwap.scanning.diagnostics import read_diagnostics
from avwap.scanning.job import ScanJobResult
from avwap.scanning.tradingview import tradingview_text
from avwap.signals.panel import build_panel
from avwap.signals.scan_rules import ScanRules
from avwap.watchlist.artifact import CSV_COLUMNS, read_candidates

EXPECTED_FILES = {
    "artifacts/candidates/2026-11-30.csv",
    "artifacts/candidates/2026-11-30.json",
    "artifacts/diagnostics/2026-11-30.json",
    "artifacts/watchlists/2026-11-30.txt",
    "reports/scan-2026-11-30.html",
}


def test_writes_the_five_files_with_the_candidates_json_last(scanned: tuple[Path, ScanJobResult]) -> None:
    home, job = scanned
    assert set(written_files(home)) == EXPECTED_FILES
    assert [path.relative_to(home).as_posix() for path in job.files][
        -1
    ] == "artifacts/candidates/2026-11-30.json"
    assert job.trading_date == TRADING_DATE and job.as_of == AS_OF
    assert job.result.market_gate.is_open
    assert 2 <= len(job.result.candidates) <= 20


@pytest.mark.parametrize("symbol", ["GOODA", "GOODB"])
def test_hand_made_trends_are_candidates_on_their_gap_anchor(
    scanned: tuple[Path, ScanJobResult], symbol: str
) -> None:
    _, job = scanned
    candidate = next(item for item in job.result.candidates if item.symbol == symbol)
    bars = trend_bars(symbol).tail(GAP_SESSIONS)
    # equal volumes: the AVWAP from the gap bar is the plain mean of the three typical prices
    typical = float(((bars["high"] + bars["low"] + bars["close"]) / 3.0).mean())
    assert (candidate.anchor_type, candidate.anchor_date) == ("GAP", SESSIONS[-GAP_SESSIONS])
    assert candidate.avwap == round_price(typical)
    assert candidate.distance == pytest.approx(last_close(symbol) / typical - 1.0, abs=1e-6)
    assert candidate.trend_tier == "A" and "NEAR_AVWAP" in candidate.tags


def test_every_universe_symbol_is_a_candidate_or_a_diagnostic_once(
    scanned: tuple[Path, ScanJobResult], market_store: Path
) -> None:
    _, job = scanned
    universe = set(BarStore(market_store).symbols("1d")) - {"SPY", "IWM"}  # benchmarks are never scanned
    candidates = [item.symbol for item in job.result.candidates]
    diagnostics = [item.symbol for item in job.result.diagnostics]
    assert sorted(candidates + diagnostics) == sorted(universe)
    assert job.scanned == len(universe) == 44  # 40 synthetic stocks and four hand-made
    assert sum(job.reason_counts.values()) == len(diagnostics)


def test_candidates_artifact_round_trips(scanned: tuple[Path, ScanJobResult]) -> None:
    home, job = scanned
    watchlist = read_candidates(home / "artifacts", TRADING_DATE)
    assert watchlist.trading_date == TRADING_DATE and watchlist.data_through == AS_OF
    assert watchlist.candidates == job.result.candidates
    assert watchlist.market_gate_open is True
    config = make_config(home)
    assert watchlist.provenance == {
        "as_of_date_ny": AS_OF.isoformat(),
        "code_version": CODE_VERSION,
        "config_hash": config.config_hash(),
        "data_hash": job.provenance.data_hash,
    }


def test_candidates_csv_has_one_row_per_candidate_in_rank_order(scanned: tuple[Path, ScanJobResult]) -> None:
    home, job = scanned
    rows = list(csv.reader(io.StringIO((home / "artifacts/candidates/2026-11-30.csv").read_text())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [row[1] for row in rows[1:]] == [item.symbol for item in job.result.candidates]
    assert [int(row[0]) for row in rows[1:]] == list(range(1, len(job.result.candidates) + 1))


def test_diagnostics_artifact_round_trips_with_every_failing_check(
    scanned: tuple[Path, ScanJobResult], market_store: Path
) -> None:
    home, job = scanned
    artifact = read_diagnostics(home / "artifacts", TRADING_DATE)
    assert [entry.diagnostic for entry in artifact.symbols] == list(job.result.diagnostics)
    assert artifact.candidate_symbols == tuple(item.symbol for item in job.result.candidates)
    assert artifact.scanned_symbols == job.scanned
    assert artifact.provenance.data_hash == BarStore(market_store).data_hash("1d")
    assert artifact.reason_counts == job.reason_counts
    for entry in artifact.symbols:
        codes = [check.code for check in entry.checks]
        # The first failing check is the diagnostic's reason, with the same value and threshold.
        if entry.checks:
            assert codes[0] == entry.diagnostic.reason
            assert entry.checks[0].value == entry.diagnostic.value
            assert entry.checks[0].threshold == entry.diagnostic.threshold
        assert set(codes) <= set(entry.diagnostic.reasons)


@pytest.mark.parametrize(
    ("symbol", "expected"),
    [
        # hand-computed: LOWVOL trades 500,000 shares a day against the 750,000 minimum
        ("LOWVOL", [("AVG_VOLUME_TOO_LOW", 500_000.0, 750_000.0)]),
        # PENNY closes under $3; its ATR (about 2% of ~$2.1) is far below $0.50 (value checked below)
        ("PENNY", [("PRICE_TOO_LOW", round(last_close("PENNY"), 6), 3.0), ("ATR_TOO_SMALL", None, 0.5)]),
    ],
)
def test_hand_made_symbols_fail_exactly_the_expected_checks(
    scanned: tuple[Path, ScanJobResult], symbol: str, expected: list[tuple[str, float | None, float]]
) -> None:
    home, _ = scanned
    entry = read_diagnostics(home / "artifacts", TRADING_DATE).find(symbol)
    assert entry is not None
    found = [(check.code, check.value, check.threshold) for check in entry.checks]
    assert [code for code, _, _ in found] == [code for code, _, _ in expected]
    for (_, value, threshold), (_, want_value, want_threshold) in zip(found, expected, strict=True):
        assert threshold == want_threshold
        if want_value is not None:
            assert value == want_value
    if symbol == "PENNY":
        atr = entry.checks[1].value
        assert atr is not None and 0.9 < atr / (0.02 * last_close("PENNY")) < 1.1
    assert last_close("LOWVOL") > 3.0  # LOWVOL passes the price check


def test_two_runs_write_identical_bytes(tmp_path: Path, market_store: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    scan_into(first, market_store)
    scan_into(second, market_store)
    scan_into(second, market_store)  # a re-run over its own files changes nothing either
    assert written_files(first) == written_files(second)
    assert set(written_files(first)) == EXPECTED_FILES


def test_an_empty_result_still_writes_an_empty_artifact(tmp_path: Path, market_store: Path) -> None:
    home = tmp_path / "home"
    job = scan_into(home, market_store, rules=ScanRules(min_price=1e9))
    assert job.result.candidates == ()
    assert set(job.reason_counts) == {"PRICE_TOO_LOW"}
    files = written_files(home)
    assert set(files) == EXPECTED_FILES
    payload = json.loads(files["artifacts/candidates/2026-11-30.json"])
    assert payload["candidates"] == [] and payload["candidate_count"] == 0
    assert payload["scanned_symbols"] == 44
    assert files["artifacts/candidates/2026-11-30.csv"] == (",".join(CSV_COLUMNS) + "\n").encode()
    assert files["artifacts/watchlists/2026-11-30.txt"] == b""
    assert read_candidates(home / "artifacts", TRADING_DATE).candidates == ()
    assert b"No candidates today." in files["reports/scan-2026-11-30.html"]


def test_tradingview_file_lists_the_candidates_by_rank(scanned: tuple[Path, ScanJobResult]) -> None:
    home, job = scanned
    text = (home / "artifacts/watchlists/2026-11-30.txt").read_text()
    assert text.splitlines() == [item.symbol for item in job.result.candidates]
    reversed_input = tuple(reversed(job.result.candidates))
    assert tradingview_text(reversed_input) == text.encode()


def test_report_has_one_chart_per_candidate_and_the_provenance(scanned: tuple[Path, ScanJobResult]) -> None:
    home, job = scanned
    html = (home / "reports/scan-2026-11-30.html").read_text()
    assert html.count("<svg") == len(job.result.candidates)
    assert f"code {CODE_VERSION}" in html and job.provenance.data_hash[:12] in html
    for candidate in job.result.candidates:
        assert f"#{candidate.rank} {candidate.symbol} · {candidate.anchor_type}" in html


def test_candidate_chart_ends_at_the_entry_level_and_marks_the_anchor(
    scanned: tuple[Path, ScanJobResult], market_store: Path
) -> None:
    _, job = scanned
    frame = BarStore(market_store).read("1d", end=AS_OF)
    panel = build_panel(frame[frame["symbol"] != "SPY"], AS_OF, ScanRules().panel_bars)
    for candidate in job.result.candidates:
        chart = candidate_chart(panel, candidate)
        avwap, upper_1, lower_1 = chart.lines[0].values, chart.lines[1].values, chart.lines[2].values
        last = avwap[-1]
        assert last is not None and round_price(last) == candidate.avwap
        anchor_marker = chart.markers[0]
        assert chart.labels[anchor_marker.index] == candidate.anchor_date.isoformat()
        assert all(value is None for value in avwap[: anchor_marker.index])
        assert avwap[anchor_marker.index] is not None
        assert upper_1[-1] is not None and lower_1[-1] is not None
        sigma = (upper_1[-1] - lower_1[-1]) / 2.0
        assert math.isclose(sigma, candidate.sigma, rel_tol=1e-5, abs_tol=1e-6)
        assert chart.labels[-1] == AS_OF.isoformat()
        assert chart.markers[1].price == float(candidate.avwap) and Decimal(str(last)) > 0


def test_the_job_measures_the_panel_once_and_details_the_checks_it_decided_on(
    tmp_path: Path, market_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ATR/ADX and every other measure are computed once per scan (they were computed twice: once for the
    ranking, once for the diagnostics' check details); the details are those of a separate measurement."""
    import avwap.signals.scan as scan_module
    from avwap.scanning import check_details
    from avwap.scanning.inputs import load_inputs
    from avwap.signals.scan import market_gate
    from avwap.signals.scan_checks import measure

    calls: list[int] = []

    def counting(*arguments: object, **options: object) -> object:
        calls.append(1)
        return measure(*arguments, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(scan_module, "measure", counting)
    monkeypatch.setattr(check_details, "measure", counting)
    home = tmp_path / "home"
    result = scan_into(home, market_store)
    assert calls == [1]
    rules = ScanRules()
    inputs = load_inputs(
        BarStore(market_store),
        TRADING_DATE,
        None,
        benchmark_symbol=rules.benchmark_symbol,
        panel_bars=rules.panel_bars,
        calendar=nyse(),
        excluded=make_config(home).excluded_from_candidates(rules.benchmark_symbol),
    )
    panel = build_panel(inputs.bars, AS_OF, rules.panel_bars)
    gate = market_gate(inputs.benchmark, AS_OF, rules)
    separately = check_details.failing_checks(
        panel, AS_OF, gate, rules, future_sessions=inputs.future_sessions
    )
    written = json.loads((home / "artifacts/diagnostics/2026-11-30.json").read_text())
    assert separately  # the test market has failing symbols
    assert result.scanned == len(panel.symbols) + len(inputs.missing)
    details = {entry["symbol"]: entry["checks"] for entry in written["symbols"] if entry["checks"]}
    expected = {
        symbol: [msgspec.to_builtins(detail) for detail in found] for symbol, found in separately.items()
    }
    assert details == json.loads(json.dumps(expected))


def test_an_unpinned_code_version_is_gits_asked_while_the_scan_computes(
    tmp_path: Path, market_store: Path
) -> None:
    """The job asks git for the code version on a thread (git runs while the scan computes); the provenance
    still names exactly what ``detect_code_version`` says, in every artifact."""
    from avwap.ledger.atomic import detect_code_version

    home = tmp_path / "home"
    result = scan_into(home, market_store, code_version=None)
    assert result.provenance.code_version == detect_code_version()
    written = json.loads((home / "artifacts/candidates/2026-11-30.json").read_text())
    assert written["provenance"]["code_version"] == detect_code_version()
