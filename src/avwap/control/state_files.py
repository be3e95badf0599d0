"""The edge of the control plane: the two operator files in the state folder, read once per cycle.

``<state>/KILL_SWITCH``: its existence engages the kill switch (content ignored).
``<state>/live_confirm_token.txt``: the second LIVE key. Both are read here and passed into the pure code
as values. Errors fail closed: a kill switch file that cannot be checked counts as present; a token file
that cannot be read counts as missing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

KILL_SWITCH_FILE: Final = "KILL_SWITCH"
TOKEN_FILE: Final = "live_confirm_token.txt"
TOKEN_FILE_MAX_BYTES: Final = 4096  # a token is short; a huge file is a mistake, not a token


@dataclass(frozen=True)
class StateFiles:
    """What the state folder says. ``token_text`` is None when the token file is missing or unreadable."""

    state_dir: Path
    exists: bool
    writable: bool
    kill_switch_file: bool
    token_text: str | None


def kill_switch_file_present(state_dir: Path) -> bool:
    """True when ``<state>/KILL_SWITCH`` exists, or when its existence cannot be determined."""
    try:
        os.stat(Path(state_dir) / KILL_SWITCH_FILE)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return True


def kill_switch_active(env_flag: object, state_dir: Path) -> bool:
    """The kill switch: ``KILL_SWITCH`` set (anything but exactly False) OR the file present."""
    return env_flag is not False or kill_switch_file_present(state_dir)


def read_token_file(state_dir: Path) -> str | None:
    """The raw text of ``<state>/live_confirm_token.txt`` (not stripped), or None if it cannot be read."""
    try:
        with open(Path(state_dir) / TOKEN_FILE, "rb") as handle:
            data = handle.read(TOKEN_FILE_MAX_BYTES + 1)
    except OSError:
        return None
    if len(data) > TOKEN_FILE_MAX_BYTES:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_state_files(state_dir: Path) -> StateFiles:
    """Read the state folder's operator files and whether the folder is usable."""
    folder = Path(state_dir)
    exists = folder.is_dir()
    writable = exists and os.access(folder, os.W_OK | os.X_OK)
    return StateFiles(
        state_dir=folder,
        exists=exists,
        writable=writable,
        kill_switch_file=kill_switch_file_present(folder),
        token_text=read_token_file(folder),
    )
