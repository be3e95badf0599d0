"""Market- and deployment-level stream records: the market regime, ruleset activations and the daily
audit seal."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Final

import msgspec

from avwap.ledger.record_base import SHA256, RecordBase, fail

REGIME_LABELS: Final = frozenset({"RISK_ON", "NEUTRAL", "RISK_OFF", "STRESSED", "UNKNOWN"})
_REGIME_FEATURES: Final = ("volatility", "drawdown", "trend", "breadth")


class RegimeRecorded(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """One NY date's market regime (Phase E1, measurement only), appended to the ``REGIME_E1`` stream.

    Market-level: ``book_id`` is the stream's name (``REGIME_E1``), no book or strategy owns it. Inputs
    (features as fractions, None when missing: breadth without a wide universe, everything when UNKNOWN),
    their per-feature labels, the score and candidate before hysteresis, the label and its confidence, the
    hysteresis state carried to the next day, ordered reason codes, and provenance: the benchmark, where
    its bars came from, the sha256 of the daily bar store, the Config hash and the rule set's version."""

    benchmark: str
    label: str
    candidate: str | None = None
    confidence: Decimal
    score: Decimal | None = None
    volatility: Decimal | None = None
    drawdown: Decimal | None = None
    trend: Decimal | None = None
    breadth: Decimal | None = None
    breadth_symbols: int = 0
    levels: dict[str, str] = msgspec.field(default_factory=dict)
    pending_sessions: int = 0
    reason_codes: tuple[str, ...] = ()
    bars_source: str
    data_sha256: str
    config_hash: str
    rules_version: str

    def check(self) -> None:
        if self.book_id != "REGIME_E1":
            fail(self, f"book_id must be the REGIME_E1 stream, got {self.book_id!r}")
        labels = [self.label, *([self.candidate] if self.candidate else []), *self.levels.values()]
        if any(label not in REGIME_LABELS for label in labels):
            fail(self, f"unknown regime label in {labels!r}")
        if not Decimal(0) <= self.confidence <= Decimal(1):
            fail(self, f"confidence must be within [0, 1], got {self.confidence}")
        if (self.label == "UNKNOWN") != (self.candidate is None):
            fail(self, "an UNKNOWN label has no candidate, any other label has one")
        if set(self.levels) - set(_REGIME_FEATURES):
            fail(self, f"levels name unknown features: {sorted(self.levels)}")
        if self.breadth_symbols < 0 or self.pending_sessions < 0:
            fail(self, "breadth_symbols and pending_sessions must not be negative")
        for name in ("data_sha256", "config_hash"):
            if not SHA256.fullmatch(getattr(self, name)):
                fail(self, f"{name} must be a sha256 hex digest, got {getattr(self, name)!r}")


RULESET_ACTIONS: Final = frozenset({"ACTIVATE", "ROLLBACK"})
_RULESET_VERSION: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")


class RulesetActivated(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """A ruleset version made the rules in force from ``effective_from_ny`` on, appended to the ``RULESETS``
    stream by ``avwap rules activate`` (``action`` ACTIVATE) or ``avwap rules rollback`` (ROLLBACK).

    ``book_id`` is the book of the deployment that activated it; ``date_ny`` the day it was recorded, always
    before ``effective_from_ny`` (never mid-session); ``ruleset_sha256`` the canonical content hash of the
    file, checked again whenever the ruleset is loaded; ``previous_version`` what was in force before."""

    version: str
    ruleset_sha256: str
    effective_from_ny: dt.date
    previous_version: str | None = None
    action: str

    def check(self) -> None:
        if self.action not in RULESET_ACTIONS:
            fail(self, f"action must be ACTIVATE or ROLLBACK, got {self.action!r}")
        for name in ("version", "previous_version"):
            value = getattr(self, name)
            if value is not None and not _RULESET_VERSION.fullmatch(value):
                fail(self, f"{name} must be letters, digits, '.', '_' or '-' (at most 64), got {value!r}")
        if not SHA256.fullmatch(self.ruleset_sha256):
            fail(self, f"ruleset_sha256 must be a sha256 hex digest, got {self.ruleset_sha256!r}")
        if self.effective_from_ny <= self.date_ny:
            fail(self, "effective_from_ny must be after the day it is recorded (never mid-session)")


class AuditEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One ledger file a seal commits to: its folder, file name and the seq and hash of its last line."""

    name: str
    file: str
    seq: int
    hash: str


class AuditSeal(RecordBase, frozen=True, forbid_unknown_fields=True, tag=True, kw_only=True):
    """The daily audit seal of the ``AUDIT`` stream (see :mod:`avwap.ledger.audit`): ``book_id`` is
    ``AUDIT``, ``date_ny`` the day it was written, ``sealed_day`` the day it seals; ``root`` commits to
    ``entries`` and ``mac`` (HMAC-SHA256, key kept outside the home) to the root and the seal before."""

    version: int
    sealed_day: dt.date
    entries: tuple[AuditEntry, ...]
    root: str
    key_id: str
    previous_mac: str | None
    mac: str

    def check(self) -> None:
        if self.book_id != "AUDIT":
            fail(self, f"an AuditSeal belongs to the AUDIT stream, not {self.book_id!r}")
