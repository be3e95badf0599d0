"""Integration fixtures: one demo home per test session (read-only: copy it before changing anything)."""

from __future__ import annotations

from pathlib import Path

import pytest

from avwap.demo.run import run_demo

DEMO_SESSIONS = 4


@pytest.fixture(scope="session")
def demo_home_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo home of ``DEMO_SESSIONS`` sessions, built once per test session; tests copy it."""
    home = tmp_path_factory.mktemp("demo-once") / "home"
    run_demo({}, home, sessions=DEMO_SESSIONS)
    return home
