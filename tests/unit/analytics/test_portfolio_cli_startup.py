"""``avwap portfolio`` is registered and keeps startup light: no numpy, pandas or alpaca-py on import."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from avwap.cli.main import build_app


def test_the_group_is_registered_with_its_four_commands() -> None:
    result = CliRunner().invoke(build_app(), ["portfolio", "--help"])
    assert result.exit_code == 0
    for command in ("snapshot", "show", "reconcile", "decide"):
        assert command in result.output


def test_importing_the_command_module_pulls_no_heavy_module() -> None:
    code = (
        "import sys, avwap.cli.portfolio_command;"
        "heavy = [m for m in ('numpy', 'pandas', 'alpaca', 'pyarrow') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
