"""The execution lock: one holder at a time, released with its holder, refusals say who holds it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from avwap.core.errors import ConfigurationError
from avwap.core.process_lock import execute_lock_holder, execute_lock_path, hold_execute_lock


def test_one_holder_at_a_time_and_the_second_is_told_who(tmp_path: Path) -> None:
    assert execute_lock_holder(tmp_path) is None
    with hold_execute_lock(tmp_path, "avwap execute pid 1"):
        assert execute_lock_holder(tmp_path) == "avwap execute pid 1"
        with (
            pytest.raises(ConfigurationError, match="held by avwap execute pid 1"),
            hold_execute_lock(tmp_path, "avwap rebuild pid 2"),
        ):
            pass
    assert execute_lock_holder(tmp_path) is None
    assert execute_lock_path(tmp_path).stat().st_mode & 0o777 == 0o600


def test_a_holder_that_dies_leaves_no_stale_lock(tmp_path: Path) -> None:
    code = (
        "import os, sys\n"
        "from avwap.core.process_lock import hold_execute_lock\n"
        "with hold_execute_lock(sys.argv[1], 'doomed'):\n"
        "    os._exit(9)\n"
    )
    died = subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=False)
    assert died.returncode == 9
    assert execute_lock_path(tmp_path).read_text() == "doomed"  # the file stays, the lock does not
    assert execute_lock_holder(tmp_path) is None
    with hold_execute_lock(tmp_path, "next"):
        assert execute_lock_holder(tmp_path) == "next"


def test_a_state_folder_that_cannot_be_made_is_a_configuration_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the state folder's parent should be")
    with (
        pytest.raises(ConfigurationError, match="AVWAP_STATE_DIR: cannot take the execution lock"),
        hold_execute_lock(blocker / "state", "x"),
    ):
        pass
