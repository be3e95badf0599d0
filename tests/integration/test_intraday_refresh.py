"""The execution loop's intraday refresh against the fake Alpaca market-data API (real alpaca-py client):
incremental requests, only closed bars, and feed failures that are reported, never raised."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from tests.fakes.alpaca_data_server import FakeAlpacaData, Fault, data_settings, running_fake_alpaca_data
from tests.integration.crash_driver import intraday_frame

from avwap.core.clock import SimulatedClock
from avwap.core.config import load_config
from avwap.core.errors import ConfigurationError
from avwap.data.alpaca_source import AlpacaBarSource
from avwap.data.intraday_refresh import IntradayRefresher, last_closed_start
from avwap.data.store import BarStore
from avwap.data.sync import BarSource
from avwap.execution.bar_refresh import NoRefresh, alpaca_refresher, refresh_safely, refresher_for

OPEN = dt.datetime(2026, 4, 1, 13, 30, tzinfo=dt.UTC)  # 09:30 New York


def at(hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, 4, 1, hour + 4, minute, second, tzinfo=dt.UTC)  # New York wall time (EDT)


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(at(10, 2))


@pytest.fixture
def fake(clock: SimulatedClock) -> Iterator[FakeAlpacaData]:
    with running_fake_alpaca_data(clock=clock) as server:
        server.add_frame(intraday_frame(), timeframe="5Min")
        yield server


def refresher(fake: FakeAlpacaData, root: Path, **settings: object) -> IntradayRefresher:
    def build() -> BarSource:
        return AlpacaBarSource(data_settings(fake, **settings))

    return IntradayRefresher(BarStore(root), build)


def stored(root: Path) -> dict[str, list[str]]:
    bars = BarStore(root).read("5m")
    return {
        str(symbol): [stamp.strftime("%H:%M") for stamp in group["timestamp"]]
        for symbol, group in bars.groupby("symbol")
    }


def starts(fake: FakeAlpacaData) -> list[str]:
    return [
        pd.Timestamp(query["start"]).tz_convert("America/New_York").strftime("%H:%M")
        for query in fake.requests
    ]


def test_last_closed_start_counts_only_bars_that_have_ended() -> None:
    five = dt.timedelta(minutes=5)
    assert last_closed_start(at(9, 34, 59), five) is None
    assert last_closed_start(at(9, 35), five) == OPEN
    assert last_closed_start(at(10, 2), five) == at(9, 55)
    assert last_closed_start(at(17, 0), five) == at(15, 55)  # after the close: the last bar of the day
    assert last_closed_start(dt.datetime(2026, 4, 4, 15, tzinfo=dt.UTC), five) is None  # a Saturday


def test_each_refresh_asks_only_for_the_bars_after_the_last_stored_one(
    fake: FakeAlpacaData, clock: SimulatedClock, tmp_path: Path
) -> None:
    refresh = refresher(fake, tmp_path)
    first = refresh.refresh(["AAA", "BBB"], clock.now())
    assert (first.ok, first.fetched, first.rows_written) == (True, ("AAA", "BBB"), 12)
    assert stored(tmp_path)["AAA"] == ["09:30", "09:35", "09:40", "09:45", "09:50", "09:55"]
    clock.set(at(10, 7))
    second = refresh.refresh(["AAA", "BBB"], clock.now())
    assert second.rows_written == 2 and starts(fake) == ["09:30", "10:00"]
    assert stored(tmp_path)["BBB"][-1] == "10:00"
    assert refresh.refresh(["AAA", "BBB"], clock.now()).fetched == ()  # up to date: no request at all
    assert fake.request_count() == 2


def test_symbols_behind_by_different_amounts_are_asked_from_their_own_first_missing_bar(
    fake: FakeAlpacaData, clock: SimulatedClock, tmp_path: Path
) -> None:
    refresh = refresher(fake, tmp_path)
    refresh.refresh(["AAA"], clock.now())
    clock.set(at(10, 12))
    outcome = refresh.refresh(["AAA", "BBB"], clock.now())
    assert outcome.rows_written == 2 + 8  # AAA 10:00, 10:05; BBB 09:30 .. 10:05
    assert sorted(zip(starts(fake)[1:], [q["symbols"] for q in fake.requests[1:]], strict=True)) == [
        ("09:30", "BBB"),
        ("10:00", "AAA"),
    ]
    assert stored(tmp_path)["AAA"] == stored(tmp_path)["BBB"]


def test_a_bar_still_forming_is_never_stored_even_when_the_source_sends_it(tmp_path: Path) -> None:
    with running_fake_alpaca_data() as server:  # no clock: it serves the whole day, future bars included
        server.add_frame(intraday_frame(), timeframe="5Min")
        outcome = refresher(server, tmp_path).refresh(["AAA"], at(10, 2, 30))
    assert outcome.rows_written == 6 and stored(tmp_path)["AAA"][-1] == "09:55"


@pytest.mark.parametrize(
    ("faults", "settings", "kind"),
    [
        ([Fault.server_error()], {}, "BrokerUnavailableError"),
        ([Fault.rate_limited()] * 2, {"retry_attempts": 1}, "BrokerUnavailableError"),
        ([Fault(200, {"bars": "not a mapping"})], {}, "DataError"),
        ([Fault.slow(0.6)], {"timeout_seconds": 0.2}, "BrokerUnavailableError"),
        ([Fault.forbidden()], {}, "DataError"),
    ],
    ids=["http-500", "http-429", "malformed", "timeout", "http-403"],
)
def test_a_feed_failure_is_reported_not_raised_and_the_next_refresh_catches_up(  # noqa: PLR0917
    fake: FakeAlpacaData,
    clock: SimulatedClock,
    tmp_path: Path,
    faults: list[Fault],
    settings: dict[str, object],
    kind: str,
) -> None:
    refresh = refresher(fake, tmp_path, **settings)
    fake.queue_fault(*faults)
    failed = refresh.refresh(["AAA", "BBB"], clock.now())
    assert not failed.ok and failed.problems[0].startswith(kind) and failed.rows_written == 0
    assert stored(tmp_path) == {}
    clock.set(at(10, 7))
    recovered = refresh.refresh(["AAA", "BBB"], clock.now())
    assert recovered.ok and recovered.rows_written == 14  # 09:30 .. 10:00, nothing lost, only late


def test_missing_keys_are_a_reported_problem_and_alpaca_is_imported_only_when_needed(tmp_path: Path) -> None:
    config = load_config({}, home=tmp_path)
    built = alpaca_refresher(config)
    outcome = refresh_safely(built, ["AAA"], at(10, 2))
    assert not outcome.ok and "ALPACA_API_KEY" in outcome.problems[0]
    assert isinstance(refresher_for(load_config({"INTRADAY_REFRESH": "off"}, home=tmp_path)), NoRefresh)
    with pytest.raises(ConfigurationError, match="INTRADAY_REFRESH"):
        load_config({"INTRADAY_REFRESH": "sometimes"})


def test_refresh_safely_turns_a_crashing_refresher_into_a_problem() -> None:
    class Broken:
        def refresh(self, symbols: object, now: dt.datetime) -> object:
            raise RuntimeError("parquet writer exploded")

    outcome = refresh_safely(Broken(), ["AAA"], at(10, 2))  # type: ignore[arg-type]
    assert outcome.problems == ("RuntimeError: parquet writer exploded",)
