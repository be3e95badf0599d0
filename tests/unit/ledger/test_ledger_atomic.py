from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from avwap import __version__
from avwap.core.canonical import sha256_hex
from avwap.core.files import STAGE_REPLACED, STAGE_WRITTEN, TEMP_SUFFIX, atomic_write_bytes
from avwap.ledger.atomic import Provenance, atomic_write_json, build_provenance, detect_code_version

KILLER = """
import os, signal, sys
from pathlib import Path
from avwap.core.files import atomic_write_bytes

target, stage = Path(sys.argv[1]), sys.argv[2]

def hook(current: str, path: Path) -> None:
    if current == stage:
        os.kill(os.getpid(), signal.SIGKILL)

atomic_write_bytes(target, b"NEW-" * 50_000, hook=hook)
"""

OLD = b"OLD-" * 40_000
NEW = b"NEW-" * 50_000


@pytest.mark.parametrize(("stage", "expected"), [(STAGE_WRITTEN, OLD), (STAGE_REPLACED, NEW)])
def test_sigkill_around_the_rename_leaves_old_or_new_never_partial(
    tmp_path: Path, stage: str, expected: bytes
) -> None:
    target = tmp_path / "artifacts" / "candidates.json"
    atomic_write_bytes(target, OLD)
    process = subprocess.run(
        [sys.executable, "-c", KILLER, str(target), stage], check=False, capture_output=True, timeout=60
    )
    assert process.returncode == -signal.SIGKILL, process.stderr.decode()
    assert target.read_bytes() == expected
    # A stray temp file (killed before the rename) must not disturb the next write.
    strays = [path for path in target.parent.iterdir() if path.name.endswith(TEMP_SUFFIX)]
    assert len(strays) == (1 if stage == STAGE_WRITTEN else 0)
    atomic_write_bytes(target, b"after")
    assert target.read_bytes() == b"after"


def test_failed_write_removes_its_temp_file_and_keeps_the_target(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    atomic_write_bytes(target, b"v1")

    def explode(stage: str, path: Path) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(target, b"v2", hook=explode)
    assert target.read_bytes() == b"v1"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["state.json"]


def test_atomic_write_json_embeds_provenance_and_is_deterministic(tmp_path: Path) -> None:
    provenance = build_provenance("cfg123", "data456", dt.date(2026, 4, 1), code_version="0.1.0+test")
    first = atomic_write_json(tmp_path / "a.json", {"z": 1, "a": [1, 2]}, provenance)
    second = atomic_write_json(tmp_path / "b.json", {"a": [1, 2], "z": 1}, provenance)
    data = (tmp_path / "a.json").read_bytes()
    assert first == second == sha256_hex(data)
    assert data == (tmp_path / "b.json").read_bytes()
    assert json.loads(data)["provenance"] == {
        "as_of_date_ny": "2026-04-01",
        "code_version": "0.1.0+test",
        "config_hash": "cfg123",
        "data_hash": "data456",
    }
    with pytest.raises(ValueError, match="provenance"):
        atomic_write_json(tmp_path / "c.json", {"provenance": 1}, provenance)


def test_code_version_is_detected_once_and_starts_with_the_package_version() -> None:
    version = detect_code_version()
    assert version.startswith(__version__)
    assert detect_code_version() is version  # computed once
    assert build_provenance("c", "d", dt.date(2026, 1, 2)).code_version == version
    assert Provenance("x", "c", "d", dt.date(2026, 1, 2)) == build_provenance(
        "c", "d", dt.date(2026, 1, 2), code_version="x"
    )
