"""`avwap demo --sessions 3` with E2 on (``E2_REGIME_MODULATION=1``, enforced): the demo's mornings go through
the same decision seam as the backtest (``jobs.portfolio_decide.build_batch``), so each batch carries the
previous close's regime label; the entry throttle and the order cap reach the demo's trading."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from avwap.cli.main import build_app
from avwap.control import reasons
from avwap.core.calendar import nyse
from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.record_enums import OrderPurpose
from avwap.ledger.records import OrderSubmitted, TradeIntent
from avwap.ledger.router import Ledger

SESSIONS = 3
ENVIRON = {"E2_REGIME_MODULATION": "1", "PORTFOLIO_DECISION_ENFORCE": "1"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    home = tmp_path_factory.mktemp("demo-e2") / "home"
    arguments = ["demo", "--home", str(home), "--sessions", str(SESSIONS), "--json"]
    result = CliRunner().invoke(build_app(), arguments, env=ENVIRON)
    assert result.exit_code == 0, result.output
    return home, json.loads(result.stdout)


def batches(home: Path) -> dict[dt.date, dict[str, Any]]:
    folder = home / "artifacts" / "portfolio_decisions" / PAPER_SIM
    return {
        dt.date.fromisoformat(path.stem): json.loads(path.read_bytes())["batch"]
        for path in sorted(folder.glob("2*.json"))
    }


def test_every_morning_carries_the_previous_close_regime_label(demo) -> None:  # type: ignore[no-untyped-def]
    home, printed = demo
    found = batches(home)
    assert printed["sessions"] == SESSIONS and len(found) == SESSIONS
    for day, batch in found.items():
        regime = batch["regime"]
        assert dt.date.fromisoformat(regime["as_of"]) == nyse().previous_session(day)
        assert regime["label"] in {"RISK_ON", "NEUTRAL", "RISK_OFF", "STRESSED"}  # measured, not UNKNOWN
        assert regime["applied_label"] == regime["label"]


def test_allows_and_entries_stay_within_the_regime_quota(demo) -> None:  # type: ignore[no-untyped-def]
    home, _ = demo
    found = batches(home)
    throttled = 0
    allowed: dict[tuple[dt.date, str], set[str]] = {}
    quota: dict[dt.date, int] = {}
    for day, batch in found.items():
        regime = batch["regime"]
        limit = batch["limits"]["max_new_entries"]
        quota[day] = min(limit, math.floor(limit * Decimal(regime["new_positions_multiplier"])))
        per_strategy = Counter(
            item["strategy_id"] for item in batch["decisions"] if item["verdict"] == "ALLOW"
        )
        assert all(count <= quota[day] for count in per_strategy.values())
        for item in batch["decisions"]:
            throttled += reasons.PORTFOLIO_REGIME_ENTRY_THROTTLE in item["reason_codes"]
            if item["verdict"] == "ALLOW":
                allowed.setdefault((day, item["strategy_id"]), set()).add(item["symbol"])
    assert throttled > 0  # the synthetic market is not RISK_ON on every morning: the throttle did bind
    records = Ledger(home / "ledger").read_book(PAPER_SIM)
    entries = [
        item for item in records if isinstance(item, OrderSubmitted) and item.purpose == OrderPurpose.ENTRY
    ]
    assert entries  # the demo still trades
    per_day = Counter((item.date_ny, item.strategy_id) for item in entries)
    assert all(count <= quota[day] for (day, _), count in per_day.items())
    assert all(item.symbol in allowed.get((item.date_ny, item.strategy_id), set()) for item in entries)


def test_each_intent_is_within_its_allows_scaled_notional(demo) -> None:  # type: ignore[no-untyped-def]
    home, _ = demo
    found = batches(home)
    notional = {
        (day, item["strategy_id"], item["symbol"]): Decimal(item["proposed_notional"])
        for day, batch in found.items()
        for item in batch["decisions"]
        if item["verdict"] == "ALLOW"
    }
    intents = [item for item in Ledger(home / "ledger").read_book(PAPER_SIM) if isinstance(item, TradeIntent)]
    assert intents
    for intent in intents:
        cap = notional[(intent.date_ny, intent.strategy_id, intent.symbol)]
        assert intent.quantity * intent.entry_price <= cap
