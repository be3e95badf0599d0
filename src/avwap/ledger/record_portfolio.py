"""Records of the portfolio layer: the pre-open decision batch, its enforcement, and the E3 risk
attribution of each decision."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Final

import msgspec

from avwap.ledger.record_base import SHA256, SYMBOL, UPPER_SNAKE, RecordBase, fail
from avwap.ledger.record_streams import REGIME_LABELS

PORTFOLIO_VERDICTS: Final = frozenset({"ALLOW", "BLOCK"})


class PortfolioDecisionLine(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One candidate's verdict as the decisions ledger keeps it (the artifact holds the full record)."""

    strategy_id: str
    symbol: str
    verdict: str
    reason_codes: tuple[str, ...] = ()


class SleeveLine(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One strategy's sleeve as configured when a portfolio batch was decided (Phase S2 snapshot)."""

    strategy_id: str
    max_daily_loss: Decimal | None = None
    max_gross_exposure: Decimal | None = None
    max_positions: int | None = None
    max_new_entries_per_day: int | None = None


class SleeveEnforcement(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What a portfolio batch's sleeve rules did for one strategy (bounded: counts, at most
    ``SLEEVE_SAMPLE`` blocked symbols): held at the snapshot, allowed, blocked by a sleeve rule, the codes."""

    strategy_id: str
    sleeved: bool
    open_positions: int
    gross_exposure: Decimal
    allowed: int
    blocked_by_sleeve: int
    codes: tuple[str, ...] = ()
    blocked_sample: tuple[str, ...] = ()


SLEEVE_SAMPLE: Final = 5


class PortfolioDecisionsRecorded(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """A portfolio decision batch (roadmap 2A), appended to the ``PORTFOLIO_DECISIONS`` stream.

    ``book_id`` is the book decided for; ``date_ny`` the trading date decided; ``batch_sha256`` the sha256 of
    the decision artifact (``artifact``, relative to the artifacts folder); the two input hashes say what it
    read. ``inputs_ok`` false means every entry of the day is blocked (``input_reasons`` say why)."""

    batch_sha256: str
    artifact: str
    candidates_sha256: str | None = None
    snapshot_sha256: str | None = None
    inputs_ok: bool
    input_reasons: tuple[str, ...] = ()
    decisions: tuple[PortfolioDecisionLine, ...] = ()
    # Phase S2: the sleeve configuration the batch was decided under (empty: sleeves not configured) and
    # what the sleeve rules did per strategy (bounded summaries).
    sleeves: tuple[SleeveLine, ...] = ()
    s2_enforcement: tuple[SleeveEnforcement, ...] = ()

    def check(self) -> None:
        if any(len(item.blocked_sample) > SLEEVE_SAMPLE for item in self.s2_enforcement):
            fail(self, f"s2_enforcement keeps at most {SLEEVE_SAMPLE} blocked symbols per strategy")
        for name in ("batch_sha256", "candidates_sha256", "snapshot_sha256"):
            value = getattr(self, name)
            if value is not None and not SHA256.fullmatch(value):
                fail(self, f"{name} must be a sha256 hex digest, got {value!r}")
        if self.inputs_ok == bool(self.input_reasons):
            fail(self, "input_reasons must be given exactly when inputs_ok is false")
        keys = [(line.strategy_id, line.symbol) for line in self.decisions]
        if len(set(keys)) != len(keys):
            fail(self, "a (strategy_id, symbol) is decided twice")
        for code in self.input_reasons:
            if not UPPER_SNAKE.fullmatch(code):
                fail(self, f"input_reasons must be UPPER_SNAKE, got {code!r}")
        for line in self.decisions:
            self._check_line(line)

    def _check_line(self, line: PortfolioDecisionLine) -> None:
        if line.verdict not in PORTFOLIO_VERDICTS:
            fail(self, f"verdict must be ALLOW or BLOCK, got {line.verdict!r}")
        if (line.verdict == "ALLOW") == bool(line.reason_codes):
            fail(self, f"{line.symbol}: ALLOW has no reason codes, BLOCK at least one")
        if not self.inputs_ok and line.verdict == "ALLOW":
            fail(self, f"{line.symbol}: ALLOW in a batch whose inputs failed")
        if not SYMBOL.fullmatch(line.symbol) or not UPPER_SNAKE.fullmatch(line.strategy_id):
            fail(self, f"malformed decision line {line.strategy_id!r}/{line.symbol!r}")
        if not all(UPPER_SNAKE.fullmatch(code) for code in line.reason_codes):
            fail(self, f"{line.symbol}: reason_codes must be UPPER_SNAKE, got {line.reason_codes!r}")


class PortfolioEnforcementRecorded(
    RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True
):
    """One outcome of the 2B enforcement gate (``PORTFOLIO_DECISION_ENFORCE=1``) for one entry the cycle
    was about to make, appended to the ``PORTFOLIO_ENFORCEMENT`` stream (once per outcome: an entry
    re-evaluated by the next cycle with the same artifact is not recorded again).

    ``book_id`` is the book traded; ``intent_id`` the id the entry intent has (or would have had);
    ``verdict`` ALLOW or BLOCK; ``reason_code`` the enforcement code of a BLOCK
    (``PORTFOLIO_DECISION_*``) and ``decision_reasons`` the portfolio decision's own codes. Provenance: the
    artifact read (path relative to the artifacts folder, its sha256: None when missing), the sha256 of
    today's candidates artifact, the Config hash."""

    strategy_id: str
    symbol: str
    intent_id: str
    verdict: str
    reason_code: str | None = None
    decision_reasons: tuple[str, ...] = ()
    artifact: str
    artifact_sha256: str | None = None
    candidates_sha256: str | None = None
    config_hash: str
    detail: str = ""

    def check(self) -> None:
        if self.verdict not in PORTFOLIO_VERDICTS:
            fail(self, f"verdict must be ALLOW or BLOCK, got {self.verdict!r}")
        if (self.verdict == "ALLOW") == (self.reason_code is not None):
            fail(self, "an ALLOW has no reason_code, a BLOCK has one")
        for name in ("artifact_sha256", "candidates_sha256", "config_hash"):
            value = getattr(self, name)
            if value is not None and not SHA256.fullmatch(value):
                fail(self, f"{name} must be a sha256 hex digest, got {value!r}")
        if not all(UPPER_SNAKE.fullmatch(code) for code in self.decision_reasons):
            fail(self, f"decision_reasons must be UPPER_SNAKE, got {self.decision_reasons!r}")
        if len(self.detail) > 500:
            fail(self, "detail is at most 500 characters")


# Phase E3 risk attribution codes, in their documented order (docs/REGIMES.md, "E3"): measurement, not
# control-plane decisions. A component's code says which layer took the notional away.
RISK_ATTRIBUTION_REGIME_SCALED: Final = "RISK_ATTRIBUTION_REGIME_SCALED"
RISK_ATTRIBUTION_REGIME_BLOCKED: Final = "RISK_ATTRIBUTION_REGIME_BLOCKED"
RISK_ATTRIBUTION_DRAWDOWN_GUARD: Final = "RISK_ATTRIBUTION_DRAWDOWN_GUARD"
RISK_ATTRIBUTION_HARD_CAP: Final = "RISK_ATTRIBUTION_HARD_CAP"
RISK_ATTRIBUTION_UNMODIFIED: Final = "RISK_ATTRIBUTION_UNMODIFIED"
RISK_ATTRIBUTION_CODES: Final = (
    RISK_ATTRIBUTION_REGIME_SCALED,
    RISK_ATTRIBUTION_REGIME_BLOCKED,
    RISK_ATTRIBUTION_DRAWDOWN_GUARD,
    RISK_ATTRIBUTION_HARD_CAP,
    RISK_ATTRIBUTION_UNMODIFIED,
)
_ATTRIBUTION_RANK: Final = {code: rank for rank, code in enumerate(RISK_ATTRIBUTION_CODES)}


class AttributionComponent(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One layer's share of a decision's exposure change (a RISK_ATTRIBUTION_* code; ≤ 0)."""

    code: str
    notional_delta: Decimal


class RiskAttributionEvent(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """Why one portfolio decision's size is what it is (Phase E3.1, write-only analytics), appended to the
    ``PORTFOLIO_RISK_ATTRIBUTION`` stream; ``book_id`` is the book decided, ``ts`` the batch's instant.

    ``baseline_*`` is the sizing rule alone, ``modulated_*`` after the E2 regime's risk multiplier (the
    decision's proposed notional), quantities at the candidate's entry level (None when it is unknown).
    ``allowed_notional`` is what the decision lets into the book (the modulated notional on ALLOW, 0 on
    BLOCK) and ``exposure_delta`` = allowed − baseline, split exactly into ordered ``components``: the
    regime's scaling, then the whole block charged to the decision's primary (first) reason. ``policy_*``
    name the E2 multipliers applied (``E2_OFF`` without modulation); ``hard_caps`` are the decision's
    other guardrail codes; ``decision_id`` is a stable hash of (book, date, strategy, symbol, batch)."""

    strategy_id: str
    symbol: str
    decision_id: str
    rank: int
    shadow: bool = False
    verdict: str
    batch_sha256: str
    entry_price: Decimal | None = None
    baseline_quantity: int | None = None
    modulated_quantity: int | None = None
    quantity_delta: int | None = None
    quantity_delta_pct: Decimal | None = None
    baseline_notional: Decimal
    modulated_notional: Decimal
    notional_delta: Decimal
    notional_delta_pct: Decimal | None = None
    allowed_notional: Decimal
    exposure_delta: Decimal
    regime_label: str | None = None
    regime_code: str | None = None
    regime_as_of: dt.date | None = None
    regime_confidence: Decimal | None = None
    risk_multiplier: Decimal = Decimal("1")
    new_positions_multiplier: Decimal = Decimal("1")
    halved: bool = False
    policy_reference: str
    policy_hash: str | None = None
    drawdown_guard: bool = False
    drawdown_contribution: Decimal = Decimal("0")
    hard_caps: tuple[str, ...] = ()
    components: tuple[AttributionComponent, ...] = ()
    reason_codes: tuple[str, ...]
    decision_reason_codes: tuple[str, ...] = ()

    def check(self) -> None:
        if self.verdict not in PORTFOLIO_VERDICTS:
            fail(self, f"verdict must be ALLOW or BLOCK, got {self.verdict!r}")
        for name in ("batch_sha256", "policy_hash"):
            value = getattr(self, name)
            if value is not None and not SHA256.fullmatch(value):
                fail(self, f"{name} must be a sha256 hex digest, got {value!r}")
        for label in (self.regime_label, self.regime_code):
            if label is not None and label not in REGIME_LABELS:
                fail(self, f"unknown regime label {label!r}")
        allowed = self.modulated_notional if self.verdict == "ALLOW" else Decimal("0")
        sums = (
            (self.allowed_notional, allowed, "allowed_notional"),
            (self.notional_delta, self.modulated_notional - self.baseline_notional, "notional_delta"),
            (self.exposure_delta, self.allowed_notional - self.baseline_notional, "exposure_delta"),
            (
                sum((item.notional_delta for item in self.components), Decimal("0")),
                self.exposure_delta,
                "the components",
            ),
        )
        for value, expected, name in sums:
            if value != expected:
                fail(self, f"{name} is {value}, the figures give {expected}")
        codes = [*self.reason_codes, *(item.code for item in self.components)]
        if not self.reason_codes or any(code not in _ATTRIBUTION_RANK for code in codes):
            fail(self, f"reason codes must be RISK_ATTRIBUTION_* codes, got {codes!r}")
        ranks = [_ATTRIBUTION_RANK[code] for code in self.reason_codes]
        if ranks != sorted(set(ranks)):
            fail(self, f"reason codes out of their documented order or repeated {self.reason_codes}")
        for name in ("hard_caps", "decision_reason_codes"):
            if not all(UPPER_SNAKE.fullmatch(code) for code in getattr(self, name)):
                fail(self, f"{name} must be UPPER_SNAKE codes")
