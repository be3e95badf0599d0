"""Real data: the 505 CNuge S&P 500 symbols (+ SPY from mplfinance as the benchmark) scanned end to end for
trading day 2017-06-01 (data through 2017-05-31): completes, vendor errors quarantined and excluded, every
symbol answered, deterministic, and the entry levels agree with a slow pandas AVWAP straight from the CSVs.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from avwap.cli import indicators_command
from avwap.core.clock import FixedClock
from avwap.core.config import load_config
from avwap.core.money import round_price
from avwap.data.importing.csv_import import expand_paths, import_csv, import_many
from avwap.data.importing.presets import preset
from avwap.data.store import BarStore
from avwap.scanning.diagnostics import read_diagnostics
from avwap.scanning.job import ScanJobResult, run_scan

pytestmark = pytest.mark.realdata

TRADING_DATE = dt.date(2017, 6, 1)
AS_OF = dt.date(2017, 5, 31)
CLOCK = FixedClock(dt.datetime(2017, 6, 1, 12, 30, tzinfo=dt.UTC))
SPY_FILE = "mplfinance/yahoofinance-SPY-20080101-20180101.csv"
# Quarantined vendor rows inside the scan's read window (PROVENANCE.md section 1).
QUARANTINED_IN_WINDOW = {
    ("BBY", "2016-03-14"),
    ("DHR", "2016-01-12"),
    ("FTV", "2016-07-01"),
    ("LNT", "2016-05-19"),
    ("O", "2016-01-12"),
    ("UA", "2016-04-07"),
    ("UA", "2016-06-10"),
    ("WRK", "2016-05-13"),
}


@pytest.fixture(scope="module")
def cnuge_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip(f"real market data not found at {SHARED_DATA} (set AVWAP_SHARED_DATA)")
    root = tmp_path_factory.mktemp("cnuge") / "store"
    store = BarStore(root)
    batch = import_many(expand_paths([SHARED_DATA / "daily_sp500_5yr_cnuge"]), preset("cnuge_daily"))
    store.write(batch.bars, "1d")
    store.record_quarantine("1d", [report.source for report in batch.reports], batch.quarantine_records())
    store.write(import_csv(SHARED_DATA / SPY_FILE, preset("mplfinance_yahoo_daily")).bars, "1d")
    return root


def scan(home: Path, store: Path) -> ScanJobResult:
    return run_scan(
        load_config({}, home=home), TRADING_DATE, clock=CLOCK, data_dir=store, code_version="test"
    )


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory, cnuge_store: Path) -> tuple[Path, ScanJobResult]:
    home = tmp_path_factory.mktemp("home")
    return home, scan(home, cnuge_store)


def files(home: Path) -> dict[str, bytes]:
    return {
        path.relative_to(home).as_posix(): path.read_bytes()
        for path in sorted(home.rglob("*"))
        if path.is_file()
    }


def test_the_505_symbol_scan_completes_and_answers_every_symbol(scanned: tuple[Path, ScanJobResult]) -> None:
    _, job = scanned
    assert (job.trading_date, job.as_of) == (TRADING_DATE, AS_OF)
    assert job.result.market_gate.is_open  # SPY 241.44 >= its 200-day SMA 226.41 on 2017-05-31
    assert job.result.market_gate.benchmark_close == 241.440002
    symbols = [item.symbol for item in job.result.candidates] + [
        item.symbol for item in job.result.diagnostics
    ]
    assert len(symbols) == len(set(symbols)) == job.scanned == 505
    assert "SPY" not in symbols
    assert len(job.result.candidates) == 20
    # Listed after 2017-05-31 (APTV, BHF, BHGE, DWDP): no bar on the as-of session, not an error.
    late = {item.symbol for item in job.result.diagnostics if item.reason == "NO_BAR_AS_OF"}
    assert late == {"APTV", "BHF", "BHGE", "DWDP"}


def test_quarantined_rows_are_excluded_and_reported(
    scanned: tuple[Path, ScanJobResult], cnuge_store: Path
) -> None:
    home, job = scanned
    stored = BarStore(cnuge_store).read("1d", symbols=sorted({symbol for symbol, _ in QUARANTINED_IN_WINDOW}))
    days = set(zip(stored["symbol"], stored["timestamp"].dt.strftime("%Y-%m-%d"), strict=True))
    assert days.isdisjoint(QUARANTINED_IN_WINDOW)
    artifact = read_diagnostics(home / "artifacts", TRADING_DATE)
    reported = {(symbol, bar.timestamp[:10]) for symbol, bars in artifact.quarantined.items() for bar in bars}
    assert reported >= QUARANTINED_IN_WINDOW
    assert {bar.reasons for bar in artifact.quarantined["UA"]} == {
        ("MISSING_VALUE",),
        ("CLOSE_OUTSIDE_RANGE",),
    }
    # Their symbols still get an ordinary decision from their remaining bars.
    decided = {item.symbol: item.reason for item in job.result.diagnostics}
    for symbol, _ in QUARANTINED_IN_WINDOW:
        assert decided.get(symbol, "CANDIDATE") not in {"NO_BAR_AS_OF", "INDICATOR_UNAVAILABLE"}


def test_two_scans_write_identical_bytes(
    scanned: tuple[Path, ScanJobResult], cnuge_store: Path, tmp_path: Path
) -> None:
    home, _ = scanned
    scan(tmp_path, cnuge_store)
    assert files(tmp_path) == files(home)
    assert len(files(home)) == 5


def slow_avwap(csv_path: Path, anchor: dt.date, end: dt.date) -> float:
    """Σ typical·volume / Σ volume from ``anchor`` to ``end``, from the vendor CSV (bad rows dropped)."""
    frame = pd.read_csv(csv_path, parse_dates=["date"]).dropna(subset=["open", "high", "low", "close"])
    frame = frame[(frame["high"] >= frame["low"]) & (frame["high"] >= frame[["open", "close"]].max(axis=1))]
    frame = frame[frame["low"] <= frame[["open", "close"]].min(axis=1)]
    window = frame[(frame["date"].dt.date >= anchor) & (frame["date"].dt.date <= end)]
    typical = (window["high"] + window["low"] + window["close"]) / 3.0
    return float((typical * window["volume"]).sum() / window["volume"].sum())


def test_entry_levels_match_a_slow_pandas_avwap(
    scanned: tuple[Path, ScanJobResult], shared_data: Path
) -> None:
    _, job = scanned
    for candidate in job.result.candidates:
        path = shared_data / "daily_sp500_5yr_cnuge" / f"{candidate.symbol}_data.csv"
        assert candidate.avwap == round_price(slow_avwap(path, candidate.anchor_date, AS_OF)), (
            candidate.symbol
        )


def test_indicators_command_matches_the_slow_avwap_on_a_real_file(shared_data: Path) -> None:
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        """test root"""

    indicators_command.register(app)
    path = shared_data / "daily_sp500_5yr_cnuge" / "AAPL_data.csv"
    arguments = [
        "indicators",
        "avwap",
        "--csv",
        str(path),
        "--preset",
        "cnuge_daily",
        "--anchor",
        "2017-01-03",
    ]
    result = CliRunner().invoke(app, [*arguments, "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["anchor_bar"].startswith("2017-01-03") and record["rows_quarantined"] == 0
    last = record["rows"][-1]
    assert last["timestamp"].startswith("2018-02-07")
    assert last["avwap"] == pytest.approx(
        slow_avwap(path, dt.date(2017, 1, 3), dt.date(2018, 2, 7)), abs=1e-6
    )
    assert 0 < last["sigma"] < last["avwap"] * 0.2
