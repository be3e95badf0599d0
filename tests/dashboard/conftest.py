"""Fixtures of the dashboard tests: one demo home per session (the demo takes ~15 s: built once, read-only
for tests; a test that writes works on :func:`home_copy`), the CLI's --json over a home, a real uvicorn."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from tests.fakes.uvicorn_server import uvicorn_serving
from typer.testing import CliRunner

from avwap.cli.main import build_app
from avwap.core.calendar import nyse
from avwap.core.clock import Clock, FixedClock
from avwap.core.config import Config, load_config
from avwap.dashboard.app import create_app
from avwap.demo.run import run_demo

SESSIONS = 4
BOOK = "PAPER_SIM"


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("dashboard-demo") / "home"
    run_demo({}, home, sessions=SESSIONS)
    return home


def last_session(home: Path) -> dt.date:
    return max(dt.date.fromisoformat(path.stem) for path in (home / "ledger" / BOOK).glob("*.jsonl"))


def after_close(day: dt.date) -> FixedClock:
    """An hour after ``day``'s close: every job of ``day`` has run."""
    return FixedClock(nyse().session_close(day) + dt.timedelta(hours=1))


def home_copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


def home_config(home: Path, **overrides: Any) -> Config:
    return load_config({}, home=home, **overrides)


@contextmanager
def serving(config: Config, clock: Clock) -> Iterator[str]:
    """The dashboard of ``config`` under a real uvicorn on 127.0.0.1 (a free port); yields the base URL."""
    with uvicorn_serving(create_app(config, clock)) as url:
        yield url


def cli_json(home: Path, *arguments: str, codes: tuple[int, ...] = (0, 1)) -> Any:
    """``avwap *arguments --json`` in-process over ``home``: the parsed output (exit code among ``codes``)."""
    result = CliRunner().invoke(build_app(), [*arguments, "--json"], env={"AVWAP_HOME": str(home)})
    assert result.exit_code in codes and result.stdout.startswith("{"), (result.output, result.exception)
    return json.loads(result.stdout)


def fields(html: str) -> dict[str, str]:
    """``data-field`` values of a page (the figures the tests compare with the CLI), first occurrence each."""
    found: dict[str, str] = {}
    for name, value in re.findall(r'data-field="([a-z_]+)">([^<]*)<', html):
        found.setdefault(name, value.strip())
    return found
