"""The stop policy by hand: which candidate, which phase, which event, which gate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from exit_builders import (
    DAILY_DAYS,
    DAILY_LOWS,
    EARLY_CLOSE_DAY,
    INTRADAY_LOWS,
    daily_bars,
    intraday_bars,
    ny,
    position,
)

from avwap.exits.bar_arrays import empty_arrays
from avwap.exits.phases import SessionPhase
from avwap.exits.policy import resolve_stop
from avwap.exits.reasons import StopReason
from avwap.exits.rules import StopRules
from avwap.ledger.record_enums import ExitEventKind, StopBasis

RATCHET = (ExitEventKind.STOP_RATCHET,)
# A lower low: 99.50 at 09:40, then 99.30 at 10:15 (confirmed 10:30): no higher low, the daily fallback rules.
LOWER_LOWS = (
    99.90,
    99.70,
    99.50,
    99.60,
    99.75,
    100.0,
    100.1,
    100.05,
    99.95,
    99.30,
    99.90,
    100.2,
    100.4,
    100.5,
)
# One swing low only (99.50 at 09:40): no "previous" swing low to be higher than.
ONE_LOW = (99.90, 99.70, 99.50, 99.60, 99.75, 100.0, 100.1, 100.2, 100.3, 100.4, 100.5, 100.6, 100.7, 100.8)


def decide(lows=INTRADAY_LOWS, *, at: dt.datetime, daily=None, rules: StopRules | None = None, **state):
    return resolve_stop(
        position(**state),
        intraday_bars(lows),
        daily_bars() if daily is None else daily,
        at,
        rules=rules or StopRules(),
    )


@pytest.mark.parametrize(
    ("lows", "stop", "at", "expected_stop", "basis", "reason", "events"),
    [
        # higher low 99.80 > 99.50 confirmed 10:30 (NORMAL): 99.80 − 0.10 = 99.70
        (INTRADAY_LOWS, "98.30", ny(10, 30), "99.70", StopBasis.INTRADAY_HL, StopReason.HIGHER_LOW, RATCHET),
        # 10:25: not confirmed yet, EARLY_TREND prefers the daily 98.30 = the stop: nothing to do
        (INTRADAY_LOWS, "98.30", ny(10, 25), "98.30", StopBasis.INITIAL, StopReason.CANDIDATE_NOT_HIGHER, ()),
        # lower low: no intraday candidate, daily fallback 98.30 does not beat 98.00 ... it does: ratchet
        (
            LOWER_LOWS,
            "98.00",
            ny(10, 30),
            "98.30",
            StopBasis.DAILY_SWING_LOW,
            StopReason.DAILY_SWING_LOW,
            RATCHET,
        ),
        (LOWER_LOWS, "98.30", ny(10, 30), "98.30", StopBasis.INITIAL, StopReason.CANDIDATE_NOT_HIGHER, ()),
        # a single swing low is not a higher low: fallback to daily
        (
            ONE_LOW,
            "98.00",
            ny(10, 45),
            "98.30",
            StopBasis.DAILY_SWING_LOW,
            StopReason.DAILY_SWING_LOW,
            RATCHET,
        ),
        # a lower candidate never loosens the stop
        (INTRADAY_LOWS, "99.75", ny(10, 40), "99.75", StopBasis.INITIAL, StopReason.CANDIDATE_NOT_HIGHER, ()),
    ],
)
def test_candidate_table(  # noqa: PLR0917
    lows: tuple[float, ...],
    stop: str,
    at: dt.datetime,
    expected_stop: str,
    basis: StopBasis,
    reason: StopReason,
    events: tuple[ExitEventKind, ...],
) -> None:
    decision = decide(lows, at=at, stop=stop)
    assert (decision.stop_price, decision.basis, decision.reason, decision.events) == (
        Decimal(expected_stop),
        basis,
        reason,
        events,
    )
    assert decision.changed == (decision.stop_price != Decimal(stop))
    assert decision.submit == decision.changed


def test_ratchet_revision_counts_changes() -> None:
    decision = decide(at=ny(10, 30), revision=3)
    assert decision.stop_revision == 4 and decision.previous_stop == Decimal("98.30")


def test_open_noise_ignores_intraday_pivots() -> None:
    # 1-minute zigzag: with left 1 / right 0 every odd bar is a swing low (99.0 + 0.1 k), each higher than the
    # one before, confirmed on its own bar.
    rules = StopRules(intraday_left=1, intraday_right=0, bar_minutes=1)
    lows = [99.0 + 0.1 * k + (0.3 if k % 2 == 0 else 0.0) for k in range(30)]
    bars = intraday_bars(lows, minutes=1)
    overnight = position(stop="98.30", entry_time=ny(15, 0, DAILY_DAYS[-1]))
    noise = resolve_stop(overnight, bars, daily_bars(), ny(9, 40), rules=rules)
    assert noise.phase is SessionPhase.OPEN_NOISE  # the higher low 99.90 (09:39) is ignored
    assert noise.stop_price == Decimal("98.30") and noise.events == ()
    # without a daily pivot, EARLY_TREND takes the intraday higher low (daily preferred, intraday as fallback)
    early = resolve_stop(overnight, bars, empty_arrays(), ny(9, 50), rules=rules)
    assert early.phase is SessionPhase.EARLY_TREND
    assert (early.stop_price, early.basis) == (Decimal("100.80"), StopBasis.INTRADAY_HL)  # 100.90 − 0.10
    # with one, the daily swing low is preferred
    daily_first = resolve_stop(overnight, bars, daily_bars(), ny(9, 50), rules=rules)
    assert daily_first.stop_price == Decimal("98.30") and daily_first.events == ()


def test_early_trend_prefers_the_daily_swing_low() -> None:
    rules = StopRules(intraday_left=1, intraday_right=0)
    lows = (99.0, 99.5, 99.8, 100.0, 100.2, 100.3)
    decision = decide(lows, at=ny(10, 0), rules=rules, stop="98.00", entry_time=ny(15, 0, DAILY_DAYS[-1]))
    assert (decision.phase, decision.stop_price, decision.basis) == (
        SessionPhase.EARLY_TREND,
        Decimal("98.30"),
        StopBasis.DAILY_SWING_LOW,
    )


def close_protect_bars(day: dt.date = dt.date(2026, 4, 1), close_hour: int = 16):
    """5-minute bars of the last 60 minutes: swing lows 99.50 (then) and a higher 99.80 confirmed inside
    CLOSE_PROTECT."""
    lows = (99.9, 99.7, 99.5, 99.6, 99.75, 100.0, 100.1, 100.05, 99.95, 99.8, 99.9, 100.2)
    return intraday_bars(lows, day=day, start=(close_hour - 1, 0))


def test_close_protect_does_not_tighten_on_intraday_pivots() -> None:
    # bars from 15:00; the higher low 99.80 (15:45) is confirmed by the 15:55 bar close (16:00 close) ...
    # confirm it earlier by using right = 1: confirmed when the 15:50 bar closes at 15:55 (CLOSE_PROTECT).
    rules = StopRules(intraday_right=1)
    at = ny(15, 55)
    decision = resolve_stop(position(stop="98.30"), close_protect_bars(), daily_bars(), at, rules=rules)
    assert decision.phase is SessionPhase.CLOSE_PROTECT
    assert decision.stop_price == Decimal("98.30") and decision.events == ()
    # the same bars in NORMAL (shifted one hour earlier) do tighten
    earlier = intraday_bars([float(v) for v in close_protect_bars().low], start=(14, 0))
    normal = resolve_stop(position(stop="98.30"), earlier, daily_bars(), ny(14, 55), rules=rules)
    assert (normal.phase, normal.stop_price) == (SessionPhase.NORMAL, Decimal("99.70"))


def test_close_protect_keeps_structure_confirmed_before_it() -> None:
    # the higher low confirmed at 15:25 (NORMAL) still counts at 15:35 if the cycle missed it
    rules = StopRules(intraday_right=1)
    bars = intraday_bars([float(v) for v in close_protect_bars().low], start=(14, 30))
    decision = resolve_stop(position(stop="98.30"), bars, daily_bars(), ny(15, 35), rules=rules)
    assert decision.phase is SessionPhase.CLOSE_PROTECT
    assert decision.stop_price == Decimal("99.70") and decision.basis is StopBasis.INTRADAY_HL


def test_early_close_day_moves_close_protect() -> None:
    rules = StopRules(intraday_right=1)
    bars = close_protect_bars(EARLY_CLOSE_DAY, close_hour=13)
    daily = daily_bars(
        DAILY_LOWS, [EARLY_CLOSE_DAY - dt.timedelta(days=offset) for offset in (8, 7, 6, 3, 2, 1)]
    )
    entry = ny(10, 0, EARLY_CLOSE_DAY)
    decision = resolve_stop(
        position(stop="98.30", entry_time=entry), bars, daily, ny(12, 55, EARLY_CLOSE_DAY), rules=rules
    )
    assert decision.phase is SessionPhase.CLOSE_PROTECT and decision.stop_price == Decimal("98.30")


@pytest.mark.parametrize(
    ("at", "entry", "kind", "reason"),
    [
        (ny(10, 2), ny(10, 0), ExitEventKind.STOP_SKIPPED_TOO_EARLY, StopReason.ENTRY_DELAY),
        (ny(10, 5), ny(10, 0), ExitEventKind.STOP_SKIPPED_MIN_BARS, StopReason.ENTRY_MIN_BARS),
    ],
)
def test_first_submission_gates(
    at: dt.datetime, entry: dt.datetime, kind: ExitEventKind, reason: StopReason
) -> None:
    decision = decide(at=at, entry_time=entry, resolved=False)
    assert (decision.events, decision.reason, decision.submit) == ((kind,), reason, False)
    assert decision.stop_price == Decimal("98.30")


def test_first_submission_when_the_gates_pass() -> None:
    decision = decide(at=ny(10, 10), resolved=False)
    assert decision.events == (ExitEventKind.STOP_RESOLVED,)
    assert (decision.stop_price, decision.basis, decision.reason, decision.submit) == (
        Decimal("98.30"),
        StopBasis.INITIAL,
        StopReason.INITIAL_STOP,
        True,
    )


def test_too_early_before_0935() -> None:
    # a position held overnight, a new daily pivot raises the candidate; 09:33 is before the submit window
    bars = intraday_bars((99.9,), start=(9, 30), minutes=1)
    rules = StopRules(bar_minutes=1)
    decision = resolve_stop(
        position(stop="98.00", entry_time=ny(15, 0, DAILY_DAYS[-1])),
        bars,
        daily_bars(),
        ny(9, 33),
        rules=rules,
    )
    assert decision.events == (ExitEventKind.STOP_SKIPPED_TOO_EARLY,)
    assert decision.reason is StopReason.BEFORE_SUBMIT_WINDOW and decision.stop_price == Decimal("98.00")


def test_too_close_keeps_the_old_stop() -> None:
    closes = [low + 0.25 for low in INTRADAY_LOWS]
    closes[11] = 99.90  # the 10:25 bar closes 0.2 % above the new stop 99.70
    decision = resolve_stop(position(), intraday_bars(INTRADAY_LOWS, closes=closes), daily_bars(), ny(10, 30))
    assert decision.events == (ExitEventKind.STOP_SKIPPED_TOO_CLOSE,)
    assert decision.stop_price == Decimal("98.30") and decision.candidate is not None
    assert decision.candidate.price == Decimal("99.70") and not decision.submit


def test_halted_symbol_keeps_the_stop_and_records_nothing() -> None:
    decision = resolve_stop(position(), empty_arrays(), daily_bars(), ny(11, 0))
    assert (decision.stop_price, decision.events, decision.reason) == (
        Decimal("98.30"),
        (),
        StopReason.NO_INTRADAY_BARS,
    )


def test_missing_bars_never_loosen() -> None:
    lows = np.array(INTRADAY_LOWS)
    lows[9] = np.nan  # the higher-low bar is missing
    decision = decide(tuple(lows.tolist()), at=ny(10, 30), stop="98.30")
    assert decision.stop_price == Decimal("98.30")
    # an unusable stop in the state with no candidate: nothing happens
    empty = resolve_stop(
        position(stop=None, resolved=False), intraday_bars(ONE_LOW), empty_arrays(), ny(10, 45)
    )
    assert empty.stop_price is None and empty.reason is StopReason.NO_CANDIDATE and empty.events == ()


def test_outside_the_session_nothing_happens() -> None:
    weekend = decide(at=dt.datetime(2026, 4, 4, 15, 0, tzinfo=dt.UTC))
    after = decide(at=ny(16, 30))
    assert weekend.reason is after.reason is StopReason.MARKET_CLOSED
    assert weekend.events == after.events == ()
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(at=dt.datetime(2026, 4, 1, 10, 30))  # noqa: DTZ001


def test_atr_buffer() -> None:
    # 20 daily bars with high − low = 1.0 and no gaps: ATR(14) = 1.0; buffer 0.25 × 1.0 = 0.25
    days = [dt.date(2026, 3, 3) + dt.timedelta(days=offset) for offset in range(40)]
    sessions = [day for day in days if day.weekday() < 5][:20]
    lows = [100.0 - (index % 5 == 2) * 1.5 for index in range(20)]
    rules = StopRules(buffer_atr_fraction=Decimal("0.25"))
    daily = daily_bars(lows, sessions)
    decision = resolve_stop(position(stop="90.00"), intraday_bars(ONE_LOW), daily, ny(10, 45), rules=rules)
    assert decision.candidate is not None and decision.candidate.basis is StopBasis.DAILY_SWING_LOW
    # daily bars here span low .. low + 1.0 with the close at low + 0.6: true range 1.0 or more
    assert decision.stop_price is not None and decision.stop_price < Decimal("98.50")
