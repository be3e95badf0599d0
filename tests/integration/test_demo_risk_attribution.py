"""The demo with the E3 flags on writes the attribution events, daily summaries and rolling windows of every
decided morning, verifiably; everything else it writes is byte-identical to the same demo without them, but
for the daily audit seals, which (rightly) also commit to the new stream's files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from avwap.analytics.risk_attribution_store import (
    ROLLING_FOLDER,
    SUMMARY_FOLDER,
    read_events,
    rebuilds_exactly,
    rolling_path,
)
from avwap.demo.run import run_demo
from avwap.ledger.paths import PAPER_SIM, PORTFOLIO_RISK_ATTRIBUTION
from avwap.ledger.verify import verify_path

pytestmark = pytest.mark.integration
SESSIONS = 3
E2 = {"E2_REGIME_MODULATION": "1"}
E3 = {
    "E3_RISK_ATTRIBUTION_WRITE": "1",
    "E3_RISK_ATTRIBUTION_SUMMARY_WRITE": "1",
    "E3_RISK_ATTRIBUTION_ROLLING_WRITE": "1",
    "E3_RISK_ATTRIBUTION_SLACK_SUMMARY": "1",
}
E3_PARTS = (PORTFOLIO_RISK_ATTRIBUTION, SUMMARY_FOLDER, ROLLING_FOLDER)


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Any]:
    off = tmp_path_factory.mktemp("demo-e3-off") / "home"
    on = tmp_path_factory.mktemp("demo-e3-on") / "home"
    run_demo(dict(E2), off, sessions=SESSIONS)
    outcome = run_demo({**E2, **E3}, on, sessions=SESSIONS)
    return off, on, outcome


def outputs(home: Path) -> dict[str, bytes]:
    return {
        path.relative_to(home).as_posix(): path.read_bytes()
        for folder in ("ledger", "artifacts", "reports")
        for path in sorted((home / folder).rglob("*"))
        if path.is_file() and not any(part in (*E3_PARTS, "AUDIT") for part in path.parts)
    }


def test_the_demo_attributes_every_decided_morning(demos: tuple[Path, Path, Any]) -> None:
    _, home, outcome = demos
    ledger = home / "ledger"
    decided = sorted(day for day, batch in outcome.result.decisions.items() if batch.inputs_ok)
    assert decided  # every morning after the first has a snapshot to decide against
    for day in decided:
        events = read_events(ledger, day)
        assert events and {event.book_id for event in events} == {PAPER_SIM}
        assert rebuilds_exactly(ledger, day)
        for window in ("5D", "20D", "60D"):
            assert json.loads(rolling_path(ledger, window, day).read_bytes())["as_of"] == day.isoformat()
    reports = verify_path(ledger)
    assert reports and all(report.ok for report in reports)


def test_everything_else_the_demo_writes_is_unchanged(demos: tuple[Path, Path, Any]) -> None:
    off, on, _ = demos
    assert not any((off / "ledger" / part).exists() for part in E3_PARTS)
    assert outputs(off) == outputs(on)
    seals = b"".join(path.read_bytes() for path in sorted((on / "ledger" / "AUDIT").glob("*.jsonl")))
    assert PORTFOLIO_RISK_ATTRIBUTION.encode() in seals  # the events are sealed with the day
