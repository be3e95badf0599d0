"""``avwap execute`` and ``avwap scan`` without typer (cli/fast_path.py) do exactly what typer would.

The fast path's option tables must equal the typer declarations; for every command line it accepts it must
pass the body the values typer passes; everything else (help, usage errors) must be left to typer; and a
refusal inside the body (configuration, data, usage) must print and exit as through typer.
"""

from __future__ import annotations

import os
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from avwap.cli import execute_command, execute_run, fast_path, scan_command, scan_run
from avwap.cli.fast_path import EXECUTE_OPTIONS, SCAN_OPTIONS, OptionSpec, fast_command

KIND_OF_ANNOTATION = {bool: "flag", int: "count", Path: "path", str: "text"}


def _typer_command(module: Any, name: str) -> tuple[Any, dict[str, Any]]:
    """The click command typer builds for ``name`` and the annotations of its function."""
    app = typer.Typer()
    module.register(app)
    app.command("version")(lambda: None)  # a second command: typer keeps ``name`` as a sub-command
    command = get_command(app).commands[name]  # type: ignore[attr-defined]
    callback = command.callback
    while hasattr(callback, "__wrapped__"):
        callback = callback.__wrapped__
    return command, typing.get_type_hints(callback)


def _declared(module: Any, name: str) -> tuple[OptionSpec, ...]:
    command, hints = _typer_command(module, name)
    specs = []
    for parameter in command.params:
        assert parameter.envvar is None and not parameter.multiple and not parameter.is_eager
        assert parameter.callback is None and not parameter.required and not parameter.secondary_opts
        assert len(parameter.opts) == 1, parameter.opts
        annotation = hints[parameter.name]
        kinds = [KIND_OF_ANNOTATION[item] for item in typing.get_args(annotation) if item is not type(None)]
        kind = KIND_OF_ANNOTATION.get(annotation) or kinds[0]
        specs.append(OptionSpec(parameter.name, parameter.opts[0], kind, parameter.default, parameter.min))
    return tuple(specs)


def test_the_option_tables_are_the_typer_declarations() -> None:
    assert _declared(execute_command, "execute") == EXECUTE_OPTIONS
    assert _declared(scan_command, "scan") == SCAN_OPTIONS


EXECUTE_LINES = [
    ["--once"],
    [],
    ["--json", "--once", "--home", "some/home"],
    ["--loop", "--poll-seconds", "30", "--max-cycles", "007", "--max-failures", "1", "--home", "~/x//y/"],
    ["--loop", "--max-failures", "123456789"],
    ["--home", "."],
]
SCAN_LINES = [
    ["--as-of", "2017-06-01"],
    ["--as-of", " today ", "--json"],
    ["--as-of", "2017-06-01", "--universe", "u.csv", "--data", "d", "--earnings", "e.csv", "--home", "h"],
    ["--json", "--as-of", "not a date"],
]


def _typer_values(
    module: Any, body: str, name: str, arguments: list[str], monkeypatch: Any
) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def record(*positional: Any, **values: Any) -> int:
        if positional:
            values["as_of"] = positional[0]
        seen.update(values)
        return 0

    monkeypatch.setattr(module, body, record)
    app = typer.Typer()
    module.register(app)
    app.command("version")(lambda: None)
    result = CliRunner().invoke(app, [name, *arguments])
    assert result.exit_code == 0, result.output
    return seen


def _fast_values(module: Any, body: str, name: str, arguments: list[str], monkeypatch: Any) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def record(*positional: Any, **values: Any) -> int:
        if positional:
            values["as_of"] = positional[0]
        seen.update(values)
        return 0

    monkeypatch.setattr(module, body, record)
    action = fast_command([name, *arguments], environment={})
    assert action is not None, arguments
    assert fast_path.run_standalone(action) == 0
    return seen


@pytest.mark.parametrize("arguments", EXECUTE_LINES)
def test_execute_gets_the_values_typer_passes(arguments: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    through_typer = _typer_values(execute_command, "run_execute", "execute", arguments, monkeypatch)
    fast = _fast_values(execute_run, "run_execute", "execute", arguments, monkeypatch)
    assert fast == through_typer
    assert {type(value) for value in fast.values()} == {type(value) for value in through_typer.values()}


@pytest.mark.parametrize("arguments", SCAN_LINES)
def test_scan_gets_the_values_typer_passes(arguments: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    through_typer = _typer_values(scan_command, "run_scan_command", "scan", arguments, monkeypatch)
    through_typer.pop("today")  # typer's callback passes scan_command.today_ny, the fast path the default
    fast = _fast_values(scan_run, "run_scan_command", "scan", arguments, monkeypatch)
    assert fast == through_typer


@pytest.mark.parametrize(
    "arguments",
    [
        ["execute", "--help"],
        ["execute", "--poll-seconds", "0"],
        ["execute", "--poll-seconds", "-5"],
        ["execute", "--poll-seconds", "+5"],
        ["execute", "--poll-seconds", "5.0"],
        ["execute", "--poll-seconds", "1234567890"],
        ["execute", "--poll-seconds=5"],
        ["execute", "--home"],
        ["execute", "--home", ""],
        ["execute", "--home", "--json"],
        ["execute", "--once", "--once"],
        ["execute", "--onc"],
        ["execute", "extra"],
        ["execute", "--", "--once"],
        ["scan", "--help"],
        ["scan", "explain", "AAPL"],
        ["scan", "--as-of", "2017-06-01", "explain", "AAPL"],
        ["scan", "--as-of", "2017-06-01", "--as-of", "2017-06-02"],
        ["--version"],
        ["execute2", "--once"],
        [],
    ],
)
def test_anything_else_is_left_to_typer(arguments: list[str]) -> None:
    assert fast_command(arguments, environment={}) is None


def test_shell_completion_is_left_to_typer() -> None:
    assert fast_command(["execute", "--once"], environment={"_AVWAP_COMPLETE": "bash_complete"}) is None
    assert fast_command(["execute", "--once"], environment={}) is not None


THROUGH_TYPER = (
    "import sys\n"
    "from avwap.cli.main import build_app, invoked_modules\n"
    "build_app(invoked_modules(sys.argv[1:]))(prog_name='avwap')\n"
)
THROUGH_MAIN = "from avwap.cli.main import main\nmain()\n"


def _run(script: str, arguments: list[str], environment: dict[str, str]) -> tuple[int, str, str]:
    env = {**os.environ, **environment}
    completed = subprocess.run(
        [sys.executable, "-c", script, *arguments], capture_output=True, text=True, env=env, check=False
    )
    return completed.returncode, completed.stdout, completed.stderr


@pytest.mark.parametrize(
    ("arguments", "environment", "code"),
    [
        (["execute", "--once"], {"MAX_POSITIONS": "many"}, 3),
        (["execute", "--once"], {"EXECUTION_MODE": "PAPER_SIM"}, 3),
        (["execute", "--once", "--loop"], {}, 2),
        (["scan", "--json"], {}, 2),  # no --as-of
        (["scan", "--as-of", "2017-13-01"], {}, 2),
        (["scan", "--as-of", "2017-06-03"], {}, 4),  # a Saturday: not a session
        (["scan", "--as-of", "2017-06-01", "--json"], {}, 4),  # no bars in the home
    ],
)
def test_a_refusal_prints_and_exits_as_through_typer(
    home: Path, arguments: list[str], environment: dict[str, str], code: int
) -> None:
    line = [*arguments, "--home", str(home)]
    assert fast_command(line, environment={}) is not None
    fast = _run(THROUGH_MAIN, line, environment)
    through_typer = _run(THROUGH_TYPER, line, environment)
    assert fast == through_typer
    assert fast[0] == code, fast


def test_an_idle_cycle_prints_as_through_typer(home: Path) -> None:
    line = ["execute", "--once", "--json", "--home", str(home)]
    code, output, _ = _run(THROUGH_MAIN, line, {})
    typer_code, typer_output, _ = _run(THROUGH_TYPER, line, {})
    assert code == typer_code == 0
    assert output.splitlines()[0].startswith("{") and typer_output.splitlines()[0].startswith("{")
