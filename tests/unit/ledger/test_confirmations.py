"""The confirmation ledger (issue 13, M1-C): append-only, deduped by Slack event across restarts,
corrections name what they correct, unmatched threads are recorded as such."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from avwap.core.clock import FixedClock
from avwap.ledger.confirmations import (
    SLACK_REPLIES,
    ConfirmationLedger,
    ReplyFacts,
    ThreadTicket,
    intent_for_thread,
    ticket_for_thread,
)
from avwap.ledger.paths import list_ledger_files
from avwap.ledger.record_enums import ConfirmationKind, ConfirmationMatch
from avwap.ledger.records import decode_record
from avwap.ledger.store import LedgerStore
from avwap.ledger.verify import verify_file

CLOCK = FixedClock(dt.datetime(2026, 4, 1, 15, 30, tzinfo=dt.UTC))
TICKETS = [
    {"type": "Note", "channel": "C0TICKETS", "ts": "1.0", "intent_id": "int_not_a_ticket"},
    {"type": "TicketSent", "intent_id": "int_aaa", "channel": "C0TICKETS", "message_ts": "1700000000.000100"},
    {"type": "TicketSent", "intent_id": "int_bbb", "channel": "C0OTHER", "message_ts": "1700000000.000200"},
    {"type": "TicketSent", "intent_id": "int_ccc", "strategy_id": "S_401K_ALLOCATION", "channel": "C0TICKETS",
     "message_ts": "1700000000.000300"},
]  # fmt: skip
REPLY = ReplyFacts(
    book_id="SCHWAB_401K_MANUAL",
    event_id="Ev01",
    channel="C0TICKETS",
    thread_ts="1700000000.000100",
    message_ts="1700000100.000100",
    user="U0OPERATOR",
    text="EXECUTED 100 @ 54.31",
    intent_id="int_aaa",
    strategy_id="S_401K_ALLOCATION",
    kind=ConfirmationKind.EXECUTED,
    quantity=100,
    price=Decimal("54.31"),
)


def _stored(root: Path) -> list[dict[str, object]]:
    return [
        plain for path in list_ledger_files(root, SLACK_REPLIES) for plain in LedgerStore(path).read_records()
    ]


def test_the_seam_finds_the_ticket_of_a_thread() -> None:
    assert intent_for_thread(TICKETS, channel="C0TICKETS", thread_ts="1700000000.000100") == "int_aaa"
    assert (
        intent_for_thread(TICKETS, channel="C0TICKETS", thread_ts="1700000000.000200") is None
    )  # other channel
    assert intent_for_thread(TICKETS, channel="C0TICKETS", thread_ts="1.0") is None  # not a ticket record
    assert intent_for_thread([], channel="C0TICKETS", thread_ts="1.0") is None


def test_the_seam_names_the_tickets_strategy_when_it_has_one() -> None:
    found = ticket_for_thread(TICKETS, channel="C0TICKETS", thread_ts="1700000000.000300")
    assert found == ThreadTicket("int_ccc", "S_401K_ALLOCATION")
    assert ticket_for_thread(TICKETS, channel="C0TICKETS", thread_ts="1700000000.000100") == ThreadTicket(
        "int_aaa", None
    )  # a ticket record without a strategy
    assert ticket_for_thread(TICKETS, channel="C0TICKETS", thread_ts="1.0") is None


def test_a_reply_is_recorded_once_even_after_a_restart(tmp_path: Path) -> None:
    ledger = ConfirmationLedger(tmp_path, CLOCK)
    record, written = ledger.record(REPLY)
    assert written and record.match is ConfirmationMatch.MATCHED and record.corrects is None
    assert record.confirmation_id.startswith("cnf_") and record.date_ny == dt.date(2026, 4, 1)
    again, written_again = ledger.record(REPLY)
    assert (again, written_again) == (record, False)
    restarted = ConfirmationLedger(tmp_path, CLOCK)
    assert restarted.has_event("Ev01")
    assert restarted.record(REPLY) == (record, False)
    stored = _stored(tmp_path)
    assert len(stored) == 1 and decode_record(stored[0]) == record
    assert all(report.ok for report in map(verify_file, list_ledger_files(tmp_path, SLACK_REPLIES)))


def test_a_second_confirmation_is_a_correction_never_a_mutation(tmp_path: Path) -> None:
    ledger = ConfirmationLedger(tmp_path, CLOCK)
    first, _ = ledger.record(REPLY)
    garbled, _ = ledger.record(
        dataclasses.replace(
            REPLY, event_id="Ev02", kind=ConfirmationKind.NOT_UNDERSTOOD, quantity=None, price=None
        )
    )
    assert garbled.corrects is None  # a line that was not understood corrects nothing
    second, _ = ledger.record(
        dataclasses.replace(REPLY, event_id="Ev03", quantity=90, price=Decimal("54.30"))
    )
    assert second.corrects == first.confirmation_id
    third, _ = ConfirmationLedger(tmp_path, CLOCK).record(dataclasses.replace(REPLY, event_id="Ev04"))
    assert third.corrects == second.confirmation_id  # the chain survives a restart
    stored = [decode_record(plain) for plain in _stored(tmp_path)]
    assert stored[0] == first
    assert [getattr(record, "event_id", None) for record in stored] == ["Ev01", "Ev02", "Ev03", "Ev04"]


def test_an_unmatched_thread_is_recorded_as_such(tmp_path: Path) -> None:
    reply = dataclasses.replace(REPLY, event_id="Ev09", intent_id=None, strategy_id=None)
    record, written = ConfirmationLedger(tmp_path, CLOCK).record(reply)
    assert written and record.match is ConfirmationMatch.UNMATCHED_THREAD and record.intent_id is None
    assert record.kind is ConfirmationKind.EXECUTED and record.corrects is None


def test_asking_for_an_event_never_waits_for_an_append(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The receiver asks before it acknowledges: a slow fsync must not hold up Slack's 3-second ack."""
    ledger = ConfirmationLedger(tmp_path, CLOCK)
    appending, release = threading.Event(), threading.Event()
    append = LedgerStore.append

    def slow_append(store: LedgerStore, record: object) -> object:
        appending.set()
        release.wait(5)
        return append(store, record)

    monkeypatch.setattr(LedgerStore, "append", slow_append)
    writer = threading.Thread(target=ledger.record, args=(REPLY,))
    writer.start()
    assert appending.wait(5)
    answered = threading.Event()

    def ask() -> None:
        ledger.has_event("Ev99")
        answered.set()

    threading.Thread(target=ask).start()
    assert answered.wait(1)  # answered while the append is still in progress
    release.set()
    writer.join(5)
    assert ledger.has_event("Ev01")
