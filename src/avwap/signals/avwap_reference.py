"""The slow, obviously correct AVWAP: plain Python, exact rational arithmetic, two-pass variance.

It exists to be compared against (property tests, benchmarks); production code uses
:mod:`avwap.signals.avwap`. Typical prices are the float64 ``(H + L + C) / 3`` every kernel uses; from there
on, sums, mean and variance are exact (:class:`fractions.Fraction`) and rounded once, so the reference is the
best any float kernel could return. The definitions here are the specification every kernel must meet:

* typical price ``p = (H + L + C) / 3``; AVWAP from anchor ``a`` to ``t`` is ``Σ p·v / Σ v`` over ``a..t``,
  NaN before the anchor (``t < a``), for a missing anchor (``a < 0``) and when ``Σ v = 0``;
* ``σ = √(Σ v·(p − AVWAP)² / Σ v)``; bands are ``AVWAP ± k·σ``;
* slope = ``AVWAP_t / AVWAP_j − 1`` with ``j = max(a, t − slope_bars)`` (a young anchor's slope is measured
  from the anchor bar, so it is 0 on the anchor bar itself rather than unknown);
* distance = ``(C_t − AVWAP_t) / AVWAP_t``; reclaim = ``C_{t−1} ≤ AVWAP_{t−1}`` and ``C_t > AVWAP_t``
  (never on the anchor bar, where ``AVWAP_{t−1}`` does not exist).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import msgspec

NAN = float("nan")


class AvwapPoint(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """AVWAP statistics of one anchor at one bar (NaN when undefined)."""

    avwap: float
    sigma: float
    slope: float
    distance: float
    reclaim: bool


def _typical(high: Sequence[float], low: Sequence[float], close: Sequence[float], bar: int) -> float:
    return (float(high[bar]) + float(low[bar]) + float(close[bar])) / 3.0


def reference_moments(
    high: Sequence[float],
    low: Sequence[float],
    close: Sequence[float],
    volume: Sequence[float],
    *,
    anchor: int,
    bar: int,
) -> tuple[float, float]:
    """(AVWAP, σ) from ``anchor`` to ``bar`` inclusive."""
    if anchor < 0 or bar < anchor:
        return NAN, NAN
    prices = [_typical(high, low, close, index) for index in range(anchor, bar + 1)]
    weights = [float(volume[index]) for index in range(anchor, bar + 1)]
    if not all(math.isfinite(value) for value in (*prices, *weights)):
        return NAN, NAN
    exact_prices = [Fraction(price) for price in prices]
    exact_weights = [Fraction(weight) for weight in weights]
    total = sum(exact_weights, Fraction(0))
    if total <= 0:  # zero cumulative volume: undefined, never a division error
        return NAN, NAN
    mean = (
        sum((price * weight for price, weight in zip(exact_prices, exact_weights, strict=True)), Fraction(0))
        / total
    )
    pairs = zip(exact_prices, exact_weights, strict=True)
    spread = sum((weight * (price - mean) ** 2 for price, weight in pairs), Fraction(0)) / total
    return float(mean), math.sqrt(spread)


def reference_point(
    high: Sequence[float],
    low: Sequence[float],
    close: Sequence[float],
    volume: Sequence[float],
    *,
    anchor: int,
    bar: int,
    slope_bars: int = 5,
) -> AvwapPoint:
    """Every AVWAP statistic of ``anchor`` at ``bar``, by the definitions in the module docstring."""
    if anchor < 0 or bar < anchor:
        return AvwapPoint(avwap=NAN, sigma=NAN, slope=NAN, distance=NAN, reclaim=False)
    bars = (high, low, close, volume)
    level, sigma = reference_moments(*bars, anchor=anchor, bar=bar)
    base, _ = reference_moments(*bars, anchor=anchor, bar=max(anchor, bar - slope_bars))
    previous, _ = reference_moments(*bars, anchor=anchor, bar=bar - 1)
    last_close = float(close[bar])
    reclaim = bar >= 1 and float(close[bar - 1]) <= previous and last_close > level
    return AvwapPoint(
        avwap=level,
        sigma=sigma,
        slope=level / base - 1.0 if not math.isnan(base) and base != 0.0 else NAN,
        distance=(last_close - level) / level if not math.isnan(level) and level != 0.0 else NAN,
        reclaim=bool(reclaim),
    )


def reference_series(
    high: Sequence[float],
    low: Sequence[float],
    close: Sequence[float],
    volume: Sequence[float],
    *,
    anchor: int,
) -> tuple[list[float], list[float]]:
    """(AVWAP, σ) at every bar for one anchor (quadratic time: for tests only)."""
    pairs = [reference_moments(high, low, close, volume, anchor=anchor, bar=bar) for bar in range(len(close))]
    return [pair[0] for pair in pairs], [pair[1] for pair in pairs]
