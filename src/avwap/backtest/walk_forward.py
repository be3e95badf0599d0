"""Walk-forward windows, the choice of a parameter set on each training window, and the out-of-sample
windows stitched into one equity curve.

``--walk-forward train=2y,test=6m`` (units ``y`` years, ``m`` months, ``w`` weeks, ``d`` days): window ``k``
trains on ``[from + k*test, from + k*test + train)`` and tests on the ``test`` span right after it, so the
test windows follow each other without gap or overlap; the last one is cut at ``--to``. Each test run
starts flat with the starting cash (positions do not carry over between windows); the stitched curve chains
the test windows' daily returns.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from avwap.backtest.metrics import PerformanceSummary, summarize
from avwap.backtest.sweep_tasks import RunPayload
from avwap.core.errors import ConfigurationError

OPTION: Final = "--walk-forward"
SPAN_PATTERN: Final = re.compile(r"^(\d+)([ymwd])$")
# The summary figures a sweep can rank by; higher is better for each (max_drawdown is <= 0).
METRICS: Final = (
    "sharpe",
    "sortino",
    "cagr",
    "total_return",
    "max_drawdown",
    "win_rate",
    "profit_factor",
    "expectancy_r",
    "ending_equity",
)


@dataclass(frozen=True)
class Span:
    count: int
    unit: str  # y, m, w or d

    def after(self, day: dt.date) -> dt.date:
        """``day`` moved forward by the span (months clamp to the month's last day: Jan 31 + 1m = Feb 28)."""
        if self.unit in {"d", "w"}:
            return day + dt.timedelta(days=self.count * (7 if self.unit == "w" else 1))
        months = day.month - 1 + self.count * (12 if self.unit == "y" else 1)
        year, month = day.year + months // 12, months % 12 + 1
        return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"


@dataclass(frozen=True)
class WalkForwardSpec:
    train: Span
    test: Span


@dataclass(frozen=True)
class Window:
    index: int
    train_start: dt.date
    train_end: dt.date
    test_start: dt.date
    test_end: dt.date

    @property
    def name(self) -> str:
        return f"w{self.index:02d}"


def parse_span(name: str, text: str) -> Span:
    match = SPAN_PATTERN.match(text.strip())
    if match is None or int(match.group(1)) < 1:
        raise ConfigurationError(OPTION, f"{name}={text!r}: expected a count and a unit y|m|w|d, e.g. 6m")
    return Span(int(match.group(1)), match.group(2))


def parse_walk_forward(text: str) -> WalkForwardSpec:
    """``train=2y,test=6m`` (either order)."""
    parts: dict[str, str] = {}
    for item in text.split(","):
        name, equals, value = item.partition("=")
        if not equals or name.strip() not in {"train", "test"} or name.strip() in parts:
            raise ConfigurationError(OPTION, f"expected train=SPAN,test=SPAN, got {text!r}")
        parts[name.strip()] = value
    if set(parts) != {"train", "test"}:
        raise ConfigurationError(OPTION, f"expected train=SPAN,test=SPAN, got {text!r}")
    return WalkForwardSpec(parse_span("train", parts["train"]), parse_span("test", parts["test"]))


def walk_forward_windows(spec: WalkForwardSpec, start: dt.date, end: dt.date) -> list[Window]:
    """The windows over ``[start, end]`` (inclusive dates); ConfigurationError if not even one test window
    fits."""
    windows: list[Window] = []
    train_start = start
    while True:
        test_start = spec.train.after(train_start)
        if test_start > end:
            break
        test_end = min(spec.test.after(test_start) - dt.timedelta(days=1), end)
        windows.append(
            Window(len(windows), train_start, test_start - dt.timedelta(days=1), test_start, test_end)
        )
        train_start = spec.test.after(train_start)
        if test_end >= end:
            break
    if not windows:
        raise ConfigurationError(
            OPTION, f"{start} to {end} is shorter than one training window ({spec.train})"
        )
    return windows


def metric_value(summary: Mapping[str, object], metric: str) -> float | None:
    value = summary.get(metric)
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def ranking_key(metric: str, summary: Mapping[str, object], index: int) -> tuple[int, float, int]:
    """Best first: defined values before undefined ones, higher before lower, then the grid order."""
    value = metric_value(summary, metric)
    return (0, -value, index) if value is not None else (1, 0.0, index)


def choose(payloads: Sequence[RunPayload], metric: str, order: Mapping[str, int]) -> RunPayload:
    """The training run with the best ``metric`` (ties and undefined values: the first in grid order)."""
    return min(payloads, key=lambda item: ranking_key(metric, item.summary, order[item.parameter_id]))


def stitched_curve(tests: Sequence[RunPayload]) -> tuple[list[dt.date], list[float]]:
    """The test windows chained: each window's daily returns compounded on the previous window's end, its
    starting point (the close before its first session) dropped."""
    dates: list[dt.date] = [tests[0].dates[0]]
    equity: list[float] = [tests[0].equity[0]]
    for payload in tests:
        scale = equity[-1] / payload.equity[0]
        dates += payload.dates[1:]
        equity += [value * scale for value in payload.equity[1:]]
    return dates, equity


def stitch(tests: Sequence[RunPayload]) -> PerformanceSummary:
    """One summary over the stitched out-of-sample curve and every test window's closed trades."""
    dates, equity = stitched_curve(tests)
    return summarize(dates, equity, [trade for payload in tests for trade in payload.trades])
