"""Cycle events are frozen typed records; their output form (the cycle report, ``avwap execute --json``) is
the same ``{"event": kind, ...}`` object the dicts used to be, with every field always present."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from tests.integration.crash_driver import DAY, SimScenario, write_watchlist

from avwap.core.calendar import NEW_YORK
from avwap.core.canonical import canonical_json, to_plain
from avwap.execution import events
from avwap.execution.alerts import cycle_alerts
from avwap.execution.cycle import establish_facts
from avwap.integrations.slack.messages import AlertKind

KINDS = [
    cls
    for cls in vars(events).values()
    if isinstance(cls, type) and issubclass(cls, events.CycleEvent) and cls is not events.CycleEvent
]


def ny(hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), NEW_YORK).astimezone(dt.UTC)


def test_every_kind_is_named_once_and_is_a_frozen_slotted_record() -> None:
    names = [cls.kind for cls in KINDS]
    assert len(KINDS) >= 18 and len(set(names)) == len(names) and "" not in names
    for cls in KINDS:
        assert "__slots__" in vars(cls) and cls.__dataclass_params__.frozen  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (
            events.EntryDecision("AAA", "REJECT", ("KILL_SWITCH_ACTIVE",)),
            '{"event":"decision","outcome":"REJECT","reasons":["KILL_SWITCH_ACTIVE"],"symbol":"AAA"}',
        ),
        (events.EntrySubmitted("AAA", 12), '{"event":"entry_submitted","quantity":12,"symbol":"AAA"}'),
        (
            events.FillRecorded("AAA", "buy", 12, D("50.50")),
            '{"event":"fill","price":"50.50","quantity":12,"side":"buy","symbol":"AAA"}',
        ),
        (
            events.StopMissing("AAA", "no working stop"),
            '{"event":"stop_missing","reason":"no working stop","stop":null,"symbol":"AAA"}',
        ),
        (
            events.OrderRecovered("c-1", found=False),
            '{"client_order_id":"c-1","event":"order_recovered","found":false}',
        ),
        (
            events.EntriesBlocked(("LEDGER_UNREADABLE",)),
            '{"event":"entries_blocked","reasons":["LEDGER_UNREADABLE"]}',
        ),
    ],
)
def test_output_form_is_the_kind_and_every_field(event: events.CycleEvent, expected: str) -> None:
    assert canonical_json(event.to_dict()) == expected.encode()
    assert next(iter(event.to_dict())) == "event"
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(event, dataclasses.fields(event)[0].name, None)


def test_a_cycle_report_serializes_its_events_as_json_objects(home: Path) -> None:
    write_watchlist(home / "artifacts")
    scenario = SimScenario(home, breakouts={"BBB": dt.time(11, 0)})
    scenario.run_at(ny(10, 30))
    report = scenario.run_at(ny(10, 35))
    assert report.events and all(isinstance(event, events.CycleEvent) for event in report.events)
    written = json.loads(json.dumps(to_plain(report.to_dict())))
    assert [item["event"] for item in written["events"]] == [event.kind for event in report.events]
    assert {"fill"} <= {item["event"] for item in written["events"]}


@pytest.mark.parametrize(
    ("event", "symbol"),
    [
        (events.OrderUnresolved("c-1", "timeout"), None),
        (events.StopReplaceFailed("AAA", "refused"), "AAA"),
        (events.StopCancelFailed("AAA", "refused"), "AAA"),
        (events.BrokerUnavailable("down"), None),
    ],
)
def test_each_failure_event_is_one_error_alert(
    home: Path, event: events.CycleEvent, symbol: str | None
) -> None:
    scenario = SimScenario(home, breakouts={})
    facts = establish_facts(scenario.deps)
    before = len(cycle_alerts(facts))
    facts.note(event)
    alerts = cycle_alerts(facts)
    (alert,) = alerts[before:]
    assert alert.kind is AlertKind.ERROR and alert.symbol == symbol
    assert alert.title.startswith(event.kind.replace("_", " "))
