"""The scan: a frame that passes every rule, then one rule broken at a time; scoring, order, determinism."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from signals_frames import AS_OF, benchmark_bars, scale_last, trending_bars

from avwap.core.canonical import canonical_json
from avwap.core.errors import ConfigurationError, DataError
from avwap.signals.avwap_reference import reference_point
from avwap.signals.scan import scan
from avwap.signals.scan_rules import REASON_CODES, SETUP_TAGS, ScanRules


def run(frame: pd.DataFrame, **options: object):  # type: ignore[no-untyped-def]
    options.setdefault("benchmark", benchmark_bars())
    return scan(frame, AS_OF, **options)  # type: ignore[arg-type]


def only_diagnostic(frame: pd.DataFrame, **options: object):  # type: ignore[no-untyped-def]
    result = run(frame, **options)
    assert result.candidates == ()
    (diagnostic,) = result.diagnostics
    return diagnostic


def test_the_baseline_frame_is_a_candidate_with_consistent_fields() -> None:
    frame = trending_bars("GOOD")
    result = run(frame)
    assert result.market_gate.is_open and result.diagnostics == ()
    (candidate,) = result.candidates
    assert (candidate.symbol, candidate.rank, candidate.trend_tier) == ("GOOD", 1, "A")
    assert (candidate.anchor_type, candidate.anchor_date, candidate.anchor_priority) == (
        "MTD",
        dt.date(2024, 6, 3),
        70,
    )
    # the entry level is the reference AVWAP of the anchor bar (June 3 is 9 bars before the as-of bar)
    anchor = len(frame) - 10
    columns = [frame[name].to_numpy() for name in ("high", "low", "close", "volume")]
    point = reference_point(*columns, anchor=anchor, bar=len(frame) - 1)
    assert candidate.avwap == Decimal(str(round(point.avwap, 2)))
    assert candidate.distance == pytest.approx(point.distance, abs=1e-6)
    assert candidate.slope == pytest.approx(point.slope, abs=1e-6)
    # stop = min(SMA5, 5-day low) × 0.997 rounded down to the cent; targets are 1R and 2R above the entry
    last5 = frame.iloc[-5:]
    stop = min(last5["close"].mean(), last5["low"].min()) * 0.997
    assert candidate.stop == Decimal(int(stop * 100)) / 100
    assert candidate.risk_per_share == candidate.avwap - candidate.stop
    assert candidate.target_r1 == candidate.avwap + candidate.risk_per_share
    assert candidate.target_r2 == candidate.avwap + 2 * candidate.risk_per_share
    # score = priority + 1.5·trend score − |distance %| + 50 (distance within 0.1%..1.5%)
    expected = 70 + 1.5 * candidate.trend_score - abs(100 * point.distance) + 50
    assert candidate.score == pytest.approx(expected, abs=1e-4)
    assert candidate.tags == ("ABOVE_UPPER_1", "NEAR_AVWAP") and not candidate.reclaim


def downtrend(symbol: str = "GOOD") -> pd.DataFrame:
    return trending_bars(symbol, start=120.0, drift=-0.003)


def accelerating_volatility() -> pd.DataFrame:
    frame = trending_bars("GOOD", range_pct=0.015)
    wide = trending_bars("GOOD", range_pct=0.045)
    frame.iloc[-15:] = wide.iloc[-15:]
    return frame


NEXT_MONDAY = dt.date(2024, 6, 17)
# (name, frame, scan options, expected first reason)
BROKEN_RULES = [
    (
        "no bar on the as-of day",
        trending_bars("GOOD", as_of=AS_OF - dt.timedelta(days=1)),
        {},
        "NO_BAR_AS_OF",
    ),
    ("79 bars", trending_bars("GOOD", bars=79), {}, "INSUFFICIENT_HISTORY"),
    ("price under $3", trending_bars("GOOD", start=1.5, volume=5e7), {}, "PRICE_TOO_LOW"),
    ("740k average volume", trending_bars("GOOD", volume=7.4e5), {}, "AVG_VOLUME_TOO_LOW"),
    ("$8M dollar volume", trending_bars("GOOD", start=5.0, volume=8e5), {}, "DOLLAR_VOLUME_TOO_LOW"),
    (
        "earnings on the trading day D",
        trending_bars("GOOD"),
        {"earnings": {"GOOD": [NEXT_MONDAY]}},
        "EARNINGS_WINDOW",
    ),
    (
        "earnings on D+2",
        trending_bars("GOOD"),
        {"earnings": {"GOOD": [dt.date(2024, 6, 19)]}},
        "EARNINGS_WINDOW",
    ),
    ("downtrend", downtrend(), {}, "WEEKLY_MISALIGNED"),  # then TREND_FILTERED: see below
    ("tiny range", trending_bars("GOOD", range_pct=0.004, drift=0.0005), {}, "ATR_TOO_SMALL"),
    ("wild range", trending_bars("GOOD", range_pct=0.08), {}, "ATR_PCT_TOO_HIGH"),
    ("volatility expanding", accelerating_volatility(), {}, "ATR_PCT_ABOVE_MEDIAN"),
    (
        "median needs 120 bars",
        trending_bars("GOOD", bars=100),
        {"rules": ScanRules(atr_pct_median_min_bars=120)},
        "INDICATOR_UNAVAILABLE",
    ),
    (
        "close at the low, far from old anchors",
        trending_bars("GOOD", drift=0.015, close_location=0.0),
        {},
        "NO_ELIGIBLE_ANCHOR",
    ),
]


@pytest.mark.parametrize(
    ("frame", "options", "reason"),
    [case[1:] for case in BROKEN_RULES],
    ids=[case[0] for case in BROKEN_RULES],
)
def test_one_broken_rule_gives_its_reason_code(
    frame: pd.DataFrame, options: dict[str, object], reason: str
) -> None:
    diagnostic = only_diagnostic(frame, **options)
    assert diagnostic.reason == reason
    assert diagnostic.reasons[0] == reason
    assert diagnostic.symbol == "GOOD" and diagnostic.as_of == AS_OF
    assert diagnostic.detail
    assert reason in REASON_CODES


@pytest.mark.parametrize(
    ("frame", "value", "threshold"),
    [
        (trending_bars("GOOD", bars=79), 79.0, 80.0),
        (trending_bars("GOOD", volume=7.4e5), 740_000.0, 750_000.0),
        (trending_bars("GOOD", range_pct=0.08), None, 6.0),
    ],
)
def test_diagnostics_carry_the_measured_value_and_threshold(
    frame: pd.DataFrame, value: float | None, threshold: float
) -> None:
    diagnostic = only_diagnostic(frame)
    assert diagnostic.threshold == threshold
    if value is not None:
        assert diagnostic.value == value
    else:
        assert diagnostic.value is not None and diagnostic.value > threshold


def test_the_anchor_rejections_explain_no_eligible_anchor() -> None:
    diagnostic = only_diagnostic(trending_bars("GOOD", drift=0.015, close_location=0.0))
    rejections = {item.anchor_type: item for item in diagnostic.anchor_rejections}
    assert rejections["YTD"].reason == "DISTANCE_TOO_FAR" and rejections["YTD"].threshold == 0.06
    # the 20-bar high is the as-of bar itself: too young to anchor (σ = 0, slope 0)
    assert (rejections["HIGH_20"].reason, rejections["HIGH_20"].value) == ("ANCHOR_TOO_YOUNG", 0.0)
    assert "no eligible anchor" in diagnostic.detail


def test_market_gate_closed_blocks_every_long_and_keeps_the_other_reasons() -> None:
    frame = pd.concat([trending_bars("GOOD"), trending_bars("LOW", volume=1e5)], ignore_index=True)
    result = run(frame, benchmark=benchmark_bars(drift=-0.001))
    assert not result.market_gate.is_open and result.market_gate.reason == "MARKET_GATE_CLOSED"
    assert result.candidates == ()
    by_symbol = {item.symbol: item for item in result.diagnostics}
    assert by_symbol["GOOD"].reason == "MARKET_GATE_CLOSED" and by_symbol["GOOD"].reasons == (
        "MARKET_GATE_CLOSED",
    )
    assert by_symbol["LOW"].reasons[:2] == ("MARKET_GATE_CLOSED", "AVG_VOLUME_TOO_LOW")
    assert by_symbol["GOOD"].value == result.market_gate.benchmark_close
    assert by_symbol["GOOD"].threshold == result.market_gate.benchmark_sma


@pytest.mark.parametrize(
    ("benchmark", "fragment"),
    [
        (None, "no SPY bars"),
        (benchmark_bars(as_of=AS_OF - dt.timedelta(days=1)), "no bar on 2024-06-14"),
        (benchmark_bars(bars=150), "needs 200"),
    ],
)
def test_market_gate_fails_closed_when_undecidable(benchmark: pd.DataFrame | None, fragment: str) -> None:
    result = scan(trending_bars("GOOD"), AS_OF, benchmark=benchmark)
    assert result.market_gate.reason == "MARKET_GATE_UNKNOWN" and fragment in result.market_gate.detail
    assert result.candidates == () and result.diagnostics[0].reason == "MARKET_GATE_UNKNOWN"


def test_the_benchmark_can_come_from_the_frame_itself() -> None:
    result = scan(pd.concat([trending_bars("GOOD"), benchmark_bars()], ignore_index=True), AS_OF)
    assert result.market_gate.is_open and {item.symbol for item in result.candidates} == {"GOOD", "SPY"}


def test_a_downtrend_fails_the_weekly_filter_and_the_trend_tiers_in_order() -> None:
    assert only_diagnostic(downtrend()).reasons[:2] == ("WEEKLY_MISALIGNED", "TREND_FILTERED")


def test_earnings_three_sessions_away_do_not_skip_and_sessions_can_be_given() -> None:
    # as of Friday June 14 the trading day D is Monday June 17: Thursday June 20 is D+3
    earnings = {"GOOD": [dt.date(2024, 6, 20)]}
    assert run(trending_bars("GOOD"), earnings=earnings).candidates
    # If Monday June 17 were a holiday, D would be Tuesday and Thursday D+2: skipped.
    holiday_aware = [dt.date(2024, 6, 18), dt.date(2024, 6, 19), dt.date(2024, 6, 20)]
    assert only_diagnostic(
        trending_bars("GOOD"), earnings=earnings, future_sessions=holiday_aware
    ).reason == ("EARNINGS_WINDOW")


def test_past_earnings_become_an_anchor() -> None:
    result = run(trending_bars("GOOD"), earnings={"GOOD": [dt.date(2024, 6, 10)]})
    (candidate,) = result.candidates
    assert candidate.anchor_type == "EARNINGS" and candidate.anchor_date == dt.date(2024, 6, 10)
    assert candidate.anchor_priority == 95


def test_ordering_tier_then_score_then_symbol() -> None:
    tier_b = trending_bars("AAB", drift=0.003)
    for column in ("open", "high", "low", "close"):  # a 5% gap down a bar before the as-of bar (an anchor
        tier_b = scale_last(tier_b, 2, column, 0.95)  # old enough): under SMA20, over a rising SMA50
    frames = [trending_bars("ZZZ"), trending_bars("MMM"), trending_bars("AAA", drift=0.002), tier_b]
    result = run(pd.concat(frames, ignore_index=True))
    tiers = {item.symbol: item.trend_tier for item in result.candidates}
    order = [item.symbol for item in result.candidates]
    assert tiers.get("AAB") == "B", result.why_not("AAB")
    assert order[-1] == "AAB"  # tier B after every tier A, whatever its score
    assert order.index("MMM") < order.index("ZZZ")  # identical bars: equal scores, ties broken by symbol
    scores = [item.score for item in result.candidates if item.trend_tier == "A"]
    assert scores == sorted(scores, reverse=True)
    assert [item.rank for item in result.candidates] == list(range(1, len(order) + 1))


def test_top_n_cuts_and_reports_the_rank() -> None:
    frame = pd.concat([trending_bars(name) for name in ("AAA", "BBB", "CCC")], ignore_index=True)
    result = run(frame, rules=ScanRules(top_n=2))
    assert [item.symbol for item in result.candidates] == ["AAA", "BBB"]
    (diagnostic,) = result.diagnostics
    assert (diagnostic.symbol, diagnostic.reason, diagnostic.value, diagnostic.threshold) == (
        "CCC",
        "RANK_BELOW_TOP_N",
        3.0,
        2.0,
    )


def test_every_symbol_is_a_candidate_or_a_diagnostic_and_output_is_deterministic() -> None:
    frames = [
        trending_bars("GOOD"),
        downtrend("DOWN"),
        trending_bars("THIN", volume=1e5),
        trending_bars("NEW", bars=40),
    ]
    frame = pd.concat(frames, ignore_index=True)
    first, second = run(frame), run(frame.sample(frac=1.0, random_state=1))  # row order must not matter
    assert canonical_json(first) == canonical_json(second)
    names = [item.symbol for item in first.candidates] + [item.symbol for item in first.diagnostics]
    assert sorted(names) == ["DOWN", "GOOD", "NEW", "THIN"]
    assert [item.symbol for item in first.diagnostics] == sorted(item.symbol for item in first.diagnostics)


def test_numpy_engine_gives_the_same_candidates() -> None:
    frame = pd.concat([trending_bars("AAA"), trending_bars("BBB", drift=0.002)], ignore_index=True)
    assert run(frame, engine="numpy") == run(frame)


def test_bad_frames_and_rules_are_refused() -> None:
    broken = trending_bars("GOOD")
    broken.loc[5, "close"] = np.nan
    with pytest.raises(DataError, match="finite"):
        run(broken)
    with pytest.raises(DataError, match="duplicate"):
        run(pd.concat([trending_bars("GOOD"), trending_bars("GOOD").iloc[-1:]], ignore_index=True))
    with pytest.raises(ConfigurationError, match="panel_bars"):
        ScanRules(panel_bars=100)


def test_reason_codes_and_tags_are_upper_snake_with_descriptions() -> None:
    for code, description in {**REASON_CODES, **SETUP_TAGS}.items():
        assert code == code.upper() and " " not in code and description
    frame = pd.concat([trending_bars(name, drift=drift) for name, drift in (("A", 0.003), ("B", 0.002))])
    for candidate in run(frame).candidates:
        assert set(candidate.tags) <= set(SETUP_TAGS)
