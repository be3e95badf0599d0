"""Session phases (regular and early-close days) and the submission gates, by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from exit_builders import DAY, EARLY_CLOSE_DAY, ny

from avwap.exits.phases import GateInputs, SessionPhase, failed_gates, phase_times, session_phase, too_close
from avwap.exits.reasons import GATE_KINDS, StopReason
from avwap.exits.rules import StopRules
from avwap.ledger.record_enums import ExitEventKind

RULES = StopRules()


@pytest.mark.parametrize(
    ("hour", "minute", "phase"),
    [
        (9, 29, SessionPhase.CLOSED),
        (9, 30, SessionPhase.OPEN_NOISE),
        (9, 44, SessionPhase.OPEN_NOISE),
        (9, 45, SessionPhase.EARLY_TREND),
        (10, 29, SessionPhase.EARLY_TREND),
        (10, 30, SessionPhase.NORMAL),
        (15, 29, SessionPhase.NORMAL),
        (15, 30, SessionPhase.CLOSE_PROTECT),
        (15, 59, SessionPhase.CLOSE_PROTECT),
        (16, 0, SessionPhase.CLOSED),
    ],
)
def test_regular_day_phases(hour: int, minute: int, phase: SessionPhase) -> None:
    assert session_phase(ny(hour, minute), RULES) is phase


@pytest.mark.parametrize(
    ("hour", "minute", "phase"),
    [
        (9, 30, SessionPhase.OPEN_NOISE),
        (10, 30, SessionPhase.NORMAL),
        (12, 29, SessionPhase.NORMAL),
        (12, 30, SessionPhase.CLOSE_PROTECT),  # 13:00 close => CLOSE_PROTECT from 12:30
        (12, 59, SessionPhase.CLOSE_PROTECT),
        (13, 0, SessionPhase.CLOSED),
        (15, 30, SessionPhase.CLOSED),
    ],
)
def test_early_close_day_phases(hour: int, minute: int, phase: SessionPhase) -> None:
    assert session_phase(ny(hour, minute, EARLY_CLOSE_DAY), RULES) is phase


def test_phase_times_follow_the_calendar() -> None:
    times = phase_times(EARLY_CLOSE_DAY, RULES)
    assert times.submit_from == ny(9, 35, EARLY_CLOSE_DAY)
    assert times.protect_from == ny(12, 30, EARLY_CLOSE_DAY)
    assert times.close == ny(13, 0, EARLY_CLOSE_DAY)
    assert session_phase(ny(12, 0, dt.date(2026, 4, 4)), RULES) is SessionPhase.CLOSED  # a Saturday


def gate(now: dt.datetime, *, entry: dt.datetime, bars: int = 5, stop: str = "99.00", last: str = "100.00"):
    inputs = GateInputs(now, entry, bars, Decimal(stop), Decimal(last))
    return failed_gates(inputs, phase_times(DAY, RULES), RULES)


@pytest.mark.parametrize(
    ("now", "entry", "bars", "stop", "expected"),
    [
        (ny(10, 30), ny(10, 0), 6, "99.00", ()),
        (ny(9, 34), ny(15, 0, dt.date(2026, 3, 31)), 0, "99.00", (StopReason.BEFORE_SUBMIT_WINDOW,)),
        (
            ny(9, 35),
            ny(15, 0, dt.date(2026, 3, 31)),
            0,
            "99.00",
            (),
        ),  # yesterday's entry: both entry gates met
        (ny(10, 4), ny(10, 0), 0, "99.00", (StopReason.ENTRY_DELAY, StopReason.ENTRY_MIN_BARS)),
        (ny(10, 5), ny(10, 0), 1, "99.00", (StopReason.ENTRY_MIN_BARS,)),
        (ny(10, 10), ny(10, 0), 2, "99.00", ()),
        (ny(10, 30), ny(10, 0), 6, "99.71", (StopReason.TOO_CLOSE_TO_PRICE,)),  # 0.29 % below 100
        (ny(10, 30), ny(10, 0), 6, "99.70", ()),  # exactly 0.30 %: allowed
        (ny(10, 30), ny(10, 0), 6, "100.50", (StopReason.TOO_CLOSE_TO_PRICE,)),  # above the price
        (ny(16, 0), ny(10, 0), 6, "99.00", (StopReason.MARKET_CLOSED,)),
    ],
)
def test_gate_table(
    now: dt.datetime, entry: dt.datetime, bars: int, stop: str, expected: tuple[StopReason, ...]
) -> None:
    assert gate(now, entry=entry, bars=bars, stop=stop) == expected


def test_each_gate_has_an_event_kind() -> None:
    assert GATE_KINDS[StopReason.BEFORE_SUBMIT_WINDOW] is ExitEventKind.STOP_SKIPPED_TOO_EARLY
    assert GATE_KINDS[StopReason.ENTRY_DELAY] is ExitEventKind.STOP_SKIPPED_TOO_EARLY
    assert GATE_KINDS[StopReason.ENTRY_MIN_BARS] is ExitEventKind.STOP_SKIPPED_MIN_BARS
    assert GATE_KINDS[StopReason.TOO_CLOSE_TO_PRICE] is ExitEventKind.STOP_SKIPPED_TOO_CLOSE
    assert GATE_KINDS[StopReason.MARKET_CLOSED] is ExitEventKind.STOP_SUBMIT_BLOCKED


def test_minimum_distance_is_configurable() -> None:
    wide = StopRules(min_distance_fraction=Decimal("0.01"))
    assert too_close(Decimal("99.50"), Decimal("100"), wide)
    assert not too_close(Decimal("99.00"), Decimal("100"), wide)
    assert not too_close(Decimal("99.99"), Decimal("100"), StopRules(min_distance_fraction=Decimal(0)))


@pytest.mark.parametrize(
    "changes",
    [
        {"buffer": Decimal("-0.01")},
        {"min_distance_fraction": Decimal("1")},
        {"intraday_left": 0},
        {"early_trend": dt.timedelta(minutes=5)},
        {"bar_minutes": 0},
    ],
)
def test_rules_refuse_nonsense(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        StopRules(**changes)  # type: ignore[arg-type]
