from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from tests.unit.ledger import factories

from avwap.core.canonical import canonical_json
from avwap.ledger.record_enums import (
    AlertLevel,
    ConfirmationKind,
    ConfirmationMatch,
    DecisionOutcome,
    OrderPurpose,
    OrderType,
    Side,
    SnapshotSource,
)
from avwap.ledger.records import (
    RECORD_TYPES,
    Alert,
    AllocationTradeIntent,
    AttributionComponent,
    AuditEntry,
    AuditSeal,
    BrokerSnapshotRecorded,
    ConfirmationRecorded,
    ConflictResolved,
    Decision,
    Note,
    OrderCanceled,
    OrderRejected,
    OrderReplaced,
    OrderSubmitted,
    PortfolioDecisionLine,
    PortfolioDecisionsRecorded,
    PortfolioEnforcementRecorded,
    Record,
    RecordValidationError,
    RegimeRecorded,
    RiskAttributionEvent,
    RulesetActivated,
    SnapshotOrder,
    SnapshotPosition,
    SnapshotTransaction,
    TicketFailed,
    TicketSent,
    decode_record,
    encode_record,
    note_detail,
)

TS = dt.datetime(2026, 4, 1, 14, 0, tzinfo=dt.UTC)
COMMON: dict[str, Any] = {"book_id": "PAPER_SIM", "date_ny": dt.date(2026, 4, 1), "ts": TS}
ORDER: dict[str, Any] = {
    **COMMON,
    "strategy_id": "S1_AVWAP_CORE",
    "order_id": "ord_1",
    "client_order_id": "avw-int_1-entry",
    "symbol": "AAPL",
}


def every_record_type() -> list[Record]:
    samples: list[Record] = list(factories.round_trip())
    samples += [
        OrderRejected(**ORDER, reason_code="INSUFFICIENT_BUYING_POWER", broker_message="no"),
        OrderCanceled(**ORDER, reason="end of day"),
        OrderReplaced(
            **ORDER, new_order_id="ord_2", new_client_order_id="avw-int_1-stop-r1", new_price=Decimal("99")
        ),
        Alert(
            **COMMON,
            level=AlertLevel.WARNING,
            code="STALE_DATA",
            message="bars are 2 days old",
            symbol="MSFT",
        ),
        Note(**COMMON, code="OPERATOR_NOTE", message="paused for FOMC"),
        AllocationTradeIntent(
            **{**COMMON, "book_id": "SCHWAB_401K_MANUAL"},
            strategy_id="S_401K_ALLOCATION",
            intent_id="int_2",
            symbol="FXAIX",
            side=Side.SELL,
            quantity=3,
            order_type=OrderType.MARKET,
            reference_price=Decimal("201.50"),
            notional=Decimal("604.50"),
            setup="rebalance",
            reason="rebalance (drift)",
            model_version="S_401K_ALLOCATION/1",
            data_version="sha256:abc",
        ),
        TicketSent(
            **{**COMMON, "book_id": "SCHWAB_401K_MANUAL"},
            strategy_id="S_401K_ALLOCATION",
            intent_id="int_1",
            symbol="FXAIX",
            side=Side.BUY,
            quantity=12,
            order_type=OrderType.LIMIT,
            limit_price=Decimal("201.50"),
            reason="rebalance (drift)",
            channel="C0TICKETS",
            message_ts="1700000001.000001",
            permalink="https://example.slack.com/archives/C0TICKETS/p1700000001000001",
            recovered=True,
        ),
        TicketFailed(
            **{**COMMON, "book_id": "SCHWAB_401K_MANUAL"},
            strategy_id="S_401K_ALLOCATION",
            intent_id="int_1",
            symbol="FXAIX",
            outcome="RATE_LIMITED",
            detail="ratelimited",
            retry_after_seconds=Decimal("30"),
        ),
        ConflictResolved(
            **COMMON,
            strategy_id="S2_AVWAP_SWING",
            resolution_id="cfl_1",
            intent_id="int_2",
            symbol="AAPL",
            side=Side.BUY,
            outcome="RESIZE",
            requested_quantity=80,
            resolved_quantity=50,
            counterparty_strategy_ids=("S1_AVWAP_CORE",),
            reason_codes=("CONFLICT_PORTFOLIO_CAP_RESIZED",),
        ),
        Note(
            **COMMON,
            strategy_id="S1_AVWAP_CORE",
            code="INVALID_INTENT",
            message="int_1 AAPL: no size (risk per share)",
            symbol="AAPL",
            intent_id="int_1",
            detail={"problem": "risk per share", "risk_per_share": "9.41", "shares": 3, "capped": False},
        ),
        ConfirmationRecorded(
            **COMMON,
            confirmation_id="cnf_1",
            event_id="Ev01",
            channel="C0TICKETS",
            thread_ts="1700000000.000100",
            message_ts="1700000060.000200",
            user="U0OPERATOR",
            intent_id="int_1",
            match=ConfirmationMatch.MATCHED,
            kind=ConfirmationKind.EXECUTED,
            quantity=100,
            price=Decimal("54.31"),
            note="filled at the open",
            text="EXECUTED 100 @ 54.31 filled at the open",
            corrects="cnf_0",
        ),
        ConfirmationRecorded(
            **COMMON,
            confirmation_id="cnf_2",
            event_id="Ev02",
            channel="C0TICKETS",
            thread_ts="1700000999.000100",
            message_ts="1700001060.000200",
            match=ConfirmationMatch.UNMATCHED_THREAD,
            kind=ConfirmationKind.NOT_UNDERSTOOD,
            text="hello?",
        ),
        BrokerSnapshotRecorded(
            **{**COMMON, "book_id": "SCHWAB_401K_MANUAL"},
            snapshot_id="snp_1",
            source=SnapshotSource.API,
            account="...2222",
            as_of=dt.datetime(2026, 3, 31, 20, 0, tzinfo=dt.UTC),
            cash=Decimal("1250.40"),
            total_value=Decimal("62787.81"),
            positions=(SnapshotPosition(symbol="FXAIX", quantity=Decimal("300.5"), price=Decimal("201.10")),),
            orders=(
                SnapshotOrder(
                    broker_order_id="9001",
                    symbol="FXAIX",
                    instruction="BUY",
                    quantity=Decimal(10),
                    filled_quantity=Decimal(10),
                    average_price=Decimal("201.10"),
                    status="FILLED",
                    entered_at=dt.datetime(2026, 3, 30, 15, 0, tzinfo=dt.UTC),
                ),
            ),
            transactions=(
                SnapshotTransaction(
                    transaction_id="77-0",
                    symbol="FXAIX",
                    quantity=Decimal(-10),
                    price=Decimal("201.10"),
                    time=dt.datetime(2026, 3, 30, 15, 0, tzinfo=dt.UTC),
                ),
            ),
            window_start=dt.datetime(2026, 1, 31, 20, 0, tzinfo=dt.UTC),
        ),
        RiskAttributionEvent(
            **COMMON,
            strategy_id="S1_AVWAP_CORE",
            symbol="MSFT",
            decision_id="dec_2",
            rank=3,
            verdict="BLOCK",
            batch_sha256="a" * 64,
            entry_price=Decimal("100"),
            baseline_quantity=20,
            modulated_quantity=12,
            quantity_delta=-8,
            quantity_delta_pct=Decimal("-40.00"),
            baseline_notional=Decimal("2000.00"),
            modulated_notional=Decimal("1200.00"),
            notional_delta=Decimal("-800.00"),
            notional_delta_pct=Decimal("-40.00"),
            allowed_notional=Decimal("0"),
            exposure_delta=Decimal("-2000.00"),
            regime_label="NEUTRAL",
            regime_code="NEUTRAL",
            regime_as_of=dt.date(2026, 3, 31),
            regime_confidence=Decimal("0.9"),
            risk_multiplier=Decimal("0.6"),
            new_positions_multiplier=Decimal("0.7"),
            policy_reference="E2_MULTIPLIERS_NEUTRAL",
            policy_hash="b" * 64,
            components=(
                AttributionComponent(
                    code="RISK_ATTRIBUTION_REGIME_SCALED", notional_delta=Decimal("-800.00")
                ),
                AttributionComponent(
                    code="RISK_ATTRIBUTION_REGIME_BLOCKED", notional_delta=Decimal("-1200.00")
                ),
            ),
            reason_codes=("RISK_ATTRIBUTION_REGIME_SCALED", "RISK_ATTRIBUTION_REGIME_BLOCKED"),
            decision_reason_codes=("PORTFOLIO_REGIME_ENTRY_THROTTLE",),
        ),
        AuditSeal(
            **{**COMMON, "book_id": "AUDIT"},
            version=1,
            sealed_day=dt.date(2026, 3, 31),
            entries=(AuditEntry(name="PAPER_SIM", file="2026-03-31.jsonl", seq=3, hash="d" * 64),),
            root="e" * 64,
            key_id="f" * 16,
            previous_mac=None,
            mac="0" * 64,
        ),
        Decision(
            **COMMON,
            strategy_id="S1_AVWAP_CORE",
            decision_id="dec_1",
            intent_id="int_1",
            symbol="AAPL",
            outcome=DecisionOutcome.RESIZE,
            approved_quantity=5,
            reason_codes=("MAX_NOTIONAL_PER_SYMBOL", "REGIME_RISK_MULTIPLIER"),
        ),
        PortfolioDecisionsRecorded(
            **COMMON,
            batch_sha256="a" * 64,
            artifact="portfolio_decisions/PAPER_SIM/2026-04-01.json",
            candidates_sha256="b" * 64,
            snapshot_sha256="c" * 64,
            inputs_ok=True,
            decisions=(
                PortfolioDecisionLine(strategy_id="S1_AVWAP_CORE", symbol="AAPL", verdict="ALLOW"),
                PortfolioDecisionLine(
                    strategy_id="S1_AVWAP_CORE",
                    symbol="MSFT",
                    verdict="BLOCK",
                    reason_codes=("PORTFOLIO_SECTOR_CONCENTRATION",),
                ),
            ),
        ),
        _enforcement(),
        _regime(),
        _activation(),
    ]
    return samples


def _activation(**changes: Any) -> RulesetActivated:
    fields: dict[str, Any] = {
        **COMMON,
        "version": "2026-04-a",
        "ruleset_sha256": "e" * 64,
        "effective_from_ny": dt.date(2026, 4, 2),
        "previous_version": "2026-03-b",
        "action": "ACTIVATE",
    }
    return RulesetActivated(**{**fields, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"effective_from_ny": dt.date(2026, 4, 1)}, "never mid-session"),
        ({"action": "UNDO"}, "ACTIVATE or ROLLBACK"),
        ({"version": "bad version"}, "version must be"),
        ({"ruleset_sha256": "xyz"}, "sha256"),
    ],
)
def test_ruleset_activation_refuses_bad_values(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(RecordValidationError, match=message):
        _activation(**changes)


def _enforcement(**changes: Any) -> PortfolioEnforcementRecorded:
    fields: dict[str, Any] = {
        **COMMON,
        "strategy_id": "S1_AVWAP_CORE",
        "symbol": "MSFT",
        "intent_id": "int_1",
        "verdict": "BLOCK",
        "reason_code": "PORTFOLIO_DECISION_BLOCKED",
        "decision_reasons": ("PORTFOLIO_SECTOR_CONCENTRATION",),
        "artifact": "portfolio_decisions/PAPER_SIM/2026-04-01.json",
        "artifact_sha256": "a" * 64,
        "candidates_sha256": "b" * 64,
        "config_hash": "c" * 64,
    }
    return PortfolioEnforcementRecorded(**{**fields, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"verdict": "MAYBE"}, "ALLOW or BLOCK"),
        ({"verdict": "ALLOW"}, "ALLOW has no reason_code"),
        ({"reason_code": None}, "a BLOCK has one"),
        ({"artifact_sha256": "xyz"}, "sha256"),
        ({"config_hash": "short"}, "sha256"),
        ({"decision_reasons": ("lower case",)}, "UPPER_SNAKE"),
        ({"intent_id": "dec_1"}, "int_"),
        ({"detail": "x" * 501}, "500"),
    ],
)
def test_portfolio_enforcement_record_refuses_inconsistent_outcomes(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(RecordValidationError, match=message):
        _enforcement(**changes)


def _regime(**changes: Any) -> RegimeRecorded:
    fields: dict[str, Any] = {
        **COMMON,
        "book_id": "REGIME_E1",
        "benchmark": "SPY",
        "label": "RISK_OFF",
        "candidate": "RISK_OFF",
        "confidence": Decimal("0.6667"),
        "score": Decimal("2"),
        "volatility": Decimal("0.31"),
        "drawdown": Decimal("0.12"),
        "trend": Decimal("-0.021"),
        "levels": {"volatility": "RISK_OFF", "drawdown": "RISK_OFF", "trend": "RISK_OFF"},
        "reason_codes": ("REGIME_BREADTH_UNAVAILABLE",),
        "bars_source": "store",
        "data_sha256": "a" * 64,
        "config_hash": "c" * 64,
        "rules_version": "REGIME_E1_V1",
    }
    return RegimeRecorded(**{**fields, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"book_id": "PAPER_SIM"}, "REGIME_E1 stream"),
        ({"label": "BULLISH"}, "unknown regime label"),
        ({"levels": {"volatility": "CALM"}}, "unknown regime label"),
        ({"levels": {"momentum": "RISK_ON"}}, "unknown features"),
        ({"confidence": Decimal("1.5")}, r"\[0, 1\]"),
        ({"label": "UNKNOWN"}, "UNKNOWN label has no candidate"),
        ({"candidate": None}, "UNKNOWN label has no candidate"),
        ({"data_sha256": "x"}, "sha256"),
        ({"reason_codes": ("lower",)}, "UPPER_SNAKE"),
        ({"pending_sessions": -1}, "negative"),
    ],
)
def test_regime_record_refuses_inconsistent_values(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(RecordValidationError, match=message):
        _regime(**changes)


def _decisions(**changes: Any) -> PortfolioDecisionsRecorded:
    fields: dict[str, Any] = {
        **COMMON,
        "batch_sha256": "a" * 64,
        "artifact": "portfolio_decisions/PAPER_SIM/2026-04-01.json",
        "inputs_ok": True,
        "decisions": (PortfolioDecisionLine(strategy_id="S1_AVWAP_CORE", symbol="AAPL", verdict="ALLOW"),),
    }
    return PortfolioDecisionsRecorded(**{**fields, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"batch_sha256": "xyz"}, "sha256"),
        ({"inputs_ok": False}, "input_reasons"),
        ({"input_reasons": ("PORTFOLIO_SNAPSHOT_MISSING",)}, "input_reasons"),
        (
            {"inputs_ok": False, "input_reasons": ("PORTFOLIO_SNAPSHOT_MISSING",)},
            "ALLOW in a batch whose inputs failed",
        ),
        (
            {
                "decisions": (
                    PortfolioDecisionLine(strategy_id="S1_AVWAP_CORE", symbol="AAPL", verdict="BLOCK"),
                )
            },
            "BLOCK at least one",
        ),
        (
            {
                "decisions": (
                    PortfolioDecisionLine(strategy_id="S1_AVWAP_CORE", symbol="AAPL", verdict="ALLOW"),
                    PortfolioDecisionLine(strategy_id="S1_AVWAP_CORE", symbol="AAPL", verdict="ALLOW"),
                )
            },
            "decided twice",
        ),
        (
            {
                "decisions": (
                    PortfolioDecisionLine(strategy_id="S1_AVWAP_CORE", symbol="AAPL", verdict="MAYBE"),
                )
            },
            "ALLOW or BLOCK",
        ),
    ],
)
def test_portfolio_decisions_record_refuses_inconsistent_batches(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(RecordValidationError, match=message):
        _decisions(**changes)


def test_an_audit_seal_belongs_to_the_audit_stream() -> None:
    seal = next(record for record in every_record_type() if isinstance(record, AuditSeal))
    with pytest.raises(RecordValidationError, match="belongs to the AUDIT stream"):
        decode_record({**encode_record(seal), "book_id": "PAPER_SIM"})


def test_samples_cover_every_record_type() -> None:
    assert {type(record).__name__ for record in every_record_type()} == set(RECORD_TYPES)


@pytest.mark.parametrize("record", every_record_type(), ids=lambda record: type(record).__name__)
def test_records_round_trip_through_json(record: Record) -> None:
    plain = encode_record(record)
    assert plain["type"] == type(record).__name__
    assert plain["schema_version"] == 1
    assert plain["ts"].endswith("Z")
    text = canonical_json(plain)
    decoded = decode_record(json.loads(text))
    assert decoded == record
    assert canonical_json(encode_record(decoded)) == text


def test_money_is_a_decimal_string_and_keeps_its_digits() -> None:
    plain = encode_record(factories.round_trip_parts().first)
    assert plain["price"] == "100.00" and plain["commission"] == "1"
    assert plain["quantity"] == 4


def mutate(**changes: Any) -> dict[str, Any]:
    plain = encode_record(factories.round_trip_parts().first)
    plain.update(changes)
    return plain


@pytest.mark.parametrize(
    ("plain", "message"),
    [
        (mutate(surprise=1), "unknown field `surprise`"),
        (mutate(type="Trade"), "unknown record type 'Trade'"),
        ({key: value for key, value in mutate().items() if key != "type"}, "unknown record type None"),
        (mutate(quantity="4"), "Expected `int`, got `str`"),
        (mutate(quantity=True), "Expected `int`, got `bool`"),
        (mutate(quantity=4.0), "Expected `int`, got `float`"),
        (mutate(quantity=0), "quantity must be a positive"),
        (mutate(price=100.0), "price must be a decimal string, got float"),
        (mutate(price=100), "price must be a decimal string, got int"),
        (mutate(price="NaN"), "finite decimal"),
        (mutate(price="-1"), "price must be positive"),
        (mutate(commission="-0.5"), "commission must not be negative"),
        (mutate(price="abc"), "Invalid decimal"),
        (mutate(side="HOLD"), "Invalid enum value 'HOLD'"),
        (mutate(ts="2026-04-01T10:00:00"), "timezone-aware UTC"),
        (mutate(ts="2026-04-01T10:00:00-04:00"), "timezone-aware UTC"),
        (mutate(date_ny="2026-04-01T00:00:00Z"), "Invalid RFC3339 encoded date"),
        (mutate(schema_version=2), "unsupported schema_version 2"),
        (mutate(book_id="paper sim"), "book_id must be UPPER_SNAKE"),
        (mutate(strategy_id=None), "Expected `str`, got `null`"),
        (mutate(symbol="aapl"), "symbol must be an upper-case ticker"),
        (mutate(fill_id="ord_123"), "fill_id must start with 'fil_'"),
        ({key: value for key, value in mutate().items() if key != "position_id"}, "missing required field"),
        (["not", "a", "mapping"], "must be a JSON object"),
    ],
)
def test_decode_rejects_off_contract_data(plain: Any, message: str) -> None:
    with pytest.raises(RecordValidationError, match=re.escape(message)):
        decode_record(plain)


def test_rejections_are_data_errors_and_value_errors() -> None:
    with pytest.raises(ValueError):
        decode_record(mutate(quantity=-1))


def test_construction_validates_too() -> None:
    with pytest.raises(RecordValidationError, match="timezone-aware UTC"):
        Note(
            book_id="PAPER_SIM",
            date_ny=dt.date(2026, 4, 1),
            ts=dt.datetime(2026, 4, 1, 9),  # noqa: DTZ001
            code="X",
            message="",
        )
    with pytest.raises(RecordValidationError, match="date_ny must be a date"):
        Note(book_id="PAPER_SIM", date_ny=TS, ts=TS, code="X", message="")
    with pytest.raises(RecordValidationError, match="does not fit approved_quantity"):
        Decision(
            **COMMON,
            strategy_id="S1_AVWAP_CORE",
            decision_id="dec_1",
            intent_id="int_1",
            symbol="AAPL",
            outcome=DecisionOutcome.REJECT,
            approved_quantity=3,
            reason_codes=("KILL_SWITCH",),
        )
    with pytest.raises(RecordValidationError, match="needs at least one reason code"):
        Decision(
            **COMMON,
            strategy_id="S1_AVWAP_CORE",
            decision_id="dec_1",
            intent_id="int_1",
            symbol="AAPL",
            outcome=DecisionOutcome.REJECT,
            approved_quantity=0,
        )


@pytest.mark.parametrize(
    ("order_type", "limit_price", "stop_price", "purpose", "position_id", "message"),
    [
        (OrderType.LIMIT, None, None, OrderPurpose.ENTRY, None, "wrong prices"),
        (OrderType.MARKET, Decimal("1"), None, OrderPurpose.ENTRY, None, "wrong prices"),
        (OrderType.STOP, None, None, OrderPurpose.STOP, "pos_1", "wrong prices"),
        (OrderType.STOP, None, Decimal("95"), OrderPurpose.STOP, None, "must name its position_id"),
    ],
)
def test_order_contract(  # noqa: PLR0917
    order_type: OrderType,
    limit_price: Decimal | None,
    stop_price: Decimal | None,
    purpose: OrderPurpose,
    position_id: str | None,
    message: str,
) -> None:
    with pytest.raises(RecordValidationError, match=message):
        OrderSubmitted(
            **ORDER,
            intent_id="int_1",
            position_id=position_id,
            side=Side.SELL,
            order_type=order_type,
            quantity=10,
            limit_price=limit_price,
            stop_price=stop_price,
            purpose=purpose,
        )


def test_records_are_frozen() -> None:
    record = factories.deposit("1.00")
    with pytest.raises(AttributeError):
        record.amount = Decimal("2")  # type: ignore[misc]
    assert msgspec.structs.replace(record, amount=Decimal("2")).amount == Decimal("2")


def test_note_detail_is_typed_scalars_never_a_repr() -> None:
    figures = {"problem": "risk per share", "risk_per_share": Decimal("9.41"), "big": Decimal("1E+3")}
    detail = note_detail({**figures, "on": dt.date(2026, 4, 1), "ratio": 0.5, "n": 2, "none": None})
    assert detail == {
        "problem": "risk per share",
        "risk_per_share": "9.41",
        "big": "1000",
        "on": "2026-04-01",
        "ratio": "0.5",
        "n": 2,
        "none": None,
    }
    with pytest.raises(TypeError, match="must be a scalar"):
        note_detail({"nested": {"a": 1}})
    with pytest.raises(RecordValidationError, match="detail 'price' must map to a string"):
        Note(**COMMON, code="X", message="", detail={"price": Decimal("1.5")})  # type: ignore[dict-item]
    with pytest.raises(RecordValidationError):
        decode_record({**encode_record(Note(**COMMON, code="X", message="")), "detail": {"a": 1.5}})
    note = Note(**COMMON, code="X", message="m", detail=detail)
    assert b"Decimal(" not in canonical_json(encode_record(note))
    assert decode_record(encode_record(note)) == note


def test_ticket_records_refuse_inconsistent_limits() -> None:
    fields: dict[str, Any] = {
        **COMMON,
        "strategy_id": "S_401K_ALLOCATION",
        "intent_id": "int_1",
        "symbol": "FXAIX",
        "side": Side.SELL,
        "quantity": 3,
        "channel": "C0TICKETS",
        "message_ts": "1.0",
    }
    with pytest.raises(RecordValidationError, match="needs"):
        TicketSent(**fields, order_type=OrderType.LIMIT)
    with pytest.raises(RecordValidationError, match="has no"):
        TicketSent(**fields, order_type=OrderType.MARKET, limit_price=Decimal("1"))
    with pytest.raises(RecordValidationError, match="outcome"):
        TicketFailed(
            **{k: fields[k] for k in (*COMMON, "strategy_id", "intent_id", "symbol")}, outcome="x", detail=""
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"outcome": "MAYBE"}, "KEEP, RESIZE or BLOCK"),
        ({"reason_codes": ()}, "at least one reason code"),
        ({"outcome": "BLOCK", "resolved_quantity": 5}, "does not fit"),
        ({"outcome": "KEEP", "resolved_quantity": 0}, "does not fit"),
        ({"resolved_quantity": 90}, "does not fit"),
        ({"counterparty_strategy_ids": ("s1",)}, "UPPER_SNAKE"),
    ],
)
def test_conflict_resolution_records_refuse_inconsistent_outcomes(
    changes: dict[str, Any], message: str
) -> None:
    fields: dict[str, Any] = {
        **COMMON,
        "strategy_id": "S2_AVWAP_SWING",
        "resolution_id": "cfl_1",
        "intent_id": "int_2",
        "symbol": "AAPL",
        "side": Side.BUY,
        "outcome": "RESIZE",
        "requested_quantity": 80,
        "resolved_quantity": 50,
        "reason_codes": ("CONFLICT_PORTFOLIO_CAP_RESIZED",),
    }
    with pytest.raises(RecordValidationError, match=message):
        ConflictResolved(**{**fields, **changes})


_CONFIRMATION: dict[str, Any] = {
    **COMMON,
    "confirmation_id": "cnf_1",
    "event_id": "Ev01",
    "channel": "C0TICKETS",
    "thread_ts": "1.1",
    "message_ts": "1.2",
    "intent_id": "int_1",
    "match": ConfirmationMatch.MATCHED,
    "kind": ConfirmationKind.SKIPPED,
    "note": "fund closed",
}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"intent_id": None}, "MATCHED confirmation names its intent_id"),
        ({"match": ConfirmationMatch.UNMATCHED_THREAD}, "MATCHED confirmation names its intent_id"),
        ({"kind": ConfirmationKind.EXECUTED}, "EXECUTED needs quantity and price"),
        ({"kind": ConfirmationKind.EXECUTED, "quantity": 5}, "EXECUTED needs quantity and price"),
        ({"quantity": 5}, "SKIPPED takes no quantity"),
        ({"confirmation_id": "x_1"}, "confirmation_id must start with 'cnf_'"),
        ({"corrects": "int_1"}, "corrects must start with 'cnf_'"),
        (
            {"match": ConfirmationMatch.UNMATCHED_THREAD, "intent_id": None, "corrects": "cnf_0"},
            "only a confirm",
        ),
        ({"text": "x" * 501}, "text is at most 500"),
        ({"intent_id": "tkt_1"}, "intent_id must start with 'int_'"),
    ],
)
def test_confirmation_contract(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(RecordValidationError, match=re.escape(message)):
        ConfirmationRecorded(**{**_CONFIRMATION, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"source": SnapshotSource.CSV}, "a CSV snapshot names its file's sha256"),
        ({"source_sha256": "a" * 64}, "a CSV snapshot names its file's sha256"),
        ({"positions": (SnapshotPosition(symbol="VTI", quantity=Decimal(1)),) * 2}, "appears twice"),
        (
            {"as_of": dt.datetime(2026, 3, 31, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=-4)))},
            "as_of must be a UTC",
        ),
    ],
)
def test_a_broker_snapshot_keeps_its_contract(changes: dict[str, Any], message: str) -> None:
    sample = next(record for record in every_record_type() if isinstance(record, BrokerSnapshotRecorded))
    with pytest.raises((RecordValidationError, AttributeError, TypeError), match=message):
        msgspec.structs.replace(sample, **changes)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: SnapshotPosition(symbol="VTI", quantity=Decimal(0)), "positive quantity"),
        (lambda: SnapshotPosition(symbol="vti", quantity=Decimal(1)), "upper-case ticker"),
        (lambda: SnapshotPosition(symbol="VTI", quantity=Decimal(1), price=Decimal(-1)), "non-negative"),
    ],
)
def test_snapshot_lines_check_themselves(build: Any, message: str) -> None:
    with pytest.raises(RecordValidationError, match=message):
        build()


def test_an_allocation_intent_states_its_notional_and_carries_no_stop() -> None:
    fields = {
        **COMMON,
        "book_id": "SCHWAB_401K_MANUAL",
        "strategy_id": "S_401K_ALLOCATION",
        "intent_id": "int_2",
        "symbol": "FXAIX",
        "side": Side.BUY,
        "quantity": 3,
        "order_type": OrderType.MARKET,
        "reference_price": Decimal("200"),
        "setup": "rebalance",
        "model_version": "S_401K_ALLOCATION/1",
        "data_version": "sha256:abc",
    }
    with pytest.raises(RecordValidationError, match="notional"):
        AllocationTradeIntent(**fields, notional=Decimal("599"))
    with pytest.raises(RecordValidationError, match="needs limit"):
        AllocationTradeIntent(**{**fields, "order_type": OrderType.LIMIT}, notional=Decimal("600"))
    with pytest.raises(TypeError):
        AllocationTradeIntent(**fields, notional=Decimal("600"), stop_price=Decimal("1"))  # type: ignore[call-arg]
