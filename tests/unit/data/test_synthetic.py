"""The synthetic market: determinism, calendar-exact sessions, valid OHLC, and the realism the scan needs."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

from avwap.core.calendar import nyse
from avwap.core.errors import ConfigurationError
from avwap.data.bars import normalize_bars
from avwap.data.synthetic import SyntheticMarket, SyntheticMarketSpec, generate_market
from avwap.data.synthetic.frames import frame_digest
from avwap.data.synthetic.universe import RESERVED_TICKERS, SECTORS
from avwap.data.validation import validate_bars

UTC = dt.UTC
SMALL = SyntheticMarketSpec(symbols=12, daily_start=dt.date(2025, 9, 1))
DEMO_DAY = dt.date(2026, 10, 30)


@pytest.fixture(scope="module")
def market() -> SyntheticMarket:
    """The default (demo) market: 300 stocks, three years daily, five weeks of 5-minute bars."""
    return generate_market()


@pytest.fixture(scope="module")
def small() -> SyntheticMarket:
    return generate_market(SMALL)


def by_day(frame: pd.DataFrame) -> pd.Series:
    return frame["timestamp"].dt.date


def closes(frame: pd.DataFrame, symbol: str) -> pd.Series:
    rows = frame[frame["symbol"] == symbol]
    return pd.Series(rows["close"].to_numpy(), index=by_day(rows).to_numpy())


# --- determinism -------------------------------------------------------------------------------------------


def test_the_same_spec_gives_identical_frames(small: SyntheticMarket) -> None:
    again = generate_market(SyntheticMarketSpec(symbols=12, daily_start=dt.date(2025, 9, 1)))
    for name in ("daily", "intraday", "universe", "events"):
        pd.testing.assert_frame_equal(getattr(small, name), getattr(again, name), check_exact=True)
    assert frame_digest(small.daily) == frame_digest(again.daily)
    assert frame_digest(small.intraday) == frame_digest(again.intraday)


def test_another_seed_gives_another_market(small: SyntheticMarket) -> None:
    other = generate_market(SyntheticMarketSpec(seed=8, symbols=12, daily_start=dt.date(2025, 9, 1)))
    assert set(other.universe["symbol"]) != set(small.universe["symbol"])
    assert not np.array_equal(closes(other.daily, "SPY").to_numpy(), closes(small.daily, "SPY").to_numpy())
    assert frame_digest(other.intraday) != frame_digest(small.intraday)


def test_frames_are_canonical_bar_frames(small: SyntheticMarket) -> None:
    for frame in (small.daily, small.intraday):
        pd.testing.assert_frame_equal(frame, normalize_bars(frame), check_exact=True)
        assert not frame.duplicated(subset=["symbol", "timestamp"]).any()
    assert (small.daily["timestamp"] == small.daily["timestamp"].dt.normalize()).all()


# --- spec --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "variable"),
    [
        ({"symbols": 0}, "symbols"),
        ({"symbols": 20_001}, "symbols"),
        ({"seed": -1}, "seed"),
        ({"daily_start": dt.date(2026, 12, 1)}, "daily_end"),
        ({"intraday_start": dt.date(2020, 1, 2)}, "intraday_start"),
        ({"intraday_frequency": "1m"}, "intraday_frequency"),
    ],
)
def test_invalid_specs_name_the_field(fields: dict[str, object], variable: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        SyntheticMarketSpec(**fields)  # type: ignore[arg-type]
    assert caught.value.variable == variable


def test_too_short_a_history_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="need 30"):
        generate_market(SyntheticMarketSpec(daily_start=dt.date(2026, 11, 2), intraday_start=None))


def test_spec_record_round_trips_and_the_hash_follows_the_content() -> None:
    spec = SyntheticMarketSpec(seed=3, symbols=40)
    assert SyntheticMarketSpec.from_record(spec.to_record()) == spec
    assert spec.to_record()["daily_start"] == "2023-11-01"
    assert spec.spec_hash == SyntheticMarketSpec(seed=3, symbols=40).spec_hash
    assert spec.spec_hash != SyntheticMarketSpec(seed=4, symbols=40).spec_hash


# --- validity and the calendar -----------------------------------------------------------------------------


def test_every_bar_is_valid(market: SyntheticMarket) -> None:
    for frame in (market.daily, market.intraday):
        result = validate_bars(frame)
        assert len(result.quarantined) == 0, result.reason_counts
        assert result.flag_counts == {}  # no zero-volume bars either
        low, high = frame["low"], frame["high"]
        body_low = frame[["open", "close"]].min(axis=1)
        body_high = frame[["open", "close"]].max(axis=1)
        assert ((low > 0) & (low <= body_low) & (body_high <= high)).all()
        assert (frame["volume"] == np.floor(frame["volume"])).all()


def test_prices_sit_on_valid_ticks(market: SyntheticMarket) -> None:
    prices = market.daily[["open", "high", "low", "close"]].to_numpy().ravel()
    ticks = np.where(prices >= 1.0, 100.0, 10_000.0)
    assert np.allclose(prices * ticks, np.round(prices * ticks), atol=1e-6)


def test_daily_sessions_are_exactly_the_calendar_sessions(market: SyntheticMarket) -> None:
    expected = nyse().sessions(dt.date(2023, 11, 1), dt.date(2026, 11, 30))
    days = by_day(market.daily)
    for symbol, group in days.groupby(market.daily["symbol"]):
        assert group.tolist() == expected, symbol
    assert dt.date(2026, 11, 26) not in set(days)  # Thanksgiving
    assert not any(day.weekday() >= 5 for day in set(days))
    assert market.daily["symbol"].nunique() == 302


@pytest.mark.parametrize(
    ("day", "bars", "open_utc_hour"),
    [
        (dt.date(2026, 10, 26), 78, 13),  # first intraday session, EDT
        (dt.date(2026, 10, 30), 78, 13),  # the Friday before the DST change
        (dt.date(2026, 11, 2), 78, 14),  # EST: the open moves to 14:30 UTC, still 09:30 New York
        (dt.date(2026, 11, 25), 78, 14),
        (dt.date(2026, 11, 27), 42, 14),  # the 13:00 early close after Thanksgiving
        (dt.date(2026, 11, 30), 78, 14),
    ],
)
def test_intraday_bars_are_the_calendar_bar_starts(
    market: SyntheticMarket, day: dt.date, bars: int, open_utc_hour: int
) -> None:
    rows = market.intraday[by_day(market.intraday) == day]
    expected = [moment.astimezone(UTC) for moment in nyse().bar_starts(day, 5)]
    assert len(expected) == bars
    for symbol, group in rows.groupby("symbol"):
        stamps = [stamp.to_pydatetime().astimezone(UTC) for stamp in group["timestamp"]]
        assert stamps == expected, symbol
    first = rows["timestamp"].iloc[0]
    assert (first.hour, first.minute) == (9, 30)
    assert first.tz_convert("UTC").hour == open_utc_hour
    assert rows["symbol"].nunique() == 302


def test_intraday_covers_the_intraday_sessions_only(market: SyntheticMarket) -> None:
    days = sorted(set(by_day(market.intraday)))
    assert days == nyse().sessions(dt.date(2026, 10, 26), dt.date(2026, 11, 30))
    assert len(days) == 25
    assert dt.date(2026, 11, 26) not in days
    assert len(market.intraday) == 302 * (24 * 78 + 42)


def test_intraday_bars_aggregate_exactly_to_the_daily_bars(market: SyntheticMarket) -> None:
    intraday = market.intraday.assign(day=by_day(market.intraday))
    aggregated = intraday.groupby(["symbol", "day"], sort=True).agg(
        open=("open", "first"),
        high=("high", "max"),
        low=("low", "min"),
        close=("close", "last"),
        volume=("volume", "sum"),
    )
    daily = market.daily.assign(day=by_day(market.daily)).set_index(["symbol", "day"])
    joined = aggregated.join(daily, rsuffix="_daily", how="left")
    assert len(joined) == 302 * 25
    for column in ("open", "high", "low", "close", "volume"):
        assert (joined[column] == joined[f"{column}_daily"]).all(), column


def test_intraday_volume_is_u_shaped(market: SyntheticMarket) -> None:
    bars = market.intraday[by_day(market.intraday) != dt.date(2026, 11, 27)]
    minutes = bars["timestamp"].dt.hour * 60 + bars["timestamp"].dt.minute - (9 * 60 + 30)
    first = bars["volume"][minutes < 30].mean()
    last = bars["volume"][minutes >= 360].mean()
    midday = bars["volume"][(minutes >= 120) & (minutes < 270)].mean()
    assert first > 1.5 * midday
    assert last > 1.5 * midday


# --- realism the scan and the trader need ------------------------------------------------------------------


def twenty_day_liquidity(market: SyntheticMarket, day: dt.date) -> pd.DataFrame:
    daily = market.daily[by_day(market.daily) <= day]
    recent = daily.groupby("symbol").tail(20)
    recent = recent.assign(dollars=recent["close"] * recent["volume"])
    stats = recent.groupby("symbol").agg(
        shares=("volume", "mean"), dollars=("dollars", "mean"), price=("close", "last")
    )
    return stats.drop(index=list(market.benchmarks))


def test_most_stocks_pass_the_liquidity_filter_and_some_fail(market: SyntheticMarket) -> None:
    stats = twenty_day_liquidity(market, DEMO_DAY)
    passing = (stats["shares"] >= 750_000) & (stats["dollars"] >= 10_000_000) & (stats["price"] >= 3)
    assert 0.75 <= passing.mean() <= 0.98
    assert (stats["shares"] < 750_000).sum() >= 3
    assert (stats["dollars"] < 10_000_000).sum() >= 3


def test_price_levels_are_mostly_ten_to_four_hundred_dollars_with_a_few_pennies(
    market: SyntheticMarket,
) -> None:
    price = twenty_day_liquidity(market, dt.date(2026, 11, 30))["price"]
    assert ((price >= 10) & (price <= 400)).mean() >= 0.85
    assert 1 <= (price < 5).sum() <= 20
    assert price.min() > 0


def test_overnight_gaps_of_four_percent_occur_with_volume_spikes(market: SyntheticMarket) -> None:
    daily = market.daily[~market.daily["symbol"].isin(market.benchmarks)]
    previous_close = daily.groupby("symbol")["close"].shift()
    gap = (daily["open"] / previous_close - 1).abs() >= 0.04
    stock_years = daily["symbol"].nunique() * by_day(daily).nunique() / 252
    assert gap.sum() / stock_years >= 2.0
    average = daily.groupby("symbol")["volume"].transform(lambda volume: volume.rolling(20).mean().shift())
    ratio = (daily["volume"] / average)[gap]
    assert ratio.median() > 1.8
    kinds = market.events.groupby("kind").size()
    assert kinds["gap_up"] + kinds["gap_down"] == gap.sum()


def test_planted_breakouts_look_like_volume_breakouts(market: SyntheticMarket) -> None:
    daily = market.daily
    average = daily.groupby("symbol")["volume"].transform(lambda volume: volume.rolling(20).mean().shift())
    position = (daily["close"] - daily["low"]) / (daily["high"] - daily["low"])
    keys = pd.MultiIndex.from_arrays([daily["symbol"], by_day(daily)])
    breakouts = market.events[market.events["kind"] == "breakout"]
    planted = keys.isin(pd.MultiIndex.from_arrays([breakouts["symbol"], breakouts["date"]]))
    assert planted.sum() >= 100
    assert ((daily["volume"] / average)[planted] > 1.8).mean() >= 0.8
    assert (position[planted] >= 0.7).mean() >= 0.8


def test_stocks_trend_up_sideways_and_down(market: SyntheticMarket) -> None:
    daily = market.daily[~market.daily["symbol"].isin(market.benchmarks)]
    first = daily[by_day(daily) == dt.date(2026, 6, 1)].set_index("symbol")["close"]
    last = daily[by_day(daily) == DEMO_DAY].set_index("symbol")["close"]
    change = last / first - 1
    assert (change > 0.10).mean() >= 0.2
    assert (change.abs() < 0.05).mean() >= 0.05
    assert (change < -0.10).mean() >= 0.05


def sma_gate(daily: pd.DataFrame, symbol: str) -> pd.Series:
    series = closes(daily, symbol)
    return series > series.rolling(200).mean()


def test_spy_is_above_its_200_day_sma_on_the_demo_dates(market: SyntheticMarket) -> None:
    gate = sma_gate(market.daily, "SPY")
    assert gate[DEMO_DAY]
    assert gate[gate.index >= dt.date(2026, 10, 1)].all()
    assert not gate.iloc[200:].all()  # earlier corrections close the gate at times


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_market_gate_is_open_at_the_end_for_other_seeds(seed: int) -> None:
    spec = SyntheticMarketSpec(seed=seed, symbols=2, intraday_start=None)
    gate = sma_gate(generate_market(spec).daily, "SPY")
    assert gate[gate.index >= dt.date(2026, 10, 1)].all()


def test_iwm_moves_with_more_beta_than_spy(market: SyntheticMarket) -> None:
    spy = np.log(closes(market.daily, "SPY")).diff().dropna()
    iwm = np.log(closes(market.daily, "IWM")).diff().dropna()
    beta = np.cov(iwm, spy)[0, 1] / spy.var()
    assert 1.1 < beta < 1.4
    assert 0.005 < spy.std() < 0.015


# --- the universe ------------------------------------------------------------------------------------------


def test_universe_is_a_sorted_holdings_table_of_synthetic_names(market: SyntheticMarket) -> None:
    universe = market.universe
    assert list(universe.columns) == ["symbol", "name", "sector", "weight"]
    assert len(universe) == 300
    assert universe["symbol"].is_unique and universe["symbol"].is_monotonic_increasing
    assert all(re.fullmatch(r"[A-Z]{3,4}", symbol) for symbol in universe["symbol"])
    assert not set(universe["symbol"]) & RESERVED_TICKERS
    assert universe["name"].iloc[41] == "Synthetic Co 042"
    assert set(universe["sector"]) <= set(SECTORS) and universe["sector"].nunique() >= 8
    assert universe["weight"].sum() == pytest.approx(100.0, abs=0.01)
    assert (universe["weight"] > 0).all()
    stocks = set(market.daily["symbol"]) - set(market.benchmarks)
    assert stocks == set(universe["symbol"])


# --- planted S1 setups -------------------------------------------------------------------------------------


def ytd_avwap(rows: pd.DataFrame, day: dt.date) -> tuple[float, float]:
    """Slow reference: YTD AVWAP of typical price through the session before ``day``, and that close."""
    days = by_day(rows)
    history = rows[(days < day) & (days >= dt.date(day.year, 1, 1))]
    typical = (history["high"] + history["low"] + history["close"]) / 3
    return float((typical * history["volume"]).sum() / history["volume"].sum()), float(
        history["close"].iloc[-1]
    )


def ten_minute_closes(bars: pd.DataFrame) -> pd.DataFrame:
    pairs = np.arange(len(bars)) // 2
    return bars.groupby(pairs).agg(start=("timestamp", "first"), close=("close", "last"))


def test_planted_reclaims_fire_the_s1_breakout_and_hold_trigger(market: SyntheticMarket) -> None:
    reclaims = market.events[market.events["kind"] == "reclaim"]
    assert len(reclaims) >= 25
    assert reclaims["date"].nunique() >= 15
    wanted = set(reclaims["symbol"])
    daily = {symbol: rows for symbol, rows in market.daily.groupby("symbol") if symbol in wanted}
    intraday = market.intraday[market.intraday["symbol"].isin(wanted)]
    sessions = dict(tuple(intraday.groupby([intraday["symbol"], by_day(intraday)])))
    for event in reclaims.itertuples():
        level, previous_close = ytd_avwap(daily[event.symbol], event.date)
        assert level == pytest.approx(event.level, rel=1e-3)
        assert 0.0 < previous_close / level - 1 <= 0.031  # the scan sees it near/above its anchored VWAP
        bars = sessions[(event.symbol, event.date)]
        assert bars["open"].iloc[0] < level < bars["close"].iloc[-1]
        ten = ten_minute_closes(bars)
        in_window = ten["start"].dt.time.between(dt.time(9, 40), dt.time(15, 20)).to_numpy()
        values = ten["close"].to_numpy()
        fired = [
            index
            for index in range(len(values) - 1)
            if in_window[index] and values[index] > level and values[index + 1] >= level
        ]
        assert fired, (event.symbol, event.date)
