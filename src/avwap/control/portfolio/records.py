"""The portfolio decision schema: engine inputs, guardrail limits, and the decisions it produces.

Decisions are frozen msgspec structs with ``schema_version`` (any other version is refused), unknown fields
rejected, money as ``Decimal`` and correlations as finite floats (NaN or infinity is refused). A batch keeps
its decisions sorted by (strategy_id, rank, symbol) with no (strategy_id, symbol) twice, so equal inputs are
equal records and equal bytes.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
import typing
from decimal import Decimal
from typing import Final

import msgspec

from avwap.control.portfolio.regime import RegimeModulation
from avwap.control.reasons import PORTFOLIO_REASONS
from avwap.core.canonical import to_plain
from avwap.core.config import Config
from avwap.ledger.records import SleeveEnforcement, SleeveLine

SCHEMA_VERSION: Final = 1
UNKNOWN_SECTOR: Final = "UNKNOWN"
_RULE_ORDER: Final = {code: rank for rank, code in enumerate(PORTFOLIO_REASONS)}


class Verdict(enum.StrEnum):
    ALLOW = "ALLOW"
    BLOCK = "BLOCK"


class _Record(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.schema_version != SCHEMA_VERSION:
            raise ValueError(
                f"{type(self).__name__}: unsupported schema_version {self.schema_version} "
                f"(this code reads {SCHEMA_VERSION})"
            )
        self.check()

    def check(self) -> None:
        """Type-specific rules; subclasses override."""


def _finite(owner: str, name: str, value: float | Decimal | None) -> None:
    if value is None:
        return
    finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
    if not finite:
        raise ValueError(f"{owner}.{name} must be finite, got {value}")


class GuardrailLimits(_Record, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Thresholds of the guardrails (percent of equity where ``_pct``) and of the proposed entry size."""

    max_positions: int = 10
    max_new_entries: int = 3
    max_symbol_pct: Decimal = Decimal("10")
    max_sector_pct: Decimal = Decimal("30")
    max_gross_pct: Decimal = Decimal("100")
    max_correlation: Decimal = Decimal("0.85")
    max_book_correlation: Decimal = Decimal("0.90")
    correlation_sessions: int = 60
    drawdown_throttle_pct: Decimal = Decimal("10")
    base_risk_pct: Decimal = Decimal("2")
    max_allocation_pct: Decimal = Decimal("10")
    min_scale: Decimal = Decimal("0.25")
    distance_scale_pct: Decimal = Decimal("6")

    @classmethod
    def from_config(cls, config: Config) -> GuardrailLimits:
        return cls(
            max_positions=config.portfolio_max_positions,
            max_new_entries=config.portfolio_max_new_entries,
            max_symbol_pct=config.portfolio_max_symbol_pct,
            max_sector_pct=config.portfolio_max_sector_pct,
            max_gross_pct=config.portfolio_max_gross_pct,
            max_correlation=config.portfolio_max_correlation,
            max_book_correlation=config.portfolio_max_book_correlation,
            correlation_sessions=config.portfolio_correlation_sessions,
            drawdown_throttle_pct=config.portfolio_drawdown_throttle_pct,
            base_risk_pct=config.sizing_base_risk_pct,
            max_allocation_pct=config.sizing_max_allocation_pct,
            min_scale=config.sizing_min_scale,
            distance_scale_pct=config.sizing_distance_scale_pct,
        )


class CandidateInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A candidate as the engine reads it (from the candidates artifact)."""

    symbol: str
    rank: int
    entry_price: Decimal
    distance: float  # (close − AVWAP) / AVWAP, a fraction


class HeldInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A held position as the engine reads it (from the latest snapshot)."""

    symbol: str
    market_value: Decimal
    strategy_id: str = ""  # the strategy holding it (snapshot position lines name it)


class BookInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The book at the latest snapshot: equity, gross, positions, and the equity history (oldest first,
    the latest snapshot's equity last) for the drawdown throttle."""

    book_id: str
    snapshot_date: dt.date
    equity: Decimal
    gross_exposure: Decimal
    positions: tuple[HeldInput, ...]
    equity_history: tuple[Decimal, ...]


class PortfolioDecision(_Record, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One candidate's verdict for one strategy; BLOCK carries its reason codes in rule order."""

    strategy_id: str
    symbol: str
    rank: int
    verdict: Verdict
    reason_codes: tuple[str, ...] = ()
    sector: str = UNKNOWN_SECTOR
    proposed_notional: Decimal = Decimal("0")
    max_correlation: float | None = None
    book_correlation: float | None = None
    baseline_notional: Decimal | None = None  # E2 only: the notional before the regime's risk multiplier

    def check(self) -> None:
        if (self.verdict is Verdict.ALLOW) == bool(self.reason_codes):
            raise ValueError(f"{self.symbol}: ALLOW has no reason codes, BLOCK at least one")
        unknown = [code for code in self.reason_codes if code not in _RULE_ORDER]
        if unknown:
            raise ValueError(f"{self.symbol}: unknown portfolio reason codes {unknown}")
        ranks = [_RULE_ORDER[code] for code in self.reason_codes]
        if ranks != sorted(set(ranks)):
            raise ValueError(f"{self.symbol}: reason codes out of rule order or repeated {self.reason_codes}")
        _finite("PortfolioDecision", "proposed_notional", self.proposed_notional)
        _finite("PortfolioDecision", "max_correlation", self.max_correlation)
        _finite("PortfolioDecision", "book_correlation", self.book_correlation)
        _finite("PortfolioDecision", "baseline_notional", self.baseline_notional)
        if self.proposed_notional < 0:
            raise ValueError(f"{self.symbol}: proposed_notional must not be negative")


class PortfolioDecisionBatch(_Record, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Every decision of one book and trading date, with what was read to make them.

    ``inputs_ok`` false (``input_reasons`` say why) means nothing is allowed: every listed candidate is
    BLOCKed and, when the candidates themselves could not be read, the list is empty — an entry needs an
    ALLOW for its (strategy, symbol), so "no decision" is "blocked", never "nothing to do"."""

    book_id: str
    date_ny: dt.date
    decided_at: dt.datetime
    strategies: tuple[str, ...]
    shadow_strategies: tuple[str, ...] = ()
    inputs_ok: bool
    input_reasons: tuple[str, ...] = ()
    candidates_sha256: str | None = None
    snapshot_sha256: str | None = None
    snapshot_date: dt.date | None = None
    limits: GuardrailLimits
    decisions: tuple[PortfolioDecision, ...]
    allowed: int
    blocked: int
    regime: RegimeModulation | None = None  # E2_REGIME_MODULATION=1 only (see control.portfolio.regime)
    # Phase S2: the sleeve configuration decided under, and what the sleeve rules did per strategy.
    sleeves: tuple[SleeveLine, ...] = ()
    s2_enforcement: tuple[SleeveEnforcement, ...] = ()

    def check(self) -> None:
        if self.decided_at.utcoffset() != dt.timedelta(0):
            raise ValueError("PortfolioDecisionBatch.decided_at must be a UTC instant")
        if self.inputs_ok == bool(self.input_reasons):
            raise ValueError("input_reasons must be given exactly when inputs_ok is false")
        keys = [(item.strategy_id, item.rank, item.symbol) for item in self.decisions]
        if keys != sorted(keys):
            raise ValueError("decisions must be sorted by (strategy_id, rank, symbol)")
        pairs = {(item.strategy_id, item.symbol) for item in self.decisions}
        if len(pairs) != len(keys):
            raise ValueError("a (strategy_id, symbol) is decided twice (duplicated symbol)")
        if any(item.strategy_id not in self.strategies for item in self.decisions):
            raise ValueError("a decision names a strategy the batch does not list")
        allowed = sum(item.verdict is Verdict.ALLOW for item in self.decisions)
        if (allowed, len(keys) - allowed) != (self.allowed, self.blocked):
            raise ValueError(f"counts {self.allowed}/{self.blocked} do not match the decisions")
        if not self.inputs_ok and allowed:
            raise ValueError("a batch whose inputs failed cannot ALLOW anything")

    def plain(self) -> dict[str, object]:
        """The batch as plain JSON values; the E2 fields are left out when E2 is off, so an artifact
        written with E2_REGIME_MODULATION=0 has exactly the bytes it had before E2 existed."""
        plain = to_plain(self)
        if self.regime is None:
            del plain["regime"]
            for item in plain["decisions"]:
                if item["baseline_notional"] is None:
                    del item["baseline_notional"]
        return typing.cast(dict[str, object], plain)

    def verdict_for(self, strategy_id: str, symbol: str) -> PortfolioDecision | None:
        """The decision of ``symbol`` for ``strategy_id``; None (which means BLOCK) when not decided."""
        for item in self.decisions:
            if item.strategy_id == strategy_id and item.symbol == symbol:
                return item
        return None
