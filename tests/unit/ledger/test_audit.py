"""The daily audit seal: the issue's forger (a line rewritten, every later hash recomputed) is caught."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from tests.unit.ledger.factories import deposit, intent

from avwap.core.clock import FixedClock
from avwap.core.errors import ConfigurationError, LedgerIntegrityError
from avwap.ledger.audit import AUDIT, seal_day, seal_root, verify_seals
from avwap.ledger.audit_key import (
    AuditKey,
    generate_audit_key,
    load_audit_key,
    read_anchors,
)
from avwap.ledger.paths import PAPER_SIM, list_ledger_files
from avwap.ledger.router import Ledger
from avwap.ledger.store import LedgerStore
from avwap.ledger.verify import verify_path

DAY_ONE = dt.date(2026, 4, 1)
DAY_TWO = dt.date(2026, 4, 2)
KEY = AuditKey(b"k" * 32)


def evening(day: dt.date) -> FixedClock:
    return FixedClock(dt.datetime(day.year, day.month, day.day, 22, 0, tzinfo=dt.UTC))


def build_home(home: Path, anchor: Path | None = None) -> Path:
    root = home / "ledger"
    ledger = Ledger(root)
    ledger.append(deposit("10000", day=DAY_ONE))
    ledger.append(intent("AAPL", quantity=11, day=DAY_ONE))
    ledger.append_stream("ALERTS", DAY_ONE, {"type": "Alert", "date_ny": DAY_ONE.isoformat(), "code": "X"})
    seal_day(root, DAY_ONE, KEY, evening(DAY_ONE), anchor_file=anchor, home=home)
    ledger.append(intent("MSFT", quantity=5, day=DAY_TWO))
    seal_day(root, DAY_TWO, KEY, evening(DAY_TWO), anchor_file=anchor, home=home)
    return root


def rewrite_folder(folder: Path, change) -> None:  # type: ignore[no-untyped-def]
    """What a forger with write access to the home does: edit records, recompute every hash and link."""
    files = {
        path.name: LedgerStore(path).read_records() for path in list_ledger_files(folder.parent, folder.name)
    }
    shutil.rmtree(folder)
    for name, records in files.items():
        store = LedgerStore(folder / name)
        for record in records:
            changed = change(record)
            if changed is not None:  # None: the forger drops the line
                store.append(changed)


def forge_quantity(record: dict) -> dict:  # type: ignore[type-arg]
    if record.get("type") == "TradeIntent" and record.get("quantity") == 11:
        return {**record, "quantity": 110}
    return record


def test_an_untouched_home_verifies(home: Path) -> None:
    root = build_home(home)
    check = verify_seals(root, KEY)
    assert check.problems == [] and check.seals == 2 and check.authenticated
    assert check.sealed_days == ["2026-04-01", "2026-04-02"] and check.unsealed_days == []


def test_a_rewritten_quantity_with_recomputed_hashes_is_caught(home: Path) -> None:
    root = build_home(home)
    rewrite_folder(root / PAPER_SIM, forge_quantity)
    assert all(report.ok for report in verify_path(root))  # the plain chain is fooled
    problems = verify_seals(root, KEY).problems
    assert problems and "PAPER_SIM/2026-04-01.jsonl line 2 differs" in problems[0].reason
    assert problems[0].path.endswith("AUDIT/2026-04-01.jsonl") and problems[0].line == 1


def test_a_forger_who_also_rewrites_the_seal_roots_fails_on_the_hmac(home: Path) -> None:
    root = build_home(home)
    rewrite_folder(root / PAPER_SIM, forge_quantity)

    def reseal(record: dict) -> dict:  # type: ignore[type-arg]
        entries = [
            {**entry, "hash": LedgerStore(root / entry["name"] / entry["file"]).read_envelopes()[-1].hash}
            for entry in record["entries"]
        ]
        return {**record, "entries": entries, "root": seal_root(record["sealed_day"], entries)}

    rewrite_folder(root / AUDIT, reseal)
    assert all(report.ok for report in verify_path(root))
    reasons = [problem.reason for problem in verify_seals(root, KEY).problems]
    assert any("HMAC of the 2026-04-01 root does not match" in reason for reason in reasons), reasons
    assert all("differs" not in reason for reason in reasons)  # the entries themselves were made consistent
    # Without the key, nothing inside the home can tell: that is why the key lives outside it.
    assert verify_seals(root, None).problems == []


def test_a_seal_made_with_another_key_is_refused(home: Path) -> None:
    root = build_home(home)
    reasons = [problem.reason for problem in verify_seals(root, AuditKey(b"z" * 32)).problems]
    assert any("not the configured key" in reason for reason in reasons)


def test_deleting_the_newest_seal_is_caught_by_the_external_anchor(home: Path, tmp_path: Path) -> None:
    anchor = tmp_path / "outside" / "anchors.jsonl"
    root = build_home(home, anchor)
    assert len(read_anchors(anchor)) == 2
    (root / AUDIT / "2026-04-02.jsonl").unlink()
    rewrite_folder(root / AUDIT, lambda record: record)  # a careful forger leaves a consistent stream
    assert verify_seals(root, KEY).problems == []  # the home alone cannot know
    problems = verify_seals(root, KEY, read_anchors(anchor)).problems
    assert any("seal of 2026-04-02 anchored outside the home is missing" in item.reason for item in problems)


def test_removing_a_middle_seal_breaks_the_mac_chain(home: Path) -> None:
    root = build_home(home)
    rewrite_folder(root / AUDIT, lambda record: None if record["sealed_day"] == "2026-04-01" else record)
    reasons = [problem.reason for problem in verify_seals(root, KEY).problems]
    assert any("previous_mac does not name the seal before it" in reason for reason in reasons)


def test_sealing_refuses_a_broken_chain(home: Path) -> None:
    root = home / "ledger"
    Ledger(root).append(deposit("10000", day=DAY_ONE))
    Ledger(root).append(intent("AAPL", quantity=11, day=DAY_ONE))
    path = root / PAPER_SIM / "2026-04-01.jsonl"
    path.write_bytes(path.read_bytes().replace(b'"quantity":11', b'"quantity":110'))
    with pytest.raises(LedgerIntegrityError, match="cannot seal"):
        seal_day(root, DAY_ONE, KEY, evening(DAY_ONE))


def test_the_key_must_be_outside_the_home_private_and_present(home: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="AVWAP_AUDIT_KEY_FILE: no audit key configured"):
        load_audit_key(None, home)
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_audit_key(tmp_path / "absent.key", home)
    with pytest.raises(ConfigurationError, match="inside AVWAP_HOME"):
        generate_audit_key(home / "audit.key", home)
    key_path = tmp_path / "keys" / "audit.key"
    made = generate_audit_key(key_path, home)
    assert key_path.stat().st_mode & 0o777 == 0o600
    assert load_audit_key(key_path, home).key_id == made.key_id
    assert "key_id" in repr(made) and key_path.read_bytes().hex() not in repr(made)
    with pytest.raises(ConfigurationError, match="never overwrite"):
        generate_audit_key(key_path, home)
    key_path.chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        load_audit_key(key_path, home)


def test_seals_across_a_dst_change_and_a_clock_jumping_back(home: Path) -> None:
    """2026-03-08 is the spring-forward Sunday: the evening of Friday 03-06 is 23:00 UTC (EST), of Monday
    03-09 is 22:30 UTC (EDT), both still their NY day; a clock jumping back a day is refused, not forked."""
    root = home / "ledger"
    friday, monday = dt.date(2026, 3, 6), dt.date(2026, 3, 9)
    Ledger(root).append(deposit("1", day=friday))
    seal_day(root, friday, KEY, FixedClock(dt.datetime(2026, 3, 7, 4, 30, tzinfo=dt.UTC)))  # 23:30 EST
    Ledger(root).append(deposit("2", reference="second", day=monday))
    seal_day(root, monday, KEY, FixedClock(dt.datetime(2026, 3, 10, 3, 30, tzinfo=dt.UTC)))  # 23:30 EDT
    assert sorted(path.name for path in (root / AUDIT).glob("*.jsonl")) == [
        "2026-03-06.jsonl",
        "2026-03-09.jsonl",
    ]
    with pytest.raises(LedgerIntegrityError):
        seal_day(root, friday, KEY, FixedClock(dt.datetime(2026, 3, 6, 22, tzinfo=dt.UTC)))  # clock went back
    check = verify_seals(root, KEY)
    assert check.problems == [] and check.sealed_days == ["2026-03-06", "2026-03-09"]
