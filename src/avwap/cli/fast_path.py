"""Run ``avwap execute`` and ``avwap scan`` without typer when the command line is plainly well formed.

typer (with the pydantic adapters it builds for every typed option) and rich cost about 0.2 s of CPU per
process: as much as an idle ``avwap execute --once`` cycle itself (docs/ROADMAP.md, issue 8). For these two
commands :func:`fast_command` recognises a strict subset of what typer accepts: the command name, then only
known options, each at most once, each value a plain token (``--home DIR``; a whole number at or above the
option's minimum). It parses them to the values typer would pass and calls the same body
(:func:`~avwap.cli.execute_run.run_execute`, :func:`~avwap.cli.scan_run.run_scan_command`). Anything else
(``--help``, an unknown or repeated option, ``--opt=value``, a missing or bad value, a sub-command, shell
completion) returns None and typer parses the command line as always, so help, usage errors and their
wording stay typer's. Refusals inside a body (``--once --loop``, a missing ``--as-of``, a configuration
error) are the body's own, as through typer. tests/integration/test_cli_fast_path.py holds these tables equal
to the typer options, the parsed values equal to typer's, and the refusals' output equal.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

Kind = Literal["flag", "count", "path", "text"]
_WHOLE_NUMBER: Final = re.compile(r"[0-9]{1,9}")
# click's shell completion hook for prog_name "avwap": typer handles it
COMPLETION_VARIABLE: Final = "_AVWAP_COMPLETE"


@dataclass(frozen=True)
class OptionSpec:
    """One option of a command as typer declares it: parameter name, flag, kind, default, minimum."""

    name: str
    flag: str
    kind: Kind
    default: Any = None
    minimum: int | None = None


EXECUTE_OPTIONS: Final = (
    OptionSpec("once", "--once", "flag", default=False),
    OptionSpec("loop", "--loop", "flag", default=False),
    OptionSpec("poll_seconds", "--poll-seconds", "count", minimum=1),
    OptionSpec("max_cycles", "--max-cycles", "count", minimum=1),
    OptionSpec("max_failures", "--max-failures", "count", default=5, minimum=1),
    OptionSpec("home", "--home", "path"),
    OptionSpec("as_json", "--json", "flag", default=False),
)
SCAN_OPTIONS: Final = (
    OptionSpec("as_of", "--as-of", "text"),
    OptionSpec("universe", "--universe", "path"),
    OptionSpec("data", "--data", "path"),
    OptionSpec("earnings", "--earnings", "path"),
    OptionSpec("home", "--home", "path"),
    OptionSpec("as_json", "--json", "flag", default=False),
)


def _value(spec: OptionSpec, text: str) -> Any:
    """The option's value from its token, or None when typer should judge it (it would refuse it, or the
    token could be read another way)."""
    if not text or text.startswith("-"):
        return None
    if spec.kind == "count":
        if not _WHOLE_NUMBER.fullmatch(text):
            return None
        number = int(text)
        return None if spec.minimum is not None and number < spec.minimum else number
    return Path(text) if spec.kind == "path" else text


def parse_options(arguments: Sequence[str], specs: Sequence[OptionSpec]) -> dict[str, Any] | None:
    """The parameter values of ``arguments`` (options only), or None when they are not plainly well formed."""
    by_flag = {spec.flag: spec for spec in specs}
    values = {spec.name: spec.default for spec in specs}
    seen: set[str] = set()
    position = 0
    while position < len(arguments):
        spec = by_flag.get(arguments[position])
        if spec is None or spec.flag in seen:
            return None
        seen.add(spec.flag)
        if spec.kind == "flag":
            values[spec.name] = True
            position += 1
            continue
        if position + 1 >= len(arguments):
            return None
        value = _value(spec, arguments[position + 1])
        if value is None:
            return None
        values[spec.name] = value
        position += 2
    return values


def _run_execute(values: dict[str, Any]) -> int:
    from avwap.cli.execute_run import run_execute

    return run_execute(**values)


def _run_scan(values: dict[str, Any]) -> int:
    from avwap.cli.scan_run import run_scan_command

    run_scan_command(**values)
    return 0


# each command's options and body (the typer command's body: same refusals, same wording)
COMMANDS: Final[Mapping[str, tuple[tuple[OptionSpec, ...], Callable[[dict[str, Any]], int]]]] = {
    "execute": (EXECUTE_OPTIONS, _run_execute),
    "scan": (SCAN_OPTIONS, _run_scan),
}


def fast_command(
    arguments: Sequence[str], environment: Mapping[str, str] = os.environ
) -> Callable[[], int] | None:
    """The body to run for ``avwap *arguments`` without typer, or None (typer parses the command line)."""
    if not arguments or arguments[0] not in COMMANDS or COMPLETION_VARIABLE in environment:
        return None
    specs, body = COMMANDS[arguments[0]]
    values = parse_options(arguments[1:], specs)
    return None if values is None else functools.partial(body, values)


def run_standalone(action: Callable[[], int]) -> int:
    """Run a command body as typer's standalone mode does: ``typer.Exit`` gives its code, a click error is
    shown as typer shows it, Ctrl-C exits 130, EOF aborts, a closed pipe exits 1; other errors propagate."""
    try:
        try:
            return action()
        except EOFError as error:
            sys.stderr.write("\n")
            from typer.exceptions import Abort

            raise Abort() from error
        except KeyboardInterrupt:
            return 130
        except OSError as error:
            if error.errno != errno.EPIPE:
                raise
            from typer._click.utils import PacifyFlushWrapper

            sys.stdout = PacifyFlushWrapper(sys.stdout)
            sys.stderr = PacifyFlushWrapper(sys.stderr)
            return 1
    except Exception as error:
        if "typer" not in sys.modules:  # only a body that imported typer can raise its exceptions
            raise
        code = _typer_outcome(error)
        if code is None:
            raise
        return code


def _typer_outcome(error: Exception) -> int | None:
    """The exit code of typer's standalone mode for one of its exceptions (None for any other error)."""
    from typer import rich_utils
    from typer._click.exceptions import ClickException
    from typer.exceptions import Abort, Exit

    if isinstance(error, Exit):
        return int(error.exit_code)
    if isinstance(error, ClickException):
        rich_utils.rich_format_error(error)
        return error.exit_code
    if isinstance(error, Abort):
        rich_utils.rich_abort_error()
        return 1
    return None
