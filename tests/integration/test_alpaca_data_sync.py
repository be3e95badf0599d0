"""Bar sync through the real alpaca-py data client against the fake Alpaca market-data API on 127.0.0.1.

The property under test: whatever the server does (pages, 429s, symbols without data, an interruption), the
store ends up holding exactly the bars the server served for each symbol's window, and no completed batch is
requested twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from tests.fakes.alpaca_data_server import (
    FakeAlpacaData,
    Fault,
    alpaca_data_server_fixture,  # noqa: F401 - registers the ``alpaca_data_server`` fixture
    data_settings,
    make_bars,
    running_fake_alpaca_data,
    utc_day_label,
)

from avwap.core.calendar import nyse
from avwap.core.errors import BrokerUnavailableError, DataError
from avwap.data.alpaca_source import AlpacaBarSource, to_bar_frame
from avwap.data.bars import normalize_bars
from avwap.data.store import BarStore
from avwap.data.sync import (
    SyncProgress,
    SyncRequest,
    SyncResult,
    last_completed_session,
    plan_batches,
    state_path,
    sync_bars,
)

pytestmark = pytest.mark.integration

D = dt.date
AS_OF = D(2024, 3, 28)
SYMBOLS = ("AAA", "BBB", "CCC")


def window(frame: pd.DataFrame, first: dt.date, last: dt.date) -> pd.DataFrame:
    days = frame["timestamp"].dt.date
    return frame.loc[(days >= first) & (days <= last)].reset_index(drop=True)


@pytest.fixture
def served() -> pd.DataFrame:
    return make_bars(SYMBOLS, D(2021, 6, 1), D(2024, 6, 28))


@pytest.fixture
def market(alpaca_data_server: FakeAlpacaData, served: pd.DataFrame) -> FakeAlpacaData:
    alpaca_data_server.add_frame(served)
    return alpaca_data_server


def run_sync(
    fake: FakeAlpacaData,
    home: Path,
    symbols: Sequence[str],
    as_of: dt.date,
    progress: Any = None,
    **options: Any,
) -> SyncResult:
    settings = {key: options.pop(key) for key in ("retry_attempts",) if key in options}
    source = AlpacaBarSource(data_settings(fake, **settings))
    try:
        request = SyncRequest(tuple(symbols), as_of, **options)
        return sync_bars(source, BarStore(home / "data"), home / "state", request, progress)
    finally:
        source.close()


def assert_same_bars(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal to the last bit: every price and volume went through JSON and Parquet unchanged."""
    pd.testing.assert_frame_equal(actual, expected, check_exact=True)


def stored(home: Path, frequency: str = "1d") -> pd.DataFrame:
    return BarStore(home / "data").read(frequency)


def test_backfill_then_refresh_write_exactly_the_served_bars(
    market: FakeAlpacaData, served: pd.DataFrame, home: Path
) -> None:
    first = run_sync(market, home, SYMBOLS, AS_OF)
    backfill_start = AS_OF - dt.timedelta(days=730)
    assert_same_bars(stored(home), window(served, backfill_start, AS_OF))
    assert (first.batches_total, first.batches_run, first.symbols_without_data) == (1, 1, ())
    assert market.requests[0]["start"] == "2022-03-29T04:00:00+00:00"  # midnight New York (EDT)
    assert market.requests[0]["end"] == "2024-03-28T20:00:00+00:00"  # the as-of session's close
    assert (market.requests[0]["adjustment"], market.requests[0]["feed"]) == ("split", "iex")
    labels = {bar["t"][10:] for bar in market.bars[("1Day", "split", "AAA")]}
    assert labels == {"T04:00:00Z", "T05:00:00Z"}  # both DST regimes were served, and normalized

    # The vendor revises a recent bar; two weeks later a refresh fetches the tail and the new sessions.
    revised = served.copy()
    revised_row = (revised["symbol"] == "BBB") & (revised["timestamp"].dt.date == D(2024, 3, 27))
    revised.loc[revised_row, ["close", "high"]] = [99.0, 99.5]
    market.add_frame(revised.loc[revised_row])
    later = D(2024, 4, 12)
    second = run_sync(market, home, SYMBOLS, later)
    assert market.requests[-1]["start"] == "2024-03-28T04:00:00+00:00"  # min(last stored, as-of − 15 days)
    assert second.rows_written == 3 * len(nyse().sessions(D(2024, 3, 28), later))
    bbb = stored(home).set_index(["symbol", "timestamp"]).loc["BBB"]
    assert bbb["close"][bbb.index.date == D(2024, 3, 27)].iloc[0] != 99.0  # the tail started after it

    third = run_sync(market, home, SYMBOLS, D(2024, 4, 19), refresh_days=30)
    assert market.requests[-1]["start"] == "2024-03-20T04:00:00+00:00"  # the revision is inside the tail now
    assert third.batches_run == 1
    assert_same_bars(stored(home), window(revised, backfill_start, D(2024, 4, 19)))


def test_two_runs_give_byte_identical_stores_and_state(market: FakeAlpacaData, tmp_path: Path) -> None:
    homes = [tmp_path / "one", tmp_path / "two"]
    for home in homes:
        run_sync(market, home, SYMBOLS, AS_OF, backfill_days=120, batch_size=2)
    stores = [BarStore(home / "data") for home in homes]
    assert stores[0].data_hash("1d") == stores[1].data_hash("1d")
    states = [state_path(home / "state", "1d").read_bytes() for home in homes]
    assert states[0] == states[1]
    assert json.loads(states[0])["completed"] == ["0001", "0002"]


def test_pagination_across_many_pages(served: pd.DataFrame, home: Path) -> None:
    with running_fake_alpaca_data(max_page_size=97) as fake:
        fake.add_frame(served)
        result = run_sync(fake, home, SYMBOLS, AS_OF, backfill_days=365)
        expected = window(served, AS_OF - dt.timedelta(days=365), AS_OF)
        assert fake.request_count() == -(-len(expected) // 97)  # ceil: every page requested once
        assert len(fake.first_page_symbols()) == 1
    assert result.rows_written == len(expected)
    assert_same_bars(stored(home), expected)


def test_rate_limit_is_retried_by_the_sdk(market: FakeAlpacaData, served: pd.DataFrame, home: Path) -> None:
    market.queue_fault(Fault.rate_limited(retry_after=1), Fault.rate_limited(retry_after=1))
    result = run_sync(market, home, SYMBOLS, AS_OF, backfill_days=60)
    assert market.request_count() == 3
    assert result.batches_run == 1
    assert_same_bars(stored(home), window(served, AS_OF - dt.timedelta(days=60), AS_OF))


def test_rate_limit_beyond_the_retries_is_unavailable_and_resumable(
    market: FakeAlpacaData, home: Path
) -> None:
    market.queue_fault(*[Fault.rate_limited()] * 3)
    with pytest.raises(BrokerUnavailableError, match="HTTP 429"):
        run_sync(market, home, SYMBOLS, AS_OF, backfill_days=60, retry_attempts=2)
    assert market.request_count() == 3
    state = json.loads(state_path(home / "state", "1d").read_text())
    assert state["completed"] == []
    result = run_sync(market, home, SYMBOLS, AS_OF, backfill_days=60, retry_attempts=2)
    assert (result.batches_run, result.batches_skipped) == (1, 0)


def test_a_symbol_without_data_is_recorded_not_an_error(market: FakeAlpacaData, home: Path) -> None:
    result = run_sync(market, home, ["AAA", "NODATA"], AS_OF, backfill_days=30)
    assert result.symbols_without_data == ("NODATA",)
    assert BarStore(home / "data").symbols("1d") == ["AAA"]
    state = json.loads(state_path(home / "state", "1d").read_text())
    assert state["no_data"] == ["NODATA"]


class Interrupt(Exception):
    pass


def test_interrupted_run_resumes_without_requesting_completed_batches(
    market: FakeAlpacaData, served: pd.DataFrame, home: Path
) -> None:
    symbols = ("AAA", "BBB", "CCC", "DDD", "EEE")
    market.add_frame(make_bars(("DDD", "EEE"), D(2021, 6, 1), D(2024, 6, 28), seed=11))
    seen: list[SyncProgress] = []

    def stop_after_two(progress: SyncProgress) -> None:
        seen.append(progress)
        if progress.done == 2:
            raise Interrupt

    with pytest.raises(Interrupt):
        run_sync(market, home, symbols, AS_OF, progress=stop_after_two, batch_size=1, backfill_days=90)
    assert market.request_count() == 2
    assert [(item.done, item.total, item.batch.symbols) for item in seen] == [
        (1, 5, ("AAA",)),
        (2, 5, ("BBB",)),
    ]
    assert BarStore(home / "data").symbols("1d") == ["AAA", "BBB"]

    resumed = run_sync(market, home, symbols, AS_OF, progress=seen.append, batch_size=1, backfill_days=90)
    assert market.request_count() == 5  # three more: the completed batches were not requested again
    assert market.first_page_symbols()[2:] == [["CCC"], ["DDD"], ["EEE"]]
    assert (resumed.batches_total, resumed.batches_run, resumed.batches_skipped, resumed.resumed) == (
        5,
        3,
        2,
        True,
    )
    assert [item.done for item in seen[2:]] == [3, 4, 5]

    again = run_sync(market, home, symbols, AS_OF, batch_size=1, backfill_days=90)
    assert (again.batches_run, again.batches_skipped, market.request_count()) == (0, 5, 5)
    everything = normalize_bars(
        pd.concat([served, make_bars(("DDD", "EEE"), D(2021, 6, 1), D(2024, 6, 28), seed=11)])
    )
    assert_same_bars(stored(home), window(everything, AS_OF - dt.timedelta(days=90), AS_OF))


def test_restart_forgets_a_completed_run(market: FakeAlpacaData, home: Path) -> None:
    run_sync(market, home, ["AAA"], AS_OF, backfill_days=30)
    result = run_sync(market, home, ["AAA"], AS_OF, backfill_days=30, restart=True)
    assert (result.batches_run, market.request_count()) == (1, 2)
    assert result.run_id == json.loads(state_path(home / "state", "1d").read_text())["run_id"]
    assert [path.name for path in (home / "state" / "sync").iterdir() if path.name.endswith(".tmp")] == []


def test_bad_bars_are_quarantined_with_their_raw_payload(market: FakeAlpacaData, home: Path) -> None:
    broken = make_bars(["BAD"], D(2024, 3, 25), D(2024, 3, 28))
    broken.loc[1, ["high", "low"]] = [10.0, 20.0]
    market.add_frame(broken)
    result = run_sync(market, home, ["BAD"], AS_OF, backfill_days=5)
    assert (result.rows_written, result.rows_quarantined) == (3, 1)
    (record,) = BarStore(home / "data").quarantine("1d")
    assert record.source == "alpaca:iex:split/1d/BAD/2024-03-23..2024-03-28"
    assert (record.line, record.symbol, record.timestamp) == (2, "BAD", "2024-03-26T00:00:00-04:00")
    assert "HIGH_BELOW_LOW" in record.reasons
    assert json.loads(record.raw)["t"] == utc_day_label(D(2024, 3, 26))


def test_intraday_bars_keep_the_regular_session_in_new_york_time(
    alpaca_data_server: FakeAlpacaData, home: Path
) -> None:
    days = [D(2024, 3, 8), D(2024, 3, 11)]  # EST, then EDT after the 2024-03-10 change
    starts = [
        pd.Timestamp(day).tz_localize("America/New_York") + pd.Timedelta(minutes=minute)
        for day in days
        for minute in range(4 * 60, 20 * 60, 5)
    ]
    prices = np.round(np.linspace(100, 101, len(starts)), 2)
    frame = normalize_bars(
        pd.DataFrame(
            {
                "symbol": "MIN",
                "timestamp": starts,
                "open": prices,
                "high": prices + 0.05,
                "low": prices - 0.05,
                "close": prices,
                "volume": 1000.0,
            }
        )
    )
    alpaca_data_server.add_frame(frame, timeframe="5Min")
    result = run_sync(alpaca_data_server, home, ["MIN"], D(2024, 3, 11), frequency="5m", backfill_days=5)
    assert alpaca_data_server.requests[0]["timeframe"] == "5Min"
    bars = stored(home, "5m")
    # 192 bars 04:00-19:55 on the 8th; on the 11th (the as-of) the request ends at the 16:00 close: 145.
    assert (len(bars), result.rows_outside_session) == (2 * 78, (192 - 78) + (145 - 78))
    assert bars["timestamp"].dt.strftime("%H:%M").iloc[[0, 77, 78]].tolist() == ["09:30", "15:55", "09:30"]
    inside = frame["timestamp"].dt.strftime("%H:%M").between("09:30", "15:55")
    assert_same_bars(bars, frame.loc[inside].reset_index(drop=True))


@pytest.mark.parametrize(
    ("fault", "error", "message"),
    [
        (Fault.forbidden(), DataError, "HTTP 403.*subscription does not permit"),
        (Fault.server_error(), BrokerUnavailableError, "HTTP 500"),
    ],
)
def test_sdk_errors_are_mapped_once(
    market: FakeAlpacaData, home: Path, fault: Fault, error: type[Exception], message: str
) -> None:
    market.queue_fault(fault)
    with pytest.raises(error, match=message):
        run_sync(market, home, ["AAA"], AS_OF, backfill_days=5)
    assert market.request_count() == 1  # neither is retried


def test_wrong_keys_are_a_data_error(market: FakeAlpacaData) -> None:
    source = AlpacaBarSource(data_settings(market, api_key="wrong"))
    start = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    with pytest.raises(DataError, match="HTTP 401"):
        source.fetch(["AAA"], "1d", start, start + dt.timedelta(days=3))
    source.close()


# ------------------------------------------------------------------------------- the plan (pure, no server)


def test_plan_windows_and_batches() -> None:
    request = SyncRequest(
        ("eee", "AAA", "BBB", "CCC", "DDD"), AS_OF, backfill_days=730, refresh_days=15, batch_size=2
    )
    last_stored = {
        "AAA": D(2024, 3, 27),  # up to date: the refresh tail starts 15 days back
        "BBB": D(2024, 1, 2),  # missed weeks: start at its last stored bar to close the gap
        "CCC": D(2019, 1, 2),  # older than the backfill window: clamped to it
    }
    batches = plan_batches(request, last_stored)
    assert [(batch.id, batch.symbols, batch.start, batch.end) for batch in batches] == [
        ("0001", ("CCC", "DDD"), D(2022, 3, 29), AS_OF),
        ("0002", ("EEE",), D(2022, 3, 29), AS_OF),
        ("0003", ("BBB",), D(2024, 1, 2), AS_OF),
        ("0004", ("AAA",), D(2024, 3, 13), AS_OF),
    ]
    with pytest.raises(DataError, match="unknown bar frequency"):
        plan_batches(SyncRequest(("AAA",), AS_OF, frequency="2d"), {})


@pytest.mark.parametrize(
    ("now", "session"),
    [
        (dt.datetime(2024, 3, 27, 19, 59, tzinfo=dt.UTC), D(2024, 3, 26)),  # 15:59 New York: still open
        (dt.datetime(2024, 3, 27, 20, 0, tzinfo=dt.UTC), D(2024, 3, 27)),  # the close
        (dt.datetime(2024, 3, 29, 15, 0, tzinfo=dt.UTC), D(2024, 3, 28)),  # Good Friday
        (dt.datetime(2024, 11, 29, 18, 5, tzinfo=dt.UTC), D(2024, 11, 29)),  # 13:05 after a 13:00 early close
        (dt.datetime(2024, 3, 28, 3, 0, tzinfo=dt.UTC), D(2024, 3, 27)),  # 23:00 New York, UTC's next day
    ],
)
def test_last_completed_session(now: dt.datetime, session: dt.date) -> None:
    assert last_completed_session(now) == session


def test_conversion_labels_daily_bars_by_session_and_keeps_bad_values_for_validation() -> None:
    raw = {
        "ZZZ": [
            {"t": "2024-01-02T05:00:00Z", "o": 1, "h": 2, "l": 0.5, "c": 1.5, "v": 100},  # winter: 05:00Z
            {"t": "2024-07-01T04:00:00Z", "o": 1, "h": 2, "l": 0.5, "c": 1.5, "v": 100},  # summer: 04:00Z
            {"t": "garbage", "o": None, "h": 2, "l": 0.5, "c": "x", "v": 100},
        ]
    }
    frame = to_bar_frame(raw, "1d")
    assert frame["timestamp"].iloc[:2].astype(str).tolist() == [
        "2024-01-02 00:00:00-05:00",
        "2024-07-01 00:00:00-04:00",
    ]
    assert frame["line"].tolist() == [1, 2, 3]
    assert frame.iloc[2][["timestamp", "open", "close"]].isna().all()  # validation quarantines the row
