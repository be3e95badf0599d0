"""``avwap audit`` and ``avwap ledger verify --all`` end to end through the CLI (typer runner), with the key
and the anchor file outside the home and the seal posted to a fake Slack."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from tests.fakes.slack_server import DEFAULT_TOKEN, FakeSlackServer
from tests.unit.ledger.factories import DAY, deposit, intent
from tests.unit.ledger.test_audit import forge_quantity, rewrite_folder
from typer.testing import CliRunner

from avwap.cli.main import build_app
from avwap.cli.output import EXIT_CONFIGURATION, EXIT_DATA, EXIT_LEDGER_INTEGRITY, EXIT_PROBLEM
from avwap.control.ruleset_registry import activate, rulesets_dir
from avwap.core.clock import FixedClock
from avwap.core.config import load_config
from avwap.ledger.audit_export import FORMAT
from avwap.ledger.audit_key import read_anchors
from avwap.ledger.manifest import write_manifest
from avwap.ledger.paths import PAPER_SIM
from avwap.ledger.router import Ledger

runner = CliRunner()
APP = build_app()


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    ledger = Ledger(home / "ledger")
    ledger.append(deposit("10000"))
    ledger.append(intent("AAPL", quantity=11))
    outside = tmp_path / "outside"
    environ = {
        "AVWAP_HOME": str(home),
        "AVWAP_AUDIT_KEY_FILE": str(outside / "audit.key"),
        "AVWAP_AUDIT_ANCHOR_FILE": str(outside / "anchors.jsonl"),
    }
    result = runner.invoke(APP, ["audit", "keygen", environ["AVWAP_AUDIT_KEY_FILE"]], env=environ)
    assert result.exit_code == 0, result.output
    key_bytes = Path(environ["AVWAP_AUDIT_KEY_FILE"]).read_bytes()
    assert key_bytes.hex() not in result.output
    return environ


def invoke(environ: dict[str, str], *arguments: str):  # type: ignore[no-untyped-def]
    return runner.invoke(APP, list(arguments), env=environ)


def test_seal_verify_and_the_forger(setup: dict[str, str]) -> None:
    with FakeSlackServer() as slack:
        environ = {
            **setup,
            "SLACK_BOT_TOKEN": DEFAULT_TOKEN,
            "SLACK_CHANNEL": "alerts",
            "SLACK_BASE_URL": slack.base_url,
        }
        sealed = invoke(environ, "audit", "seal", "--date", DAY.isoformat(), "--json")
        assert sealed.exit_code == 0, sealed.output
        assert slack.wait_for_requests(1)
        assert any("Audit seal 2026-04-01" in message.text for message in slack.messages)
    record = json.loads(sealed.stdout)
    assert read_anchors(Path(setup["AVWAP_AUDIT_ANCHOR_FILE"]))[0]["root"] == record["root"]
    assert Path(setup["AVWAP_AUDIT_KEY_FILE"]).read_bytes().hex() not in sealed.output
    ok = invoke(setup, "ledger", "verify", "--all")
    assert ok.exit_code == 0, ok.output
    assert "OK: every chain, link, head and seal verifies" in ok.stdout
    as_json = invoke(setup, "ledger", "verify", "--all", "--json", "--workers", "2")
    document = json.loads(as_json.stdout)
    assert as_json.exit_code == 0 and document["ok"] is True and document["sealed_days"] == ["2026-04-01"]
    no_key = {key: value for key, value in setup.items() if key != "AVWAP_AUDIT_KEY_FILE"}
    assert invoke(no_key, "ledger", "verify", "--all").exit_code == EXIT_PROBLEM
    rewrite_folder(Path(setup["AVWAP_HOME"]) / "ledger" / PAPER_SIM, forge_quantity)
    assert invoke(setup, "ledger", "verify").exit_code == 0  # the plain chain is fooled
    broken = invoke(setup, "ledger", "verify", "--all")
    assert broken.exit_code == EXIT_LEDGER_INTEGRITY
    assert (
        "AUDIT/" in broken.stderr
        and "PAPER_SIM/2026-04-01.jsonl line 2 differs since sealed" in broken.stderr
    )


def test_seal_without_a_key_is_a_clear_configuration_error(setup: dict[str, str]) -> None:
    environ = {key: value for key, value in setup.items() if key != "AVWAP_AUDIT_KEY_FILE"}
    result = invoke(environ, "audit", "seal", "--date", DAY.isoformat())
    assert result.exit_code == EXIT_CONFIGURATION
    assert "AVWAP_AUDIT_KEY_FILE: no audit key configured" in result.stderr


def test_export_and_verify_a_bundle(setup: dict[str, str], tmp_path: Path) -> None:
    assert invoke(setup, "audit", "seal", "--date", DAY.isoformat()).exit_code == 0
    snapshots = Path(setup["AVWAP_HOME"]) / "artifacts" / "snapshots" / PAPER_SIM
    snapshots.mkdir(parents=True)
    (snapshots / "2026-04-01.json").write_text("{}\n")
    (snapshots / "2026-05-01.json").write_text("{}\n")
    bundle = tmp_path / "bundle"
    exported = invoke(setup, "audit", "export", "--from", "2026-04-01", "--to", "2026-04-01", str(bundle))
    assert exported.exit_code == 0, exported.output
    meta = json.loads((bundle / "meta.json").read_text())
    assert meta["config_hash"] and meta["code_version"] and meta["key_id"]
    assert (bundle / "artifacts/snapshots/PAPER_SIM/2026-04-01.json").is_file()
    assert not (bundle / "artifacts/snapshots/PAPER_SIM/2026-05-01.json").exists()
    assert json.loads((bundle / "verification.json").read_text())["ok"] is True
    other_machine = {"AVWAP_HOME": str(tmp_path / "elsewhere")}
    key = ["--key", setup["AVWAP_AUDIT_KEY_FILE"], "--anchors", setup["AVWAP_AUDIT_ANCHOR_FILE"]]
    verified = invoke(other_machine, "audit", "verify", str(bundle), *key)
    assert verified.exit_code == 0, verified.output
    assert invoke(other_machine, "audit", "verify", str(bundle)).exit_code == EXIT_PROBLEM  # no key
    snapshot = bundle / "artifacts/snapshots/PAPER_SIM/2026-04-01.json"
    snapshot.write_text('{"edited": true}\n')
    tampered = invoke(other_machine, "audit", "verify", str(bundle), *key)
    assert tampered.exit_code == EXIT_DATA and "2026-04-01.json: sha256 differs" in tampered.stderr


def test_backup_and_restore_commands(setup: dict[str, str], tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    assert invoke(setup, "backup", str(backups), "--keep", "2").exit_code == 0
    target = {**setup, "AVWAP_HOME": str(tmp_path / "new-home")}
    restored = invoke(target, "restore", str(backups / "backup-000001"))
    assert restored.exit_code == 0, restored.output
    assert invoke(target, "ledger", "verify").exit_code == 0
    refused = invoke(target, "restore", str(backups / "backup-000001"))
    assert refused.exit_code == EXIT_DATA and "--force" in refused.stderr


RULESET_V1 = 'version = "v1"\n[config]\nMAX_POSITIONS = 4\n[scan]\ntop_n = 15\n'


def test_the_bundle_carries_the_rulesets_and_verify_checks_each_activated_hash(
    setup: dict[str, str], tmp_path: Path
) -> None:
    home = Path(setup["AVWAP_HOME"])
    config = load_config({}, home=home)
    rulesets_dir(config).mkdir(parents=True)
    (rulesets_dir(config) / "v1.toml").write_text(RULESET_V1, encoding="utf-8")
    recorded = activate(config, "v1", FixedClock(dt.datetime.combine(DAY, dt.time(14), dt.UTC)))
    assert invoke(setup, "audit", "seal", "--date", DAY.isoformat()).exit_code == 0
    bundle = tmp_path / "bundle"
    day = DAY.isoformat()
    assert invoke(setup, "audit", "export", "--from", day, "--to", day, str(bundle)).exit_code == 0
    meta = json.loads((bundle / "meta.json").read_text())
    assert meta["rulesets"]["files"] == ["v1.toml"]
    assert meta["rulesets"]["activations"] == [
        {"recorded": day, "effective_from": recorded.effective_from_ny.isoformat(), "version": "v1",
         "ruleset_sha256": recorded.ruleset_sha256, "action": "ACTIVATE"}
    ]  # fmt: skip
    assert meta["rulesets"]["in_force"] == {"from": None, "to": None}  # it governs the next session on
    assert (bundle / "rulesets" / "v1.toml").read_text() == RULESET_V1
    key = ["--key", setup["AVWAP_AUDIT_KEY_FILE"], "--anchors", setup["AVWAP_AUDIT_ANCHOR_FILE"]]
    other_machine = {"AVWAP_HOME": str(tmp_path / "elsewhere")}
    assert invoke(other_machine, "audit", "verify", str(bundle), *key).exit_code == 0
    # a forger edits the ruleset and rewrites the manifest: the recorded activation still names its hash
    (bundle / "rulesets" / "v1.toml").write_text(RULESET_V1.replace("= 4", "= 40"), encoding="utf-8")
    write_manifest(bundle, {"format": FORMAT})
    forged = invoke(other_machine, "audit", "verify", str(bundle), *key)
    assert forged.exit_code == EXIT_DATA and "ruleset not as activated" in forged.stderr
    assert f"the activation recorded {recorded.ruleset_sha256}" in forged.stderr
    (bundle / "rulesets" / "v1.toml").unlink()
    write_manifest(bundle, {"format": FORMAT})
    missing = invoke(other_machine, "audit", "verify", str(bundle), *key)
    assert missing.exit_code == EXIT_DATA and "v1.toml: missing" in missing.stderr
