"""E3 through the decision job's seam (``write_batch``): events, daily summary, rolling windows and the Slack
summary behind their flags; flags off (and on) leave every decision output byte-identical; a failing
attribution is logged and changes nothing; summaries rebuild from the raw events byte for byte."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest
from tests.unit.analytics.portfolio_fixtures import DAY
from tests.unit.control.test_portfolio_regime import CLOCK, _ready, _write_spy

from avwap.analytics.risk_attribution_store import (
    ROLLING_FOLDER,
    SUMMARY_FOLDER,
    read_events,
    rolling_path,
    summary_bytes,
    summary_path,
)
from avwap.core.config import Config, load_config
from avwap.core.errors import ConfigurationError
from avwap.integrations.slack.messages import AlertKind
from avwap.integrations.slack.notifier import RecordingNotifier
from avwap.jobs import risk_attribution
from avwap.jobs.portfolio_decide import build_batch, write_batch
from avwap.ledger.paths import PORTFOLIO_RISK_ATTRIBUTION
from avwap.ledger.verify import verify_path

E3_FLAGS = {
    "E3_RISK_ATTRIBUTION_WRITE": "1",
    "E3_RISK_ATTRIBUTION_SUMMARY_WRITE": "1",
    "E3_RISK_ATTRIBUTION_ROLLING_WRITE": "1",
    "E3_RISK_ATTRIBUTION_SLACK_SUMMARY": "1",
}
# RISK_ON at half risk, so the calm synthetic market is modulated (the default RISK_ON is (1, 1)).
E2 = {"E2_REGIME_MODULATION": "1", "E2_MULTIPLIERS_RISK_ON": "0.5,1"}
CODE = "test"


def prepared(home: Path, **environ: str) -> Config:
    config = _ready(load_config({}, home=home))
    _write_spy(config, 260, drift=0.001)
    return load_config({**E2, **environ}, home=home)


def decide(config: Config, notifier: RecordingNotifier | None = None) -> tuple[Path, str]:
    return write_batch(
        config, build_batch(config, "PAPER_SIM", DAY, CLOCK), CLOCK, code_version=CODE, notifier=notifier
    )


def outputs(home: Path) -> dict[str, bytes]:
    """Every ledger and artifact file except the E3 ones, by relative path."""
    e3 = (PORTFOLIO_RISK_ATTRIBUTION, SUMMARY_FOLDER, ROLLING_FOLDER)
    return {
        path.relative_to(home).as_posix(): path.read_bytes()
        for folder in ("ledger", "artifacts")
        for path in sorted((home / folder).rglob("*"))
        if path.is_file() and not any(part in e3 for part in path.parts)
    }


def test_flags_on_write_events_summary_windows_and_a_slack_message(tmp_path: Path) -> None:
    config = prepared(tmp_path / "home", **E3_FLAGS)
    notifier = RecordingNotifier()
    _, digest = decide(config, notifier)
    events = read_events(config.ledger_dir, DAY)
    batch = build_batch(config, "PAPER_SIM", DAY, CLOCK)
    assert len(events) == len(batch.decisions) > 0
    assert {event.batch_sha256 for event in events} == {digest}
    assert all(event.regime_code == "RISK_ON" and event.risk_multiplier == 0.5 for event in events)
    reports = verify_path(config.ledger_dir)  # the whole ledger root, summary folders beside the streams
    assert reports and all(report.ok for report in reports)
    written = summary_path(config.ledger_dir, DAY).read_bytes()
    assert written == summary_bytes(config, DAY, code_version=CODE)  # rebuilt from the raw events: same bytes
    summary = json.loads(written)
    assert summary["decisions"] + summary["shadow_decisions"] == len(events)
    assert summary["modulated"] == summary["decisions"] and summary["regimes"] == {
        "RISK_ON": summary["decisions"]
    }
    for window in ("5D", "20D", "60D"):
        rolling = json.loads(rolling_path(config.ledger_dir, window, DAY).read_bytes())
        assert rolling["days"] == 1 and rolling["complete"] is False
        assert rolling["regime_delta"] == summary["regime_delta"]
    (message,) = notifier.events
    assert message.kind is AlertKind.DAILY_SUMMARY and "reduced proposed exposure by" in message.title


def test_a_rerun_appends_no_event_twice_and_rewrites_the_same_bytes(tmp_path: Path) -> None:
    config = prepared(tmp_path / "home", **E3_FLAGS)
    decide(config)
    first = {path: path.read_bytes() for path in (config.ledger_dir).rglob("*") if path.is_file()}
    decide(config)
    again = {path: path.read_bytes() for path in (config.ledger_dir).rglob("*") if path.is_file()}
    assert again == first


def test_flags_off_write_nothing_and_flags_on_change_no_decision_output(tmp_path: Path) -> None:
    off = prepared(tmp_path / "off")
    on = prepared(tmp_path / "on", **E3_FLAGS)
    decide(off)
    decide(on)
    assert not (off.ledger_dir / PORTFOLIO_RISK_ATTRIBUTION).exists()
    assert not (off.ledger_dir / SUMMARY_FOLDER).exists() and not (off.ledger_dir / ROLLING_FOLDER).exists()
    assert (on.ledger_dir / PORTFOLIO_RISK_ATTRIBUTION).exists()
    assert outputs(off.home) == outputs(on.home)  # decisions, ledgers and provenance byte-identical


def test_a_failing_event_write_is_logged_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    plain = prepared(tmp_path / "plain")
    failing = prepared(tmp_path / "failing", **E3_FLAGS)

    def broken(*_: object) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(risk_attribution, "record_events", broken)
    with caplog.at_level(logging.ERROR, logger="avwap.jobs.risk_attribution"):
        _, digest = decide(failing)
    assert decide(plain)[1] == digest  # the same decision artifact
    assert "risk attribution (events)" in caplog.text and "disk full" in caplog.text
    assert outputs(plain.home) == outputs(failing.home)
    assert not summary_path(failing.ledger_dir, DAY).exists()  # no events: no summary, and no error


def test_a_failing_summary_still_leaves_the_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = prepared(tmp_path / "home", **E3_FLAGS)

    def broken(*_: object, **__: object) -> None:
        raise ValueError("bad summary")

    monkeypatch.setattr(risk_attribution, "write_summary", broken)
    outcome = risk_attribution.attribute_decisions(
        config, build_batch(config, "PAPER_SIM", DAY, CLOCK), "a" * 64, notifier=RecordingNotifier()
    )
    assert outcome.events > 0 and outcome.summary is None and outcome.rolling == []
    assert outcome.failures == ["summary: ValueError: bad summary"] and not outcome.notified


@pytest.mark.parametrize("variable", sorted(E3_FLAGS))
def test_garbage_e3_flags_name_their_variable(variable: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_config({variable: "sometimes"})
    assert raised.value.variable == variable


def test_the_e3_flags_default_off_and_leave_the_config_hash_alone() -> None:
    default = load_config({})
    assert not risk_attribution.enabled(default)
    assert load_config(E3_FLAGS).config_hash() == default.config_hash()
    assert risk_attribution.enabled(load_config({"E3_RISK_ATTRIBUTION_SLACK_SUMMARY": "1"}))


def test_the_slack_stage_reads_only_the_artifacts(tmp_path: Path) -> None:
    """Without the summary artifact (its flag off) there is nothing to send, whatever the events say."""
    config = prepared(tmp_path / "home", E3_RISK_ATTRIBUTION_WRITE="1", E3_RISK_ATTRIBUTION_SLACK_SUMMARY="1")
    notifier = RecordingNotifier()
    decide(config, notifier)
    assert read_events(config.ledger_dir, DAY) and not notifier.events
    assert not summary_path(config.ledger_dir, DAY).exists()


def test_missing_daily_summaries_mean_no_window_and_no_error(tmp_path: Path) -> None:
    config = prepared(tmp_path / "home", E3_RISK_ATTRIBUTION_ROLLING_WRITE="1")
    decide(config)  # no events and no summaries written: the windows have no input
    assert not (config.ledger_dir / ROLLING_FOLDER).exists()
    assert risk_attribution.write_rolling(config, DAY + dt.timedelta(days=1)) == []
