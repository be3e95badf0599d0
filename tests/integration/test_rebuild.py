"""``avwap rebuild``: every derived file of a demo home deleted and rebuilt byte for byte from the ledgers
and bars; refused while the execution loop runs; a torn ledger tail repaired, the state reproduced."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from avwap.cli.main import build_app
from avwap.core.config import load_config
from avwap.core.process_lock import EXECUTE_LOCK_NAME, execute_lock_holder, hold_execute_lock
from avwap.jobs.rebuild_plan import FAMILIES, plan_rebuild


def file_hashes(home: Path) -> dict[str, str]:
    """sha256 of every file of the home (the execution lock file aside: it holds no data)."""
    return {
        path.relative_to(home).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(home.rglob("*"))
        if path.is_file() and path.name != EXECUTE_LOCK_NAME
    }


@pytest.fixture
def home(demo_home_once: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(demo_home_once, copy)
    return copy


def rebuild(home: Path, *options: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(build_app(), ["rebuild", "--home", str(home), *options], env=env)


def test_rebuild_deletes_every_derived_file_and_writes_it_again_byte_for_byte(home: Path) -> None:
    before = file_hashes(home)
    plan = plan_rebuild(load_config({}, home=home))
    families = {item.family.name for item in plan.derived}
    # every family a demo writes is derived and covered; the reconciliation artifacts are kept as sources
    assert families == {family.name for family in FAMILIES} - {"projection caches"}
    assert {path.parent.name for path in plan.kept} == {"PAPER_SIM"}
    assert all("reconciliation" in path.parts for path in plan.kept)
    for item in plan.derived:  # dated to the epoch: a file written again carries a new modification time
        os.utime(item.path, ns=(0, 0))
    result = rebuild(home, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and report["mismatches"] == [] and report["missing"] == []
    assert len(report["deleted"]) == len(plan.derived) == len(report["rebuilt"])
    # each file was really written again, and the home is byte-identical to before
    assert all(item.path.stat().st_mtime_ns > 0 for item in plan.derived)
    assert file_hashes(home) == before


def test_dry_run_lists_the_derived_files_and_changes_nothing(home: Path) -> None:
    before = file_hashes(home)
    result = rebuild(home, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would delete and rebuild" in result.output
    assert "artifacts/snapshots/PAPER_SIM/" in result.output and "reports/demo.html" in result.output
    assert "ledger/" not in result.output.replace(str(home), "")
    assert file_hashes(home) == before


def test_rebuild_refuses_while_the_execution_loop_holds_its_lock(home: Path) -> None:
    before = file_hashes(home)
    state = home / "state"
    with hold_execute_lock(state, "avwap execute pid 4242"):
        assert execute_lock_holder(state) == "avwap execute pid 4242"
        result = rebuild(home)
    assert result.exit_code == 3, result.output
    assert "avwap execute pid 4242" in result.output and "execution loop is running" in result.output
    assert file_hashes(home) == before
    assert execute_lock_holder(state) is None  # released with its holder


def test_rebuild_after_a_torn_ledger_tail_repairs_it_and_reproduces_the_state(home: Path) -> None:
    before = file_hashes(home)
    ledger = sorted((home / "ledger" / "PAPER_SIM").glob("*.jsonl"))[-1]
    original = ledger.read_bytes()
    torn = b'{"hash":"0123456789abcdef'  # a crash in the middle of an append: no newline
    ledger.write_bytes(original + torn)
    result = rebuild(home)
    assert result.exit_code == 0, result.output
    assert ledger.read_bytes() == original  # the torn line was cut away...
    quarantine = ledger.with_name(ledger.name + ".quarantine")
    assert torn in quarantine.read_bytes()  # ...and kept aside, as every ledger reader does
    after = file_hashes(home)
    del after[quarantine.relative_to(home).as_posix()]
    assert after == before


def test_a_rebuild_under_other_rules_reports_the_decisions_it_cannot_reproduce(home: Path) -> None:
    """The decisions ledger is the check: rebuilt with a different cap, the batches no longer hash to
    the ones the ledger recorded, and the rebuild says so (exit 1) instead of passing silently."""
    result = rebuild(home, env={"MAX_POSITIONS": "1"})
    assert result.exit_code == 1, result.output
    assert (
        "MISMATCH: PAPER_SIM" in result.output
        and "differ from the batch the ledger recorded" in result.output
    )


def test_an_operated_home_is_rebuilt_with_the_production_jobs(home: Path) -> None:
    """Without the demo marker the home is an operated one: its snapshots and attributions are the ones
    `avwap portfolio snapshot` writes, and the rebuild reproduces those bytes."""
    (home / "DEMO_HOME").unlink()
    for folder in ("artifacts", "reports"):
        shutil.rmtree(home / folder)
    days = sorted(path.stem for path in (home / "ledger" / "PAPER_SIM").glob("*.jsonl"))
    for day in days:
        made = CliRunner().invoke(
            build_app(), ["portfolio", "snapshot", "--home", str(home), "--book", "PAPER_SIM", "--date", day]
        )
        assert made.exit_code == 0, made.output
    before = file_hashes(home)
    plan = plan_rebuild(load_config({}, home=home))
    assert {item.family.name for item in plan.derived} == {"snapshots", "strategy attribution"}
    assert len(plan.derived) == 2 * len(days)
    result = rebuild(home)
    assert result.exit_code == 0, result.output
    assert file_hashes(home) == before


def test_a_rebuild_killed_half_way_is_finished_by_the_next_one(home: Path) -> None:
    """The first rebuild dies after its deletions, in the second session's snapshot; the files it deleted
    are absent, yet the next rebuild knows them (state/rebuild.pending.json) and the home comes back."""
    from avwap.demo.rebuild import DemoProducers
    from avwap.demo.replay import demo_config
    from avwap.jobs.rebuild import PENDING_NAME, rebuild_home
    from avwap.scanning.job import rescan

    before = file_hashes(home)
    config = demo_config({}, home)

    class Dying(DemoProducers):
        def snapshot(self, book_id, day):  # type: ignore[no-untyped-def]
            if self.snapshots:
                raise KeyboardInterrupt("killed")
            super().snapshot(book_id, day)

    with pytest.raises(KeyboardInterrupt):
        rebuild_home(
            config,
            lambda plan: Dying(config, config.data_dir, plan, imported=False),
            scan=lambda day: rescan(config, day),
        )
    assert (home / "state" / PENDING_NAME).is_file()
    assert not (home / "reports" / "demo.html").exists()  # deleted, not yet written again
    result = rebuild(home)
    assert result.exit_code == 0, result.output
    assert not (home / "state" / PENDING_NAME).exists()
    assert file_hashes(home) == before


def test_a_demo_report_in_a_home_without_the_marker_is_refused_before_any_deletion(home: Path) -> None:
    (home / "DEMO_HOME").unlink()
    before = file_hashes(home)
    result = rebuild(home)
    assert result.exit_code == 4 and "no DEMO_HOME marker: nothing deleted" in result.output
    assert file_hashes(home) == before
