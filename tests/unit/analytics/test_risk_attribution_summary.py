"""E3.2 daily summaries, E3.2b rolling windows and the E3.3 Slack message: figures by hand, shadows left
out, the window rule (last N summaries on disk ≤ as-of, none without the as-of's own), exact sums of the
daily figures, byte-identical rebuilds, and the message's exact text."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

from tests.unit.analytics.test_risk_attribution import LIMITS, POLICY, PRICES, SHA, THREE, neutral_batch
from tests.unit.control.test_portfolio_decisions import run

from avwap.analytics.risk_attribution import build_events
from avwap.analytics.risk_attribution_slack import summary_event
from avwap.analytics.risk_attribution_store import (
    record_events,
    rolling_path,
    summary_bytes,
    summary_path,
    write_rolling,
    write_summary,
)
from avwap.analytics.risk_attribution_summary import daily_summary, rolling_summary
from avwap.control.portfolio.regime import modulation
from avwap.core.calendar import nyse
from avwap.core.config import Config, load_config
from avwap.integrations.slack.messages import render_event
from avwap.strategies.registry import S1_AVWAP_CORE, S1_AVWAP_CORE_SHADOW

HIGH = Decimal("0.9")
CODE = "test"


def plain(value: object) -> dict:  # type: ignore[type-arg]
    return json.loads(json.dumps(value))


def test_the_daily_summary_by_hand() -> None:
    batch = neutral_batch()
    summary = daily_summary(batch.date_ny, build_events(batch, SHA, PRICES, POLICY))
    expected = {
        "baseline_notional": "6000.00", "modulated_notional": "3600.00", "allowed_notional": "2400.00",
        "notional_delta": "-2400.00", "net_exposure_delta": "-3600.00", "regime_delta": "-3600.00",
        "regime_delta_pct": "-60.00", "decisions": 3, "modulated": 3, "unmodified": 0, "allowed": 2,
        "blocked": 1, "shadow_decisions": 0, "regimes": {"NEUTRAL": 3},
        "top_symbols": ["MSFT", "JPM", "XOM"],
        "by_decision_reason_code": {"PORTFOLIO_REGIME_ENTRY_THROTTLE": 1},
    }  # fmt: skip
    assert {name: summary[name] for name in expected} == expected
    assert summary["by_reason_code"] == {
        "RISK_ATTRIBUTION_REGIME_SCALED": {"decisions": 3, "notional_delta": "-2400.00"},
        "RISK_ATTRIBUTION_REGIME_BLOCKED": {"decisions": 1, "notional_delta": "-1200.00"},
    }
    assert list(summary["by_reason_code"]) == [
        "RISK_ATTRIBUTION_REGIME_SCALED",
        "RISK_ATTRIBUTION_REGIME_BLOCKED",
    ]
    msft = next(row for row in summary["by_symbol"] if row["symbol"] == "MSFT")
    assert msft == {"symbol": "MSFT", "baseline_notional": "2000.00", "allowed_notional": "0",
                    "exposure_delta": "-2000.00", "regime_delta": "-2000.00"}  # fmt: skip


def test_shadow_decisions_are_counted_apart_and_never_summed() -> None:
    batch = run(
        candidates=THREE, limits=LIMITS, regime=modulation("NEUTRAL", HIGH, None, POLICY),
        strategies=(S1_AVWAP_CORE, S1_AVWAP_CORE_SHADOW), shadow_strategies=(S1_AVWAP_CORE_SHADOW,),
    )  # fmt: skip
    with_shadow = daily_summary(batch.date_ny, build_events(batch, SHA, PRICES, POLICY))
    alone = daily_summary(batch.date_ny, build_events(neutral_batch(), SHA, PRICES, POLICY))
    assert with_shadow["shadow_decisions"] == 3 and with_shadow["decisions"] == 3
    assert with_shadow["baseline_notional"] == alone["baseline_notional"]
    assert with_shadow["by_symbol"] == alone["by_symbol"]


def sessions(count: int) -> list[dt.date]:
    calendar = nyse()
    return calendar.sessions(dt.date(2026, 3, 2), dt.date(2026, 6, 30))[:count]


def recorded_home(tmp_path: Path, days: list[dt.date]) -> Config:
    """A home whose stream holds a modulated batch per day (RISK_OFF on every third day)."""
    config = load_config({}, home=tmp_path / "home")
    for number, day in enumerate(days):
        label = "RISK_OFF" if number % 3 == 2 else "NEUTRAL"
        batch = run(
            date_ny=day, candidates=THREE, limits=LIMITS, regime=modulation(label, HIGH, None, POLICY)
        )
        record_events(config.ledger_dir, build_events(batch, SHA, PRICES, POLICY))
        write_summary(config, day, code_version=CODE)
    return config


def test_windows_fold_the_last_n_summaries_up_to_the_as_of_date(tmp_path: Path) -> None:
    days = sessions(8)
    config = recorded_home(tmp_path, [day for day in days if day != days[5]])  # one day never decided
    as_of = days[6]
    written = write_rolling(config, as_of, code_version=CODE)
    assert [path.parent.name for path in written] == ["5D", "20D", "60D"]
    five = json.loads(rolling_path(config.ledger_dir, "5D", as_of).read_bytes())
    chosen = [day.isoformat() for day in days[:7] if day != days[5]][-5:]
    assert five["dates"] == chosen and five["complete"] is True and five["days"] == 5
    dailies = [
        json.loads(summary_path(config.ledger_dir, dt.date.fromisoformat(day)).read_bytes()) for day in chosen
    ]
    for name in ("baseline_notional", "allowed_notional", "regime_delta", "net_exposure_delta"):
        assert Decimal(five[name]) == sum(Decimal(day[name]) for day in dailies)
    assert five["modulated"] == sum(day["modulated"] for day in dailies)
    assert five["regime_prevalence"] == {"NEUTRAL": 3, "RISK_OFF": 2} and five["dominant_regime"] == "NEUTRAL"
    assert five["dominant_reason_code"] == "RISK_ATTRIBUTION_REGIME_SCALED"
    assert five["by_reason_code"]["RISK_ATTRIBUTION_REGIME_SCALED"]["days_present"] == 5
    twenty = json.loads(rolling_path(config.ledger_dir, "20D", as_of).read_bytes())
    assert twenty["days"] == 6 and twenty["complete"] is False  # a partial window says so
    before = {path: path.read_bytes() for path in written}
    assert write_rolling(config, as_of, code_version=CODE) == written
    assert {path: path.read_bytes() for path in written} == before  # same inputs, same bytes


def test_no_window_without_the_as_of_summary(tmp_path: Path) -> None:
    days = sessions(3)
    config = recorded_home(tmp_path, days[:2])
    assert write_rolling(config, days[2], code_version=CODE) == []
    assert write_rolling(config, days[0] - dt.timedelta(days=7), code_version=CODE) == []
    assert not rolling_path(config.ledger_dir, "5D", days[2]).exists()


def test_every_daily_summary_rebuilds_from_the_raw_events_byte_for_byte(tmp_path: Path) -> None:
    days = sessions(4)
    config = recorded_home(tmp_path, days)
    for day in days:
        assert summary_path(config.ledger_dir, day).read_bytes() == summary_bytes(
            config, day, code_version=CODE
        )
    assert summary_bytes(config, days[-1] + dt.timedelta(days=1)) is None  # no events: no summary


def test_the_slack_message_says_what_the_artifacts_say() -> None:
    batch = neutral_batch()
    summary = plain(daily_summary(batch.date_ny, build_events(batch, SHA, PRICES, POLICY)))
    window = plain(rolling_summary("5D", summary["date_ny"], [summary, summary], ["a" * 64, "b" * 64]))
    event = summary_event(summary, {"5D": window})
    assert event.title == (
        "Risk attribution 2026-04-02: the market regime reduced proposed exposure by $3,600.00 "
        "(60.00% of proposed)"
    )
    assert event.fields == (
        ("Allowed notional", "$2,400.00"), ("Baseline notional", "$6,000.00"),
        ("Decisions modulated", "3 of 3"), ("Dominant regime", "NEUTRAL"), ("Symbols affected", "3"),
    )  # fmt: skip
    assert event.reason_codes == ("RISK_ATTRIBUTION_REGIME_SCALED", "RISK_ATTRIBUTION_REGIME_BLOCKED")
    assert event.details == (
        "Regime applied this morning: NEUTRAL (3 of 3 decisions). Sizing proposed $6,000.00; after the "
        "regime's multipliers $3,600.00; the decisions allowed $2,400.00 (net change -$3,600.00).",
        "",
        "Why, by notional taken away",
        "RISK_ATTRIBUTION_REGIME_SCALED      3 decisions      -$2,400.00  the regime's risk multiplier "
        "scaled sizes down",
        "RISK_ATTRIBUTION_REGIME_BLOCKED     1 decision       -$1,200.00  the regime allowed no more entries "
        "(no-risk or entry throttle)",
        "",
        "Symbols most reduced by the regime: MSFT -$2,000.00, JPM -$800.00, XOM -$800.00",
        "",
        "Over recent sessions",
        "5D (only 2 of 5 days): the regime took $7,200.00 of $12,000.00 proposed across 6 modulated "
        "decisions; NEUTRAL on 2 of 2 days",
        "",
        "This explains what the risk layer did; it changes no decision and needs no action.",
    )
    assert event.dedupe_key == "DAILY_SUMMARY:2026-04-02:risk_attribution"
    assert (
        render_event(event).to_json_bytes()
        == render_event(summary_event(summary, {"5D": window})).to_json_bytes()
    )


def test_a_day_the_regime_left_alone_says_so() -> None:
    calm = run(candidates=THREE, limits=LIMITS, regime=modulation("RISK_ON", HIGH, None, POLICY))
    summary = plain(daily_summary(calm.date_ny, build_events(calm, SHA, PRICES, POLICY)))
    event = summary_event(summary, {})
    assert event.title == "Risk attribution 2026-04-02: the market regime reduced no proposed exposure"
    assert summary["modulated"] == 0 and summary["unmodified"] == 3 and summary["top_symbols"] == []
    assert not any(line.startswith("Symbols most reduced") for line in event.details)
