"""Import memory follows the valid bars, not the rows read: a file of many duplicate rows stays small."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import avwap

ROWS = 400_000
GROWTH_LIMIT_MB = 100  # blocks of 1 MiB: ~26 MB; the whole file read at once: ~214 MB

CHILD = """
import json, resource, sys
from pathlib import Path
from avwap.data.importing.csv_import import import_csv
from avwap.data.importing.presets import preset

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

import_csv(Path(sys.argv[2]), preset("cnuge_daily"))  # warm up: libraries and calendar loaded
before = peak_mb()
result = import_csv(Path(sys.argv[1]), preset("cnuge_daily"))
print(json.dumps({"growth_mb": peak_mb() - before, "imported": result.rows_imported,
                  "duplicates": result.reason_counts.get("DUPLICATE_TIMESTAMP", 0)}))
"""


def test_a_file_of_duplicate_rows_costs_memory_for_its_one_bar(tmp_path: Path) -> None:
    header = "date,open,high,low,close,volume,Name\n"
    duplicates = tmp_path / "AOS_data.csv"
    duplicates.write_text(header + "2014-05-20,10,11,9,10.5,1000,AOS\n" * ROWS)
    small = tmp_path / "ABC_data.csv"
    small.write_text(header + "2014-05-20,10,11,9,10.5,1000,ABC\n")
    source_root = str(Path(avwap.__file__).resolve().parents[1])
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([source_root, os.environ.get("PYTHONPATH", "")]),
    }
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, str(duplicates), str(small)],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
        timeout=120,
    )
    outcome = json.loads(completed.stdout)
    assert (outcome["imported"], outcome["duplicates"]) == (1, ROWS - 1)
    assert outcome["growth_mb"] < GROWTH_LIMIT_MB, outcome
