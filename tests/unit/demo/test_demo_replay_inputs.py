"""The demo replay inputs: consecutive sessions only; benchmarks are never candidates unless configured."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from avwap.core.errors import DataError
from avwap.data.synthetic import SyntheticMarketSpec, write_market
from avwap.demo.home import prepare_demo_home
from avwap.demo.replay import consecutive_sessions, demo_config, demo_engine

SPEC = SyntheticMarketSpec(symbols=6, intraday_start=dt.date(2026, 10, 26))
SCAN_DAYS = [dt.date(2026, 10, day) for day in (26, 27, 28, 29)]


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("market")
    write_market(SPEC, root)
    return root


def test_consecutive_sessions_pass() -> None:
    days = [dt.date(2026, 11, 23), dt.date(2026, 11, 24), dt.date(2026, 11, 25), dt.date(2026, 11, 27)]
    assert consecutive_sessions(days, 3, Path("x")) == days[1:]  # 11-26 is Thanksgiving, not a gap


def test_a_ten_year_gap_is_refused_with_the_sessions_that_avoid_it() -> None:
    days = [dt.date(2016, 3, 1), dt.date(2016, 3, 2), dt.date(2026, 11, 24), dt.date(2026, 11, 25)]
    with pytest.raises(DataError, match=r"skip \d+ NYSE session.*first missing: 2016-03-03.*--sessions 2"):
        consecutive_sessions(days, 4, Path("x"))
    assert consecutive_sessions(days, 2, Path("x")) == days[2:]


def test_a_replay_over_imported_bars_with_a_missing_day_is_refused(market: Path, tmp_path: Path) -> None:
    (market / "bars" / "5m" / "2026-11-24.parquet").rename(tmp_path / "aside.parquet")
    try:
        config = demo_config({}, prepare_demo_home(tmp_path / "home"))
        with pytest.raises(DataError, match=r"first missing: 2026-11-24.*--sessions 3"):
            demo_engine(config, market, sessions=10)
        assert demo_engine(config, market, sessions=3).sessions[0] == dt.date(2026, 11, 25)
    finally:
        (tmp_path / "aside.parquet").rename(market / "bars" / "5m" / "2026-11-24.parquet")


def candidates_on_scan_days(market: Path, home: Path, environ: dict[str, str]) -> set[str]:
    replay = demo_engine(demo_config(environ, prepare_demo_home(home)), market, sessions=25)
    assert replay.sessions[0] == SCAN_DAYS[0]
    found: set[str] = set()
    for day in SCAN_DAYS:
        replay.scan_job(day)
        found |= set(replay.result.candidates[day])
    return found


def test_benchmarks_are_never_candidates_by_default(market: Path, tmp_path: Path) -> None:
    assert not candidates_on_scan_days(market, tmp_path / "a", {}) & {"SPY", "IWM"}
    included = candidates_on_scan_days(market, tmp_path / "b", {"CANDIDATES_INCLUDE_BENCHMARKS": "1"})
    assert included & {"SPY", "IWM"}  # this market would offer them: the default really excludes them


def test_the_production_scan_leaves_benchmarks_out_of_an_explicit_universe(tmp_path: Path) -> None:
    from avwap.core.config import load_config
    from avwap.data.store import BarStore
    from avwap.scanning.inputs import universe_symbols

    store = BarStore(tmp_path)
    excluded = load_config({}).excluded_from_candidates("SPY")
    assert universe_symbols(store, ["AAPL", "qqq", "SPY", "DIA"], "SPY", excluded) == ("AAPL",)
    opted_in = load_config({"CANDIDATES_INCLUDE_BENCHMARKS": "1"}).excluded_from_candidates("SPY")
    assert universe_symbols(store, ["AAPL", "QQQ"], "SPY", opted_in) == ("AAPL", "QQQ")


def test_the_demo_market_has_intraday_bars_on_every_replayed_session() -> None:
    from avwap.core.calendar import nyse
    from avwap.demo.run import demo_market_spec

    default = SyntheticMarketSpec(seed=7)
    assert demo_market_spec(7, 20) == default  # up to the five embedded weeks: the embedded market itself
    assert demo_market_spec(7, 25) == default
    year = demo_market_spec(7, 252)
    assert year.intraday_start is not None
    replayed = nyse().sessions(year.intraday_start, year.daily_end)
    assert len(replayed) == 252  # a year of 5-minute bars, the same daily range, seed and stocks
    assert (year.seed, year.symbols, year.daily_start, year.daily_end) == (
        default.seed,
        default.symbols,
        default.daily_start,
        default.daily_end,
    )
    assert year.spec_hash != default.spec_hash  # another market: ensure_market regenerates it
