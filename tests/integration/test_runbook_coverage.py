"""docs/RUNBOOK.md covers what an operator meets: every reason code of the control plane, every setting of
the configuration, every systemd unit in ops/, every doctor check and every new command group."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from avwap.control import reasons
from avwap.core.config_settings import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
RUNBOOK = (ROOT / "docs" / "RUNBOOK.md").read_text(encoding="utf-8")
CODES = sorted(
    {
        *reasons.REASONS,
        *reasons.PREFLIGHT_CODES,
        *reasons.PORTFOLIO_REASONS,
        *reasons.ENFORCEMENT_REASONS,
        *reasons.CONFLICT_REASONS,
    }
)
UNITS = sorted(path.name for path in (ROOT / "ops").iterdir() if path.suffix in (".service", ".timer"))


def mentioned(name: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_-]){re.escape(name)}(?![A-Za-z0-9_-])", RUNBOOK) is not None


@pytest.mark.parametrize("code", CODES)
def test_every_reason_code_is_in_the_runbook(code: str) -> None:
    assert mentioned(code), f"docs/RUNBOOK.md does not say what to do about {code}"


@pytest.mark.parametrize("variable", [spec.variable for spec in SETTINGS])
def test_every_setting_is_in_the_runbook(variable: str) -> None:
    assert mentioned(variable), f"docs/RUNBOOK.md does not document {variable}"


@pytest.mark.parametrize("unit", UNITS)
def test_every_ops_unit_is_in_the_runbook(unit: str) -> None:
    assert mentioned(unit), f"docs/RUNBOOK.md does not cover {unit}"


def test_the_module_constants_hold_every_code() -> None:
    """A code added as a module constant but left out of the five tables would escape the checks above."""
    constants = {value for name, value in vars(reasons).items() if name.isupper() and name == value}
    assert constants <= set(CODES)
    assert len(UNITS) >= 10


@pytest.mark.parametrize(
    "phrase",
    ["avwap rules activate", "avwap rules rollback", "avwap doctor", "avwap decommission stop-entries",
     "avwap decommission status", "avwap audit export", "journalctl -u", "scripts/deploy_drill.sh",
     "avwap decommission close-positions", "avwap rebuild", "state/execute.lock"],
)  # fmt: skip
def test_the_operations_commands_are_in_the_runbook(phrase: str) -> None:
    assert phrase in RUNBOOK
