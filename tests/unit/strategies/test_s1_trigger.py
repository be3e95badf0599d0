from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from avwap.core.calendar import NEW_YORK, nyse
from avwap.core.errors import ConfigurationError
from avwap.data.resample import closed_bars, resample_session
from avwap.strategies.registry import S1_AVWAP_CORE, strategy
from avwap.strategies.s1_trigger import entry_window, find_entry

DAY = dt.date(2026, 11, 2)
EARLY = dt.date(2026, 11, 27)


def five_minute_bars(day: dt.date, closes: list[float], symbol: str = "XYZ") -> pd.DataFrame:
    starts = nyse().bar_starts(day, 5)[: len(closes)]
    return pd.DataFrame(
        {
            "symbol": symbol,
            "timestamp": pd.DatetimeIndex(starts).tz_convert(NEW_YORK),
            "open": closes,
            "high": [value + 0.05 for value in closes],
            "low": [value - 0.05 for value in closes],
            "close": closes,
            "volume": 1000.0,
        }
    )


def at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEW_YORK).astimezone(dt.UTC)


def test_resample_to_ten_minutes_aligned_on_open() -> None:
    bars = five_minute_bars(DAY, [10, 11, 12, 13, 14])
    ten = resample_session(bars, 10)
    assert [stamp.strftime("%H:%M") for stamp in ten["timestamp"]] == ["09:30", "09:40", "09:50"]
    assert ten["open"].tolist() == [10, 12, 14]
    assert ten["close"].tolist() == [11, 13, 14]
    assert ten["volume"].tolist() == [2000, 2000, 1000]
    assert ten["high"].tolist() == [11.05, 13.05, 14.05]
    # The 09:50 bar ends at 10:00: not closed at 09:59.
    assert len(closed_bars(ten, 10, at(DAY, 9, 59))) == 2
    assert len(closed_bars(ten, 10, at(DAY, 10, 0))) == 3


def test_breakout_and_hold_triggers_at_the_hold_bar_close() -> None:
    # 10-minute closes: 09:30 -> 9.9, 09:40 -> 10.2 (breakout), 09:50 -> 10.1 (hold, >= level)
    bars = five_minute_bars(DAY, [9.8, 9.9, 10.0, 10.2, 10.0, 10.1])
    signal = find_entry("XYZ", bars, 10.0, at(DAY, 10, 0))
    assert signal is not None
    assert signal.decided_at == at(DAY, 10, 0)
    assert signal.breakout_close == 10.2 and signal.hold_close == 10.1
    assert signal.breakout_bar_start == at(DAY, 9, 40)


def test_no_trigger_before_the_hold_bar_has_closed() -> None:
    bars = five_minute_bars(DAY, [9.8, 9.9, 10.0, 10.2, 10.0, 10.1])
    assert find_entry("XYZ", bars, 10.0, at(DAY, 9, 59)) is None


def test_hold_bar_closing_below_the_level_fails_and_a_later_pair_can_trigger() -> None:
    closes = [9.8, 9.9, 10.0, 10.2, 10.0, 9.9, 10.0, 10.3, 10.2, 10.4]
    bars = five_minute_bars(DAY, closes)
    signal = find_entry("XYZ", bars, 10.0, at(DAY, 11, 0))
    assert signal is not None
    # 10m closes: 9.9, 10.2, 9.9 (fails), 10.3, 10.4 -> breakout 10:00 bar, hold 10:10 bar closes 10:20
    assert signal.decided_at == at(DAY, 10, 20)


def test_window_excludes_early_confirmations_and_late_ones() -> None:
    # Above the level from the open: the first pair confirms at 09:50 (after 09:45): allowed.
    bars = five_minute_bars(DAY, [10.5] * 6)
    signal = find_entry("XYZ", bars, 10.0, at(DAY, 10, 0))
    assert signal is not None and signal.decided_at == at(DAY, 9, 50)
    # Below the level until 15:20, breakout 15:20 bar, hold confirms at 15:40: outside the window.
    closes = [9.5] * 70 + [10.5] * 8
    late = five_minute_bars(DAY, closes)
    assert find_entry("XYZ", late, 10.0, at(DAY, 16, 0)) is None


def test_early_close_day_window_ends_at_half_past_twelve() -> None:
    start, end = entry_window(EARLY)
    assert end == at(EARLY, 12, 30) and start == at(EARLY, 9, 45)
    closes = [9.5] * 34 + [10.5] * 8  # breakout at 12:20, hold closes at 12:40 > 12:30
    bars = five_minute_bars(EARLY, closes)
    assert len(bars) == 42
    assert find_entry("XYZ", bars, 10.0, at(EARLY, 13, 0)) is None


@pytest.mark.parametrize("level", [0.0, -1.0, float("nan")])
def test_invalid_entry_level_never_triggers(level: float) -> None:
    assert find_entry("XYZ", five_minute_bars(DAY, [10.5] * 12), level, at(DAY, 11, 0)) is None


def test_registry() -> None:
    assert strategy(S1_AVWAP_CORE).risk_profile == "directional"
    with pytest.raises(ConfigurationError):
        strategy("S9_UNKNOWN")


@pytest.mark.parametrize("minute_of_now", [0, 7, 35, 59])
def test_vectorized_ten_minute_closes_equal_the_resampled_bars(minute_of_now: int) -> None:
    from avwap.strategies.s1_trigger import ten_minute_closes

    closes = [10 + 0.01 * ((index * 37) % 23) for index in range(78)]
    bars = five_minute_bars(DAY, closes)
    now = at(DAY, 12, minute_of_now)
    expected = closed_bars(resample_session(bars, 10), 10, now)
    fast_closes, fast_ends = ten_minute_closes(bars, now)
    assert fast_closes.tolist() == expected["close"].tolist()
    ends = (expected["timestamp"] + pd.Timedelta(minutes=10)).dt.tz_convert("UTC")
    assert fast_ends.tolist() == [stamp.value for stamp in ends]
