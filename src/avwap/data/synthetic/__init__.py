"""The embedded synthetic US equity market that ``avwap demo`` trades and the benchmarks scale up.

Deterministic: every number comes from ``numpy.random.default_rng(spec.seed)``, so the same
:class:`SyntheticMarketSpec` gives byte-identical frames and files on any machine. Everything is synthetic:
tickers are random letter strings (the best-known real tickers are reserved and never drawn) and companies
are called "Synthetic Co 042"; ``market.json`` says ``"synthetic": true``.

What the market contains, and why (the scan and the S1 trigger must be exercised):

- a market factor; SPY is built from it and is in a bull trend over the last ~230 sessions, so the market
  gate (SPY close above its 200-day SMA) is open on the demo dates, while earlier corrections close it at
  times. IWM follows the market with more beta and a small-cap factor.
- ten GICS-like sectors with their own factors, idiosyncratic noise, and per-stock drift regimes (up with
  pullbacks, flat, down) that switch every ~100 sessions, plus a mean-reverting swing (pivots, pullbacks).
- last prices mostly $10-$400 (about 3% below $5); lognormal volumes so most stocks pass 750k shares and
  $10M a day and about one in ten does not.
- overnight gaps of 4% or more (about four per stock-year) and breakout days, both with volume spikes.
- 5-minute bars on the last sessions (default 2026-10-26 .. 2026-11-30: the DST change, Thanksgiving and
  the 13:00 early close) whose aggregates equal the daily bars exactly, with a U-shaped volume profile;
  some sessions hold planted reclaims of the YTD anchored VWAP that fire the S1 breakout-and-hold trigger.

Public API: :class:`SyntheticMarketSpec`, :func:`generate_market` (frames), :func:`generate_arrays`
(arrays only, for large benchmarks), :func:`write_market` and :func:`ensure_market` (a bar store folder).
"""

from __future__ import annotations

from avwap.data.synthetic.market import MarketArrays, SyntheticMarket, generate_arrays, generate_market
from avwap.data.synthetic.spec import BENCHMARK_SYMBOLS, GENERATOR_VERSION, SyntheticMarketSpec
from avwap.data.synthetic.store import (
    MARKET_FILE,
    UNIVERSE_FILE,
    MarketSummary,
    ensure_market,
    read_description,
    universe_csv,
    write_market,
)

__all__ = [
    "BENCHMARK_SYMBOLS",
    "GENERATOR_VERSION",
    "MARKET_FILE",
    "UNIVERSE_FILE",
    "MarketArrays",
    "MarketSummary",
    "SyntheticMarket",
    "SyntheticMarketSpec",
    "ensure_market",
    "generate_arrays",
    "generate_market",
    "read_description",
    "universe_csv",
    "write_market",
]
