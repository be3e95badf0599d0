"""Which ledger records belong to a strategy and which to a book (Phase S0: no anonymous trades).

Every record of a trade's life (intent, decision, order lifecycle, fill, position, exit event) carries a
required ``strategy_id``: every PnL unit, exposure and drawdown can be attributed to exactly one strategy.
The record types below are *book-scoped* instead, each for a stated reason; their ``strategy_id`` (where
they have one) is optional and set when the record is about one strategy's intent. A test
(tests/unit/ledger/test_record_scope.py) discovers every msgspec Struct of :mod:`avwap.ledger.records` and
fails on any type that neither requires ``strategy_id`` nor is listed here, so a new record type must take a
side explicitly.

Artifacts follow the same rule: every record-like object in an artifact (anything with a lineage id, or a
symbol with a quantity) carries ``strategy_id`` -- a portfolio snapshot is book-scoped (cash and equity
belong to the book) but each of its position lines names its strategy. The artifact folders listed in
:data:`UNSCOPED_ARTIFACTS` hold no trade records at all; tests/integration/test_strategy_scope_demo.py walks
every artifact a demo run writes and fails on a folder that is neither checked nor listed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

BOOK_SCOPED: Final[Mapping[str, str]] = MappingProxyType(
    {
        "RecordBase": "the fields every record shares (book, date, instant); not a record of its own",
        "CashMovement": (
            "money moves in and out of the book's account, which all strategies share; sleeves (S2) "
            "allocate it, the movement itself belongs to no strategy"
        ),
        "Alert": (
            "operator alerts about the book (reconciliation breaks, adopted broker orders, gate blocks): "
            "strategy_id is set when the alert is about one strategy's intent"
        ),
        "Note": (
            "recorded remarks that are not trades; a note about a would-be intent (no size) carries its "
            "strategy_id and intent_id, book-level notes carry none"
        ),
        "RulesetActivated": (
            "a ruleset (scan thresholds, caps, sizing, stop rules, portfolio guardrails) governs the whole "
            "deployment across strategies; each intent and decision names the version it was made under"
        ),
        "AuditSeal": (
            "the daily audit seal commits to every ledger file of a day, all books and streams: it is "
            "about the integrity of the whole home, not about any strategy's trading"
        ),
        "AuditEntry": "one ledger file (folder, name, last seq and hash) inside an AuditSeal; no trade",
        "AttributionComponent": (
            "one layer's share of an exposure change inside a RiskAttributionEvent, which names its strategy"
        ),
        "PortfolioDecisionsRecorded": (
            "one pre-open batch for the whole book across strategies; each of its decision lines "
            "(PortfolioDecisionLine) carries its own strategy_id"
        ),
        "ConfirmationRecorded": (
            "an operator's reply in a Slack ticket thread of the manual book: a reply in a thread that is "
            "none of our tickets has no intent and so no strategy; strategy_id is set when the ticket's "
            "intent names one"
        ),
        "BrokerSnapshotRecorded": (
            "what the broker reports for a manual book's account (balances, positions, orders): the broker "
            "knows no strategies; reconciliation maps its lines back to the tickets' strategies"
        ),
        "SnapshotPosition": "one holding inside a BrokerSnapshotRecorded, as the broker reports it",
        "SnapshotOrder": "one broker order inside a BrokerSnapshotRecorded; the broker knows no strategy",
        "SnapshotTransaction": "one broker trade inside a BrokerSnapshotRecorded; the broker knows none",
        "RegimeRecorded": (
            "the market's regime for a NY date (Phase E1, REGIME_E1 stream): measured from the benchmark and "
            "the universe, before and apart from any book or strategy; E2 reads it for every book alike"
        ),
    }
)

UNSCOPED_ARTIFACTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "candidates": (
            "the morning scan's output, the input every strategy reads; an intent names the file it came "
            "from by its sha256 (TradeIntent.data_version)"
        ),
        "diagnostics": "why each scanned symbol was or was not a candidate: scan inputs, no trade",
        "watchlists": "the TradingView symbol list of the scan's candidates: scan inputs, no trade",
        "reconciliation": (
            "the book as the broker sees it against the ledger fold (positions, orders, cash): the broker "
            "knows no strategies, so a report is book-scoped; its drift items name symbols and order ids, "
            "which `avwap ledger trace` maps back to the strategy"
        ),
    }
)
