"""The demo's own home folder, kept apart from any real ledger.

The demo writes under ``<AVWAP_HOME>/demo`` by default. Each run starts from scratch: its ledger, artifacts,
reports and state are removed first, but only inside a folder that is empty or carries the demo marker, so a
demo can never wipe a real book's ledger. Market data (``data/``) is kept and reused between runs; a market
left half-written by a killed run is regenerated (see :mod:`avwap.data.synthetic.store`).

The marker is written before anything else in the folder, so a run killed at any point leaves a folder that
is either empty or marked: the next run always resets it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Final

from avwap.core.errors import ConfigurationError

MARKER: Final = "DEMO_HOME"
OUTPUT_FOLDERS: Final = ("ledger", "artifacts", "reports", "state")


def prepare_demo_home(home: Path) -> Path:
    """Create or reset ``home`` for a demo run; refuse a folder that is not a demo home."""
    home = Path(home)
    marker = home / MARKER
    if home.exists() and any(home.iterdir()) and not marker.exists():
        raise ConfigurationError(
            "AVWAP_HOME",
            f"{home} is not empty and is not a demo home (no {MARKER} file); refusing to reset it",
        )
    home.mkdir(parents=True, exist_ok=True)
    marker.write_text(
        "This folder belongs to `avwap demo`; its ledger and artifacts are reset on each run.\n"
    )
    for name in OUTPUT_FOLDERS:
        shutil.rmtree(home / name, ignore_errors=True)
    return home
