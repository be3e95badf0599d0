"""Reading a file in blocks gives exactly what reading it at once gives (rows, reasons, counts, sample)."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pandas as pd
import pytest

from avwap.data.importing import csv_source
from avwap.data.importing.csv_import import import_many
from avwap.data.importing.presets import preset
from avwap.data.importing.result import BatchImportResult

HEADER = "date,open,high,low,close,volume,Name\n"
ROW_KINDS = (
    "{day},10,11,9,10.5,{volume},{symbol}\n",  # good, or a duplicate when the day repeats
    "{day},10,11,12,10.5,0,{symbol}\n",  # high below low, zero volume
    "{day},1,2\n",  # malformed
    "\n",  # blank line
    "{day},10,11,9,abc,5,{symbol}\n",  # value not a number
    "{day},,11,9,10,0,{symbol}\n",  # missing value
)


def messy_text(rows: int) -> str:
    lines = [HEADER]
    for index in range(rows):
        kind = ROW_KINDS[0] if index % 7 else ROW_KINDS[index // 7 % len(ROW_KINDS)]
        day = f"05/{1 + index % 28:02d}/14" if index > rows // 2 else f"2014-05-{1 + index % 28:02d}"
        symbol = ("AAA", "BBB", " ccc ")[index % 3]
        lines.append(kind.format(day=day, volume=1000 + index, symbol=symbol))
    return "".join(lines)


def summary(batch: BatchImportResult) -> list[object]:
    parts: list[object] = [batch.summary(), batch.bars, batch.origins, batch.rows_superseded]
    for report in batch.reports:
        parts += [report.summary(), report.quarantined, report.flags, report.first_reason_counts]
        parts += [msgspec.to_builtins(record) for record in report.quarantine_records()]
    return parts


def assert_same(left: list[object], right: list[object]) -> None:
    assert len(left) == len(right)
    for one, other in zip(left, right, strict=True):
        if isinstance(one, pd.DataFrame):
            pd.testing.assert_frame_equal(one, other, check_exact=True)  # type: ignore[arg-type]
        else:
            assert one == other


@pytest.mark.parametrize("block_bytes", [64, 333, 4096])
def test_small_blocks_give_the_result_of_one_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_bytes: int
) -> None:
    first = tmp_path / "AAA_data.csv"
    first.write_text(messy_text(600))
    second = tmp_path / "BBB_data.csv"
    second.write_text(messy_text(300).replace("\n", "\r\n"))
    # the first blocks are ISO dates, the later ones M/D/YY: the format is decided over the whole file
    spec = msgspec.structs.replace(preset("cnuge_daily"), timestamp_formats=("%Y-%m-%d", "%m/%d/%y"))
    whole = summary(import_many([first, second], spec, sample_rows=4))
    monkeypatch.setattr(csv_source, "BLOCK_BYTES", block_bytes)
    blocks = summary(import_many([first, second], spec, sample_rows=4))
    assert_same(whole, blocks)
    assert whole[0]["quarantined_by_reason"]["DUPLICATE_TIMESTAMP"] > 0  # type: ignore[index]
    assert whole[0]["quarantined_by_reason"]["UNPARSEABLE_TIMESTAMP"] > 0  # type: ignore[index]
