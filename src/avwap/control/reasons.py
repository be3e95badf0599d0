"""Every reason code of the control plane, in the documented gate order.

A reason code is a stable UPPER_SNAKE string: operators grep for it, ledgers store it, alerts quote it, so a
code is never renamed or reused. :data:`REASONS` maps each code to its one-line description, in the order
the gates run (see :mod:`avwap.control.plane`); when several codes apply to one decision they are sorted by
that order (:func:`sort_reasons`) and the first is the primary reason. The docs table is generated from
:data:`REASONS` by :func:`reason_table_markdown`, so code and documentation cannot drift apart.

:data:`PREFLIGHT_CODES` holds the extra problem codes of ``avwap config-check`` (configuration-only
findings that no single decision raises).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

# -- kill switch and execution mode -----------------------------------------------------------------
KILL_SWITCH_ACTIVE: Final = "KILL_SWITCH_ACTIVE"
MODE_UNRESOLVED: Final = "MODE_UNRESOLVED"
DRY_RUN_FORCED: Final = "DRY_RUN_FORCED"
LIVE_NOT_CONFIRMED: Final = "LIVE_NOT_CONFIRMED"
LIVE_TRADING_NOT_SET: Final = "LIVE_TRADING_NOT_SET"
LIVE_TOKEN_MISSING: Final = "LIVE_TOKEN_MISSING"
LIVE_TOKEN_FILE_MISSING: Final = "LIVE_TOKEN_FILE_MISSING"
LIVE_TOKEN_FILE_EMPTY: Final = "LIVE_TOKEN_FILE_EMPTY"
LIVE_TOKEN_MISMATCH: Final = "LIVE_TOKEN_MISMATCH"
LIVE_ENDPOINT_NOT_LIVE: Final = "LIVE_ENDPOINT_NOT_LIVE"
PAPER_MODE_LIVE_ENDPOINT: Final = "PAPER_MODE_LIVE_ENDPOINT"
CLOCK_UNKNOWN: Final = "CLOCK_UNKNOWN"
# -- strategy identity (Phase S0) -------------------------------------------------------------------
STRATEGY_UNKNOWN: Final = "STRATEGY_UNKNOWN"
STRATEGY_BOOK_NOT_ALLOWED: Final = "STRATEGY_BOOK_NOT_ALLOWED"
STRATEGY_SYMBOL_OUTSIDE_UNIVERSE: Final = "STRATEGY_SYMBOL_OUTSIDE_UNIVERSE"
# -- Phase C ----------------------------------------------------------------------------------------
PHASE_C_DATE_MISSING: Final = "PHASE_C_DATE_MISSING"
PHASE_C_DATE_MISMATCH: Final = "PHASE_C_DATE_MISMATCH"
PHASE_C_ALLOWLIST_NOT_SINGLE: Final = "PHASE_C_ALLOWLIST_NOT_SINGLE"
PHASE_C_SYMBOL_NOT_ALLOWED: Final = "PHASE_C_SYMBOL_NOT_ALLOWED"
# -- integrity of state -----------------------------------------------------------------------------
LEDGER_UNREADABLE: Final = "LEDGER_UNREADABLE"
UNKNOWN_POSITIONS: Final = "UNKNOWN_POSITIONS"
RECONCILIATION_DRIFT: Final = "RECONCILIATION_DRIFT"
# -- market session and data freshness --------------------------------------------------------------
MARKET_CLOSED: Final = "MARKET_CLOSED"
BROKER_CLOCK_UNKNOWN: Final = "BROKER_CLOCK_UNKNOWN"
CALENDAR_BROKER_CLOCK_DISAGREE: Final = "CALENDAR_BROKER_CLOCK_DISAGREE"
ENTRY_WINDOW_CLOSED: Final = "ENTRY_WINDOW_CLOSED"
WATCHLIST_STALE: Final = "WATCHLIST_STALE"
INTRADAY_DATA_STALE: Final = "INTRADAY_DATA_STALE"
EQUITY_UNKNOWN: Final = "EQUITY_UNKNOWN"
# -- the intent itself ------------------------------------------------------------------------------
SYMBOL_NOT_ALLOWLISTED: Final = "SYMBOL_NOT_ALLOWLISTED"
STRATEGY_NOT_ROUTABLE: Final = "STRATEGY_NOT_ROUTABLE"
ALLOCATION_NOT_ALLOWED: Final = "ALLOCATION_NOT_ALLOWED"
INVALID_INTENT: Final = "INVALID_INTENT"
SIZED_TO_ZERO: Final = "SIZED_TO_ZERO"
CAP_MISSING: Final = "CAP_MISSING"
ALREADY_HOLDING: Final = "ALREADY_HOLDING"
# -- caps -------------------------------------------------------------------------------------------
MAX_ENTRIES_PER_DAY_REACHED: Final = "MAX_ENTRIES_PER_DAY_REACHED"
MAX_POSITIONS_REACHED: Final = "MAX_POSITIONS_REACHED"
MAX_RISK_PER_TRADE_EXCEEDED: Final = "MAX_RISK_PER_TRADE_EXCEEDED"
MAX_RISK_PCT_EXCEEDED: Final = "MAX_RISK_PCT_EXCEEDED"
MAX_NOTIONAL_PER_SYMBOL_EXCEEDED: Final = "MAX_NOTIONAL_PER_SYMBOL_EXCEEDED"
MAX_GROSS_EXPOSURE_EXCEEDED: Final = "MAX_GROSS_EXPOSURE_EXCEEDED"
MAX_GROSS_EXPOSURE_PCT_EXCEEDED: Final = "MAX_GROSS_EXPOSURE_PCT_EXCEEDED"
# -- strategy sleeves (Phase S2) --------------------------------------------------------------------
SLEEVE_SYMBOL_HELD_BY_OTHER: Final = "SLEEVE_SYMBOL_HELD_BY_OTHER"
SLEEVE_MISSING: Final = "SLEEVE_MISSING"
SLEEVE_DAILY_PNL_UNKNOWN: Final = "SLEEVE_DAILY_PNL_UNKNOWN"
SLEEVE_DAILY_LOSS_REACHED: Final = "SLEEVE_DAILY_LOSS_REACHED"
SLEEVE_MAX_NEW_ENTRIES_REACHED: Final = "SLEEVE_MAX_NEW_ENTRIES_REACHED"
SLEEVE_MAX_POSITIONS_REACHED: Final = "SLEEVE_MAX_POSITIONS_REACHED"
SLEEVE_MAX_GROSS_EXPOSURE_EXCEEDED: Final = "SLEEVE_MAX_GROSS_EXPOSURE_EXCEEDED"
# -- risk reduction after the gates (never an approval of its own) ----------------------------------
ML_ADVISORY_SIZED_DOWN: Final = "ML_ADVISORY_SIZED_DOWN"
# -- the plane itself -------------------------------------------------------------------------------
GATE_ERROR: Final = "GATE_ERROR"

REASONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        KILL_SWITCH_ACTIVE: "kill switch on (KILL_SWITCH=1 or the file <state>/KILL_SWITCH): no new entries",
        MODE_UNRESOLVED: "the execution mode was not resolved by the live gate: no new entries",
        DRY_RUN_FORCED: "DRY_RUN=1 overrides EXECUTION_MODE (informational; decisions are recorded only)",
        LIVE_NOT_CONFIRMED: "LIVE requested without all three live keys: falls back to DRY_RUN and alerts",
        LIVE_TRADING_NOT_SET: "LIVE requested but LIVE_TRADING is not 1",
        LIVE_TOKEN_MISSING: "LIVE requested but LIVE_CONFIRM_TOKEN is empty",
        LIVE_TOKEN_FILE_MISSING: "LIVE requested but <state>/live_confirm_token.txt is missing or unreadable",
        LIVE_TOKEN_FILE_EMPTY: "LIVE requested but <state>/live_confirm_token.txt is empty or whitespace",
        LIVE_TOKEN_MISMATCH: "LIVE_CONFIRM_TOKEN differs from the contents of the token file",
        LIVE_ENDPOINT_NOT_LIVE: "LIVE requested but ALPACA_TRADING_URL is not the live Alpaca endpoint",
        PAPER_MODE_LIVE_ENDPOINT: "ALPACA_PAPER requested with the live endpoint: falls back to DRY_RUN",
        CLOCK_UNKNOWN: "today's New York date is missing or not a date",
        STRATEGY_UNKNOWN: "strategy_id is not a registered strategy that keeps the metadata contract",
        STRATEGY_BOOK_NOT_ALLOWED: "the intent's strategy does not list the current book among its books",
        STRATEGY_SYMBOL_OUTSIDE_UNIVERSE: "the symbol is outside the strategy's universe (today's scan)",
        PHASE_C_DATE_MISSING: "PHASE_C=1 in LIVE but LIVE_ENABLE_DATE_NY is unset or malformed",
        PHASE_C_DATE_MISMATCH: "PHASE_C=1 in LIVE and LIVE_ENABLE_DATE_NY is not today's New York date",
        PHASE_C_ALLOWLIST_NOT_SINGLE: "PHASE_C=1 in LIVE but ALLOWLIST_SYMBOLS is not exactly one symbol",
        PHASE_C_SYMBOL_NOT_ALLOWED: "PHASE_C=1 in LIVE and the symbol is not the one allowlisted symbol",
        LEDGER_UNREADABLE: "a ledger (or a counter folded from it) cannot be read: no new entries",
        UNKNOWN_POSITIONS: "positions or exposure are unknown or malformed: no new entries",
        RECONCILIATION_DRIFT: "ledger and broker positions disagree (or drift is unknown): no new entries",
        MARKET_CLOSED: "the exchange calendar says the regular session is not open (or it is unknown)",
        BROKER_CLOCK_UNKNOWN: "this book trades through a broker whose market clock is unknown",
        CALENDAR_BROKER_CLOCK_DISAGREE: "the exchange calendar and the broker clock disagree on market open",
        ENTRY_WINDOW_CLOSED: "outside the strategy's entry window (or the window state is unknown)",
        WATCHLIST_STALE: "the candidates watchlist is not from today's scan (or its freshness is unknown)",
        INTRADAY_DATA_STALE: (
            "the symbol's newest closed intraday bar is older than INTRADAY_MAX_LAG_MINUTES (or unreadable)"
        ),
        EQUITY_UNKNOWN: "account equity is unknown, zero, negative or malformed",
        SYMBOL_NOT_ALLOWLISTED: "ALLOWLIST_SYMBOLS is set and does not contain the symbol",
        STRATEGY_NOT_ROUTABLE: "a shadow (recorded only) or unregistered strategy: never routed",
        ALLOCATION_NOT_ALLOWED: (
            "a stop-free allocation intent from a strategy whose metadata does not declare the allocation "
            "policy, or outside a manual book (SCHWAB_401K_MANUAL)"
        ),
        INVALID_INTENT: "malformed intent (symbol, side, quantity, prices) or risk/share ≤ 0 or too large",
        SIZED_TO_ZERO: "the sized allocation buys less than one share",
        CAP_MISSING: "a cap or limit needed to decide is missing or malformed",
        ALREADY_HOLDING: (
            "a position in the symbol is already open (with S2_ALLOW_SYMBOL_OVERLAP=1: this strategy's own)"
        ),
        MAX_ENTRIES_PER_DAY_REACHED: "MAX_ORDERS_PER_DAY entries already submitted on this New York date",
        MAX_POSITIONS_REACHED: "MAX_POSITIONS positions already open",
        MAX_RISK_PER_TRADE_EXCEEDED: "quantity × risk/share exceeds MAX_RISK_PER_TRADE (dollars)",
        MAX_RISK_PCT_EXCEEDED: "quantity × risk/share exceeds MAX_RISK_PER_TRADE_PCT of equity",
        MAX_NOTIONAL_PER_SYMBOL_EXCEEDED: "the symbol's notional after entry exceeds MAX_NOTIONAL_PER_SYMBOL",
        MAX_GROSS_EXPOSURE_EXCEEDED: "gross exposure after entry exceeds MAX_GROSS_EXPOSURE (dollars)",
        MAX_GROSS_EXPOSURE_PCT_EXCEEDED: "gross after entry exceeds MAX_GROSS_EXPOSURE_PCT of equity",
        SLEEVE_SYMBOL_HELD_BY_OTHER: (
            "another strategy holds the symbol (or is entering it); S2_ALLOW_SYMBOL_OVERLAP=1 lifts this"
        ),
        SLEEVE_MISSING: "sleeves are configured and this strategy has none (S2_ALLOW_UNSLEEVED=1 lifts)",
        SLEEVE_DAILY_PNL_UNKNOWN: "the sleeve caps daily loss and the strategy's PnL today is unknown",
        SLEEVE_DAILY_LOSS_REACHED: "the strategy's loss today reached its sleeve's max_daily_loss",
        SLEEVE_MAX_NEW_ENTRIES_REACHED: "the strategy's entries today reached its max_new_entries_per_day",
        SLEEVE_MAX_POSITIONS_REACHED: "the strategy's open positions reached its sleeve's max_positions",
        SLEEVE_MAX_GROSS_EXPOSURE_EXCEEDED: "the strategy's gross after entry exceeds its max_gross_exposure",
        ML_ADVISORY_SIZED_DOWN: (
            "ML_ADVISORY_SIZE_DOWN=1 and a bottom-scored candidate: the approved quantity was scaled down "
            "(never up; at least one share)"
        ),
        GATE_ERROR: "a gate raised an unexpected error (a bug): the entry is blocked",
    }
)

# Configuration findings of `avwap config-check` that are not decisions (reason codes above are reused too).
STATE_DIR_MISSING: Final = "STATE_DIR_MISSING"
STATE_DIR_NOT_WRITABLE: Final = "STATE_DIR_NOT_WRITABLE"
CAP_ZERO: Final = "CAP_ZERO"
PHASE_C_OUTSIDE_LIVE: Final = "PHASE_C_OUTSIDE_LIVE"
LIVE_KEYS_IGNORED: Final = "LIVE_KEYS_IGNORED"

PREFLIGHT_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {
        STATE_DIR_MISSING: "the state folder does not exist (or is not a folder)",
        STATE_DIR_NOT_WRITABLE: "the state folder is not writable",
        CAP_ZERO: "a cap is 0: every new entry would be rejected",
        PHASE_C_OUTSIDE_LIVE: "PHASE_C=1 has no effect outside LIVE",
        LIVE_KEYS_IGNORED: "DRY_RUN=1 wins: the live keys are not consulted",
    }
)

# -- portfolio decisions (2A; avwap.control.portfolio) -----------------------------------------------
# Not control-plane gates: the pre-open decision layer's codes, in its own rule order (inputs first).
PORTFOLIO_NOT_A_SESSION: Final = "PORTFOLIO_NOT_A_SESSION"
PORTFOLIO_CANDIDATES_MISSING: Final = "PORTFOLIO_CANDIDATES_MISSING"
PORTFOLIO_CANDIDATES_INVALID: Final = "PORTFOLIO_CANDIDATES_INVALID"
PORTFOLIO_CANDIDATES_STALE: Final = "PORTFOLIO_CANDIDATES_STALE"
PORTFOLIO_SNAPSHOT_MISSING: Final = "PORTFOLIO_SNAPSHOT_MISSING"
PORTFOLIO_SNAPSHOT_INVALID: Final = "PORTFOLIO_SNAPSHOT_INVALID"
PORTFOLIO_SNAPSHOT_STALE: Final = "PORTFOLIO_SNAPSHOT_STALE"
PORTFOLIO_SNAPSHOT_BOOK_MISMATCH: Final = "PORTFOLIO_SNAPSHOT_BOOK_MISMATCH"
PORTFOLIO_RECONCILIATION_INCOMPLETE: Final = "PORTFOLIO_RECONCILIATION_INCOMPLETE"
PORTFOLIO_DRAWDOWN_THROTTLE: Final = "PORTFOLIO_DRAWDOWN_THROTTLE"
PORTFOLIO_REGIME_NO_RISK: Final = "PORTFOLIO_REGIME_NO_RISK"
PORTFOLIO_REGIME_ENTRY_THROTTLE: Final = "PORTFOLIO_REGIME_ENTRY_THROTTLE"
PORTFOLIO_REGIME_EXPOSURE_CAP: Final = "PORTFOLIO_REGIME_EXPOSURE_CAP"
PORTFOLIO_MAX_NEW_ENTRIES: Final = "PORTFOLIO_MAX_NEW_ENTRIES"
PORTFOLIO_MAX_POSITIONS: Final = "PORTFOLIO_MAX_POSITIONS"
PORTFOLIO_SYMBOL_CONCENTRATION: Final = "PORTFOLIO_SYMBOL_CONCENTRATION"
PORTFOLIO_SECTOR_CONCENTRATION: Final = "PORTFOLIO_SECTOR_CONCENTRATION"
PORTFOLIO_CORRELATION_UNKNOWN: Final = "PORTFOLIO_CORRELATION_UNKNOWN"
PORTFOLIO_CORRELATION_HIGH: Final = "PORTFOLIO_CORRELATION_HIGH"
PORTFOLIO_BOOK_CORRELATION_HIGH: Final = "PORTFOLIO_BOOK_CORRELATION_HIGH"
PORTFOLIO_GROSS_EXPOSURE: Final = "PORTFOLIO_GROSS_EXPOSURE"
PORTFOLIO_SYMBOL_HELD_BY_OTHER_STRATEGY: Final = "PORTFOLIO_SYMBOL_HELD_BY_OTHER_STRATEGY"
PORTFOLIO_SLEEVE_MISSING: Final = "PORTFOLIO_SLEEVE_MISSING"
PORTFOLIO_SLEEVE_MAX_NEW_ENTRIES: Final = "PORTFOLIO_SLEEVE_MAX_NEW_ENTRIES"
PORTFOLIO_SLEEVE_MAX_POSITIONS: Final = "PORTFOLIO_SLEEVE_MAX_POSITIONS"
PORTFOLIO_SLEEVE_GROSS_EXPOSURE: Final = "PORTFOLIO_SLEEVE_GROSS_EXPOSURE"
PORTFOLIO_RULE_ERROR: Final = "PORTFOLIO_RULE_ERROR"

PORTFOLIO_REASONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        PORTFOLIO_NOT_A_SESSION: "the decision date is not an NYSE session (holiday, weekend)",
        PORTFOLIO_CANDIDATES_MISSING: "the day's candidates artifact does not exist",
        PORTFOLIO_CANDIDATES_INVALID: "the candidates artifact is unreadable, truncated or off-schema",
        PORTFOLIO_CANDIDATES_STALE: "the candidates artifact is not dated the decision date",
        PORTFOLIO_SNAPSHOT_MISSING: "no portfolio snapshot of the book before the decision date",
        PORTFOLIO_SNAPSHOT_INVALID: "the latest portfolio snapshot is unreadable, truncated or off-schema",
        PORTFOLIO_SNAPSHOT_STALE: "the latest snapshot is older than PORTFOLIO_SNAPSHOT_MAX_AGE_SESSIONS",
        PORTFOLIO_SNAPSHOT_BOOK_MISMATCH: "the snapshot read belongs to another book",
        PORTFOLIO_RECONCILIATION_INCOMPLETE: (
            "the book's reconciliation at the snapshot's close is INCOMPLETE or unreadable (broker unknown)"
        ),
        PORTFOLIO_DRAWDOWN_THROTTLE: "drawdown at or beyond PORTFOLIO_DRAWDOWN_THROTTLE_PCT: no entries",
        PORTFOLIO_REGIME_NO_RISK: (
            "E2_REGIME_MODULATION: the market regime's risk multiplier is 0 (STRESSED; UNKNOWN fails closed)"
        ),
        PORTFOLIO_REGIME_ENTRY_THROTTLE: (
            "E2_REGIME_MODULATION: the regime's share of PORTFOLIO_MAX_NEW_ENTRIES is already allowed today"
        ),
        PORTFOLIO_REGIME_EXPOSURE_CAP: (
            "E2_REGIME_MODULATION: gross exposure after entry above the regime's share (E2_GROSS_EXPOSURE_*) "
            "of PORTFOLIO_MAX_GROSS_PCT"
        ),
        PORTFOLIO_MAX_NEW_ENTRIES: "PORTFOLIO_MAX_NEW_ENTRIES candidates already allowed today",
        PORTFOLIO_MAX_POSITIONS: "held plus allowed positions already reach PORTFOLIO_MAX_POSITIONS",
        PORTFOLIO_SYMBOL_CONCENTRATION: "symbol value after entry above PORTFOLIO_MAX_SYMBOL_PCT of equity",
        PORTFOLIO_SECTOR_CONCENTRATION: "sector value after entry above PORTFOLIO_MAX_SECTOR_PCT of equity",
        PORTFOLIO_CORRELATION_UNKNOWN: "too few daily returns to measure the correlation with the book",
        PORTFOLIO_CORRELATION_HIGH: "correlation with a held/allowed position > PORTFOLIO_MAX_CORRELATION",
        PORTFOLIO_BOOK_CORRELATION_HIGH: "correlation with the held book > PORTFOLIO_MAX_BOOK_CORRELATION",
        PORTFOLIO_GROSS_EXPOSURE: "gross exposure after entry above PORTFOLIO_MAX_GROSS_PCT of equity",
        PORTFOLIO_SYMBOL_HELD_BY_OTHER_STRATEGY: (
            "another strategy holds the symbol at the snapshot (S2_ALLOW_SYMBOL_OVERLAP=1 lifts this)"
        ),
        PORTFOLIO_SLEEVE_MISSING: "sleeves are configured and the strategy has none (S2_ALLOW_UNSLEEVED=1)",
        PORTFOLIO_SLEEVE_MAX_NEW_ENTRIES: "the strategy's allowed entries today reach its sleeve's cap",
        PORTFOLIO_SLEEVE_MAX_POSITIONS: "the strategy's held plus allowed positions reach its sleeve's cap",
        PORTFOLIO_SLEEVE_GROSS_EXPOSURE: "the strategy's gross after entry above its sleeve's gross cap",
        PORTFOLIO_RULE_ERROR: "a guardrail raised an unexpected error (a bug): blocked",
    }
)

_RANK: Final = {code: index for index, code in enumerate(REASONS)}


def reason_rank(code: str) -> int:
    """Position of ``code`` in the documented order; unknown codes sort last (and are a bug)."""
    return _RANK.get(code, len(_RANK))


def sort_reasons(codes: Iterable[str]) -> tuple[str, ...]:
    """Distinct codes in the documented order (ties between unknown codes broken by name)."""
    return tuple(sorted(set(codes), key=lambda code: (reason_rank(code), code)))


_PORTFOLIO_RANK: Final = {code: index for index, code in enumerate(PORTFOLIO_REASONS)}


def sort_portfolio_reasons(codes: Iterable[str]) -> tuple[str, ...]:
    """Distinct portfolio decision codes in their documented order (unknown codes last, by name)."""
    return tuple(sorted(set(codes), key=lambda code: (_PORTFOLIO_RANK.get(code, len(_PORTFOLIO_RANK)), code)))


# -- portfolio decision enforcement (2B; PORTFOLIO_DECISION_ENFORCE=1) -------------------------------------
# Why the execution cycle did not let an entry through: the day's decision artifact is unusable (the first
# five, every entry blocked) or it does not ALLOW this (strategy, symbol). Exits are never affected.
PORTFOLIO_DECISION_MISSING: Final = "PORTFOLIO_DECISION_MISSING"
PORTFOLIO_DECISION_INVALID: Final = "PORTFOLIO_DECISION_INVALID"
PORTFOLIO_DECISION_WRONG_DATE: Final = "PORTFOLIO_DECISION_WRONG_DATE"
PORTFOLIO_DECISION_WRONG_BOOK: Final = "PORTFOLIO_DECISION_WRONG_BOOK"
PORTFOLIO_DECISION_HASH_MISMATCH: Final = "PORTFOLIO_DECISION_HASH_MISMATCH"
PORTFOLIO_DECISION_UNDECIDED: Final = "PORTFOLIO_DECISION_UNDECIDED"
PORTFOLIO_DECISION_BLOCKED: Final = "PORTFOLIO_DECISION_BLOCKED"
PORTFOLIO_ENFORCEMENT_UNRECORDED: Final = "PORTFOLIO_ENFORCEMENT_UNRECORDED"
PORTFOLIO_DECISION_SIZED_TO_ZERO: Final = "PORTFOLIO_DECISION_SIZED_TO_ZERO"

ENFORCEMENT_REASONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        PORTFOLIO_DECISION_MISSING: "today's portfolio decision artifact does not exist: no new entries",
        PORTFOLIO_DECISION_INVALID: (
            "the decision artifact is unreadable, truncated, off-schema, has unknown fields, a symbol "
            "twice or a NaN: no new entries"
        ),
        PORTFOLIO_DECISION_WRONG_DATE: "the decision artifact decides another NY date: no new entries",
        PORTFOLIO_DECISION_WRONG_BOOK: "the decision artifact decides another book: no new entries",
        PORTFOLIO_DECISION_HASH_MISMATCH: (
            "the decisions were made on other candidates than today's candidates artifact (or it is "
            "unreadable): no new entries"
        ),
        PORTFOLIO_DECISION_UNDECIDED: "the decision artifact has no decision for this strategy and symbol",
        PORTFOLIO_DECISION_BLOCKED: "the portfolio decision for this strategy and symbol is BLOCK",
        PORTFOLIO_ENFORCEMENT_UNRECORDED: (
            "the enforcement outcome could not be written to the PORTFOLIO_ENFORCEMENT ledger: blocked"
        ),
        PORTFOLIO_DECISION_SIZED_TO_ZERO: (
            "E2: the ALLOW's regime-scaled notional buys less than one share at the entry price: no entry "
            "(noted once a day)"
        ),
    }
)


# -- cross-strategy conflicts (Phase S3; avwap.control.conflicts) ----------------------------------------
# Not gates: the static rules the cycle applies across strategies before the plane decides each intent, in
# rule order. Each is persisted on a ConflictResolved ledger record.
CONFLICT_HELD_BY_OTHER: Final = "CONFLICT_HELD_BY_OTHER"
CONFLICT_OPPOSES_HOLDING: Final = "CONFLICT_OPPOSES_HOLDING"
CONFLICT_NETTED: Final = "CONFLICT_NETTED"
CONFLICT_PRIORITY_KEPT: Final = "CONFLICT_PRIORITY_KEPT"
CONFLICT_LOWER_PRIORITY: Final = "CONFLICT_LOWER_PRIORITY"
CONFLICT_SYMBOL_CAP_RESIZED: Final = "CONFLICT_SYMBOL_CAP_RESIZED"
CONFLICT_PORTFOLIO_CAP_RESIZED: Final = "CONFLICT_PORTFOLIO_CAP_RESIZED"

CONFLICT_REASONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        CONFLICT_HELD_BY_OTHER: (
            "another strategy holds the symbol (same side): blocked unless S2_ALLOW_SYMBOL_OVERLAP=1"
        ),
        CONFLICT_OPPOSES_HOLDING: "the intent trades against another strategy's position: blocked",
        CONFLICT_NETTED: "offsetting intents of several strategies netted: the smaller side cancelled",
        CONFLICT_PRIORITY_KEPT: "same-side intents of several strategies: this one has the highest priority",
        CONFLICT_LOWER_PRIORITY: "same-side intents of several strategies: a higher priority one is kept",
        CONFLICT_SYMBOL_CAP_RESIZED: (
            "overlap allowed: resized (priority order) so the symbol's combined notional fits "
            "MAX_NOTIONAL_PER_SYMBOL"
        ),
        CONFLICT_PORTFOLIO_CAP_RESIZED: (
            "intents of several strategies share the remaining gross budget in priority order: resized"
        ),
    }
)


def describe(code: str) -> str:
    """The one-line description of a reason, preflight, portfolio decision or conflict code."""
    return (
        REASONS.get(code)
        or PREFLIGHT_CODES.get(code)
        or PORTFOLIO_REASONS.get(code)
        or ENFORCEMENT_REASONS.get(code)
        or CONFLICT_REASONS.get(code)
        or "unknown reason code"
    )


def reason_table_markdown() -> str:
    """The docs table of reason codes, in the documented order."""
    lines = ["| # | code | meaning |", "|---|---|---|"]
    lines += [f"| {rank + 1} | `{code}` | {text} |" for rank, (code, text) in enumerate(REASONS.items())]
    lines += ["", "| config-check code | meaning |", "|---|---|"]
    lines += [f"| `{code}` | {text} |" for code, text in PREFLIGHT_CODES.items()]
    return "\n".join(lines) + "\n"
