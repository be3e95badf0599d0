"""The specification of a synthetic market: everything that decides its bytes, and nothing else.

Two markets built from equal specs are byte-identical. :attr:`SyntheticMarketSpec.spec_hash` also covers
:data:`GENERATOR_VERSION`, so a change to the generator's algorithm invalidates markets written before it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import msgspec

from avwap.core.canonical import content_hash, to_plain
from avwap.core.errors import ConfigurationError

# Bump whenever the generated numbers change for an unchanged spec (ensure_market then regenerates).
GENERATOR_VERSION: Final = 1
BENCHMARK_SYMBOLS: Final = ("IWM", "SPY")
INTRADAY_FREQUENCIES: Final = ("5m",)
MAX_SYMBOLS: Final = 20_000
MIN_DAILY_SESSIONS: Final = 30


class SyntheticMarketSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What to generate.

    ``symbols`` counts the synthetic stocks; the benchmarks SPY and IWM come on top. Daily bars cover the
    NYSE sessions in ``[daily_start, daily_end]``; 5-minute bars cover the sessions in
    ``[intraday_start, daily_end]`` (``None``: no intraday bars). The defaults are the market of
    ``avwap demo``: 300 stocks, three years of daily history and the five weeks up to 2026-11-30 in 5-minute
    bars (a DST change on 2026-11-02, the Thanksgiving holiday and the 13:00 early close on 2026-11-27).
    """

    seed: int = 7
    symbols: int = 300
    daily_start: dt.date = dt.date(2023, 11, 1)
    daily_end: dt.date = dt.date(2026, 11, 30)
    intraday_start: dt.date | None = dt.date(2026, 10, 26)
    intraday_frequency: str = "5m"

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigurationError("seed", f"expected a non-negative integer, got {self.seed!r}")
        if isinstance(self.symbols, bool) or not 1 <= self.symbols <= MAX_SYMBOLS:
            raise ConfigurationError("symbols", f"expected 1..{MAX_SYMBOLS} symbols, got {self.symbols!r}")
        if self.daily_end < self.daily_start:
            raise ConfigurationError(
                "daily_end", f"{self.daily_end} is before daily_start {self.daily_start}"
            )
        if self.intraday_start is not None and not self.daily_start <= self.intraday_start <= self.daily_end:
            raise ConfigurationError(
                "intraday_start",
                f"{self.intraday_start} is outside the daily range {self.daily_start}..{self.daily_end}",
            )
        if self.intraday_frequency not in INTRADAY_FREQUENCIES:
            raise ConfigurationError(
                "intraday_frequency",
                f"expected one of {INTRADAY_FREQUENCIES}, got {self.intraday_frequency!r}",
            )

    def to_record(self) -> dict[str, Any]:
        """The spec as JSON-ready builtins (dates as ISO strings)."""
        record: dict[str, Any] = to_plain(self)
        return record

    @classmethod
    def from_record(cls, record: Any) -> SyntheticMarketSpec:
        """Rebuild a spec from :meth:`to_record` output; a malformed record raises ConfigurationError."""
        try:
            return msgspec.convert(record, cls)
        except msgspec.ValidationError as error:
            raise ConfigurationError("market.json spec", str(error)) from error

    @property
    def spec_hash(self) -> str:
        """sha256 of the canonical spec and the generator version: equal hashes mean equal bytes."""
        return content_hash({"generator_version": GENERATOR_VERSION, "spec": self.to_record()})
