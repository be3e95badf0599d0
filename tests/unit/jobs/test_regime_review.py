"""Operator reviews of the E2 risk attribution diagnostics (E3.4): recorded once, read back, no setting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from avwap.core.canonical import content_hash
from avwap.core.clock import FixedClock
from avwap.core.config import load_config
from avwap.core.errors import ConfigurationError
from avwap.jobs.regime_review import REVIEW_CODE, ReviewRequest, record_review, reviews, validate
from avwap.ledger.paths import REGIME_REVIEWS, list_ledger_files
from avwap.ledger.verify import verify_path

REPORT = {
    "from": "2026-09-14",
    "to": "2026-09-25",
    "totals": {"pnl_delta": "12.50"},
    "advisory": "Advisory only",
}
NOON = dt.datetime(2026, 10, 1, 16, 0, tzinfo=dt.UTC)


def request(conclusion: str = "keep_off", reviewer: str = " Dana ", note: str = "") -> ReviewRequest:
    return ReviewRequest(reviewer, conclusion, note, Path("runs/e2"), Path("runs/base"), "BACKTEST")


def test_a_review_is_recorded_once_with_what_it_reviewed_and_changes_no_setting(tmp_path: Path) -> None:
    config = load_config({"AVWAP_HOME": str(tmp_path)})
    first, appended = record_review(config, FixedClock(NOON), REPORT, request(note="two windows only"))
    assert appended and first.code == REVIEW_CODE and first.date_ny == dt.date(2026, 10, 1)
    assert first.detail == {
        "reviewer": "Dana",
        "conclusion": "KEEP_OFF",
        "report_sha256": content_hash(REPORT),
        "modulated": "runs/e2",
        "baseline": "runs/base",
        "book": "BACKTEST",
        "from": "2026-09-14",
        "to": "2026-09-25",
        "e2_enabled": False,
    }
    assert first.message.startswith("Dana: KEEP_OFF") and first.message.endswith("; two windows only")
    again, appended_again = record_review(config, FixedClock(NOON + dt.timedelta(hours=1)), REPORT, request())
    assert not appended_again and again == first  # the same reviewer, conclusion and report: nothing added
    other, appended_other = record_review(config, FixedClock(NOON), REPORT, request("MORE_DATA"))
    changed = {**REPORT, "to": "2026-09-30"}
    third, appended_third = record_review(config, FixedClock(NOON), changed, request())
    assert (
        appended_other and appended_third and third.detail["report_sha256"] != first.detail["report_sha256"]
    )
    assert reviews(config.ledger_dir) == [first, other, third]
    reports = verify_path(config.ledger_dir / REGIME_REVIEWS)
    assert [report.ok for report in reports] == [True]  # one chained day file
    assert load_config({"AVWAP_HOME": str(tmp_path)}).e2_regime_modulation is False


def test_no_review_means_an_empty_list(tmp_path: Path) -> None:
    assert reviews(tmp_path / "ledger") == []


@pytest.mark.parametrize(
    ("bad", "option"),
    [
        (request(reviewer="  "), "--reviewer"),
        (request(reviewer="x" * 81), "--reviewer"),
        (request(reviewer="a\nb"), "--reviewer"),
        (request("SHIP_IT"), "--conclusion"),
        (request(note="n" * 501), "--note"),
    ],
)
def test_a_bad_request_names_its_option_and_records_nothing(
    tmp_path: Path, bad: ReviewRequest, option: str
) -> None:
    config = load_config({"AVWAP_HOME": str(tmp_path)})
    with pytest.raises(ConfigurationError, match=option):
        validate(bad)
    with pytest.raises(ConfigurationError, match=option):
        record_review(config, FixedClock(NOON), REPORT, bad)
    assert not list_ledger_files(config.ledger_dir, REGIME_REVIEWS)
